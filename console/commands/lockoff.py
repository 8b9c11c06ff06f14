"""`meterline lockoff`: the lock-off list with every SB 998 gate, for clerks and cron.

    meterline lockoff list --date YYYY-MM-DD [--format table|csv|json] [--on-list]
    meterline lockoff make --date YYYY-MM-DD          store the list, freeze its calendar dates
    meterline lockoff print --date YYYY-MM-DD --out FILE   re-check every gate, write the list
    meterline lockoff account NUMBER [--date YYYY-MM-DD]   one account's delinquency
    meterline lockoff notices --date YYYY-MM-DD --out FILE  the date's SB 998 notices and door
                                                            hangers, logged, as a print file
    meterline lockoff late-fees --date YYYY-MM-DD           the date's late fees (once each)
    meterline lockoff orders --date YYYY-MM-DD              field orders from the stored list
    meterline lockoff open-orders [--all] [--format table|json]   the crew's dispatch list
    meterline lockoff complete ORDER (--locked | --not-locked) --note TEXT [--date D]
    meterline lockoff reconnect NUMBER [--date D] [--after-hours]
    meterline lockoff annual --year YYYY                    SB 998 annual count
    meterline lockoff plan NUMBER --months N [--first-due D] [--total AMOUNT] [--kind K]
    meterline lockoff plan-end NUMBER --reason paid-in-full|customer-cancelled|replaced
                               [--date D] [--comment TEXT] [--plan ID]
    meterline lockoff condition NUMBER --condition medical|financial|willing --evidence TEXT
                                [--received D] [--expires D]
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
GATE_CODES = ("G1", "MIN", "G2", "G4", "G9", "G6", "G7", "PLAN", "§1.3", "§1.5", "G10")
_TABLE = ("account", "name", "cycle", "past_due", "days_past_due", "status", "blocked_by")


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    lockoff = commands.add_parser("lockoff", parents=[common],
                                  help="the lock-off list with every SB 998 gate")
    actions = lockoff.add_subparsers(dest="lockoff_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[common],
                                 help="every past-due account of the date's cycles, every gate")
    listing.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    listing.add_argument("--format", choices=FORMATS, default="table")
    listing.add_argument("--on-list", action="store_true", help="only accounts ON LIST")
    listing.set_defaults(handler=print_list)
    make = actions.add_parser("make", parents=[common],
                              help="store the list for the date (freezes its calendar dates)")
    make.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    make.set_defaults(handler=make_list)
    printing = actions.add_parser("print", parents=[common],
                                  help="check the stored list again and write it to a file")
    printing.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    printing.add_argument("--out", required=True, metavar="FILE", help="CSV file to write")
    printing.set_defaults(handler=print_stored)
    notices = actions.add_parser("notices", parents=[common],
                                 help="log the date's notices and door hangers, write the file")
    notices.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    notices.add_argument("--out", required=True, metavar="FILE", help="print vendor CSV file")
    notices.set_defaults(handler=send_notices)
    fees = actions.add_parser("late-fees", parents=[common],
                              help="post the late fees the calendar puts on the date")
    fees.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    fees.set_defaults(handler=post_late_fees)
    orders = actions.add_parser("orders", parents=[common],
                                help="field orders for the stored list, checked again first")
    orders.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    orders.set_defaults(handler=make_field_orders)
    dispatch = actions.add_parser("open-orders", parents=[common],
                                  help="every open lock-off order, oldest lock-off day first")
    dispatch.add_argument("--all", action="store_true",
                          help="every order, with the crew's result when recorded")
    dispatch.add_argument("--format", choices=("table", "json"), default="table")
    dispatch.set_defaults(handler=print_open_orders)
    done = actions.add_parser("complete", parents=[common], help="record a crew's result")
    done.add_argument("order", type=int)
    result = done.add_mutually_exclusive_group(required=True)
    result.add_argument("--locked", action="store_true")
    result.add_argument("--not-locked", action="store_true")
    done.add_argument("--note", required=True, help="what the crew found or did")
    done.add_argument("--date", metavar="YYYY-MM-DD", help="the day (today)")
    done.set_defaults(handler=complete_field_order)
    again = actions.add_parser("reconnect", parents=[common],
                               help="restore service after payment, charging the fee")
    again.add_argument("number")
    again.add_argument("--date", metavar="YYYY-MM-DD", help="the day (today)")
    again.add_argument("--after-hours", action="store_true")
    again.set_defaults(handler=reconnect_account)
    annual = actions.add_parser("annual", parents=[common],
                                help="discontinuations for non-payment in a year (SB 998)")
    annual.add_argument("--year", type=int, required=True)
    annual.set_defaults(handler=print_annual)
    plan = actions.add_parser("plan", parents=[common],
                              help="put the past-due amount on a payment plan (<= 12 months)")
    plan.add_argument("number")
    plan.add_argument("--months", type=int, required=True)
    plan.add_argument("--first-due", metavar="YYYY-MM-DD", help="(a month from today)")
    plan.add_argument("--total", metavar="AMOUNT", help="(the past-due amount)")
    plan.add_argument("--kind", default="amortization",
                      choices=("amortization", "deferred", "reduced", "alternative"))
    plan.set_defaults(handler=create_payment_plan)
    ending = actions.add_parser("plan-end", parents=[common],
                                help="end the account's active payment plan (no money moves)")
    ending.add_argument("number")
    ending.add_argument("--reason", required=True,
                        help="paid-in-full, customer-cancelled or replaced")
    ending.add_argument("--date", metavar="YYYY-MM-DD", help="the day it ends (today)")
    ending.add_argument("--comment", default="")
    ending.add_argument("--plan", type=int, metavar="ID",
                        help="which plan, when the account has more than one active")
    ending.set_defaults(handler=end_payment_plan)
    cond = actions.add_parser("condition", parents=[common],
                              help="record one of the three SB 998 conditions (§116910(a))")
    cond.add_argument("number")
    cond.add_argument("--condition", required=True, choices=("medical", "financial", "willing"))
    cond.add_argument("--evidence", required=True)
    cond.add_argument("--received", metavar="YYYY-MM-DD", help="(today)")
    cond.add_argument("--expires", metavar="YYYY-MM-DD")
    cond.set_defaults(handler=record_protection)
    phone = actions.add_parser("phone", parents=[common],
                               help="log a phone call that reached the customer (SB 998 notice)")
    phone.add_argument("number")
    phone.add_argument("--spoke-with", required=True, metavar="NAME",
                       help="who was reached")
    phone.add_argument("--date", metavar="YYYY-MM-DD", help="the day of the call (today)")
    phone.set_defaults(handler=log_phone)
    account = actions.add_parser("account", parents=[common],
                                 help="one account's delinquency: bills past due, ladder step")
    account.add_argument("number")
    account.add_argument("--date", metavar="YYYY-MM-DD", help="the day (today)")
    account.set_defaults(handler=print_account)


def _row(entry: Any) -> dict[str, Any]:
    row: dict[str, Any] = entry.as_dict()
    for gate in row["gates"]:
        row[gate["code"]] = f"{gate['status']}: {gate['why']}"
    return row


def print_list(args: argparse.Namespace, context: CommandContext) -> int:
    """Print the list for the date as the rules give it now (nothing is stored)."""
    from db.lockoff import build_list

    on = parse_date(args.date, field="--date")
    with signed_in(context) as (_, conn, _at):
        built = build_list(conn, on)
    entries = [e for e in built.entries if e.eligible or not args.on_list]
    rows = [_row(e) for e in entries]
    if args.format == "json":
        for row in rows:
            for code in GATE_CODES:
                row.pop(code, None)
        print(json.dumps({"date": on.isoformat(), "headline": built.headline(),
                          "on_list": built.eligible_count, "rows": rows}, indent=2))
    elif args.format == "csv":
        headers = ["account", "name", "service_address", "service_class", "cycle", "past_due",
                   "days_past_due", "oldest_due", "status", "blocked_by", *GATE_CODES]
        writer = csv.DictWriter(sys.stdout, fieldnames=headers, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    else:
        from tabulate import tabulate

        print(built.headline())
        if rows:
            print(tabulate([[r[h] for h in _TABLE] for r in rows], headers=list(_TABLE)))
    return 0


def make_list(args: argparse.Namespace, context: CommandContext) -> int:
    """Store the list for the date; the calendar's lock-off dates it used no longer move."""
    from db.lockoff import make_list as make

    on = parse_date(args.date, field="--date")
    with signed_in(context) as (session, conn, at):
        stored, built = make(conn, on, actor=session.user.login, at=at)
    print(f"List {stored.id} made. {built.headline()}.")
    return 0


def print_stored(args: argparse.Namespace, context: CommandContext) -> int:
    """Check every gate of the last list made for the date again and write who is still on it."""
    from db.lockoff import latest_list
    from db.lockoff import print_list as write

    on = parse_date(args.date, field="--date")
    with signed_in(context) as (session, conn, at):
        stored = latest_list(conn, on)
        if stored is None:
            raise InputError(InputProblem(f"no lock-off list has been made for {on}: run "
                                          f"`meterline lockoff make --date {on}` first",
                                          field="--date"))
        checked = write(conn, stored, Path(args.out), actor=session.user.login, at=at)
    for line in checked.lines():
        print(line)
    print(f"Wrote {args.out}.")
    return 0


def print_account(args: argparse.Namespace, context: CommandContext) -> int:
    """One account's delinquency on the day: each unpaid bill, the step reached and the next."""
    from core.money import format_money
    from db.delinquency import account_delinquency

    on = parse_date(args.date, field="--date") if args.date else context.today
    with signed_in(context) as (_, conn, _at):
        found = account_delinquency(conn, args.number, on)
    if found is None:
        raise InputError(InputProblem(f"no account numbered {args.number}", field="number"))
    state = found.state
    if not state.is_past_due:
        print(f"{found.number} on {on}: CURRENT, nothing past due.")
        return 0
    print(f"{found.number} on {on}: PAST DUE {format_money(state.past_due_cents)}, "
          f"{state.days_past_due} days since the oldest unpaid due date {state.oldest_due}.")
    for bill in state.bills:
        print(f"  bill due {bill.due_on}: {format_money(bill.open_cents)} open, "
              f"{bill.days_past_due} days past due")
    if state.fees_open_cents:
        print(f"  fees open: {format_money(state.fees_open_cents)}")
    print("  " + (found.position.words() if found.position
                  else "the calendar has no month with that due date for this cycle"))
    return 0


def send_notices(args: argparse.Namespace, context: CommandContext) -> int:
    """Log the notices the calendar puts on the date (once each) and write the vendor file."""
    from db.notices import run_notices

    on = parse_date(args.date, field="--date")
    with signed_in(context) as (session, conn, at):
        run = run_notices(conn, on, Path(args.out), actor=session.user.login, at=at)
    for line in run.lines():
        print(line)
    if run.cycles:
        print(f"Wrote {args.out}.")
    return 0


def post_late_fees(args: argparse.Namespace, context: CommandContext) -> int:
    """Charge, exempt or waive the late fees of the cycles whose late-fee date is the date."""
    from db.late_fees import run_late_fees

    on = parse_date(args.date, field="--date")
    with signed_in(context) as (session, conn, at):
        run = run_late_fees(conn, on, actor=session.user.login, at=at)
    for line in run.lines():
        print(line)
    return 0


def make_field_orders(args: argparse.Namespace, context: CommandContext) -> int:
    """One field order per account still on the date's stored list."""
    from db.lockoff import latest_list
    from db.lockoff_orders import make_orders

    on = parse_date(args.date, field="--date")
    with signed_in(context) as (session, conn, at):
        stored = latest_list(conn, on)
        if stored is None:
            raise InputError(InputProblem(f"no lock-off list has been made for {on}",
                                          field="--date"))
        made = make_orders(conn, stored, actor=session.user.login, at=at)
    print(f"{made.created:,} lock-off orders opened for {on}.")
    for number, why in made.taken_off:
        print(f"TAKEN OFF {number}: {why}")
    for number, order_id in made.already_open:
        print(f"ALREADY OPEN {number}: order {order_id} from an earlier list stands; no second"
              " order")
    return 0


_ORDER_TABLE = ("order", "lockoff_on", "account", "name", "address", "status")
# The table fits a terminal of 80 columns: names and addresses are cut (the JSON has them
# whole, with the class, the list and the crew's result).
_ORDER_WIDTHS = {"name": 18, "address": 14}
_ORDER_FIELDS = {"order": "id", "list": "list_id", "account": "account_number",
                 "name": "customer_name", "address": "address", "class": "service_class"}


def _order_row(row: Any) -> dict[str, Any]:
    """One lock-off order as the command prints it (the register's columns, in words)."""
    found = {name: row[column] for name, column in _ORDER_FIELDS.items()}
    return {**found, "lockoff_on": row["lockoff_on"], "status": row["status"].upper(),
            "created_by": row["created_by"], "created_at": row["created_at"],
            "result_note": row["result_note"], "completed_on": row["completed_on"],
            "completed_by": row["completed_by"], "completed_at": row["completed_at"]}


def _cell(row: dict[str, Any], name: str) -> Any:
    """A table cell: a long name or address cut to its width, a status in words."""
    from db.lockoff_orders import STATUS_WORDS

    value = row[name]
    if name == "status":
        return STATUS_WORDS[value.lower()]
    width = _ORDER_WIDTHS.get(name)
    if width is not None and value and len(value) > width:
        return value[:width - 1] + "…"
    return value


ORDERS_PAGE = 500  # orders read at a time by `open-orders`


def print_open_orders(args: argparse.Namespace, context: CommandContext) -> int:
    """The crew's dispatch list: every open lock-off order (every order with --all), oldest
    lock-off day first, with the id `complete` takes."""
    from db.lockoff_orders import register_key, register_page

    statuses = () if args.all else ("open",)
    rows: list[dict[str, Any]] = []
    with signed_in(context) as (_, conn, _at):
        page = register_page(conn, statuses, limit=ORDERS_PAGE)
        while page:  # a page at a time, by keyset, until none is left
            rows.extend(_order_row(r) for r in page)
            page = register_page(conn, statuses, after=register_key(page[-1]),
                                 limit=ORDERS_PAGE)
    which = "lock-off orders" if args.all else "open lock-off orders"
    if args.format == "json":
        print(json.dumps({"today": context.today.isoformat(), "all": args.all,
                          "count": len(rows), "orders": rows}, indent=2))
        return 0
    from tabulate import tabulate

    print(f"{len(rows):,} {which}, oldest lock-off day first.")
    if rows:
        print(tabulate([[_cell(r, h) for h in _ORDER_TABLE] for r in rows],
                       headers=list(_ORDER_TABLE)))
        print("Record a crew's result:\n"
              "  meterline lockoff complete ORDER (--locked | --not-locked) --note TEXT")
    return 0


def complete_field_order(args: argparse.Namespace, context: CommandContext) -> int:
    """Record locked or not locked; locked is refused when the account no longer qualifies."""
    from db.lockoff_orders import complete_order

    on = parse_date(args.date, field="--date") if args.date else context.today
    with signed_in(context) as (session, conn, at):
        done = complete_order(conn, args.order, locked=args.locked, note=args.note, on=on,
                              actor=session.user.login, at=at)
    print(done)
    return 0


def reconnect_account(args: argparse.Namespace, context: CommandContext) -> int:
    """Restore service and charge the reconnection fee (low-income cap applied)."""
    from db.lockoff_orders import reconnect

    on = parse_date(args.date, field="--date") if args.date else context.today
    with signed_in(context) as (session, conn, at):
        done = reconnect(conn, args.number, on=on, after_hours=args.after_hours,
                         actor=session.user.login, at=at)
    print(done)
    return 0


def print_annual(args: argparse.Namespace, context: CommandContext) -> int:
    """The year's discontinuations for non-payment, from the lock-off log."""
    from db.lockoff_orders import annual_count

    with signed_in(context) as (_, conn, _at):
        found = annual_count(conn, args.year)
    print(f"{args.year}: {found['residential']:,} residential discontinuations for non-payment"
          f" (SB 998 annual report); {found['commercial']:,} commercial.")
    return 0


def create_payment_plan(args: argparse.Namespace, context: CommandContext) -> int:
    """Create a payment arrangement; its kept or broken state shows in the PLAN gate."""
    from core.money import parse_money
    from db.arrangements import create_plan

    first = parse_date(args.first_due, field="--first-due") if args.first_due else None
    total = parse_money(args.total) if args.total else None
    with signed_in(context) as (session, conn, at):
        plan = create_plan(conn, args.number, months=args.months, on=context.today,
                           kind=args.kind, first_due_on=first, total_cents=total,
                           actor=session.user.login, at=at)
    print(plan)
    return 0


def end_payment_plan(args: argparse.Namespace, context: CommandContext) -> int:
    """End a payment arrangement; from its end date the PLAN gate no longer counts it."""
    from db.arrangements import end_plan

    on = parse_date(args.date, field="--date") if args.date else context.today
    with signed_in(context) as (session, conn, at):
        ended = end_plan(conn, args.number, on=on, reason=args.reason, today=context.today,
                         comment=args.comment, plan_id=args.plan, actor=session.user.login,
                         at=at)
    print(ended)
    return 0


def log_phone(args: argparse.Namespace, context: CommandContext) -> int:
    """Log a call that reached the customer: it counts as the notice before a lock-off."""
    from db.notices import log_phone_contact

    on = parse_date(args.date, field="--date") if args.date else context.today
    if on > context.today:
        raise InputError(InputProblem(f"{on} is after today: log a call once it is made",
                                      field="--date"))
    with signed_in(context) as (session, conn, at):
        print(log_phone_contact(conn, args.number, on=on, spoke_with=args.spoke_with,
                                actor=session.user.login, at=at))
    return 0


def record_protection(args: argparse.Namespace, context: CommandContext) -> int:
    """Record a medical, financial or willingness condition with its evidence."""
    from db.arrangements import record_condition

    received = parse_date(args.received, field="--received") if args.received else context.today
    expires = parse_date(args.expires, field="--expires") if args.expires else None
    with signed_in(context) as (session, conn, at):
        recorded = record_condition(conn, args.number, condition=args.condition,
                                    evidence=args.evidence, received_on=received,
                                    expires_on=expires, actor=session.user.login, at=at)
    print(recorded)
    return 0
