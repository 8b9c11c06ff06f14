"""`meterline lockoff`: the lock-off list with every SB 998 gate, for clerks and cron.

    meterline lockoff list --date YYYY-MM-DD [--format table|csv|json] [--on-list]
    meterline lockoff make --date YYYY-MM-DD          store the list, freeze its calendar dates
    meterline lockoff print --date YYYY-MM-DD --out FILE   re-check every gate, write the list
    meterline lockoff account NUMBER [--date YYYY-MM-DD]   one account's delinquency
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from console.commands import CommandContext
from console.session import now_stamp, start_session
from core.clock import parse_date
from core.errors import InputError, InputProblem
from db.connection import open_database

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
    path = context.db_path()
    start_session(path, context.today)
    conn = open_database(path)
    try:
        built = build_list(conn, on)
    finally:
        conn.close()
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
    path = context.db_path()
    session = start_session(path, context.today)
    conn = open_database(path)
    try:
        stored, built = make(conn, on, actor=session.user.login, at=now_stamp())
    finally:
        conn.close()
    print(f"List {stored.id} made. {built.headline()}.")
    return 0


def print_stored(args: argparse.Namespace, context: CommandContext) -> int:
    """Check every gate of the last list made for the date again and write who is still on it."""
    from db.lockoff import latest_list
    from db.lockoff import print_list as write

    on = parse_date(args.date, field="--date")
    path = context.db_path()
    session = start_session(path, context.today)
    conn = open_database(path)
    try:
        stored = latest_list(conn, on)
        if stored is None:
            raise InputError(InputProblem(f"no lock-off list has been made for {on}: run "
                                          f"`meterline lockoff make --date {on}` first",
                                          field="--date"))
        checked = write(conn, stored, Path(args.out), actor=session.user.login, at=now_stamp())
    finally:
        conn.close()
    for line in checked.lines():
        print(line)
    print(f"Wrote {args.out}.")
    return 0


def print_account(args: argparse.Namespace, context: CommandContext) -> int:
    """One account's delinquency on the day: each unpaid bill, the step reached and the next."""
    from core.money import format_money
    from db.delinquency import account_delinquency

    on = parse_date(args.date, field="--date") if args.date else context.today
    path = context.db_path()
    start_session(path, context.today)
    conn = open_database(path)
    try:
        found = account_delinquency(conn, args.number, on)
    finally:
        conn.close()
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
