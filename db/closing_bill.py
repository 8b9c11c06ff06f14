"""The closing bill: the period since the last bill, its usage with the final read, and its price.

The period starts at the read the account was last billed through (the last read on or
before its latest bill's date; the opening read when it was never billed) and ends on the
final read. It is priced by the rate engine as a closing bill: monthly charges × days/30
(RULES.md §5.1), usage between the two reads summed over every meter at the premise.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from core import usage_history
from core.account_service import account_service
from core.bill_lines import Period, PricedBill, Service, hcf, register_hcf
from core.errors import InputError, InputProblem
from core.move_out import LastRead
from core.reads import MeterChain, ReadPoint, period_usage, premise_periods
from db.read_history import HISTORY_DAYS
from db.reads import premise_chains


@dataclass(frozen=True)
class ServiceFacts:
    """What prices an account: its premise, meter and service type."""

    account_id: int
    premise_id: int
    premise_kind: str
    service_type: str
    dwelling_units: int
    landscape_sqft: int
    opened_on: date
    meter_id: int | None  # the meter in service, which takes the final read
    meter_serial: str
    meter_size: str | None  # the meter that prices the bill (see service_facts)
    dials: int
    meter_installed_on: date | None = None  # the meter in service's install day

    def service(self, rate_class: str, winter_average_hcf: Decimal | None) -> Service:
        """The account's Service (core.account_service, as the billing draft builds it)."""
        return account_service(rate_class, service_type=self.service_type,
                               meter_size=self.meter_size,
                               meter_installed_on=self.meter_installed_on,
                               dwelling_units=self.dwelling_units,
                               landscape_sqft=self.landscape_sqft,
                               winter_average_hcf=winter_average_hcf)


def service_facts(conn: sqlite3.Connection, account_id: int) -> ServiceFacts:
    """The account's facts; its priced meter is chosen as db.billing_draft.ACCOUNTS_SQL
    chooses it: the latest meter in service, else the latest removed one (its size prices
    the bill), and the install day is the meter in service's only."""
    row = conn.execute(
        "SELECT a.id, a.premise_id, p.kind, a.service_type, p.dwelling_units, p.landscape_sqft,"
        " a.opened_on, m.id AS meter_id, m.serial, pm.size, m.dials,"
        " iif(pm.removed_on IS NULL, pm.installed_on, NULL) AS installed_on FROM accounts a"
        " JOIN premises p ON p.id = a.premise_id"
        " LEFT JOIN meters m ON m.id = (SELECT id FROM meters WHERE premise_id = a.premise_id"
        "   AND removed_on IS NULL ORDER BY installed_on DESC LIMIT 1)"
        " LEFT JOIN meters pm ON pm.id = (SELECT x.id FROM meters x"
        "   WHERE x.premise_id = a.premise_id ORDER BY x.removed_on IS NULL DESC,"
        "   x.installed_on DESC, x.id DESC LIMIT 1)"
        " WHERE a.id = ?", (account_id,)).fetchone()
    return ServiceFacts(row[0], row[1], row[2], row[3], row[4], row[5],
                        date.fromisoformat(row[6]), row[7], row[8] or "", row[9], row[10] or 0,
                        date.fromisoformat(row[11]) if row[11] else None)


def facts_on(conn: sqlite3.Connection, facts: ServiceFacts) -> Callable[[date], ServiceFacts]:
    """The account's facts as a period ending on a given day was priced: the meter then in
    service (installed by that day, not yet removed; else the latest removed by it) gives the
    size and, for a bulk account, the rental start, as service_facts chooses today's. A
    re-rate over years spans meter change-outs (db.rerate_data)."""
    meters = conn.execute("SELECT size, installed_on, removed_on FROM meters"
                          " WHERE premise_id = ? ORDER BY installed_on, id",
                          (facts.premise_id,)).fetchall()

    def on(end: date) -> ServiceFacts:
        day = end.isoformat()
        placed = [m for m in meters if m[1] <= day]
        serving = [m for m in placed if m[2] is None or m[2] > day]
        chosen = serving[-1] if serving else (placed[-1] if placed else None)
        if chosen is None:
            return facts  # no meter yet by then: today's facts, as before
        installed = date.fromisoformat(chosen[1]) if serving else None
        return replace(facts, meter_size=chosen[0], meter_installed_on=installed)
    return on


def billed_through(conn: sqlite3.Connection, facts: ServiceFacts) -> date:
    """The read day the account was last billed through (its opening day if never billed)."""
    last_bill = conn.execute(
        "SELECT max(e.effective_on) FROM ledger_entries e WHERE e.account_id = ?"
        " AND e.entry_type = 'bill' AND e.reverses_id IS NULL AND NOT EXISTS"
        " (SELECT 1 FROM ledger_entries r WHERE r.reverses_id = e.id)",
        (facts.account_id,)).fetchone()[0]
    if last_bill is None:
        return facts.opened_on
    row = conn.execute(
        "SELECT max(r.read_on) FROM meter_reads r JOIN meters m ON m.id = r.meter_id"
        " WHERE m.premise_id = ? AND r.read_on <= ? AND r.read_on >= ?",
        (facts.premise_id, last_bill, facts.opened_on.isoformat())).fetchone()
    return date.fromisoformat(row[0]) if row[0] else facts.opened_on


def last_read(conn: sqlite3.Connection, facts: ServiceFacts, before: date) -> LastRead | None:
    """The current meter's latest reading before a day (its install reading if none)."""
    if facts.meter_id is None:
        return None
    row = conn.execute(
        "SELECT read_on, reading FROM meter_reads WHERE meter_id = ? AND read_on < ?"
        " ORDER BY read_on DESC, id DESC LIMIT 1", (facts.meter_id, before.isoformat())).fetchone()
    if row is not None:
        return LastRead(date.fromisoformat(row[0]), row[1], facts.meter_serial)
    meter = conn.execute("SELECT installed_on, install_read FROM meters WHERE id = ?",
                         (facts.meter_id,)).fetchone()
    return LastRead(date.fromisoformat(meter[0]), meter[1], facts.meter_serial)


def _with_final(chains: tuple[MeterChain, ...], meter_id: int | None, day: date,
                reading: int) -> tuple[MeterChain, ...]:
    out = []
    for chain in chains:
        if chain.meter_id == meter_id and not any(p.day == day for p in chain.points):
            points = tuple(sorted((*chain.points, ReadPoint(day, reading)), key=lambda p: p.day))
            chain = replace(chain, points=points)
        out.append(chain)
    return tuple(out)


def winter_average(chains: tuple[MeterChain, ...], close_on: date) -> Decimal | None:
    """Average use of the periods ending in December to February within the year before."""
    return usage_history.winter_average([(p.end, p.usage) for p in premise_periods(chains)],
                                        close_on)


@dataclass(frozen=True)
class ClosingBill:
    """The priced closing bill and what it was priced from."""

    start: date
    end: date
    start_reading: int | None
    final_reading: int
    usage_units: int
    usage_hcf: Decimal
    bill: PricedBill


def price_closing_bill(conn: sqlite3.Connection, facts: ServiceFacts, *, final_reading: int,
                       close_on: date) -> ClosingBill:
    """Price the closing bill with the final read as if it were stored (nothing is written)."""
    from core.rate_engine import price
    from db.rates import load_rate_book
    from db.settings import load_settings

    start = billed_through(conn, facts)
    if close_on <= start:
        raise InputError(InputProblem(f"{close_on} is not after {start}, the read the account "
                                      "was last billed through", field="date"))
    chains = premise_chains(conn, facts.premise_id, start - timedelta(days=HISTORY_DAYS),
                            close_on + timedelta(days=1))
    chains = _with_final(chains, facts.meter_id, close_on, final_reading)
    usage = period_usage(chains, start, close_on) if facts.meter_id else None
    units = usage.usage if usage else 0
    start_reading = usage.meters[0].from_reading if usage and usage.meters else None
    read_unit = load_settings(conn).read_unit
    usage_hcf = register_hcf(units, read_unit)
    book = load_rate_book(conn)
    rate_class = book.class_for(facts.premise_kind, facts.service_type)
    # In register units, like `units`; only a class that bills sewer on winter use is given
    # the average, as the draft does.
    winter = winter_average(chains, close_on) if book.uses_winter_average(rate_class) else None
    winter_hcf = None if winter is None else register_hcf(winter, read_unit)
    service = facts.service(rate_class, winter_hcf)
    bill = price(book, service, Period(start, close_on, prorated=True), usage_hcf)
    return ClosingBill(start, close_on, start_reading, final_reading, units, usage_hcf, bill)


def store_closing_bill(conn: sqlite3.Connection, closing: ClosingBill, *, account_id: int,
                       read_id: int | None, entry_id: int | None, actor: str, at: str) -> int:
    """The closing bill and its explained lines; the caller owns the transaction."""
    bill = closing.bill
    files = [{"file": s.ref.file, "version": s.ref.version, "effective": str(s.ref.effective),
              "sha256": s.ref.sha256, "days": s.days} for s in bill.segments]
    bill_id = int(conn.execute(
        "INSERT INTO closing_bills (account_id, period_start, period_end, days, start_reading,"
        " final_reading, final_read_id, usage_hcf, rate_class, total_cents, ledger_entry_id,"
        " rate_files, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (account_id, closing.start.isoformat(), closing.end.isoformat(), bill.period.days,
         closing.start_reading, closing.final_reading, read_id, hcf(closing.usage_hcf),
         bill.service.rate_class, bill.total_cents, entry_id, json.dumps(files), actor,
         at)).lastrowid or 0)
    conn.executemany(
        "INSERT INTO closing_bill_lines (bill_id, seq, component, label, quantity, unit, rate,"
        " factor, amount_cents, explanation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(bill_id, seq, line.component, line.label, hcf(line.quantity), line.unit,
          str(line.rate), line.factor_text, line.amount_cents, line.explain())
         for seq, line in enumerate(bill.lines, start=1)])
    return bill_id


def bill_comment(closing: ClosingBill) -> str:
    """The ledger comment of the closing bill: the period and each line's amount."""
    from core.money import format_money

    lines = "; ".join(f"{line.label} {format_money(line.amount_cents)}"
                      for line in closing.bill.lines)
    return (f"Closing bill {closing.start} to {closing.end} ({closing.bill.period.days} days, "
            f"{hcf(closing.usage_hcf)} HCF): {lines}")
