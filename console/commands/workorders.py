"""`meterline workorders`: the work order list, scheduling, completion and cancellation.

    meterline workorders list [--status S] [--format table|csv|json]
    meterline workorders schedule ID --on YYYY-MM-DD
    meterline workorders done ID [--reading N] [--note TEXT] [--on YYYY-MM-DD]
    meterline workorders cancel ID --reason TEXT
"""
from __future__ import annotations

import argparse
import csv
import json
import sys

from console.commands import CommandContext, signed_in
from core.clock import parse_date

COLUMNS = ("id", "type", "status", "account", "meter", "route", "reason", "scheduled_on",
           "result_reading", "created_by", "created_at", "updated_by", "updated_at")


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    orders = commands.add_parser("workorders", parents=[common],
                                 help="work orders: re-reads, meter checks, leak letters")
    actions = orders.add_subparsers(dest="workorders_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[common], help="list work orders, newest first")
    listing.add_argument("--status", choices=("open", "scheduled", "done", "cancelled"))
    listing.add_argument("--format", choices=("table", "csv", "json"), default="table")
    listing.set_defaults(handler=list_orders)
    plan = actions.add_parser("schedule", parents=[common], help="schedule an order for a day")
    plan.add_argument("order", type=int, metavar="ID")
    plan.add_argument("--on", required=True, metavar="YYYY-MM-DD")
    plan.set_defaults(handler=change_order, verb="schedule")
    done = actions.add_parser("done", parents=[common],
                              help="complete an order; a reading replaces the disputed read")
    done.add_argument("order", type=int, metavar="ID")
    done.add_argument("--reading", type=int, help="the reading the field found")
    done.add_argument("--note", default="")
    done.add_argument("--on", metavar="YYYY-MM-DD", help="the day it was done (today)")
    done.set_defaults(handler=change_order, verb="done")
    cancel = actions.add_parser("cancel", parents=[common], help="cancel an order, with reason")
    cancel.add_argument("order", type=int, metavar="ID")
    cancel.add_argument("--reason", required=True)
    cancel.set_defaults(handler=change_order, verb="cancel")


def list_orders(args: argparse.Namespace, context: CommandContext) -> int:
    from db.work_orders import list_work_orders

    with signed_in(context) as (_, conn, _at):
        rows = [{"id": r["id"], "type": r["order_type"], "status": r["status"].upper(),
                 "account": r["account_number"] or "(vacant)", "meter": r["serial"] or "",
                 "route": r["route_code"], "reason": r["reason"],
                 "scheduled_on": r["scheduled_on"] or "", "result_reading": r["result_reading"],
                 "created_by": r["created_by"], "created_at": r["created_at"],
                 "updated_by": r["updated_by"], "updated_at": r["updated_at"]}
                for r in list_work_orders(conn, args.status)]
    if args.format == "json":
        print(json.dumps({"count": len(rows), "rows": rows}, indent=2))
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        from tabulate import tabulate

        print(f"{len(rows):,} work orders{f' ({args.status.upper()})' if args.status else ''}.")
        if rows:
            short = [{**r, "reason": r["reason"][:48]} for r in rows]
            print(tabulate(short, headers="keys"))
    return 0


def change_order(args: argparse.Namespace, context: CommandContext) -> int:
    from db import work_orders

    with signed_in(context) as (session, conn, at):
        actor = session.user.login
        if args.verb == "schedule":
            on = parse_date(args.on, field="--on")
            work_orders.schedule(conn, args.order, on, actor=actor, at=at)
            message = f"Work order {args.order} scheduled for {on.isoformat()}."
        elif args.verb == "cancel":
            message = work_orders.cancel(conn, args.order, reason=args.reason, actor=actor,
                                         at=at).text()
        else:
            on = parse_date(args.on, field="--on") if args.on else context.today
            message = work_orders.complete(conn, args.order, done_on=on, reading=args.reading,
                                           note=args.note, actor=actor, at=at).text()
    print(message)
    return 0
