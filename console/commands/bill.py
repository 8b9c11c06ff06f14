"""`meterline bill draft|diff|approve|freeze|reconcile|print-file --cycle N [--month YYYY-MM]`."""
from __future__ import annotations

import argparse
import re
from datetime import date
from typing import Any

from console.commands import CommandContext, signed_in
from console.commands.money_common import FORMATS, print_rows
from core.bill_lines import plural
from core.billing import Outcome
from core.errors import InputError, InputProblem
from core.money import format_money


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    bill = commands.add_parser("bill", parents=[common], help="the billing run of a cycle")
    actions = bill.add_subparsers(dest="bill_command", metavar="ACTION", required=True)
    run = argparse.ArgumentParser(add_help=False)
    run.add_argument("--cycle", type=int, required=True, help="the cycle number")
    run.add_argument("--month", help="the cycle-month YYYY-MM (the month of --today)")
    steps = [("draft", "compute every bill of the cycle; posts nothing", draft),
             ("diff", "the draft against last cycle, biggest changes first", diff),
             ("approve", "approve the draft as it is (supervisor)", approve),
             ("freeze", "post the approved bills to the ledger, once (supervisor)", freeze),
             ("reconcile", "every active account billed, held or excluded; exit 1 if not",
              reconcile_cmd),
             ("print-file", "write the print vendor's file and its manifest", print_file)]
    for name, text, handler in steps:
        parser = actions.add_parser(name, parents=[common, run], help=text)
        parser.set_defaults(handler=handler)
        if name == "diff":
            parser.add_argument("--format", choices=FORMATS, default="table")
            parser.add_argument("--limit", type=int, default=20,
                                help="rows to show in a table (20; 0 for all)")
        if name == "print-file":
            parser.add_argument("--out", required=True, help="the print file to write")


def month_of(args: argparse.Namespace, today: date) -> date:
    if not args.month:
        return today.replace(day=1)
    try:
        return date.fromisoformat(args.month + "-01")
    except ValueError:
        raise InputError(InputProblem(f"{args.month!r} is not a month in the form YYYY-MM",
                                      field="--month")) from None


def draft(args: argparse.Namespace, context: CommandContext) -> int:
    from db.billing_run import draft_run
    from db.rates import load_rate_book

    month = month_of(args, context.today)
    with signed_in(context) as (session, conn, at):
        run, computed = draft_run(conn, args.cycle, month, load_rate_book(conn),
                                  user=session.user, at=at)
    print(f"Draft of cycle {run.cycle_id} {run.month} (run {run.id}): "
          f"{run.billed:,} billed for {format_money(run.total_cents)}, {run.held:,} held, "
          f"{run.excluded:,} excluded. Bill date {run.bill_date}, due {run.due_date}. "
          "Nothing was posted.")
    reasons: dict[str, int] = {}
    for bill in computed.bills:
        if bill.outcome != Outcome.BILLED:  # grouped by kind: "read exception # HIGH (warning)"
            head = re.sub(r"\d+", "#", bill.reason.split(":")[0])
            key = f"{bill.outcome.value.upper()}: {head}"
            reasons[key] = reasons.get(key, 0) + 1
    for text, count in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"  {count:>6,}  {text}")
    return 0


def diff(args: argparse.Namespace, context: CommandContext) -> int:
    from db.billing_diff import diff_run

    month = month_of(args, context.today)
    with signed_in(context) as (_, conn, _at):
        found = diff_run(conn, args.cycle, month)
    rows: list[dict[str, Any]] = [{
        "account": r.number, "status": r.outcome.value.upper(),
        "usage_hcf": str(r.usage_hcf), "last_usage_hcf": "" if r.last_usage_hcf is None
        else str(r.last_usage_hcf),
        "amount": format_money(r.total_cents) if r.outcome == Outcome.BILLED else "",
        "last_amount": "" if r.last_cents is None else format_money(r.last_cents),
        "change": format_money(r.change_cents) if r.outcome == Outcome.BILLED else "",
        "change_pct": "" if r.change_percent is None or r.outcome != Outcome.BILLED
        else f"{r.change_percent}%", "reason": r.reason,
        "amount_cents": r.total_cents if r.outcome == Outcome.BILLED else None,
        "last_cents": r.last_cents} for r in found.rows]
    headers = ["account", "status", "usage_hcf", "last_usage_hcf", "amount", "last_amount",
               "change", "change_pct", "reason"]
    totals = {"run": found.run.id, "status": found.run.status, "last_cycle": found.basis,
              "total": format_money(found.total_cents),
              "last_total": format_money(found.last_total_cents),
              "usage_hcf": str(found.usage_hcf), "last_usage_hcf": str(found.last_usage_hcf)}
    if args.format != "table":
        totals.update(total_cents=found.total_cents, last_total_cents=found.last_total_cents)
        print_rows(rows, [*headers, "amount_cents", "last_cents"], args.format, empty="",
                   extra=totals)
        return 0
    print(f"Cycle {found.run.cycle_id} {found.run.month}, run {found.run.id} "
          f"({found.run.status.upper()}) against last cycle: {found.basis}.")
    print(f"Total {format_money(found.total_cents)} against "
          f"{format_money(found.last_total_cents)} "
          f"(change {format_money(found.total_cents - found.last_total_cents)}); usage "
          f"{found.usage_hcf} HCF against {found.last_usage_hcf} HCF.")
    shown = rows if args.limit <= 0 else rows[:args.limit]
    for row in shown:
        row["reason"] = row["reason"][:60]
    print_rows(shown, headers, "table", empty="No accounts in the run.")
    if len(shown) < len(rows):
        print(f"... {len(rows) - len(shown):,} more (--limit 0 shows all).")
    return 0


def approve(args: argparse.Namespace, context: CommandContext) -> int:
    from db.billing_run import approve_run

    month = month_of(args, context.today)
    with signed_in(context) as (session, conn, at):
        run = approve_run(conn, args.cycle, month, user=session.user, at=at)
    print(f"Run {run.id} (cycle {run.cycle_id} {run.month}) APPROVED by {run.approved_by}: "
          f"{run.billed:,} {plural('bill', run.billed)}, {format_money(run.total_cents)}.")
    return 0


def freeze(args: argparse.Namespace, context: CommandContext) -> int:
    from db.billing_run import freeze_run
    from db.rates import load_rate_book

    month = month_of(args, context.today)
    with signed_in(context) as (session, conn, at):
        done = freeze_run(conn, args.cycle, month, load_rate_book(conn), user=session.user,
                          at=at)
    run = done.run
    if done.already:
        print(f"Run {run.id} (cycle {run.cycle_id} {run.month}) was already FROZEN by "
              f"{run.frozen_by}; nothing posted again.")
    else:
        print(f"Run {run.id} (cycle {run.cycle_id} {run.month}) FROZEN: {done.posted:,} bills "
              f"posted for {format_money(run.total_cents)}, billed {run.bill_date}, "
              f"due {run.due_date}.")
    return 0


def reconcile_cmd(args: argparse.Namespace, context: CommandContext) -> int:
    from db.billing_run import reconcile

    month = month_of(args, context.today)
    with signed_in(context) as (_, conn, _at):
        found = reconcile(conn, args.cycle, month)
    run = found.run
    print(f"Cycle {run.cycle_id} {run.month}, run {run.id} ({run.status.upper()}): "
          f"{found.billed:,} billed ({format_money(found.ledger_cents)} in the ledger), "
          f"{len(found.held):,} held, {len(found.excluded):,} excluded, "
          f"{len(found.unaccounted):,} unaccounted for.")
    for label, items in (("HELD", found.held), ("EXCLUDED", found.excluded),
                         ("UNACCOUNTED", found.unaccounted)):
        for number, reason in items:
            print(f"{label:<11} {number:<12} {reason}")
    return 0 if found.ok else 1


def print_file(args: argparse.Namespace, context: CommandContext) -> int:
    from pathlib import Path

    from db.bill_print import write_print_file

    month = month_of(args, context.today)
    with signed_in(context) as (_, conn, at):
        written = write_print_file(conn, args.cycle, month, Path(args.out), generated_at=at)
    print(f"Wrote {written.path} ({written.bills:,} {plural('bill', written.bills)}, total due "
          f"{format_money(written.total_due_cents)}, current charges "
          f"{format_money(written.current_cents)}) and {written.manifest}; "
          f"sha256 {written.sha256}.")
    return 0
