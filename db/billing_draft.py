"""Computing a cycle-month's bills: every active account of the cycle billed, held or excluded.

The draft stores the bills and a mark of their inputs; the freeze posts the stored bills once
it knows a new computation would give the same ones (db/billing_inputs.py).
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property

from core.account_service import account_service, billed_period, rental_start
from core.bill_lines import register_hcf
from core.bill_print import clean, read_records
from core.billing import (
    STORED_OUTCOME,
    STORED_TOTAL,
    AccountBill,
    LineCache,
    Outcome,
    StoredBill,
    StoredLine,
    account_bill,
    period_uses,
    stored_lines,
)
from core.errors import InputError, InputProblem
from core.rate_book import RateBook
from core.rate_engine import RateEngine
from core.reads import MeterChain, meter_usage, period_usage
from core.usage_history import (
    average_use,
    extend_history,
    history_text,
    periods_winter_use,
    winter_use,
)
from db.read_history import fill_premises, load_chains
from db.reads import billing_holds
from db.settings import load_settings
from db.transaction import collector_paused

# Reads loaded for a premise priced from its reads alone: a year and a bit, for the usage
# history and the winter average (Dec-Feb).
HISTORY_WINDOW = timedelta(days=400)
PERIOD_WINDOW = timedelta(days=31)  # before last month's read day: its whole read window
BILL_WINDOW_DAYS = 25  # a bill posted from the month's first read day to 25 days after its last

# A pricing: the bill's total, its stored lines, the period priced (start and end, ISO) and
# the usage in HCF (exact decimal text), as the run stores them (core.billing.StoredBill).
Priced = tuple[int, tuple[StoredLine, ...], str, str, str]


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


# A cycle's accounts are driven from its routes (not from every active account of the
# district). A part of a cycle (an id range) is read from its accounts when the caller knows
# the cycle's ids lie close together (`by_range`), so a slice reads its own accounts and not
# the whole cycle's: a 2,000-account slice's accounts 9.7 -> 4.4 ms and its exclusions 5.4 ->
# 1.3 ms, measured. Where a cycle's ids are spread among the other cycles' (accounts opened
# over the years), a range holds many other accounts, and the routes are the shorter way.
BY_ROUTES = ("routes r CROSS JOIN premises p ON p.route_id = r.id"
             " CROSS JOIN accounts a ON a.premise_id = p.id")
BY_ACCOUNTS = ("accounts a CROSS JOIN premises p ON p.id = a.premise_id"
               " CROSS JOIN routes r ON r.id = p.route_id")
EVERY_ID = (0, 1 << 62)


def accounts_of(ids: tuple[int, int], by_range: bool) -> str:
    """How a query reaches the cycle's accounts with ids from ids[0] to ids[1]."""
    return BY_ACCOUNTS if by_range and ids != EVERY_ID else BY_ROUTES


def close_together(ids: Sequence[int]) -> bool:
    """Whether a cycle's account ids (in order) lie close enough together for its parts to be
    read by id range: at most every other id in their span is another cycle's."""
    return bool(ids) and ids[-1] - ids[0] + 1 <= 2 * len(ids)


# Each premise's meter is its latest current one, else its latest removed one (its size
# prices the bill), and the install date is the current meter's only.
ACCOUNTS_SQL = """
SELECT a.id, a.number, a.service_type, a.opened_on, p.id AS premise_id, p.kind,
       p.dwelling_units, p.landscape_sqft, m.size,
       iif(m.removed_on IS NULL, m.installed_on, NULL) AS installed_on
  FROM {accounts}
  LEFT JOIN meters m ON m.id = (SELECT x.id FROM meters x WHERE x.premise_id = p.id
                                 ORDER BY x.removed_on IS NULL DESC, x.installed_on DESC,
                                          x.id DESC LIMIT 1)
 WHERE r.cycle_id = ? AND a.status = 'active' AND a.id BETWEEN ? AND ?
 ORDER BY a.id
"""


def cycle_accounts(conn: sqlite3.Connection, cycle_id: int,
                   ids: tuple[int, int] = EVERY_ID, *, by_range: bool = False
                   ) -> list[sqlite3.Row]:
    """The cycle's active accounts (premise on one of its routes), in account order; only
    those with ids from ids[0] to ids[1] when given (read by that range: `by_range`)."""
    return conn.execute(ACCOUNTS_SQL.format(accounts=accounts_of(ids, by_range)),
                        (cycle_id, *ids)).fetchall()


# A bill for the month posted outside the run, each account's through ledger_account
# (account, day); the planner's own choice walks every unreversed entry of the district.
ALREADY_BILLED_SQL = """
SELECT e.account_id, e.id, e.effective_on, e.reference FROM {accounts}
 CROSS JOIN ledger_entries e ON e.account_id = a.id
 WHERE r.cycle_id = :cycle AND a.id BETWEEN :first AND :last AND e.entry_type = 'bill'
   AND e.amount_cents > 0 AND e.effective_on >= :since AND e.effective_on < :until
   AND e.reverses_id IS NULL
   AND NOT EXISTS (SELECT 1 FROM ledger_entries x WHERE x.reverses_id = e.id)
   AND NOT EXISTS (SELECT 1 FROM bills b WHERE b.ledger_entry_id = e.id AND b.run_id = :run)
"""


def already_billed(conn: sqlite3.Connection, dates: CycleMonth, run_id: int | None,
                   ids: tuple[int, int] = EVERY_ID, *, by_range: bool = False
                   ) -> dict[int, str]:
    """account id -> why it is excluded: a bill for this month posted outside this run; only
    the accounts with ids from ids[0] to ids[1] when given (a part of the cycle's, read by
    that range: `by_range`)."""
    sql = ALREADY_BILLED_SQL.format(accounts=accounts_of(ids, by_range))
    rows = conn.execute(sql, {
        "cycle": dates.cycle_id, "first": ids[0], "last": ids[1], "run": run_id,
        "since": dates.read_start.isoformat(),
        "until": (dates.read_end + timedelta(days=BILL_WINDOW_DAYS)).isoformat()}).fetchall()
    return {row[0]: (f"already billed for {dates.key}: ledger entry {row[1]} of "
                     f"{row[2]}{' (' + row[3] + ')' if row[3] else ''}") for row in rows}


@dataclass(frozen=True)
class Draft:
    """A computed run: the dates it used and every account's outcome as the run stores it."""

    dates: CycleMonth
    rows: tuple[StoredBill, ...]  # core.billing.StoredBill, in account order
    premises: dict[int, int]  # account id -> premise id
    history_premises: tuple[int, ...] = ()  # priced from 13 months of their reads

    @cached_property
    def bills(self) -> tuple[AccountBill, ...]:
        """The outcomes as AccountBills (made when asked: the draft itself needs the rows)."""
        return tuple(map(account_bill, self.rows))

    @property
    def total_cents(self) -> int:
        billed = Outcome.BILLED.value
        return sum(row[STORED_TOTAL] for row in self.rows if row[STORED_OUTCOME] == billed)

    def count(self, outcome: Outcome) -> int:
        value = outcome.value
        return sum(1 for row in self.rows if row[STORED_OUTCOME] == value)


Previous = tuple[date, str]  # the latest posted bill's period end and usage history
BILLED, HELD, EXCLUDED = Outcome.BILLED.value, Outcome.HELD.value, Outcome.EXCLUDED.value


@dataclass(frozen=True)
class DraftInputs:
    """What a cycle-month's bills are computed from, besides the reads."""

    accounts: list[sqlite3.Row]
    holds: dict[int, str]  # the whole cycle's
    excluded: dict[int, str]  # these accounts'
    previous: dict[int, Previous]  # account id -> its latest posted bill with a history
    read_unit: str
    run_id: int | None  # the run being priced again, whose own bills exclude nothing
    by_range: bool  # parts of the cycle are read by id range (close_together)


def period_window(dates: CycleMonth) -> tuple[date, date]:
    """The reads every draft loads, [since, until): the period and the month before its start,
    so the start read is found wherever last month's read window put it (an older start read
    sends the account to the full history)."""
    return dates.previous_read_end - PERIOD_WINDOW, dates.read_end + timedelta(days=1)


def history_window(dates: CycleMonth) -> tuple[date, date]:
    """The reads loaded for a premise with no posted bill to extend: [since, until)."""
    return dates.previous_read_end - HISTORY_WINDOW, dates.read_end + timedelta(days=1)


# Each given account's latest posted bill with a usage history: one index seek each, and a
# lookup in bill_entries per candidate (normally the first: a draft's bills are newer). The
# accounts come as a JSON list of ids (those being priced), so a slice of a cycle reads only
# its own.
PREVIOUS_SQL = """
SELECT j.value, b.period_end, b.usage_history
  FROM json_each(?) j
  JOIN bill_rows b ON b.id = (SELECT x.id FROM bill_rows x INDEXED BY bill_rows_history
                               WHERE x.account_id = j.value AND x.usage_history <> ''
                                 AND x.period_end <= ?
                                 AND EXISTS (SELECT 1 FROM bill_entries l
                                              WHERE l.bill_id = x.id)
                               ORDER BY x.period_end DESC, x.id DESC LIMIT 1)
"""


def draft_inputs(conn: sqlite3.Connection, dates: CycleMonth, run_id: int | None = None,
                 accounts: list[sqlite3.Row] | None = None,
                 cycle: DraftInputs | None = None, *, by_range: bool = False
                 ) -> DraftInputs:
    """The cycle's accounts (or those given, a run of them in account order), their holds,
    exclusions and latest bills, with their premises put in temp.audit_premises; call inside
    a transaction for one snapshot. The holds are the whole cycle's, `cycle`'s when given
    (inputs found earlier in the same transaction, for the same run); the exclusions are
    those of the accounts given only, so each part of a cycle pays for its own."""
    whole = accounts is None
    if accounts is None:
        accounts = cycle_accounts(conn, dates.cycle_id)
    if cycle is None:
        holds = billing_holds(conn, dates.cycle_id)
    else:
        holds, run_id, by_range = cycle.holds, cycle.run_id, cycle.by_range
    ids = EVERY_ID if whole or not accounts else (accounts[0]["id"], accounts[-1]["id"])
    excluded = already_billed(conn, dates, run_id, ids, by_range=by_range) if accounts else {}
    parse = date.fromisoformat
    previous = {account_id: (parse(period_end), history) for account_id, period_end, history
                in conn.execute(PREVIOUS_SQL, (json.dumps([row["id"] for row in accounts]),
                                               dates.previous_read_end.isoformat()))}
    fill_premises(conn, {row["premise_id"] for row in accounts})
    return DraftInputs(accounts, holds, excluded, previous, load_settings(conn).read_unit,
                       run_id, by_range)


@dataclass
class _Pricing:
    """What every account of one draft shares: the engine, memos and the run's settings."""

    dates: CycleMonth
    engine: RateEngine
    found: DraftInputs
    read_unit: str
    unit: str
    classes: dict[tuple[str, str], str | InputError] = field(default_factory=dict)
    winter_classes: dict[str, bool] = field(default_factory=dict)
    cache: LineCache = field(default_factory=dict)
    priced: dict[tuple[object, ...], Priced | InputError] = field(default_factory=dict)
    days: dict[str, date] = field(default_factory=dict)

    def rate_class(self, kind: str, service_type: str) -> str | InputError:
        """The class the book gives this premise kind and service type (or why none)."""
        found = self.classes.get((kind, service_type))
        if found is None:
            try:
                found = self.engine.book.class_for(kind, service_type)
                self.winter_classes[found] = self.engine.book.uses_winter_average(found)
            except InputError as exc:
                found = exc
            self.classes[kind, service_type] = found
        return found

    def day(self, text: str) -> date:
        found = self.days.get(text)
        if found is None:
            found = self.days[text] = date.fromisoformat(text)
        return found

    def price(self, rate_class: str, service_type: str, size: str | None, units: int,
              landscape: int, installed_on: str | None, start: date, end: date, opened: date,
              usage_units: int, winter: tuple[int, int] | None) -> Priced | InputError:
        """One pricing by the engine (db.billing_draft memoises it by its inputs)."""
        period = billed_period(start, end, opened)
        usage = register_hcf(usage_units, self.read_unit)
        service = account_service(
            rate_class, service_type=service_type, meter_size=size,
            meter_installed_on=self.day(installed_on) if installed_on else None,
            dwelling_units=units, landscape_sqft=landscape,
            winter_average_hcf=None if winter is None
            else register_hcf(average_use(*winter), self.read_unit))
        try:
            bill = self.engine.price(service, period, usage)
        except InputError as exc:
            return exc
        return (bill.total_cents, stored_lines(bill, self.cache), period.start.isoformat(),
                period.end.isoformat(), str(usage))


def compute_draft(conn: sqlite3.Connection, dates: CycleMonth, book: RateBook,
                  run_id: int | None = None, engine: RateEngine | None = None,
                  accounts: list[sqlite3.Row] | None = None) -> Draft:
    """Every active account of the cycle (or those given) priced, held (reason) or excluded
    (reason). db.billing_parts shares a large cycle with a second process.

    Each account's period comes from the period's reads; its usage history extends its
    latest posted bill's. An account with no such bill ending where this period starts, or a
    premise with more than one meter, is priced from 13 months of its premise's reads.
    """
    with collector_paused():
        return _compute_draft(conn, dates, book, run_id, engine, accounts)


def _compute_draft(conn: sqlite3.Connection, dates: CycleMonth, book: RateBook,
                   run_id: int | None, engine: RateEngine | None,
                   accounts: list[sqlite3.Row] | None) -> Draft:
    pricer = DraftPricer(conn, dates, book, run_id, engine, accounts)
    bills, wide = pricer.price(pricer.accounts)
    return Draft(dates, bills, {r["id"]: r["premise_id"] for r in pricer.accounts}, wide)


class DraftPricer:
    """A draft's accounts with their inputs and the period's reads loaded once, priced a
    slice at a time (db.billing_parts sends a second process's part in slices)."""

    def __init__(self, conn: sqlite3.Connection, dates: CycleMonth, book: RateBook,
                 run_id: int | None = None, engine: RateEngine | None = None,
                 accounts: list[sqlite3.Row] | None = None, *,
                 sharing: DraftPricer | None = None, by_range: bool = False) -> None:
        """The accounts' inputs and reads loaded; `sharing` is a pricer of the same cycle in
        the same transaction whose holds, settings and memos this one reuses, so it loads
        only its own accounts' exclusions, latest bills and reads (by id range: `by_range`,
        or as `sharing` does)."""
        self.conn = conn
        cycle: DraftInputs | None = None if sharing is None else sharing.found
        self.found: DraftInputs = draft_inputs(conn, dates, run_id, accounts, cycle,
                                               by_range=by_range)
        found = self.found
        self.accounts = found.accounts
        if sharing is None:
            register_hcf(0, found.read_unit)  # a unit that cannot be made HCF is refused
            self.pricing = _Pricing(dates, engine or RateEngine(book), found, found.read_unit,
                                    clean(found.read_unit))
        else:
            self.pricing = replace(sharing.pricing, found=found)
        self.chains = load_chains(conn, *period_window(dates))

    def price(self, rows: Sequence[sqlite3.Row]
              ) -> tuple[tuple[StoredBill, ...], tuple[int, ...]]:
        """The rows' bills in their order, as the run stores them, and the premises priced
        from their full history."""
        pricing, chains, previous = self.pricing, self.chains, self.found.previous
        bills: dict[int, StoredBill] = {}
        later: list[sqlite3.Row] = []
        for row in rows:
            bill = _account_bill(row, pricing, chains.get(row["premise_id"], ()),
                                 previous.get(row["id"]))
            if bill is None:
                later.append(row)
            else:
                bills[row["id"]] = bill
        wide = sorted({row["premise_id"] for row in later})
        if later:
            fill_premises(self.conn, wide)
            full = load_chains(self.conn, *history_window(pricing.dates))
            for row in later:
                bills[row["id"]] = _account_bill(row, pricing, full.get(row["premise_id"], ()),
                                                 None, full=True) or _unpriced(row)
        return tuple(bills[row["id"]] for row in rows), tuple(wide)


def _unpriced(row: sqlite3.Row) -> StoredBill:
    raise AssertionError(f"account {row['number']} was not priced from its full history")


def _account_bill(row: sqlite3.Row, pricing: _Pricing, chains: tuple[MeterChain, ...],
                  previous: Previous | None, full: bool = False) -> StoredBill | None:
    """The account's outcome from the period's reads and its latest bill's history; None when
    it needs the premise's full read history instead (then `full` chains are given)."""
    (account_id, number, service_type, opened_on, _, kind, units, landscape, size,
     installed_on) = row
    dates, found = pricing.dates, pricing.found

    def unbilled(reason: str, outcome: str = HELD) -> StoredBill:  # held, or excluded
        return (account_id, number, outcome, reason, "", None, None, "0", 0, 0, "", "", ())

    if account_id in found.excluded:
        return unbilled(found.excluded[account_id], EXCLUDED)
    if account_id in found.holds:
        return unbilled(found.holds[account_id])
    rate_class = pricing.rate_class(kind, service_type)
    if isinstance(rate_class, InputError):
        return unbilled(str(rate_class))
    usage_units, estimated = 0, False
    history = reads = ""
    winter: tuple[int, int] | None = None  # the winter periods' total use and count
    if service_type == "flat":  # no meter: the cycle's read-to-read month
        start, end = dates.previous_read_end, dates.read_end
    else:
        if not full and (previous is None or len(chains) != 1):
            return None  # no bill to extend, or a change-out: periods merge across meters
        start_day, end_day = _period_days(chains, dates.previous_read_end, dates.read_end)
        if end_day is None:
            return unbilled(f"missing read: no read for {dates.key} by {dates.read_end}")
        if start_day is None:
            if not full:
                return None  # the start read may be older than the period's window
            return unbilled(f"missing read: no read on or before {dates.previous_read_end} to "
                        "bill from")
        start, end = start_day, end_day
        if full:
            used = period_usage(chains, start, end)
            meters = used.meters
            usage_units, estimated = used.usage, used.estimated
            periods = [(day, use) for day, use in period_uses(chains) if day <= end]
            history = history_text(periods)
            if pricing.winter_classes[rate_class]:
                winter = periods_winter_use(periods, end)
        else:  # one meter, read on both days: its usage extends the last bill's history
            assert previous is not None
            if previous[0] != start:
                return None  # last bill ended elsewhere: its history does not continue here
            part = meter_usage(chains[0], start, end)
            meters = () if part is None else (part,)
            if part is not None:
                usage_units, estimated = part.usage, part.estimated
                history = extend_history(previous[1], end, usage_units)
                if pricing.winter_classes[rate_class]:
                    winter = winter_use(history, end)
        if not meters:
            return unbilled(f"missing read: no meter read between {start} and {end}")
        reads = read_records(meters, pricing.unit)
    opened = pricing.day(opened_on)
    if opened <= start:
        opened = start  # the key below: an account opened before the period is not prorated
    # The service type and install day reach the Service only as its rental start.
    rental = rental_start(service_type, installed_on)
    # The engine is a pure function of these, so equal inputs share one pricing (usage and
    # the winter periods' use keyed in register units, as whole numbers).
    key = (rate_class, size, units, landscape, rental, start, end, opened, usage_units, winter)
    priced = pricing.priced.get(key)
    if priced is None:
        priced = pricing.priced[key] = pricing.price(rate_class, service_type, size, units,
                                                     landscape, installed_on, start, end,
                                                     opened, usage_units, winter)
    if isinstance(priced, InputError):
        return unbilled(f"cannot be priced: {priced}")
    total_cents, lines, period_start, period_end, usage = priced
    if total_cents <= 0:
        return (account_id, number, EXCLUDED,
                f"nothing to bill: the {rate_class} rates came to $0.00", rate_class,
                period_start, period_end, usage, int(estimated), 0, "", "", ())
    return (account_id, number, BILLED, "", rate_class, period_start, period_end, usage,
            int(estimated), total_cents, history, reads, lines)


def _period_days(chains: tuple[MeterChain, ...], previous_end: date, read_end: date
                 ) -> tuple[date | None, date | None]:
    """(the last read day on or before `previous_end`, the last after it by `read_end`) over
    the premise's meters; points are in day order."""
    start = end = None
    for chain in chains:
        for point in chain.points:
            day = point.day
            if day <= previous_end:
                if start is None or day > start:
                    start = day
            elif day <= read_end and (end is None or day > end):
                end = day
    return start, end
