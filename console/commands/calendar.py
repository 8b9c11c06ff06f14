"""`meterline calendar`: the billing calendar for supervisors and cron.

    meterline calendar [--month YYYY-MM] [--cycle N] [--format table|csv|json] [--explain]
    meterline calendar closures [--year YYYY] [--format ...]
    meterline calendar generate [--month YYYY-MM] [--months N]          (supervisor)
    meterline calendar override --month M --cycle N --event E --date D --reason R
    meterline calendar close DATE --name N --reason R | open DATE --reason R | clear DATE ...
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

from console.commands import CommandContext, signed_in
from core.clock import parse_date
from core.errors import InputError, InputProblem

if TYPE_CHECKING:
    from core.schedule import ScheduledDate

FORMATS = ("table", "csv", "json")
EVENTS = ("read_start", "read_end", "bill", "due", "reminder", "late_fee", "lockoff", "notice",
          "door_hanger", "commercial_lockoff", "commercial_notice")


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    cal = commands.add_parser("calendar", parents=[common],
                              help="the billing calendar: schedule, closures, generate, override")
    cal.add_argument("--month", metavar="YYYY-MM", help="the month of the read (this month)")
    cal.add_argument("--cycle", type=int, metavar="N", help="one cycle only")
    cal.add_argument("--format", choices=FORMATS, default="table")
    cal.add_argument("--explain", action="store_true", help="add each date's rule in words")
    cal.set_defaults(handler=print_schedule)
    actions = cal.add_subparsers(dest="calendar_command", metavar="ACTION")
    closures = actions.add_parser("closures", parents=[common],
                                  help="non-business days of a year and where each came from")
    closures.add_argument("--year", type=int, help="the year (this year)")
    closures.add_argument("--format", choices=FORMATS, default="table")
    closures.set_defaults(handler=print_closures)
    generate = actions.add_parser("generate", parents=[common],
                                  help="generate and store months (supervisor)")
    generate.add_argument("--month", metavar="YYYY-MM", help="the first month (this month)")
    generate.add_argument("--months", type=int, default=1, help="how many months (1)")
    generate.set_defaults(handler=generate_schedule)
    override = actions.add_parser("override", parents=[common],
                                  help="move one date, with a reason (supervisor)")
    override.add_argument("--month", metavar="YYYY-MM", required=True)
    override.add_argument("--cycle", type=int, required=True, metavar="N")
    override.add_argument("--event", choices=EVENTS, required=True)
    override.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    override.add_argument("--reason", required=True)
    override.set_defaults(handler=override_schedule)
    for verb, text in (("close", "add a district closure (supervisor)"),
                       ("open", "open the office on a seed holiday (supervisor)"),
                       ("clear", "remove a day's district entry (supervisor)")):
        edit = actions.add_parser(verb, parents=[common], help=text)
        edit.add_argument("day", metavar="YYYY-MM-DD")
        if verb == "close":
            edit.add_argument("--name", required=True, help="e.g. Christmas Eve")
        edit.add_argument("--reason", required=True, help="resolution, MOU, emergency")
        edit.set_defaults(handler=edit_closure, verb=verb)


def parse_month(text: str | None, today: date, flag: str = "--month") -> date:
    """YYYY-MM as the first of that month; today's month when not given."""
    if not text:
        return today.replace(day=1)
    return parse_date(f"{text.strip()}-01", field=flag)


def _emit(rows: list[dict[str, Any]], fmt: str, headers: list[str],
          extra: dict[str, Any] | None = None) -> None:
    if fmt == "json":
        print(json.dumps({**(extra or {}), "rows": rows}, indent=2, default=str))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=headers, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    else:
        from tabulate import tabulate

        print(tabulate([[row[h] for h in headers] for row in rows], headers=headers))


def _schedule_row(row: ScheduledDate, status: str) -> dict[str, Any]:
    from core.explain import render

    return {"month": f"{row.month:%Y-%m}", "cycle_id": row.cycle_id, "cycle": row.cycle_name,
            "event": row.event.label, "date": f"{row.on:%a} {row.on.isoformat()}",
            "rule_date": row.rule_on.isoformat(), "status": status,
            "overridden_by": row.overridden_by or "", "override_reason": row.override_reason or "",
            "used_by": row.used_by or "", "used_at": row.used_at or "",
            "why": render(row.explanation)}


def print_schedule(args: argparse.Namespace, context: CommandContext) -> int:
    from db.closures import load_calendar
    from db.schedule import preview_month, schedule_for_month
    from db.schedule_conflicts import schedule_conflicts
    from db.settings import load_settings

    month = parse_month(args.month, context.today)
    with signed_in(context) as (_, conn, _at):
        stored = schedule_for_month(conn, month, args.cycle)
        rows = stored or preview_month(conn, month, args.cycle)
        if not rows:
            raise InputError(InputProblem(f"there is no cycle {args.cycle}", field="--cycle"))
        first, last = min(r.on for r in rows), max(r.on for r in rows)
        conflicts = [c.message for c in schedule_conflicts(
            conn, first, last, context.today, load_calendar(conn), load_settings(conn))
            if args.cycle in (None, c.cycle_id)] if stored else []
    headers = ["cycle", "event", "date", "status"] + (["why"] if args.explain else [])
    if args.format != "table":
        headers = ["month", "cycle_id", "cycle", "event", "date", "rule_date", "status",
                   "overridden_by", "override_reason", "used_by", "used_at", "why"]
    if not stored:
        print(f"{month:%Y-%m} is not generated: this is a PREVIEW from the rules; "
              f"`meterline calendar generate --month {month:%Y-%m}` stores it.", file=sys.stderr)
    _emit([_schedule_row(r, r.status if stored else "PREVIEW") for r in rows], args.format,
          headers, {"month": f"{month:%Y-%m}", "stored": bool(stored), "conflicts": conflicts})
    if args.format == "table" and conflicts:
        print("\nCONFLICTS")
        for line in conflicts:
            print(f"- {line}")
    return 0


def print_closures(args: argparse.Namespace, context: CommandContext) -> int:
    from db.closures import load_calendar

    year = args.year or context.today.year
    if not 1900 < year < 2200:
        raise InputError(InputProblem(f"{year} is not a year Meterline schedules", field="--year"))
    with signed_in(context) as (_, conn, _at):
        calendar = load_calendar(conn)
    rows = [{"date": f"{day:%a} {day.isoformat()}", "name": name,
             "office": "OPEN" if off is None else "CLOSED", "source": source}
            for off, day, name, source in calendar.year_days_off(year)]
    _emit(rows, args.format, ["date", "name", "office", "source"], {"year": year})
    return 0


def generate_schedule(args: argparse.Namespace, context: CommandContext) -> int:
    from db.schedule import generate_months

    with signed_in(context) as (session, conn, at):  # generate_months checks the role
        first = parse_month(args.month, context.today)
        reports = generate_months(conn, first, args.months, user=session.user, at=at,
                                  today=context.today)
    for report in reports:
        print("\n".join(report.lines()))
    return 0


def override_schedule(args: argparse.Namespace, context: CommandContext) -> int:
    from core.schedule import EventKind
    from db.schedule import override_date

    with signed_in(context) as (session, conn, at):  # override_date checks the role
        report = override_date(
            conn, month=parse_month(args.month, context.today), cycle_id=args.cycle,
            event=EventKind(args.event), new_on=parse_date(args.date, field="--date"),
            reason=args.reason, user=session.user, at=at, today=context.today)
    print("\n".join(report.lines()))
    return 0


def edit_closure(args: argparse.Namespace, context: CommandContext) -> int:
    from core.business_days import ClosureKind
    from db.closures import remove_closure, set_closure

    with signed_in(context) as (session, conn, at):  # the closure functions check the role
        day = parse_date(args.day, field="DATE")
        if args.verb == "clear":
            removed = remove_closure(conn, on=day, reason=args.reason, user=session.user,
                                     at=at)
            print(f"{day.isoformat()} ({removed.name}) is off the district's list.")
        else:
            kind = ClosureKind.CLOSED if args.verb == "close" else ClosureKind.OPEN
            name = args.name if args.verb == "close" else "Office open"
            set_closure(conn, on=day, kind=kind, name=name, reason=args.reason,
                        user=session.user, at=at)
            print(f"{day:%a} {day.isoformat()}: the office is {kind.value.upper()} "
                  f"({args.reason}).")
        from db.schedule import schedule_between

        for row in schedule_between(conn, day, day):
            print(f"Stored date on that day: {row.cycle_name} {row.event.label} "
                  f"({row.month:%Y-%m}); regenerate that month to apply the change.")
    return 0
