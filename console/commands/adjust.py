"""`meterline adjust ...`: adjustments with a preview, approvals and reversals (RULES.md §6).

    meterline adjust amount ACCOUNT AMOUNT --reason CODE --comment TEXT [--preview]
    meterline adjust leak ACCOUNT --from DATE --to DATE --comment TEXT [--preview]
    meterline adjust backbill ACCOUNT --from DATE --to DATE --method M [--percent P] ...
    meterline adjust meter-refund ACCOUNT --from DATE --to DATE --percent P ...
    meterline adjust queue [--all] [--format table|csv|json]
    meterline adjust approve|reject REQUEST --comment TEXT
    meterline adjust reverse ENTRY --comment TEXT
"""
from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation

from console.commands import CommandContext, signed_in
from console.commands.money_common import FORMATS, amount_flag, print_rows
from core.adjustments import RequestKind
from core.clock import parse_date
from core.errors import InputError, InputProblem
from core.money import format_money


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    adjust = commands.add_parser("adjust", parents=[common],
                                 help="adjustments, leak adjustments, back-bills, approvals")
    actions = adjust.add_subparsers(dest="adjust_command", metavar="ACTION", required=True)
    amount = actions.add_parser("amount", parents=[common],
                                help="adjust by an amount (+ charge, - credit)")
    amount.add_argument("account")
    amount.add_argument("amount", help="e.g. -25.00 for a credit, 12.50 for a charge")
    amount.add_argument("--reason", required=True, help="a reason code from settings")
    _common(amount, RequestKind.AMOUNT)
    leak = actions.add_parser("leak", parents=[common],
                              help="leak adjustment: use above normal re-rated at Tier 1")
    _periods(leak)
    _common(leak, RequestKind.LEAK)
    backbill = actions.add_parser("backbill", parents=[common],
                                  help="stuck or slow meter back-bill (look-back capped)")
    _periods(backbill)
    backbill.add_argument("--method", default="prior_average",
                          help="prior_average, last_year or percent_slow")
    backbill.add_argument("--percent", help="the meter test's error, for percent_slow")
    _common(backbill, RequestKind.BACKBILL)
    refund = actions.add_parser("meter-refund", parents=[common],
                                help="fast meter refund (look-back capped)")
    _periods(refund)
    refund.add_argument("--percent", required=True, help="how fast the meter tested, e.g. 3")
    _common(refund, RequestKind.METER_REFUND)
    queue = actions.add_parser("queue", parents=[common], help="requests waiting for approval")
    queue.add_argument("--all", action="store_true", help="every request, newest first")
    queue.add_argument("--format", choices=FORMATS, default="table")
    queue.set_defaults(handler=show_queue)
    for name in ("approve", "reject"):
        decide = actions.add_parser(name, parents=[common], help=f"{name} a waiting request")
        decide.add_argument("request", type=int)
        decide.add_argument("--comment", required=True)
        decide.set_defaults(handler=decide_one, approve=name == "approve")
    reverse = actions.add_parser("reverse", parents=[common], help="reverse a posted adjustment")
    reverse.add_argument("entry", type=int, help="the adjustment's ledger entry id")
    reverse.add_argument("--comment", required=True)
    reverse.set_defaults(handler=reverse_one)


def _periods(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("account")
    parser.add_argument("--from", dest="period_from", required=True, metavar="YYYY-MM-DD",
                        help="periods whose end read falls after this date …")
    parser.add_argument("--to", dest="period_to", required=True, metavar="YYYY-MM-DD",
                        help="… and on or before this one")


def _common(parser: argparse.ArgumentParser, kind: RequestKind) -> None:
    parser.add_argument("--comment", default="", help="why (required unless --preview)")
    parser.add_argument("--preview", action="store_true", help="show the effect; post nothing")
    parser.set_defaults(handler=adjust_one, kind=kind)


def _percent(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        raise InputError(InputProblem(f"{text!r} is not a percent", field="--percent")) from None


def draft_from(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from db.adjustment_requests import AdjustmentDraft

    kind: RequestKind = args.kind
    if kind is RequestKind.AMOUNT:
        return AdjustmentDraft(args.account, kind, args.reason,
                               amount_flag(args.amount, "amount", allow_negative=True))
    return AdjustmentDraft(
        args.account, kind, period_from=parse_date(args.period_from, field="--from"),
        period_to=parse_date(args.period_to, field="--to"),
        method="percent_fast" if kind is RequestKind.METER_REFUND else getattr(args, "method", ""),
        percent=_percent(getattr(args, "percent", None)))


def adjust_one(args: argparse.Namespace, context: CommandContext) -> int:
    from db.adjustment_requests import preview_adjustment, submit_adjustment

    draft = draft_from(args)
    with signed_in(context) as (session, conn, at):
        if args.preview:
            shown = preview_adjustment(conn, draft, user=session.user, today=context.today)
        else:
            result = submit_adjustment(conn, draft, user=session.user, comment=args.comment,
                                       at=at, today=context.today)
            shown = result.preview
    print("PREVIEW: nothing changed." if args.preview else
          f"Request {result.request_id}: " + (f"POSTED as entry {result.entry_id}."
                                              if result.entry_id else
                                              "WAITING for a supervisor's approval."))
    print(shown.summary())
    for line in shown.lines:
        cents = "" if line.cents is None else f"  {format_money(line.cents, sign=True)}"
        print(f"  {line.text}{cents}")
    return 0


def show_queue(args: argparse.Namespace, context: CommandContext) -> int:
    from db.adjustment_requests import requests

    with signed_in(context) as (_, conn, _at):
        found = requests(conn, status=None if args.all else "pending")
    rows = [{"request": r.id, "account": r.account_number, "kind": r.kind,
             "reason": r.reason_code, "amount": format_money(r.amount_cents, sign=True),
             "amount_cents": r.amount_cents,
             "status": ("REVERSED" if r.reversed else r.status.upper()),
             "asked_by": r.requested_by, "at": r.requested_at, "entry": r.entry_id or "",
             "comment": r.comment} for r in found]
    headers = ("request", "account", "kind", "reason", "amount", "status", "asked_by", "entry")
    print_rows(rows, (*headers, "amount_cents", "at", "comment")
               if args.format != "table" else headers, args.format,
               empty="No adjustment waits for approval.")
    return 0


def decide_one(args: argparse.Namespace, context: CommandContext) -> int:
    from db.adjustment_requests import approve_adjustment, reject_adjustment

    with signed_in(context) as (session, conn, at):
        if args.approve:
            entry_id = approve_adjustment(conn, args.request, approver=session.user,
                                          comment=args.comment, at=at, today=context.today)
            print(f"Request {args.request} APPROVED: posted as entry {entry_id}.")
        else:
            reject_adjustment(conn, args.request, user=session.user, comment=args.comment,
                              at=at)
            print(f"Request {args.request} REJECTED; nothing posted.")
    return 0


def reverse_one(args: argparse.Namespace, context: CommandContext) -> int:
    from db.adjustment_requests import reverse_adjustment

    with signed_in(context) as (session, conn, at):
        entry_id = reverse_adjustment(conn, args.entry, user=session.user, comment=args.comment,
                                      at=at, today=context.today)
    print(f"Adjustment {args.entry} REVERSED by entry {entry_id}.")
    return 0
