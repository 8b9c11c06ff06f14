"""`meterline deposits ...`: collect, apply to a closing bill, ask for a refund, and the sweep.

    meterline deposits collect ACCOUNT AMOUNT --comment TEXT [--reference TEXT]
    meterline deposits apply ACCOUNT --comment TEXT
    meterline deposits refund ACCOUNT --comment TEXT
    meterline deposits sweep --date YYYY-MM-DD [--dry-run] [--all] [--format table|csv|json]
"""
from __future__ import annotations

import argparse

from console.commands import CommandContext, signed_in
from console.commands.money_common import FORMATS, amount_flag, print_rows
from core.clock import parse_date
from core.money import format_credit, format_money


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    deposits = commands.add_parser("deposits", parents=[common],
                                   help="deposits: collect, apply, refund, good-payment sweep")
    actions = deposits.add_subparsers(dest="deposits_command", metavar="ACTION", required=True)
    collect = actions.add_parser("collect", parents=[common], help="record a deposit received")
    collect.add_argument("account")
    collect.add_argument("amount")
    collect.add_argument("--comment", required=True)
    collect.add_argument("--reference", default="", help="receipt or check number")
    collect.set_defaults(handler=collect_one)
    apply = actions.add_parser("apply", parents=[common],
                               help="apply the held deposit to the account's (closing) bill")
    apply.add_argument("account")
    apply.add_argument("--comment", required=True)
    apply.set_defaults(handler=apply_one)
    refund = actions.add_parser("refund", parents=[common],
                                help="ask for the held deposit to be refunded (for approval)")
    refund.add_argument("account")
    refund.add_argument("--comment", required=True)
    refund.set_defaults(handler=refund_one)
    sweep = actions.add_parser(
        "sweep", parents=[common], help="propose refunds for 12 months of good payment",
        description="Judge every held deposit by the good-payment rule (RULES.md §7) and add "
                    "a pending refund to the register for each one earned; a supervisor "
                    "approves them (meterline refunds approve).")
    sweep.add_argument("--date", metavar="YYYY-MM-DD", required=True,
                       help="the date the history is judged as of")
    sweep.add_argument("--dry-run", action="store_true", help="list the verdicts; store none")
    sweep.add_argument("--all", action="store_true",
                       help="list every held deposit, not only those proposed")
    sweep.add_argument("--format", choices=FORMATS, default="table")
    sweep.set_defaults(handler=sweep_all)


def collect_one(args: argparse.Namespace, context: CommandContext) -> int:
    from db.deposit_book import collect_deposit

    with signed_in(context) as (session, conn, at):
        entry_id = collect_deposit(conn, args.account, amount_flag(args.amount, "amount"),
                                   actor=session.user.login, comment=args.comment, at=at,
                                   today=context.today, reference=args.reference)
    print(f"Deposit recorded on {args.account} (entry {entry_id}); DEPOSIT HELD is set.")
    return 0


def apply_one(args: argparse.Namespace, context: CommandContext) -> int:
    from db.deposit_book import apply_deposit

    with signed_in(context) as (session, conn, at):
        applied, after = apply_deposit(conn, args.account, actor=session.user.login,
                                       comment=args.comment, at=at, today=context.today)
    print(f"Applied the {format_money(applied)} deposit to {args.account}; balance now "
          f"{format_credit(after)}.")
    if after < 0:
        print("The credit is refunded through the register: meterline refunds closed-credits "
              "(closed accounts) or an adjustment.")
    return 0


def refund_one(args: argparse.Namespace, context: CommandContext) -> int:
    from db.deposit_book import request_deposit_refund

    with signed_in(context) as (session, conn, at):
        row_id = request_deposit_refund(conn, args.account, actor=session.user.login,
                                        comment=args.comment, at=at, today=context.today)
    print(f"Refund {row_id} of {args.account}'s deposit waits for a supervisor "
          f"(meterline refunds approve {row_id}).")
    return 0


def sweep_all(args: argparse.Namespace, context: CommandContext) -> int:
    from db.deposit_sweep import sweep_deposits

    on = parse_date(args.date, field="--date")
    with signed_in(context) as (session, conn, at):
        lines = sweep_deposits(conn, on, actor=session.user.login, at=at,
                               propose=not args.dry_run)
    rows = [{"account": line.history.number, "deposit": format_money(line.history.deposit_cents),
             "deposit_cents": line.history.deposit_cents,
             "verdict": ("PROPOSED" if line.register_id else
                         "ELIGIBLE" if line.verdict.eligible else "NOT YET"),
             "refund": line.register_id or "", "why": line.verdict.text()}
            for line in lines if args.all or line.verdict.eligible]
    headers = ("account", "deposit", "verdict", "refund", "why")
    print_rows(rows, (*headers, "deposit_cents") if args.format != "table" else headers,
               args.format, empty="No deposit has earned its refund.",
               extra={"date": on.isoformat(), "dry_run": args.dry_run})
    if args.format == "table":
        proposed = [line for line in lines if line.register_id]
        print(f"\n{len(lines):,} deposits judged as of {on}; {len(proposed):,} proposed "
              f"({format_money(sum(p.history.deposit_cents for p in proposed))})"
              + ("; dry run, nothing stored." if args.dry_run else
                 "; a supervisor approves them: meterline refunds pending."))
    return 0
