"""`meterline refunds ...`: the refund register: closed credits, approvals, the A/P export.

    meterline refunds closed-credits
    meterline refunds pending | list [--status S] [--format table|csv|json]
    meterline refunds approve ID --comment TEXT     (a supervisor; not their own request)
    meterline refunds cancel ID --comment TEXT      (a supervisor; pending or approved)
    meterline refunds export --out FILE.csv         (a supervisor)
"""
from __future__ import annotations

import argparse
from pathlib import Path

from console.commands import CommandContext, signed_in
from console.commands.money_common import FORMATS, print_rows
from core.money import format_money

STATUSES = ("pending", "approved", "paid", "cancelled")


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    refunds = commands.add_parser("refunds", parents=[common],
                                  help="refund register: credits and deposits paid back by A/P")
    actions = refunds.add_subparsers(dest="refunds_command", metavar="ACTION", required=True)
    closed = actions.add_parser("closed-credits", parents=[common],
                                help="propose a refund for every closed account with a credit")
    closed.set_defaults(handler=closed_credits)
    for name, status, text in (("pending", "pending", "refunds waiting for a supervisor"),
                               ("list", None, "the register")):
        listing = actions.add_parser(name, parents=[common], help=text)
        if status is None:
            listing.add_argument("--status", choices=STATUSES)
        listing.add_argument("--format", choices=FORMATS, default="table")
        listing.set_defaults(handler=list_rows, status_fixed=status)
    for name, approve, text in (
            ("approve", True, "approve a pending refund (a supervisor)"),
            ("cancel", False, "cancel a pending or approved refund not yet paid (a supervisor)")):
        decide = actions.add_parser(name, parents=[common], help=text)
        decide.add_argument("id", type=int)
        decide.add_argument("--comment", required=True)
        decide.set_defaults(handler=decide_one, approve=approve)
    export = actions.add_parser("export", parents=[common],
                                help="pay approved refunds: post them and write the A/P CSV"
                                     " (a supervisor)")
    export.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    export.set_defaults(handler=export_all)


def closed_credits(args: argparse.Namespace, context: CommandContext) -> int:
    from db.refunds import propose_closed_credits

    with signed_in(context) as (session, conn, at):
        made = propose_closed_credits(conn, actor=session.user.login, at=at, today=context.today)
    for number, cents, row_id in made:
        print(f"  refund {row_id}: {number} credit {format_money(cents)}")
    print(f"{len(made)} closed-account credits proposed "
          f"({format_money(sum(m[1] for m in made))}); a supervisor approves them.")
    return 0


def list_rows(args: argparse.Namespace, context: CommandContext) -> int:
    from db.refunds import register_rows

    status = args.status_fixed or getattr(args, "status", None)
    with signed_in(context) as (_, conn, _at):
        found = register_rows(conn, status=status)
    rows = [{"refund": r.id, "account": r.account_number, "payee": r.payee_name,
             "amount": format_money(r.amount_cents), "amount_cents": r.amount_cents,
             "from": "deposit" if r.book == "deposit" else "credit", "source": r.source,
             "status": r.status.upper(), "asked_by": r.requested_by, "on": r.requested_on,
             "comment": r.comment} for r in found]
    headers = ("refund", "account", "payee", "amount", "from", "status", "asked_by", "on")
    print_rows(rows, (*headers, "amount_cents", "source", "comment")
               if args.format != "table" else headers, args.format,
               empty=f"No {status or ''} refunds.".replace("  ", " "))
    return 0


def decide_one(args: argparse.Namespace, context: CommandContext) -> int:
    from db.refunds import decide_refund

    with signed_in(context) as (session, conn, at):
        status = decide_refund(conn, args.id, approver=session.user, approve=args.approve,
                               comment=args.comment, at=at)
    print(f"Refund {args.id} is {status.upper()}." + (
        " It is never paid; the credit or deposit stays on the account."
        if status == "cancelled" else " It is paid with the next A/P file (refunds export)."))
    return 0


def export_all(args: argparse.Namespace, context: CommandContext) -> int:
    from db.refunds import export_refunds

    with signed_in(context) as (session, conn, at):
        count, total = export_refunds(conn, args.out, user=session.user, at=at,
                                      today=context.today)
    print(f"Wrote {args.out}: {count} refunds, {format_money(total)}, for accounts payable; "
          "each refund entry is posted.")
    return 0
