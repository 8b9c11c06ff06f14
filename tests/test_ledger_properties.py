"""Properties that must hold for any ledger: balances are the sum of entries, always.

The stateful test posts random entries, reversals and billing runs' bills in bulk over several
accounts of a real SQLite file, tries the refused moves too, and after every step proves each
balance, the district totals, the control totals and `db.ledger.check()` against a
plain-Python model.
"""
from __future__ import annotations

import shutil
import sqlite3
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import add_account, open_new_database
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from core.errors import InputError
from core.ledger import (
    SIGNS,
    Book,
    EntryType,
    LedgerEntry,
    Posting,
    aging,
    balance,
    running_balances,
)
from db import ledger as ledger_db
from db.billing_post import post_bills
from db.transaction import write_transaction

TODAY = date(2026, 6, 30)
ACCOUNTS = ("100-0001", "100-0002", "100-0003")
KINDS = sorted((kind, book, sign) for (kind, book), signs in SIGNS.items() for sign in signs)
dates = st.dates(min_value=date(2025, 1, 1), max_value=TODAY)
amounts = st.integers(min_value=1, max_value=10_000_000)


class LedgerMachine(RuleBasedStateMachine):
    """Random postings and reversals against a fresh district database."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="meterline-ledger-"))
        self.conn = open_new_database(self.folder / "district.db")
        self.account_ids = [add_account(self.conn, number) for number in ACCOUNTS]
        self.expected = {account_id: {Book.RECEIVABLE: 0, Book.DEPOSIT: 0}
                         for account_id in self.account_ids}
        self.entry_count = 0
        self.open_originals: list[int] = []  # originals not yet reversed
        self.reversed_originals: list[int] = []
        self.reversals: list[int] = []
        self.runs = 0
        self.conn.execute("INSERT INTO cycles (id, name, read_day) VALUES (1, 'Cycle 1', 5)")

    def teardown(self) -> None:
        self.conn.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _record(self, entry_id: int) -> None:
        stored = ledger_db.entry(self.conn, entry_id)
        self.expected[stored.account_id][stored.book] += stored.amount_cents
        self.entry_count += 1

    @initialize(bills=st.lists(amounts, min_size=len(ACCOUNTS), max_size=len(ACCOUNTS)),
                billed_on=dates)
    def bill_every_account(self, bills: list[int], billed_on: date) -> None:
        for account, amount in enumerate(bills):
            self.post_an_entry(account, (EntryType.BILL, Book.RECEIVABLE, 1), amount, billed_on)

    @rule(account=st.sampled_from(range(len(ACCOUNTS))), kind=st.sampled_from(KINDS),
          amount=amounts, effective_on=dates)
    def post_an_entry(self, account: int, kind: tuple[EntryType, Book, int], amount: int,
                      effective_on: date) -> None:
        entry_type, book, sign = kind
        posting = Posting(account_id=self.account_ids[account], entry_type=entry_type,
                          amount_cents=sign * amount, effective_on=effective_on,
                          actor="mreyes", reason_code="PROP", comment="property test",
                          book=book)
        with write_transaction(self.conn):
            entry_id = ledger_db.post(self.conn, posting, posted_at="2026-06-30T09:00:00")
        self._record(entry_id)
        self.open_originals.append(entry_id)

    @rule(billed=st.lists(st.tuples(st.sampled_from(range(len(ACCOUNTS))), amounts),
                          max_size=len(ACCOUNTS), unique_by=lambda bill: bill[0]),
          billed_on=dates)
    def post_a_runs_bills_in_bulk(self, billed: list[tuple[int, int]],
                                  billed_on: date) -> None:
        """A billing run's bills posted as the freeze posts them (db.billing_post): the
        balances and control totals added set-based, the other accounts held."""
        self.runs += 1
        with write_transaction(self.conn):
            run_id = self.conn.execute(
                "INSERT INTO billing_runs (cycle_id, month, status, bill_date, due_date,"
                " rate_folder, fingerprint, drafted_by, drafted_at) VALUES (1, ?, 'approved',"
                " ?, ?, 'rates', 'x', 'mreyes', 'now')",
                (f"{2000 + self.runs // 12}-{self.runs % 12 + 1:02d}", billed_on.isoformat(),
                 billed_on.isoformat())).lastrowid
            amounts_by_account = dict(billed)
            for account, account_id in enumerate(self.account_ids):
                amount = amounts_by_account.get(account)
                self.conn.execute(
                    "INSERT INTO bill_rows (run_id, account_id, outcome, reason, rate_class,"
                    " period_start, period_end, usage_hcf, total_cents) VALUES (?, ?, ?, ?,"
                    " 'residential', '2025-01-01', '2025-02-01', '12', ?)",
                    (run_id, account_id, "held" if amount is None else "billed",
                     "high read" if amount is None else "", amount or 0))
            posted = post_bills(self.conn, run_id, bill_on=billed_on,
                                due_on=billed_on + timedelta(days=20), actor="mreyes",
                                at="2026-06-30T11:00:00")
        assert posted == (len(billed), sum(amount for _, amount in billed))
        assert self.conn.execute("SELECT count(*) FROM ledger_bulk_postings").fetchone()[0] == 0
        for (entry_id,) in self.conn.execute(
                "SELECT l.entry_id FROM bill_rows b JOIN bill_entries l ON l.bill_id = b.id"
                " WHERE b.run_id = ? ORDER BY l.entry_id", (run_id,)).fetchall():
            self._record(entry_id)
            self.open_originals.append(entry_id)

    @precondition(lambda self: self.open_originals)
    @rule(data=st.data(), returned=st.booleans(), after_days=st.integers(0, 60))
    def reverse_an_entry(self, data: st.DataObject, returned: bool, after_days: int) -> None:
        original_id = data.draw(st.sampled_from(self.open_originals), label="original")
        original = ledger_db.entry(self.conn, original_id)
        entry_type = (EntryType.RETURNED_PAYMENT
                      if returned and original.entry_type == EntryType.PAYMENT else None)
        with write_transaction(self.conn):
            reversal_id = ledger_db.reverse(
                self.conn, original_id, actor="jlee", reason_code="ERR", comment="reversed",
                effective_on=original.effective_on + timedelta(days=after_days),
                posted_at="2026-06-30T10:00:00", entry_type=entry_type)
        self._record(reversal_id)
        self.open_originals.remove(original_id)
        self.reversed_originals.append(original_id)
        self.reversals.append(reversal_id)

    @precondition(lambda self: self.reversed_originals)
    @rule(data=st.data())
    def reversing_twice_is_refused(self, data: st.DataObject) -> None:
        original_id = data.draw(st.sampled_from(self.reversed_originals), label="original")
        with pytest.raises(InputError, match="already been reversed"), \
                write_transaction(self.conn):
            ledger_db.reverse(self.conn, original_id, actor="jlee", reason_code="ERR",
                              comment="again", effective_on=TODAY, posted_at="x")

    @precondition(lambda self: self.reversals)
    @rule(data=st.data())
    def reversing_a_reversal_is_refused(self, data: st.DataObject) -> None:
        reversal_id = data.draw(st.sampled_from(self.reversals), label="reversal")
        with pytest.raises(InputError, match="itself a reversal"), write_transaction(self.conn):
            ledger_db.reverse(self.conn, reversal_id, actor="jlee", reason_code="ERR",
                              comment="again", effective_on=TODAY, posted_at="x")
        reversal = ledger_db.entry(self.conn, reversal_id)
        with pytest.raises(sqlite3.IntegrityError, match="cannot itself be reversed"):
            self.conn.execute(
                "INSERT INTO ledger_entries (account_id, entry_type, book, amount_cents,"
                " effective_on, posted_at, actor, reason_code, comment, reverses_id)"
                " VALUES (?, ?, ?, ?, '2026-06-30', 'x', 'sql', 'RAW', 'raw', ?)",
                (reversal.account_id, str(reversal.entry_type), str(reversal.book),
                 -reversal.amount_cents, reversal_id))

    @invariant()
    def every_account_balance_is_the_sum_of_its_entries(self) -> None:
        for account_id, expected in self.expected.items():
            entries = ledger_db.entries_for(self.conn, account_id)
            owed, held = expected[Book.RECEIVABLE], expected[Book.DEPOSIT]
            assert ledger_db.balance_of(self.conn, account_id) == (owed, held)
            assert balance(entries) == owed
            assert balance(entries, Book.DEPOSIT) == held
            assert aging(entries, TODAY).total == owed
            rows = running_balances(entries)
            assert (rows[-1][1] if rows else 0) == owed

    @invariant()
    def district_totals_agree(self) -> None:
        owed = sum(e[Book.RECEIVABLE] for e in self.expected.values())
        held = sum(e[Book.DEPOSIT] for e in self.expected.values())
        balances = self.conn.execute(
            "SELECT COALESCE(SUM(balance_cents), 0), COALESCE(SUM(deposit_cents), 0)"
            " FROM account_balances").fetchone()
        assert tuple(balances) == (owed, held)
        control = self.conn.execute(
            "SELECT book, SUM(total_cents), SUM(entry_count) FROM ledger_control GROUP BY book"
        ).fetchall()
        by_book = {row[0]: (row[1], row[2]) for row in control}
        assert by_book.get("receivable", (0, 0))[0] == owed
        assert by_book.get("deposit", (0, 0))[0] == held
        assert sum(count for _, count in by_book.values()) == self.entry_count
        result = ledger_db.check(self.conn)
        assert result.ok, result.problems
        assert (result.receivable_cents, result.deposit_cents, result.entries_checked) == (
            owed, held, self.entry_count)


LedgerMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=20,
                                           deadline=None)
TestLedgerStaysBalanced = LedgerMachine.TestCase


# --- core only ----------------------------------------------------------------------------


@st.composite
def ledger_entries(draw: st.DrawFn) -> list[LedgerEntry]:
    """Any list of entries: mixed books, both signs, any order, repeated dates."""
    count = draw(st.integers(min_value=0, max_value=30))
    entries = []
    for entry_id in range(1, count + 1):
        entries.append(LedgerEntry(
            account_id=1,
            entry_type=draw(st.sampled_from(list(EntryType))),
            amount_cents=draw(st.sampled_from([1, -1])) * draw(st.integers(1, 10**9)),
            effective_on=draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))),
            actor="a", reason_code="r", comment="c",
            book=draw(st.sampled_from(list(Book))), id=entry_id))
    return draw(st.permutations(entries))


@settings(max_examples=100, deadline=None)
@given(entries=ledger_entries(), today=st.dates(min_value=date(2025, 1, 1),
                                                max_value=date(2027, 6, 30)))
def test_aging_total_equals_balance_for_any_entries(entries: list[LedgerEntry],
                                                    today: date) -> None:
    aged = aging(entries, today)
    assert aged.total == balance(entries)
    assert min(aged.current, aged.d30, aged.d60, aged.d90) >= 0
    assert aged.credit <= 0
    assert aged.credit == 0 or aged.current == aged.d30 == aged.d60 == aged.d90 == 0


@settings(max_examples=100, deadline=None)
@given(entries=ledger_entries())
def test_running_balance_ends_at_the_balance(entries: list[LedgerEntry]) -> None:
    rows = running_balances(entries)
    assert len(rows) == sum(1 for e in entries if e.book == Book.RECEIVABLE)
    assert (rows[-1][1] if rows else 0) == balance(entries)
    afters = [after for _, after in rows]
    steps = [after - before for before, after in zip([0, *afters], afters, strict=False)]
    assert steps == [entry.amount_cents for entry, _ in rows]
