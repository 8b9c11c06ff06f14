"""`meterline account show|search|close`: one account, finding accounts, and move-out.

    meterline account show ACCOUNT [--format table|json] [--entries N]
    meterline account search TEXT [--format table|csv|json] [--limit N]
    meterline account close ACCOUNT --final-read N --date YYYY-MM-DD [--transfer-to ACCOUNT]
                            [--forward-to "LINE1, CITY, ST ZIP"] [--comment TEXT]
                            [--accept-read REASON] [--dry-run]
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from console.commands import CommandContext, signed_in
from core.clock import parse_date
from core.errors import InputError, InputProblem
from core.money import format_credit, format_money

SEARCH_COLUMNS = ("number", "status", "customer", "service_address", "phone", "balance",
                  "matched")


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    account = commands.add_parser("account", parents=[common],
                                  help="accounts: show one, search, close (move-out)")
    actions = account.add_subparsers(dest="account_command", metavar="ACTION", required=True)
    show = actions.add_parser("show", parents=[common], help="everything about one account")
    show.add_argument("number", metavar="ACCOUNT")
    show.add_argument("--format", choices=("table", "json"), default="table")
    show.add_argument("--entries", type=int, default=15,
                      help="ledger entries to list, newest first (15; table only)")
    show.set_defaults(handler=show_account)
    search = actions.add_parser(
        "search", parents=[common],
        help="find accounts by number, name, service or mailing address, meter or phone")
    search.add_argument("text", metavar="TEXT", nargs="+")
    search.add_argument("--format", choices=("table", "csv", "json"), default="table")
    search.add_argument("--limit", type=int, default=50, help="most accounts to list (50)")
    search.set_defaults(handler=search_command)
    close = actions.add_parser(
        "close", parents=[common], help="move-out: final read, closing bill, deposit, close",
        description="Close an account: the final read, the closing bill prorated by days "
                    "through the rate engine, the held deposit applied, a credit to the refund "
                    "register (or --transfer-to another account), a debt left for collection.")
    close.add_argument("number", metavar="ACCOUNT")
    close.add_argument("--final-read", type=int, required=True, metavar="N",
                       help="the meter's reading on the closing date")
    close.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="the closing date")
    close.add_argument("--transfer-to", metavar="ACCOUNT",
                       help="move a credit left over to this active account")
    close.add_argument("--forward-to", metavar="ADDRESS",
                       help="forwarding mailing address, e.g. \"974 Camino Real, Portland, "
                            "OR 97201\" (the closing bill and any refund go there)")
    close.add_argument("--comment", default="", help="why (default: customer moved out)")
    close.add_argument("--accept-read", metavar="REASON",
                       help="(a supervisor) close on a final read the read-audit rules call an "
                            "error, after checking it is right; the reason is audited with the "
                            "close")
    close.add_argument("--dry-run", action="store_true",
                       help="show what closing would do and change nothing")
    close.set_defaults(handler=close_command)


def show_account(args: argparse.Namespace, context: CommandContext) -> int:
    from db.account_view import account_view, ledger_page

    with signed_in(context) as (_, conn, _at):
        view = account_view(conn, args.number, context.today)
        if view is None:
            raise InputError(InputProblem(f"there is no account {args.number}", field="account"))
        ledger = ledger_page(conn, view.detail.id, offset=0,
                             limit=10_000 if args.format == "json" else max(args.entries, 0))
    if args.format == "json":
        print(json.dumps(account_json(view, ledger, context), indent=2, default=str))
    else:
        print(account_text(view, ledger, context))
    return 0


def flags_in_words(view: Any, context: CommandContext) -> list[str]:
    flags = [f.kind.value for f in view.detail.flags if f.active_on(context.today)]
    if view.detail.deposit_cents > 0 and "DEPOSIT HELD" not in flags:
        flags.append("DEPOSIT HELD")
    return flags


def account_text(view: Any, ledger: list[Any], context: CommandContext) -> str:
    from tabulate import tabulate

    d, ages = view.detail, view.aging
    flags = flags_in_words(view, context)
    out = [f"Account {d.number}  {d.status.upper()}  {d.service_class.upper()} "
           f"{d.premise_kind.replace('_', ' ')}, {d.service_type.replace('_', ' ')}",
           f"Customer: {d.customer_name}  {d.phone}",
           f"Service:  {d.service_address}",
           f"Mailing:  {d.mailing_address}",
           f"Meter:    {d.meter}" + (f"  route {d.route}" if d.route else ""),
           f"Opened {d.opened_on}" + (f", closed {d.closed_on}" if d.closed_on else ""),
           f"Flags:    {', '.join(flags) if flags else 'none'}",
           f"Balance {format_credit(d.balance_cents)}  deposit held "
           f"{format_money(d.deposit_cents)}  aging: current {format_money(ages.current)}, "
           f"30 {format_money(ages.d30)}, 60 {format_money(ages.d60)}, "
           f"90+ {format_money(ages.d90)}"]
    if ledger:
        rows = [[r["effective_on"], r["entry_type"].replace("_", " ")
                 + (" (rev)" if r["reverses_id"] else ""), format_money(r["amount_cents"]),
                 format_credit(r["running"]), f"{r['reason_code']}: {r['comment']}"[:44]]
                for r in ledger]
        out += ["", "Ledger, newest first:",
                tabulate(rows, headers=("Date", "Type", "Amount", "Balance", "Why"),
                         colalign=("left", "left", "right", "right", "left"),
                         disable_numparse=True)]
    closing = [b for b in view.bills if b.lines][:1]
    for bill in closing:
        out += ["", f"{bill.kind} {bill.on}: {bill.description} = "
                    f"{format_money(bill.amount_cents)}", *(f"  {line}" for line in bill.lines)]
    if view.notes:
        out += ["", "Latest notes:", *(f"  {at[:16].replace('T', ' ')} {who}: {body}"
                                       for at, who, body in view.notes[:3])]
    return "\n".join(out)


def account_json(view: Any, ledger: list[Any], context: CommandContext) -> dict[str, Any]:
    d = view.detail
    return {
        "number": d.number, "status": d.status, "service_class": d.service_class,
        "premise_kind": d.premise_kind, "service_type": d.service_type,
        "customer": {"name": d.customer_name, "phone": d.phone, "email": d.email,
                     "tax_id_last4": d.tax_id_last4},
        "service_address": d.service_address, "mailing_address": d.mailing_address,
        "meter": d.meter, "route": d.route, "opened_on": d.opened_on, "closed_on": d.closed_on,
        "flags": flags_in_words(view, context),
        "balance_cents": d.balance_cents, "deposit_cents": d.deposit_cents,
        "aging_cents": view.aging.as_dict(), "version": d.version,
        "ledger": [{"id": r["id"], "effective_on": r["effective_on"], "type": r["entry_type"],
                    "amount_cents": r["amount_cents"], "running_cents": r["running"],
                    "reason_code": r["reason_code"], "comment": r["comment"],
                    "reverses_id": r["reverses_id"], "actor": r["actor"]} for r in ledger],
        "bills": [{"on": b.on, "kind": b.kind, "amount_cents": b.amount_cents,
                   "description": b.description, "lines": list(b.lines)} for b in view.bills],
        "usage": [{"period_end": end, "usage": usage, "estimated": est}
                  for end, usage, est in view.usage],
        "reads": [dict(zip(("read_on", "meter", "reading", "kind", "method", "by"), r,
                           strict=True)) for r in view.reads],
        "work_orders": [dict(zip(("id", "type", "status", "reason", "scheduled_on", "result"),
                                 r, strict=True)) for r in view.orders],
        "notes": [{"at": at, "author": who, "body": body} for at, who, body in view.notes],
        "red_flag_alerts": [dict(zip(("on", "check", "message", "outcome", "verification"), r,
                                     strict=True)) for r in view.alerts],
        "address_history": [dict(zip(("on", "kind", "old", "new", "standardized_by", "by",
                                      "reason"), r, strict=True)) for r in view.addresses],
    }


def search_command(args: argparse.Namespace, context: CommandContext) -> int:
    from db.account_search import search_accounts

    with signed_in(context) as (_, conn, _at):
        result = search_accounts(conn, " ".join(args.text), limit=max(args.limit, 1))
    rows = [{"number": h.number, "status": h.status.upper(), "customer": h.customer,
             "service_address": h.service_address, "phone": h.phone,
             "balance": format_credit(h.balance_cents), "matched": h.matched}
            for h in result.hits]
    if args.format == "json":
        print(json.dumps({"text": result.text, "total": result.total,
                          "rows": [{**r, "balance_cents": h.balance_cents}
                                   for r, h in zip(rows, result.hits, strict=True)]},
                         indent=2))
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=SEARCH_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        from tabulate import tabulate

        more = f"; showing the first {len(rows)}" if result.more else ""
        print(f"{result.total:,} accounts match {result.text!r}{more}.")
        if rows:
            print(tabulate([{**r, "customer": r["customer"][:24],
                             "service_address": r["service_address"][:28]} for r in rows],
                           headers="keys", disable_numparse=True))
    return 0


def close_command(args: argparse.Namespace, context: CommandContext) -> int:
    from core.addresses import parse_one_line
    from db.move_out import close_account, closing_preview

    close_on = parse_date(args.date, field="--date")
    forwarding = parse_one_line(args.forward_to, field="--forward-to") if args.forward_to \
        else None
    with signed_in(context) as (session, conn, at):
        if args.dry_run:
            preview = closing_preview(conn, args.number, final_reading=args.final_read,
                                      close_on=close_on, today=context.today,
                                      transfer_to=args.transfer_to, forwarding=forwarding,
                                      accept_read=args.accept_read,
                                      accepted_by=session.user)
            print(closing_text(preview, None))
            print("Dry run: nothing was changed.")
            return 0
        closed = close_account(conn, args.number, final_reading=args.final_read,
                               close_on=close_on, today=context.today,
                               actor=session.user.login, at=at,
                               transfer_to=args.transfer_to, forwarding=forwarding,
                               comment=args.comment, accept_read=args.accept_read,
                               accepted_by=session.user)
    print(closing_text(closed.preview, closed))
    return 0


def closing_text(preview: Any, closed: Any, width: int = 79) -> str:
    """The move-out as the clerk reads it back to the customer: the money first, then lines."""
    import textwrap

    from core.bill_lines import hcf

    c, s = preview.closing, preview.settlement
    out = [f"Account {preview.account.number} ({preview.customer}): closing on {c.end}",
           f"Final read {c.final_reading:,} on meter {preview.facts.meter_serial or '(none)'}; "
           f"closing bill {c.start} to {c.end}, {c.bill.period.days} days, "
           f"{hcf(c.usage_hcf)} HCF ({c.bill.service.rate_class})"]
    if preview.read_audit is not None:
        out += [textwrap.fill(line, width, subsequent_indent="  ")
                for line in preview.read_audit.lines()]
    out += ["", *s.lines(), ""]
    if s.refund_cents:
        out.append(f"Refund of {format_money(s.refund_cents)} to {preview.customer}, "
                   f"{preview.payee.one_line()}"
                   + (f": refund register #{closed.refund_id}, pending approval." if closed
                      else " (refund register, pending approval)."))
    if s.transfer_cents and preview.transfer_to is not None:
        out.append(f"Credit of {format_money(s.transfer_cents)} transferred to account "
                   f"{preview.transfer_to.number}.")
    if s.owed_cents:
        out.append(f"{format_money(s.owed_cents)} stays owing for collection"
                   + (f"; the closing bill is due {closed.due_on}." if closed else "."))
    if preview.forwarding is not None:
        out.append(f"Mail goes to {preview.forwarding.address.one_line()} from now on.")
    out += ["", "Closing bill, each line rounded once half-up:"]
    out += [textwrap.fill(line.explain(), width, initial_indent="  ", subsequent_indent="    ")
            for line in c.bill.lines]
    out.append(f"  Total {format_money(c.bill.total_cents)}")
    if closed:
        out.append(f"Account {preview.account.number} is CLOSED; every step is in the audit "
                   "log. Check with: meterline ledger check")
    return "\n".join(out)
