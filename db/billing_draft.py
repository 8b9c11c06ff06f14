"""Computing a cycle-month's bills: every active account of the cycle billed, held or excluded.

The draft stores the bills with the digest of their inputs (db.billing_inputs); the freeze
checks that digest again and posts the stored bills, so what was previewed is what posts.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core.bill_lines import Period, Service
from core.billing import (
    AccountBill,
    LineCache,
    Outcome,
    StoredLine,
    stored_lines,
    winter_average,
)
from core.errors import InputError, InputProblem
from core.rate_book import RateBook
from core.rate_engine import RateEngine
from core.reads import MeterChain, period_usage
from db.billing_inputs import inputs_digest
from db.closing_bill import UNIT_HCF
from db.read_history import fill_premises, load_chains
from db.reads import billing_holds
from db.settings import load_settings

# Reads loaded before the period: a year and a bit, for the winter average (Dec-Feb).
HISTORY_WINDOW = timedelta(days=400)
BILL_WINDOW_DAYS = 25  # a bill posted from the month's first read day to 25 days after its last

Priced = tuple[int, tuple[StoredLine, ...]]  # a bill's total and its stored lines


@dataclass(frozen=True)
class CycleMonth:
    """The stored calendar dates a cycle-month's billing run uses (db.schedule)."""

    cycle_id: int
    month: date  # first of the month
    read_start: date
    read_end: date
    previous_read_end: date
    bill_date: date
    due_date: date

    @property
    def key(self) -> str:
        return f"{self.month:%Y-%m}"


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def cycle_month(conn: sqlite3.Connection, cycle_id: int, month: date) -> CycleMonth:
    """The cycle-month's read, bill and due dates as stored; refused if not generated."""
    if conn.execute("SELECT 1 FROM cycles WHERE id = ?", (cycle_id,)).fetchone() is None:
        raise InputError(InputProblem(f"there is no cycle {cycle_id}", field="--cycle"))
    dates = _dates(conn, cycle_id, month)
    missing = [e for e in ("read_start", "read_end", "bill", "due") if e not in dates]
    if missing:
        raise InputError(InputProblem(
            f"cycle {cycle_id} has no stored {', '.join(missing)} date for {month:%Y-%m}: a "
            "supervisor generates the month on the Calendar screen (F4)", field="--month"))
    before = _dates(conn, cycle_id, previous_month(month))
    previous_end = before.get("read_end", dates["read_end"] - timedelta(days=30))
    return CycleMonth(cycle_id, month.replace(day=1), dates["read_start"], dates["read_end"],
                      previous_end, dates["bill"], dates["due"])


def _dates(conn: sqlite3.Connection, cycle_id: int, month: date) -> dict[str, date]:
    return {row[0]: date.fromisoformat(row[1]) for row in conn.execute(
        "SELECT event, on_date FROM schedule_dates WHERE cycle_id = ? AND month = ?",
        (cycle_id, f"{month:%Y-%m}"))}


ACCOUNTS_SQL = """
SELECT a.id, a.number, a.service_type, a.opened_on, p.id AS premise_id, p.kind,
       p.dwelling_units, p.landscape_sqft,
       (SELECT m.size FROM meters m WHERE m.premise_id = p.id
         ORDER BY m.removed_on IS NULL DESC, m.installed_on DESC, m.id DESC LIMIT 1) AS size,
       (SELECT m.installed_on FROM meters m WHERE m.premise_id = p.id AND m.removed_on IS NULL
         ORDER BY m.installed_on DESC, m.id DESC LIMIT 1) AS installed_on
  FROM accounts a
  JOIN premises p ON p.id = a.premise_id
  JOIN routes r ON r.id = p.route_id
 WHERE r.cycle_id = ? AND a.status = 'active'
 ORDER BY a.id
"""


def cycle_accounts(conn: sqlite3.Connection, cycle_id: int) -> list[sqlite3.Row]:
    """The cycle's active accounts (premise on one of its routes), in account order."""
    return conn.execute(ACCOUNTS_SQL, (cycle_id,)).fetchall()


def already_billed(conn: sqlite3.Connection, dates: CycleMonth,
                   run_id: int | None) -> dict[int, str]:
    """account id -> why it is excluded: a bill for this month posted outside this run."""
    rows = conn.execute(
        # Driven from the cycle's accounts through ledger_account (account, day): the
        # planner's own choice walks every unreversed entry of the district.
        "SELECT e.account_id, e.id, e.effective_on, e.reference FROM routes r"
        " CROSS JOIN premises p ON p.route_id = r.id CROSS JOIN accounts a"
        " ON a.premise_id = p.id CROSS JOIN ledger_entries e ON e.account_id = a.id"
        " WHERE r.cycle_id = ? AND e.entry_type = 'bill' AND e.amount_cents > 0"
        " AND e.effective_on >= ? AND e.effective_on < ? AND e.reverses_id IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.reverses_id = e.id)"
        " AND NOT EXISTS (SELECT 1 FROM bills b WHERE b.ledger_entry_id = e.id"
        "                 AND b.run_id = ?)",
        (dates.cycle_id, dates.read_start.isoformat(),
         (dates.read_end + timedelta(days=BILL_WINDOW_DAYS)).isoformat(), run_id)).fetchall()
    return {row[0]: (f"already billed for {dates.key}: ledger entry {row[1]} of "
                     f"{row[2]}{' (' + row[3] + ')' if row[3] else ''}") for row in rows}


@dataclass(frozen=True)
class Draft:
    """A computed run: the dates it used, every account's outcome and its inputs' digest."""

    dates: CycleMonth
    bills: tuple[AccountBill, ...]
    chains: dict[int, tuple[MeterChain, ...]]
    premises: dict[int, int]  # account id -> premise id
    inputs: str = ""  # db.billing_inputs.inputs_digest

    @property
    def total_cents(self) -> int:
        return sum(b.total_cents for b in self.bills if b.outcome == Outcome.BILLED)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for b in self.bills if b.outcome == outcome)


@dataclass(frozen=True)
class DraftInputs:
    """What a cycle-month's bills are computed from, and its digest."""

    accounts: list[sqlite3.Row]
    holds: dict[int, str]
    excluded: dict[int, str]
    read_unit: str
    digest: str


def history_window(dates: CycleMonth) -> tuple[date, date]:
    """The reads a draft loads: [since, until)."""
    return dates.previous_read_end - HISTORY_WINDOW, dates.read_end + timedelta(days=1)


def draft_inputs(conn: sqlite3.Connection, dates: CycleMonth, book: RateBook,
                 run_id: int | None = None) -> DraftInputs:
    """The cycle's accounts, holds and exclusions, the premises in temp.audit_premises, and
    the digest of every input (db.billing_inputs); call inside a transaction for one snapshot."""
    accounts = cycle_accounts(conn, dates.cycle_id)
    holds = billing_holds(conn, dates.cycle_id)
    excluded = already_billed(conn, dates, run_id)
    fill_cycle_premises(conn, dates.cycle_id)
    unit = load_settings(conn).read_unit
    since, until = history_window(dates)
    digest = inputs_digest(
        conn, dates=(dates.month, dates.read_start, dates.read_end, dates.previous_read_end,
                     dates.bill_date, dates.due_date),
        book=book, read_unit=unit, accounts=accounts, holds=holds, excluded=excluded,
        since=since, until=until)
    return DraftInputs(accounts, holds, excluded, unit, digest)


def fill_cycle_premises(conn: sqlite3.Connection, cycle_id: int) -> None:
    """temp.audit_premises (db.read_history) holds the premises of the cycle's active accounts."""
    fill_premises(conn, ())
    conn.execute("INSERT OR IGNORE INTO temp.audit_premises SELECT a.premise_id FROM accounts a"
                 " JOIN premises p ON p.id = a.premise_id JOIN routes r ON r.id = p.route_id"
                 " WHERE r.cycle_id = ? AND a.status = 'active'", (cycle_id,))


def compute_draft(conn: sqlite3.Connection, dates: CycleMonth, book: RateBook,
                  run_id: int | None = None, engine: RateEngine | None = None) -> Draft:
    """Every active account of the cycle priced, held (reason) or excluded (reason)."""
    found = draft_inputs(conn, dates, book, run_id)
    chains = load_chains(conn, *history_window(dates))
    engine = engine or RateEngine(book)
    if found.read_unit not in UNIT_HCF:
        raise InputError(InputProblem(f"read_unit {found.read_unit!r} cannot be turned into "
                                      "HCF", field="read_unit"))
    per_hcf = UNIT_HCF[found.read_unit]
    classes: dict[tuple[str, str], str | InputError] = {}
    cache: LineCache = {}
    priced: dict[tuple[object, ...], Priced | InputError] = {}
    bills = []
    for row in found.accounts:
        bills.append(_account_bill(row, dates, engine, found.holds, found.excluded, classes,
                                   cache, priced, chains.get(row["premise_id"], ()), per_hcf))
    return Draft(dates, tuple(bills), chains,
                 {r["id"]: r["premise_id"] for r in found.accounts}, found.digest)


def _account_bill(row: sqlite3.Row, dates: CycleMonth, engine: RateEngine,
                  holds: dict[int, str], excluded: dict[int, str],
                  classes: dict[tuple[str, str], str | InputError], cache: LineCache,
                  priced_memo: dict[tuple[object, ...], Priced | InputError],
                  chains: tuple[MeterChain, ...], per_hcf: Decimal) -> AccountBill:
    account_id, number = row["id"], row["number"]

    def held(reason: str) -> AccountBill:
        return AccountBill(account_id, number, Outcome.HELD, reason)

    if account_id in excluded:
        return AccountBill(account_id, number, Outcome.EXCLUDED, excluded[account_id])
    if account_id in holds:
        return held(holds[account_id])
    shape = (row["kind"], row["service_type"])
    if shape not in classes:
        try:
            classes[shape] = engine.book.class_for(*shape)
        except InputError as exc:
            classes[shape] = exc
    rate_class = classes[shape]
    if isinstance(rate_class, InputError):
        return held(str(rate_class))
    usage = Decimal(0)
    estimated = False
    if row["service_type"] == "flat":  # no meter: the cycle's read-to-read month
        start, end = dates.previous_read_end, dates.read_end
    else:
        days = sorted({p.day for c in chains for p in c.points if p.day <= dates.read_end})
        end_days = [d for d in days if d > dates.previous_read_end]
        if not end_days:
            return held(f"missing read: no read for {dates.key} by {dates.read_end}")
        end = end_days[-1]
        start_days = [d for d in days if d <= dates.previous_read_end]
        if not start_days:
            return held(f"missing read: no read on or before {dates.previous_read_end} to "
                        "bill from")
        start = start_days[-1]
        found = period_usage(chains, start, end)
        if not found.meters:
            return held(f"missing read: no meter read between {start} and {end}")
        usage, estimated = _hcf(found.usage, per_hcf), found.estimated
    opened = date.fromisoformat(row["opened_on"])
    period = Period(max(start, opened), end, prorated=opened > start)
    rental = row["installed_on"] if row["service_type"] == "bulk" else None
    winter = winter_average(chains, end) if chains else None  # register units
    service = Service(rate_class=rate_class, meter_size=row["size"],
                      dwelling_units=max(1, row["dwelling_units"]),
                      landscape_sqft=row["landscape_sqft"],
                      winter_average_hcf=None if winter is None else _hcf(winter, per_hcf),
                      rental_started_on=date.fromisoformat(rental) if rental else None)
    # The engine is a pure function of these, so equal inputs share one pricing. Decimals are
    # keyed by their text too: 10 and 10.0 are equal but would not be written the same.
    key = (service, period, str(usage), str(service.winter_average_hcf))
    priced = priced_memo.get(key)
    if priced is None:
        try:
            bill = engine.price(service, period, usage)
            priced = priced_memo[key] = (bill.total_cents, stored_lines(bill, cache))
        except InputError as exc:
            priced = priced_memo[key] = exc
    if isinstance(priced, InputError):
        return held(f"cannot be priced: {priced}")
    total_cents, lines = priced
    if total_cents <= 0:
        return AccountBill(account_id, number, Outcome.EXCLUDED,
                           f"nothing to bill: the {rate_class} rates came to $0.00",
                           rate_class, period.start, period.end, usage, estimated)
    return AccountBill(account_id, number, Outcome.BILLED, "", rate_class, period.start,
                       period.end, usage, estimated, total_cents, lines)


def _hcf(units: int | Decimal, per_hcf: Decimal) -> Decimal:
    """Register units in HCF (settings.read_unit); CCF is HCF already, so exact."""
    if per_hcf == 1:
        return Decimal(units)
    return (Decimal(units) * per_hcf).quantize(Decimal("0.0001"))
