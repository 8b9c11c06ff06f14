"""`meterline collections`: after lock-off — final notices, lien candidates, the collection
agency export and write-off batches a supervisor approves or rejects
(docs/workflows/collections.md).

    meterline collections final-notices --date D [--format table|csv|json] [--send FILE]
    meterline collections liens --date D [--format table|csv|json] [--out FILE]
    meterline collections agency --date D [--format table|csv|json] [--send FILE]
    meterline collections write-offs --date D [--format table|csv|json] [--out FILE]
    meterline collections propose --date D          the write-off list as a batch to approve
    meterline collections show BATCH                a batch and its accounts
    meterline collections approve BATCH --comment TEXT [--date D]   supervisors only
    meterline collections reject BATCH --reason TEXT                 supervisors only
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from console.commands import CommandContext, signed_in
from core.clock import parse_date

FORMATS = ("table", "csv", "json")
_TABLE = ("account", "name", "locked_on", "days_off", "balance", "reason")
_LISTS = {"final-notices": "accounts still off and owing: the final notice",
          "liens": "lien candidates: the owner is the customer and owes enough",
          "agency": "accounts for the collection agency export",
          "write-offs": "balances to propose for write-off"}
_SENDS = {"final-notices": "log the notices (once per lock-off) and write the print file",
          "agency": "log the referrals (once per lock-off) and write the agency file"}


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    top = commands.add_parser("collections", parents=[common],
                              help="after lock-off: final notices, liens, agency, write-offs")
    actions = top.add_subparsers(dest="collections_command", metavar="ACTION", required=True)
    for name, words in _LISTS.items():
        sub = actions.add_parser(name, parents=[common], help=words)
        sub.add_argument("--date", required=True, metavar="YYYY-MM-DD")
        sub.add_argument("--format", choices=FORMATS, default="table")
        if name in _SENDS:
            sub.add_argument("--send", metavar="FILE", help=_SENDS[name])
        else:
            sub.add_argument("--out", metavar="FILE", help="also write the list as a CSV file")
        sub.set_defaults(handler=print_list, which=name)
    propose = actions.add_parser("propose", parents=[common],
                                 help="put the date's write-off list into a batch to approve")
    propose.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    propose.set_defaults(handler=propose_batch)
    show = actions.add_parser("show", parents=[common], help="a write-off batch and its accounts")
    show.add_argument("batch", type=int)
    show.set_defaults(handler=show_batch)
    approve = actions.add_parser("approve", parents=[common],
                                 help="approve a write-off batch and post it (supervisors)")
    approve.add_argument("batch", type=int)
    approve.add_argument("--comment", required=True, help="why the batch is approved")
    approve.add_argument("--date", metavar="YYYY-MM-DD", help="the write-offs' date (today)")
    approve.set_defaults(handler=approve_batch)
    reject = actions.add_parser("reject", parents=[common],
                                help="reject a write-off batch; nothing is posted (supervisors)")
    reject.add_argument("batch", type=int)
    reject.add_argument("--reason", required=True, help="why the batch is rejected")
    reject.set_defaults(handler=reject_batch)


def print_list(args: argparse.Namespace, context: CommandContext) -> int:
    """One after-lock-off list for the date, each account with its reason."""
    from db.collections import (
        after_lockoff_list,
        refer_to_agency,
        send_final_notices,
        write_findings,
    )

    on = parse_date(args.date, field="--date")
    send = getattr(args, "send", None)

    with signed_in(context) as (session, conn, at):
        sent = None
        if send and args.which == "final-notices":
            sent = send_final_notices(conn, on, Path(send), actor=session.user.login, at=at)
        elif send:
            sent = refer_to_agency(conn, on, Path(send), actor=session.user.login, at=at)
        found = after_lockoff_list(conn, args.which, on)
    if getattr(args, "out", None):
        write_findings(Path(args.out), found, on)
    rows = [f.as_dict(on) for f in found]
    total = sum(f.account.balance_cents for f in found)
    if args.format == "json":
        print(json.dumps({"date": on.isoformat(), "list": args.which, "count": len(rows),
                          "total_cents": total, "rows": rows}, indent=2))
    elif args.format == "csv":
        from db.collections import FILE_COLUMNS

        writer = csv.DictWriter(sys.stdout, fieldnames=FILE_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    else:
        from tabulate import tabulate

        from core.money import format_money

        print(f"{on}: {len(rows):,} {_LISTS[args.which]} ({format_money(total)}).")
        if rows:
            print(tabulate([[r[h] for h in _TABLE] for r in rows], headers=list(_TABLE),
                           maxcolwidths=[None, 20, None, None, None, 40]))
    for line in (sent.lines() if sent else []):
        print(line, file=sys.stderr if args.format != "table" else sys.stdout)
    return 0


def propose_batch(args: argparse.Namespace, context: CommandContext) -> int:
    """The date's write-off list as a new batch (lock-offs already in a batch are left out)."""
    from db.write_offs import propose_batch as propose

    on = parse_date(args.date, field="--date")
    with signed_in(context) as (session, conn, at):
        made = propose(conn, on, actor=session.user.login, at=at)
    if made is None:
        print(f"{on}: nothing to propose; no account is on the write-off list outside a"
              " proposed or approved batch.")
        return 0
    print(made.words())
    print(f"A supervisor approves it: meterline collections approve {made.id} --comment TEXT"
          f" (or rejects it: meterline collections reject {made.id} --reason TEXT)")
    return 0


def show_batch(args: argparse.Namespace, context: CommandContext) -> int:
    """A batch's state and each account with its reason."""
    from tabulate import tabulate

    from core.money import format_money
    from db.write_offs import batch, batch_items

    with signed_in(context) as (_, conn, _at):
        found = batch(conn, args.batch)
        items = batch_items(conn, args.batch)
    print(found.words())
    print(tabulate([[r[0], format_money(r[1]), r[2]] for r in items],
                   headers=["account", "proposed", "reason"], maxcolwidths=[None, None, 56]))
    return 0


def approve_batch(args: argparse.Namespace, context: CommandContext) -> int:
    """Approve a proposed batch: the write-offs are posted now, by the supervisor."""
    from db.write_offs import approve_batch as approve

    on = parse_date(args.date, field="--date") if args.date else context.today
    with signed_in(context) as (session, conn, at):
        done = approve(conn, args.batch, user=session.user, on=on, comment=args.comment, at=at)
    for line in done.lines():
        print(line)
    return 0


def reject_batch(args: argparse.Namespace, context: CommandContext) -> int:
    """Reject a proposed batch: nothing is posted; its accounts may be proposed again."""
    from db.write_offs import reject_batch as reject

    with signed_in(context) as (session, conn, at):
        done = reject(conn, args.batch, user=session.user, reason=args.reason, at=at)
    print(f"Write-off batch {done.id} rejected by {done.rejected_by}: nothing was posted, and "
          f"its {done.accounts:,} accounts may be proposed again.")
    return 0
