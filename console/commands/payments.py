"""`meterline payments ...`: lockbox files, manual batches, suspense, returned checks.

    meterline payments import FILE [--control-total AMOUNT]
    meterline payments open --control-total AMOUNT [--date YYYY-MM-DD]
    meterline payments post BATCH ACCOUNT AMOUNT [--method check] [--check-number N]
    meterline payments void PAYMENT --comment TEXT
    meterline payments close BATCH
    meterline payments batches [--open] [--format table|csv|json]
    meterline payments suspense [--format ...]   ·   payments resolve ITEM ACCOUNT --comment
    meterline payments return ENTRY | --account A [--check-number N] --reason NSF [--preview]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from console.commands import CommandContext, signed_in
from console.commands.money_common import FORMATS, amount_flag, print_rows
from core.clock import parse_date
from core.errors import InputError, InputProblem
from core.money import format_money
from core.payments import parse_payment_line


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    payments = commands.add_parser("payments", parents=[common],
                                   help="post payments: lockbox files, batches, returned checks")
    actions = payments.add_subparsers(dest="payments_command", metavar="ACTION", required=True)
    imp = actions.add_parser("import", parents=[common],
                             help="post a lockbox file (all or nothing; the same file once)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--control-total", metavar="AMOUNT",
                     help="the bank's deposit total for the file; refused if it differs")
    imp.set_defaults(handler=import_file)
    opened = actions.add_parser("open", parents=[common], help="open a manual batch")
    opened.add_argument("--control-total", metavar="AMOUNT", required=True,
                        help="the adding-machine total of the stack")
    opened.add_argument("--date", metavar="YYYY-MM-DD", help="deposit date (today)")
    opened.set_defaults(handler=open_batch)
    posted = actions.add_parser("post", parents=[common], help="post one payment to a batch")
    posted.add_argument("batch", type=int)
    posted.add_argument("account")
    posted.add_argument("amount")
    posted.add_argument("--method", default="check",
                        help="check, cash, money_order, card or ach (check)")
    posted.add_argument("--check-number", default="")
    posted.set_defaults(handler=post_one)
    void = actions.add_parser("void", parents=[common],
                              help="void a payment keyed in error (open batch only)")
    void.add_argument("payment", type=int)
    void.add_argument("--comment", required=True)
    void.set_defaults(handler=void_one)
    close = actions.add_parser("close", parents=[common],
                               help="close a batch that balances to its control total")
    close.add_argument("batch", type=int)
    close.set_defaults(handler=close_batch)
    batches = actions.add_parser("batches", parents=[common], help="list payment batches")
    batches.add_argument("--open", action="store_true", help="open batches only")
    batches.add_argument("--format", choices=FORMATS, default="table")
    batches.set_defaults(handler=list_batches)
    suspense = actions.add_parser("suspense", parents=[common],
                                  help="lockbox payments waiting for their account")
    suspense.add_argument("--format", choices=FORMATS, default="table")
    suspense.set_defaults(handler=list_suspense)
    resolve = actions.add_parser("resolve", parents=[common],
                                 help="post a suspense item to the right account")
    resolve.add_argument("item", type=int)
    resolve.add_argument("account")
    resolve.add_argument("--comment", required=True, help="how the account was found")
    resolve.set_defaults(handler=resolve_item)
    returned = actions.add_parser(
        "return", parents=[common], help="a returned check or ACH return, in one action",
        description="Reverse the payment, charge the returned-check fee (Civil Code §1719), "
                    "note the account and set CASH ONLY after the configured returns.")
    returned.add_argument("entry", type=int, nargs="?",
                          help="the payment's ledger entry id (or give --account)")
    returned.add_argument("--account", help="the account: its newest returnable payment, or "
                                            "the one with --check-number")
    returned.add_argument("--check-number", default="")
    returned.add_argument("--reason", default="NSF",
                          help="NSF, UNCOLLECTED, CLOSED, STOP, or an ACH code R01…R29")
    returned.add_argument("--comment", default="", help="what the bank's notice said")
    returned.add_argument("--preview", action="store_true", help="show what it would do only")
    returned.set_defaults(handler=return_one)


def import_file(args: argparse.Namespace, context: CommandContext) -> int:
    from db.lockbox_import import import_lockbox

    control = (amount_flag(args.control_total, "--control-total")
               if args.control_total else None)
    with signed_in(context) as (session, conn, at):
        result = import_lockbox(conn, args.file, actor=session.user.login, at=at,
                                today=context.today, control_total_cents=control)
    if result.already_posted:
        print(f"{args.file} was already posted as batch {result.batch_id} by "
              f"{result.posted_by} at {result.posted_at}; nothing changed (sha256 "
              f"{result.sha256[:16]}…).")
        return 0
    print(f"Posted {args.file} as batch {result.batch_id}: {result.posted:,} payments "
          f"{format_money(result.posted_cents)}; {result.suspense:,} to suspense "
          f"{format_money(result.suspense_cents)}; file total "
          f"{format_money(result.total_cents)}.")
    for lockbox, batch, count, cents in result.batch_totals:
        print(f"  bank batch {lockbox}/{batch}: {count:,} items {format_money(cents)}")
    if result.suspense:
        print("Suspense items wait for their account: meterline payments suspense")
    return 0


def open_batch(args: argparse.Namespace, context: CommandContext) -> int:
    from db.payment_batches import open_batch as open_new

    day = parse_date(args.date, field="--date") if args.date else context.today
    with signed_in(context) as (session, conn, at):
        batch = open_new(conn, control_total_cents=amount_flag(args.control_total,
                                                               "--control-total"),
                         deposit_date=day, actor=session.user.login, at=at)
    print(f"Opened batch {batch.id}: control total {format_money(batch.control_total_cents)}, "
          f"deposit date {batch.deposit_date}.")
    return 0


def post_one(args: argparse.Namespace, context: CommandContext) -> int:
    from db.payment_batches import batch_totals, describe_totals, post_payment

    line = parse_payment_line(args.account, args.amount, args.method, args.check_number)
    with signed_in(context) as (session, conn, at):
        posted = post_payment(conn, args.batch, line, actor=session.user.login, at=at,
                              today=context.today)
        totals = batch_totals(conn, args.batch)
    print(f"Posted payment {posted.payment_id} (entry {posted.entry_id}): "
          f"{format_money(posted.amount_cents)} to {posted.account_number} "
          f"{posted.customer_name}: {posted.allocation}.")
    print(f"Batch {args.batch}: {describe_totals(totals)}")
    return 0


def void_one(args: argparse.Namespace, context: CommandContext) -> int:
    from db.payment_batches import void_payment

    with signed_in(context) as (session, conn, at):
        entry_id = void_payment(conn, args.payment, actor=session.user.login,
                                comment=args.comment, at=at, today=context.today)
    print(f"Voided payment {args.payment}: reversal entry {entry_id}.")
    return 0


def close_batch(args: argparse.Namespace, context: CommandContext) -> int:
    from db.payment_batches import close_batch as close
    from db.payment_batches import describe_totals

    with signed_in(context) as (session, conn, at):
        totals = close(conn, args.batch, actor=session.user.login, at=at)
    print(f"Closed batch {args.batch}: {describe_totals(totals)}.")
    return 0


def list_batches(args: argparse.Namespace, context: CommandContext) -> int:
    from db.payment_batches import list_batches as batches

    with signed_in(context) as (_, conn, _at):
        found = batches(conn, status="open" if args.open else None)
    rows = [{"batch": b.id, "kind": b.kind, "status": b.status.upper(),
             "deposit_date": b.deposit_date.isoformat(), "opened_by": b.opened_by,
             "file": b.file_name, "control": format_money(t.control_cents),
             "posted": format_money(t.posted_cents), "count": t.posted_count,
             "balance": t.status(), "control_cents": t.control_cents,
             "posted_cents": t.posted_cents} for b, t in found]
    headers = ("batch", "kind", "status", "deposit_date", "opened_by", "control", "posted",
               "count", "balance")
    print_rows(rows, (*headers, "file", "control_cents", "posted_cents")
               if args.format != "table" else headers, args.format, empty="No batches.")
    return 0


def list_suspense(args: argparse.Namespace, context: CommandContext) -> int:
    from db.payment_suspense import suspense_items

    with signed_in(context) as (_, conn, _at):
        items = suspense_items(conn)
    rows = [{"item": i.id, "batch": i.batch_id, "line": i.source_line,
             "account_on_stub": i.account_text, "amount": format_money(i.amount_cents),
             "amount_cents": i.amount_cents, "check": i.check_number, "payer": i.payer_name,
             "received": i.received_on, "reason": i.reason} for i in items]
    headers = ("item", "batch", "line", "account_on_stub", "amount", "check", "payer", "reason")
    print_rows(rows, (*headers, "amount_cents", "received") if args.format != "table"
               else headers, args.format, empty="The suspense list is empty.")
    return 0


def resolve_item(args: argparse.Namespace, context: CommandContext) -> int:
    from db.payment_suspense import resolve_suspense

    with signed_in(context) as (session, conn, at):
        entry_id, words = resolve_suspense(conn, args.item, args.account,
                                           actor=session.user.login, comment=args.comment,
                                           at=at, today=context.today)
    print(f"Posted suspense item {args.item} to {args.account} (entry {entry_id}): {words}.")
    return 0


def return_one(args: argparse.Namespace, context: CommandContext) -> int:
    from db.returned_payments import payments_of, plan_return, return_payment

    if (args.entry is None) == (args.account is None):
        raise InputError(InputProblem("give the payment's entry id, or --account (and "
                                      "--check-number)", field="entry"))
    with signed_in(context) as (session, conn, at):
        entry = args.entry
        if entry is None:
            found = payments_of(conn, args.account, args.check_number.strip())
            if not found:
                raise InputError(InputProblem(
                    f"account {args.account} has no payment"
                    + (f" by check #{args.check_number}" if args.check_number else "")
                    + " that can still be returned", field="--check-number"))
            entry = found[0]["id"]
        if args.preview:
            plan = plan_return(conn, entry, args.reason, today=context.today)
        else:
            plan = return_payment(conn, entry, args.reason, actor=session.user.login,
                                  comment=args.comment, at=at, today=context.today)
    print("PREVIEW: nothing changed." if args.preview else "Returned:")
    for line in plan.lines():
        print(f"  {line}")
    return 0
