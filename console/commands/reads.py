"""`meterline reads`: route export, read import, the exception queue and its dispositions.

    meterline reads export --cycle N --out FILE
    meterline reads import FILE [--cycle N] [--encoding utf-8|latin-1]
    meterline reads audit [--cycle N] [--rule R] [--route R] [--status S] [--format F]
    meterline reads accept|reread|check|leak-letter ID [--comment TEXT]
    meterline reads edit ID --reading N --reason TEXT
    meterline reads estimate ID --method last3|last_year
    meterline reads change ID --date D --final N --serial S --size Z --dials N --initial N
    meterline reads missing --cycle N
    meterline reads sample --cycle N --out FILE [--seed S] [--share 0.05]   (training)
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from console.commands import CommandContext, signed_in
from core.clock import parse_date
from core.errors import InputError, InputProblem

FORMATS = ("table", "csv", "json")
AUDIT_COLUMNS = ("id", "severity", "rule", "verdict", "status", "cycle", "route", "seq",
                 "account", "meter", "read_on", "reading", "expected", "actual", "explanation")


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    reads = commands.add_parser("reads", parents=[common],
                                help="meter reads: route export, import, audit queue")
    actions = reads.add_subparsers(dest="reads_command", metavar="ACTION", required=True)
    export = actions.add_parser("export", parents=[common],
                                help="write a cycle's route file for handhelds and AMR")
    export.add_argument("--cycle", type=int, required=True, metavar="N")
    export.add_argument("--out", required=True, metavar="FILE", help="the CSV file to write")
    export.set_defaults(handler=export_route)
    load = actions.add_parser("import", parents=[common],
                              help="import a read file (all or nothing, once per file)")
    load.add_argument("file", metavar="FILE")
    load.add_argument("--cycle", type=int, metavar="N", help="every meter must be in cycle N")
    load.add_argument("--encoding", choices=("utf-8", "latin-1"), default="utf-8")
    load.set_defaults(handler=import_file)
    queue = actions.add_parser("audit", parents=[common], help="list read exceptions")
    queue.add_argument("--cycle", type=int, metavar="N")
    queue.add_argument("--rule", metavar="RULE", help="e.g. HIGH, STUCK, MISSING")
    queue.add_argument("--route", metavar="CODE")
    queue.add_argument("--status", choices=("open", "waiting", "resolved"), default="open")
    queue.add_argument("--format", choices=FORMATS, default="table")
    queue.set_defaults(handler=list_exceptions)
    for verb, text in (("accept", "the read stands: bill it"),
                       ("reread", "order a re-read (work order; the account stays held)"),
                       ("check", "order a meter check (work order; the account stays held)"),
                       ("leak-letter", "bill the read and queue a leak letter")):
        one = actions.add_parser(verb, parents=[common], help=text)
        one.add_argument("exception", type=int, metavar="ID")
        one.add_argument("--comment", default="", help="why (kept with the disposition)")
        one.set_defaults(handler=dispose, verb=verb)
    edit = actions.add_parser("edit", parents=[common], help="correct the reading (reason needed)")
    edit.add_argument("exception", type=int, metavar="ID")
    edit.add_argument("--reading", type=int, required=True)
    edit.add_argument("--reason", required=True)
    edit.set_defaults(handler=dispose, verb="edit")
    est = actions.add_parser("estimate", parents=[common], help="estimate the read")
    est.add_argument("exception", type=int, metavar="ID")
    est.add_argument("--method", choices=("last3", "last_year"), default="last3",
                     help="average of the last 3 actual periods, or the same period last year")
    est.add_argument("--comment", default="")
    est.set_defaults(handler=dispose, verb="estimate")
    change = actions.add_parser("change", parents=[common], help="record a meter change-out")
    change.add_argument("exception", type=int, metavar="ID")
    change.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="changed on")
    change.add_argument("--final", type=int, required=True, help="old meter's final reading")
    change.add_argument("--serial", required=True, help="new meter's serial")
    change.add_argument("--size", required=True, help="new meter's size, e.g. 5/8")
    change.add_argument("--dials", type=int, required=True, help="new meter's dials")
    change.add_argument("--initial", type=int, required=True, help="new meter's initial reading")
    change.add_argument("--reading", type=int, help="new meter's reading on the read day "
                                                    "(default: the read's reading)")
    change.add_argument("--comment", default="")
    change.set_defaults(handler=dispose, verb="change")
    sample = actions.add_parser("sample", parents=[common],
                                help="write a practice read file with fictional readings "
                                     "(training districts)")
    sample.add_argument("--cycle", type=int, required=True, metavar="N")
    sample.add_argument("--out", required=True, metavar="FILE")
    sample.add_argument("--seed", type=int, default=1)
    sample.add_argument("--share", type=float, default=0.05,
                        help="share of meters with a trouble for the audit to find (0.05)")
    sample.set_defaults(handler=write_sample)
    missing = actions.add_parser("missing", parents=[common],
                                 help="queue MISSING for every meter of a cycle not yet read")
    missing.add_argument("--cycle", type=int, required=True, metavar="N")
    missing.set_defaults(handler=queue_missing)


def export_route(args: argparse.Namespace, context: CommandContext) -> int:
    from core.read_import import ROUTE_EXPORT_COLUMNS
    from db.reads import route_export_rows
    from db.schedule import cycle_exists

    out = Path(args.out)
    with signed_in(context) as (_, conn, _at):
        if out.exists():
            raise InputError(InputProblem("already exists; a route file is never overwritten",
                                          source=str(out)))
        if not cycle_exists(conn, args.cycle):
            raise InputError(InputProblem(f"there is no cycle {args.cycle}", field="--cycle"))
        partial = out.with_name(out.name + ".part")
        count = 0
        with partial.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(ROUTE_EXPORT_COLUMNS)
            for row in route_export_rows(conn, args.cycle, context.today):
                writer.writerow(row)
                count += 1
        partial.replace(out)  # the handheld never sees a half-written route
    print(f"Wrote {count:,} meters of cycle {args.cycle} in walk order to {out}.")
    return 0


def import_file(args: argparse.Namespace, context: CommandContext) -> int:
    from db.read_import import import_reads

    with signed_in(context) as (session, conn, at):
        result = import_reads(conn, Path(args.file), actor=session.user.login, at=at,
                              today=context.today, cycle_id=args.cycle, encoding=args.encoding,
                              name=args.file)
        print(result.summary(), flush=True)
    return 0


def exception_record(row: Any) -> dict[str, Any]:
    """One exception as the CLI lists it."""
    return {"id": row["id"], "severity": row["severity"].upper(), "rule": row["rule_id"],
            "verdict": row["verdict"], "status": row["status"].upper(),
            "cycle": row["cycle_id"], "route": row["route_code"], "seq": row["walk_order"],
            "account": row["account_number"] or "(vacant)", "meter": row["serial"],
            "read_on": row["read_on"], "reading": row["reading"],
            "expected": row["expected"], "actual": row["actual"],
            "explanation": row["explanation"]}


def list_exceptions(args: argparse.Namespace, context: CommandContext) -> int:
    from db.read_exceptions import QueueFilter, count_queue, queue_page

    queue = QueueFilter(args.status, args.rule.upper() if args.rule else None, args.cycle,
                        args.route)
    with signed_in(context) as (_, conn, _at):
        total = count_queue(conn, queue)
        rows = [exception_record(r) for r in queue_page(conn, queue, offset=0, limit=total)]
    if args.format == "json":
        print(json.dumps({"filter": queue.text(), "count": total, "rows": rows}, indent=2))
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=AUDIT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        from tabulate import tabulate

        print(f"{total:,} read exceptions ({queue.text()}), errors first, then route order.")
        if rows:
            shown = [{**r, "explanation": _short(r["explanation"])} for r in rows]
            print(tabulate(shown, headers="keys"))
    return 0


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def dispose(args: argparse.Namespace, context: CommandContext) -> int:
    from core.meter_change import ChangeOutEntry
    from core.reads import EstimateMethod
    from core.work_orders import WorkOrderType
    from db import read_dispositions as do
    from db.meter_changes import record_change_out

    with signed_in(context) as (session, conn, at):
        actor = session.user.login
        verb, exception = args.verb, args.exception
        if verb == "accept":
            done = do.accept(conn, exception, comment=args.comment, actor=actor, at=at)
        elif verb in ("reread", "check"):
            kind = WorkOrderType.REREAD if verb == "reread" else WorkOrderType.METER_CHECK
            done = do.order_work(conn, exception, kind, reason=args.comment, actor=actor, at=at)
        elif verb == "leak-letter":
            done = do.leak_letter(conn, exception, comment=args.comment, actor=actor, at=at)
        elif verb == "edit":
            done = do.edit_reading(conn, exception, reading=args.reading, reason=args.reason,
                                   actor=actor, at=at)
        elif verb == "estimate":
            done = do.estimate(conn, exception, method=EstimateMethod(args.method),
                               comment=args.comment, actor=actor, at=at)
        else:
            entry = ChangeOutEntry(parse_date(args.date, field="--date"), args.final,
                                   args.serial, args.size, args.dials, args.initial,
                                   args.reading)
            done = record_change_out(conn, exception, entry, comment=args.comment,
                                     actor=actor, at=at)
    print(done.text())
    return 0


def queue_missing(args: argparse.Namespace, context: CommandContext) -> int:
    from db.read_import import report_missing

    with signed_in(context) as (session, conn, at):
        count = report_missing(conn, args.cycle, today=context.today, actor=session.user.login,
                               at=at)
    print(f"{count:,} meters of cycle {args.cycle} not read in the window are now in the queue "
          "as MISSING." if count else f"Every meter of cycle {args.cycle} has a read or is "
          "already in the queue.")
    return 0


def write_sample(args: argparse.Namespace, context: CommandContext) -> int:
    from db.schedule import cycle_exists
    from fixtures.demo_read_file import write_sample_read_file

    out = Path(args.out)
    with signed_in(context) as (_, conn, _at):
        if out.exists():
            raise InputError(InputProblem("already exists; give a new file name",
                                          source=str(out)))
        if not 0 <= args.share <= 1:
            raise InputError(InputProblem("must be between 0 and 1", field="--share"))
        if not cycle_exists(conn, args.cycle):
            raise InputError(InputProblem(f"there is no cycle {args.cycle}", field="--cycle"))
        counts = write_sample_read_file(conn, args.cycle, out, today=context.today,
                                        seed=args.seed, share=args.share)
    troubles = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()) if name != "normal")
    print(f"Wrote a practice read file for cycle {args.cycle} to {out}: "
          f"{sum(counts.values()):,} meters, fictional readings; troubles: {troubles or 'none'}.")
    return 0
