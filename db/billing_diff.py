"""The draft against last cycle, per account and in total, biggest changes first (issue 5)."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core.billing import DEMO_HISTORY, DiffRow, Outcome, biggest_changes_first
from core.errors import InputError
from core.reads import period_usage
from db.billing_draft import (
    BILL_WINDOW_DAYS,
    CycleMonth,
    cycle_month,
    previous_month,
)
from db.billing_run import Run, find_run, require_run, stored_bills
from db.read_history import fill_premises, load_chains


@dataclass(frozen=True)
class Diff:
    """The run's rows against last cycle, what last cycle was, and the totals."""

    run: Run
    rows: list[DiffRow]
    basis: str  # "billing run 7" or "ledger history (demo or before Meterline)"
    total_cents: int
    last_total_cents: int
    usage_hcf: Decimal
    last_usage_hcf: Decimal


def diff_run(conn: sqlite3.Connection, cycle_id: int, month: date) -> Diff:
    run = require_run(conn, cycle_id, month)
    bills = stored_bills(conn, run.id)
    last_month = previous_month(month)
    previous = find_run(conn, cycle_id, last_month)
    last: dict[int, tuple[Decimal | None, int | None]]
    if previous is not None:
        basis = f"billing run {previous.id} ({previous.month}, {previous.status})"
        if previous.fingerprint == DEMO_HISTORY:
            basis += (": demo history, priced by fixtures/demo_pricing.py, not by the rate "
                      "files")
        last = {r["account_id"]: (Decimal(r["usage_hcf"]), r["total_cents"])
                for r in stored_bills(conn, previous.id) if r["outcome"] == "billed"}
    else:
        basis = (f"ledger history for {last_month:%Y-%m} (no Meterline run: in the demo "
                 "district, last cycle was demo history priced by fixtures/demo_pricing.py)")
        last = _ledger_history(conn, cycle_id, last_month, bills)
    rows = []
    for b in bills:
        last_usage, last_cents = last.get(b["account_id"], (None, None))
        rows.append(DiffRow(b["account_id"], b["number"], Outcome(b["outcome"]), b["reason"],
                            Decimal(b["usage_hcf"]), b["total_cents"], last_usage, last_cents))
    billed = [r for r in rows if r.outcome == Outcome.BILLED]
    return Diff(run, biggest_changes_first(rows), basis,
                sum(r.total_cents for r in billed),
                sum(r.last_cents or 0 for r in billed),
                sum((r.usage_hcf for r in billed), Decimal(0)),
                sum((r.last_usage_hcf or Decimal(0) for r in billed), Decimal(0)))


def _ledger_history(conn: sqlite3.Connection, cycle_id: int, month: date,
                    bills: list[sqlite3.Row]) -> dict[int, tuple[Decimal | None, int | None]]:
    """Last month's bill entries from the ledger, and the usage its reads show."""
    try:
        dates: CycleMonth = cycle_month(conn, cycle_id, month)
    except InputError:
        return {}
    cents: dict[int, int] = {}
    for account_id, amount in conn.execute(
            "SELECT e.account_id, SUM(e.amount_cents) FROM ledger_entries e"
            " JOIN accounts a ON a.id = e.account_id JOIN premises p ON p.id = a.premise_id"
            " JOIN routes r ON r.id = p.route_id WHERE r.cycle_id = ?"
            " AND e.entry_type = 'bill' AND e.effective_on >= ? AND e.effective_on < ?"
            " GROUP BY e.account_id",
            (cycle_id, dates.read_start.isoformat(),
             (dates.read_end + timedelta(days=BILL_WINDOW_DAYS)).isoformat())):
        cents[account_id] = amount
    premises = dict(conn.execute(
        "SELECT a.id, a.premise_id FROM accounts a JOIN bills b ON b.account_id = a.id"
        " WHERE b.run_id = ?", (bills[0]["run_id"],)).fetchall()) if bills else {}
    fill_premises(conn, set(premises.values()))
    chains = load_chains(conn, dates.previous_read_end - timedelta(days=60),
                         dates.read_end + timedelta(days=1))
    found: dict[int, tuple[Decimal | None, int | None]] = {}
    for b in bills:
        usage: Decimal | None = None
        chain = chains.get(premises.get(b["account_id"], 0), ())
        days = sorted({p.day for c in chain for p in c.points})
        start = [d for d in days if d <= dates.previous_read_end]
        end = [d for d in days if dates.previous_read_end < d <= dates.read_end]
        if start and end:
            usage = Decimal(period_usage(chain, start[-1], end[-1]).usage)
        found[b["account_id"]] = (usage, cents.get(b["account_id"]))
    return found
