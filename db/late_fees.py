"""Late fees on the calendar's late-fee dates: posted to the ledger once per account and run.

For every cycle whose late-fee date is the run's date, every active account of the cycle with
bills past due on that date is charged, exempted or waived by core.late_fees.decide. Each
charge is a 'late_fee' ledger entry with the actor, reason code LATE-FEE, the formula as its
comment and the run as its reference, so running the date again posts nothing twice.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date

from core.late_fees import decide
from core.ledger import EntryType, Posting
from core.schedule import EventKind
from db import audit
from db.delinquency import candidates
from db.ledger import post
from db.schedule import schedule_between, use_schedule_date
from db.settings import load_settings
from db.transaction import write_transaction

REASON = "LATE-FEE"


@dataclass
class LateFeeRun:
    """What one late-fee date did."""

    on: date
    cycles: list[str] = field(default_factory=list)
    charged: int = 0
    charged_cents: int = 0
    exempt: int = 0
    waived: int = 0
    already: int = 0

    @property
    def already_run(self) -> bool:
        """True when an earlier run for the date did everything: nothing new to post or waive
        (exempt accounts are judged again each run and never recorded)."""
        return bool(self.already) and not (self.charged or self.waived)

    def lines(self) -> list[str]:
        if not self.cycles:
            return [f"No cycle's late-fee date is {self.on} in the stored calendar."]
        from core.money import format_money

        return [f"{self.on}: {', '.join(self.cycles)}.",
                f"{self.charged:,} late fees posted ({format_money(self.charged_cents)}); "
                f"{self.exempt:,} exempt (plan); {self.waived:,} waived (low income, once in 12 "
                f"months); {self.already:,} already done by an earlier run."]


def _last_waivers(conn: sqlite3.Connection) -> dict[int, date]:
    return {r[0]: date.fromisoformat(r[1]) for r in conn.execute(
        "SELECT account_id, max(waived_on) FROM late_fee_waivers GROUP BY account_id")}


def _done(conn: sqlite3.Connection, reference: str) -> set[int]:
    rows = conn.execute("SELECT account_id FROM ledger_entries WHERE entry_type = 'late_fee'"
                        " AND reference = ? UNION SELECT account_id FROM late_fee_waivers"
                        " WHERE reference = ?", (reference, reference))
    return {r[0] for r in rows}


class _Preview(Exception):
    """Raised inside a preview's transaction so that everything it wrote is rolled back."""


def run_late_fees(conn: sqlite3.Connection, on: date, *, actor: str, at: str) -> LateFeeRun:
    """Charge the late fees the calendar puts on `on`; idempotent for the date."""
    with write_transaction(conn):
        return _charge(conn, on, actor=actor, at=at)


def preview_late_fees(conn: sqlite3.Connection, on: date, *, actor: str, at: str) -> LateFeeRun:
    """What run_late_fees would do on `on`, worked out in a transaction that is rolled back."""
    found: list[LateFeeRun] = []
    try:
        with write_transaction(conn):
            found.append(_charge(conn, on, actor=actor, at=at))
            raise _Preview
    except _Preview:
        pass
    return found[0]


def _charge(conn: sqlite3.Connection, on: date, *, actor: str, at: str) -> LateFeeRun:
    """The late-fee run's writes, inside the caller's transaction."""
    settings = load_settings(conn)
    result = LateFeeRun(on)
    waivers = _last_waivers(conn)
    for row in (d for d in schedule_between(conn, on, on) if d.event == EventKind.LATE_FEE):
        reference = f"late fee {row.month:%Y-%m} {row.cycle_name}"
        use_schedule_date(conn, month=row.month, cycle_id=row.cycle_id,
                          event=EventKind.LATE_FEE, used_by=reference, actor=actor, at=at)
        result.cycles.append(row.cycle_name)
        done = _done(conn, reference)
        for residential in (True, False):
            for c in candidates(conn, on, row.cycle_id, residential):
                if c.account_id in done:
                    result.already += 1
                    continue
                basis = sum(b.open_cents for b in c.delinquency.bills)  # never fees
                if basis <= 0:
                    continue
                in_plan = bool(c.plan_flag) or any(p.active_on(on) for p in c.plans)
                low_income = any(p.condition == "financial" and p.valid_on(on)
                                 for p in c.protections)
                decision = decide(basis, settings, on=on, in_plan=in_plan,
                                  low_income=low_income,
                                  last_waiver=waivers.get(c.account_id))
                if decision.charge:
                    post(conn, Posting(c.account_id, EntryType.LATE_FEE, decision.fee_cents,
                                       on, actor, REASON, decision.why,
                                       reference=reference), posted_at=at)
                    result.charged += 1
                    result.charged_cents += decision.fee_cents
                elif decision.waived:
                    conn.execute("INSERT INTO late_fee_waivers (account_id, waived_on,"
                                 " reference, fee_cents, recorded_by, recorded_at) VALUES"
                                 " (?, ?, ?, ?, ?, ?)", (c.account_id, on.isoformat(),
                                                         reference, decision.fee_cents,
                                                         actor, at))
                    waivers[c.account_id] = on
                    result.waived += 1
                else:
                    result.exempt += 1
    audit.record(conn, at=at, actor=actor, action="lockoff.late_fees",
                 object_type="late_fee_run", object_id=on.isoformat(),
                 after={"charged": result.charged, "cents": result.charged_cents,
                        "exempt": result.exempt, "waived": result.waived})
    return result
