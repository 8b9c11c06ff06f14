"""Ledger storage on a real SQLite file: append-only triggers, reversals, totals, the check."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date

import pytest
from conftest import POSTED_AT, posting

from core.errors import InputError
from core.ledger import Book, EntryType, balance
from db import audit
from db import ledger as ledger_db
from db.transaction import write_transaction

INSERT_ENTRY = (
    "INSERT INTO ledger_entries (account_id, entry_type, book, amount_cents, effective_on,"
    " posted_at, actor, reason_code, comment, reverses_id) VALUES (?, ?, ?, ?, '2026-03-02',"
    " '2026-03-02T10:00:00', 'sql', 'RAW', 'written in raw SQL', ?)")


def post(conn: sqlite3.Connection, account_id: int, kind: EntryType, amount: int,
         book: Book = Book.RECEIVABLE) -> int:
    with write_transaction(conn):
        return ledger_db.post(conn, posting(account_id, kind, amount, book=book),
                              posted_at=POSTED_AT)


def reverse(conn: sqlite3.Connection, entry_id: int,
            entry_type: EntryType | None = None) -> int:
    with write_transaction(conn):
        return ledger_db.reverse(conn, entry_id, actor="jlee", reason_code="ERR",
                                 comment="keyed in error", effective_on=date(2026, 3, 3),
                                 posted_at=POSTED_AT, entry_type=entry_type)


def control(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple[int, int]]:
    return {(r["entry_type"], r["book"]): (r["total_cents"], r["entry_count"])
            for r in conn.execute("SELECT * FROM ledger_control")}


def count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# --- append-only ------------------------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_entries SET amount_cents = 1 WHERE id = ?",
    "UPDATE ledger_entries SET comment = 'edited' WHERE id = ?",
    "DELETE FROM ledger_entries WHERE id = ?",
])
def test_the_database_refuses_to_change_a_ledger_entry(
        conn: sqlite3.Connection, new_account: Callable[..., int], statement: str) -> None:
    entry_id = post(conn, new_account(), EntryType.BILL, 5000)
    with pytest.raises(sqlite3.IntegrityError, match="ledger_entries is append-only"):
        conn.execute(statement, (entry_id,))
    stored = ledger_db.entry(conn, entry_id)
    assert (stored.amount_cents, stored.comment) == (5000, "posted by a test")


def test_the_database_refuses_insert_or_replace_over_a_ledger_entry(
        conn: sqlite3.Connection, new_account: Callable[..., int]) -> None:
    account_id = new_account()
    entry_id = post(conn, account_id, EntryType.BILL, 5000)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(
            "INSERT OR REPLACE INTO ledger_entries (id, account_id, entry_type, amount_cents,"
            " effective_on, posted_at, actor, reason_code, comment) VALUES (?, ?, 'bill', 5,"
            " '2026-03-02', '2026-03-02T10:00:00', 'sql', 'RAW', 'replaced')",
            (entry_id, account_id))
    assert ledger_db.entry(conn, entry_id).amount_cents == 5000
    assert ledger_db.check(conn).ok


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET actor = 'someone else' WHERE id = ?",
    "DELETE FROM audit_log WHERE id = ?",
    ("INSERT OR REPLACE INTO audit_log (id, at, actor, action, object_type, object_id)"
     " VALUES (?, '2026-03-02T10:00:00', 'x', 'erase', 'account', '1')"),
])
def test_the_database_refuses_to_change_the_audit_log(conn: sqlite3.Connection,
                                                      statement: str) -> None:
    row_id = audit.record(conn, at=POSTED_AT, actor="mreyes", action="account.edit",
                          object_type="account", object_id=1, before={"a": 1}, after={"a": 2})
    with pytest.raises(sqlite3.IntegrityError, match="audit_log is append-only"):
        conn.execute(statement, (row_id,))
    (row,) = audit.history(conn, "account", 1)
    assert (row["actor"], row["action"], row["before"], row["after"]) == (
        "mreyes", "account.edit", '{"a": 1}', '{"a": 2}')


def test_account_balances_cannot_be_deleted(conn: sqlite3.Connection,
                                            new_account: Callable[..., int]) -> None:
    post(conn, new_account(), EntryType.BILL, 5000)
    with pytest.raises(sqlite3.IntegrityError, match="derived from the ledger"):
        conn.execute("DELETE FROM account_balances")


# --- reversals in the database ---------------------------------------------------------


def test_reverse_nets_the_account_to_zero(conn: sqlite3.Connection,
                                          new_account: Callable[..., int]) -> None:
    account_id = new_account()
    bill = post(conn, account_id, EntryType.BILL, 5000)
    reversal = reverse(conn, bill)
    assert ledger_db.entry(conn, reversal).reverses_id == bill
    assert ledger_db.balance_of(conn, account_id) == (0, 0)
    assert balance(ledger_db.entries_for(conn, account_id)) == 0


def test_the_trigger_refuses_a_reversal_for_a_different_amount(
        conn: sqlite3.Connection, new_account: Callable[..., int]) -> None:
    account_id = new_account()
    bill = post(conn, account_id, EntryType.BILL, 5000)
    with pytest.raises(sqlite3.IntegrityError, match="net its original to zero"):
        conn.execute(INSERT_ENTRY, (account_id, "bill", "receivable", -4000, bill))
    # The same through post(): core lets a reversal's sign pass, the database does not.
    with pytest.raises(sqlite3.IntegrityError, match="net its original to zero"):
        post_raw_reversal(conn, account_id, bill, -4000)
    assert ledger_db.balance_of(conn, account_id) == (5000, 0)


def post_raw_reversal(conn: sqlite3.Connection, account_id: int, reverses_id: int,
                      amount: int, book: Book = Book.RECEIVABLE) -> int:
    return ledger_db.post(conn, posting(account_id, EntryType.BILL, amount, book=book,
                                        reverses_id=reverses_id), posted_at=POSTED_AT)


def test_the_trigger_refuses_a_reversal_on_another_account(
        conn: sqlite3.Connection, new_account: Callable[..., int]) -> None:
    first, second = new_account("100-0001"), new_account("100-0002")
    bill = post(conn, first, EntryType.BILL, 5000)
    with pytest.raises(sqlite3.IntegrityError, match="same account and book"):
        conn.execute(INSERT_ENTRY, (second, "bill", "receivable", -5000, bill))
    with pytest.raises(sqlite3.IntegrityError, match="same account and book"):
        post_raw_reversal(conn, second, bill, -5000)
    assert ledger_db.balance_of(conn, second) == (0, 0)


def test_the_trigger_refuses_a_reversal_of_a_missing_entry(
        conn: sqlite3.Connection, new_account: Callable[..., int]) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="existing entry"):
        conn.execute(INSERT_ENTRY, (new_account(), "bill", "receivable", -5000, 999))


def test_an_entry_can_be_reversed_only_once(conn: sqlite3.Connection,
                                            new_account: Callable[..., int]) -> None:
    account_id = new_account()
    bill = post(conn, account_id, EntryType.BILL, 5000)
    reverse(conn, bill)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        conn.execute(INSERT_ENTRY, (account_id, "bill", "receivable", -5000, bill))
    with pytest.raises(InputError, match=f"entry {bill} has already been reversed"):
        reverse(conn, bill)
    assert ledger_db.balance_of(conn, account_id) == (0, 0)
    assert count(conn, "ledger_entries") == 2


def test_the_trigger_refuses_reversing_a_reversal(conn: sqlite3.Connection,
                                                  new_account: Callable[..., int]) -> None:
    account_id = new_account()
    bill = post(conn, account_id, EntryType.BILL, 5000)
    reversal = reverse(conn, bill)
    with pytest.raises(sqlite3.IntegrityError, match="cannot itself be reversed"):
        conn.execute(INSERT_ENTRY, (account_id, "bill", "receivable", 5000, reversal))
    with pytest.raises(InputError, match="is itself a reversal"):
        reverse(conn, reversal)
    assert ledger_db.balance_of(conn, account_id) == (0, 0)


def test_a_returned_payment_reverses_a_payment(conn: sqlite3.Connection,
                                               new_account: Callable[..., int]) -> None:
    account_id = new_account()
    post(conn, account_id, EntryType.BILL, 5000)
    payment = post(conn, account_id, EntryType.PAYMENT, -5000)
    returned = reverse(conn, payment, EntryType.RETURNED_PAYMENT)
    stored = ledger_db.entry(conn, returned)
    assert (stored.entry_type, stored.amount_cents, stored.reverses_id) == (
        EntryType.RETURNED_PAYMENT, 5000, payment)
    assert ledger_db.balance_of(conn, account_id) == (5000, 0)


def test_a_failed_write_leaves_nothing_behind(conn: sqlite3.Connection,
                                              new_account: Callable[..., int]) -> None:
    account_id = new_account()
    with pytest.raises(sqlite3.IntegrityError), write_transaction(conn):
        ledger_db.post(conn, posting(account_id, EntryType.BILL, 5000), posted_at=POSTED_AT)
        post_raw_reversal(conn, account_id, 1, -1)
    assert count(conn, "ledger_entries") == 0
    assert ledger_db.balance_of(conn, account_id) == (0, 0)
    assert control(conn) == {}


# --- post() refusals ----------------------------------------------------------------------


def test_posting_to_an_unknown_account_names_the_account(conn: sqlite3.Connection) -> None:
    with pytest.raises(InputError, match="account 4242 does not exist") as refused:
        post(conn, 4242, EntryType.BILL, 5000)
    assert refused.value.problems[0].field == "account"
    assert count(conn, "ledger_entries") == 0


def test_post_validates_before_writing(conn: sqlite3.Connection,
                                       new_account: Callable[..., int]) -> None:
    with pytest.raises(InputError, match="cannot be a charge"):
        post(conn, new_account(), EntryType.PAYMENT, 5000)
    assert count(conn, "ledger_entries") == 0


def test_reading_a_missing_entry_names_it(conn: sqlite3.Connection) -> None:
    with pytest.raises(InputError, match="ledger entry 77 does not exist"):
        ledger_db.entry(conn, 77)


# --- totals follow every insert -----------------------------------------------------------


def test_balances_and_control_totals_follow_every_insert(
        conn: sqlite3.Connection, new_account: Callable[..., int]) -> None:
    first, second = new_account("100-0001"), new_account("100-0002")
    steps = [
        (first, EntryType.BILL, 5000, Book.RECEIVABLE),
        (first, EntryType.DEPOSIT, 15000, Book.DEPOSIT),
        (second, EntryType.BILL, 2500, Book.RECEIVABLE),
        (first, EntryType.PAYMENT, -2000, Book.RECEIVABLE),
        (second, EntryType.LATE_FEE, 1000, Book.RECEIVABLE),
        (first, EntryType.DEPOSIT_APPLIED, -3000, Book.DEPOSIT),
        (first, EntryType.DEPOSIT_APPLIED, -3000, Book.RECEIVABLE),
    ]
    expected = {first: [0, 0], second: [0, 0]}
    totals: dict[tuple[str, str], list[int]] = {}
    for account_id, kind, amount, book in steps:
        post(conn, account_id, kind, amount, book)
        expected[account_id][0 if book == Book.RECEIVABLE else 1] += amount
        totals.setdefault((kind.value, book.value), [0, 0])
        totals[(kind.value, book.value)][0] += amount
        totals[(kind.value, book.value)][1] += 1
        for acct, (owed, held) in expected.items():
            assert ledger_db.balance_of(conn, acct) == (owed, held)
        assert control(conn) == {k: tuple(v) for k, v in totals.items()}
        assert ledger_db.check(conn).ok
    assert expected == {first: [0, 12000], second: [3500, 0]}
    result = ledger_db.check(conn)
    assert (result.accounts_checked, result.entries_checked) == (2, 7)
    assert (result.receivable_cents, result.deposit_cents) == (3500, 12000)


def test_entries_for_reads_back_what_was_posted_oldest_first(
        conn: sqlite3.Connection, new_account: Callable[..., int]) -> None:
    account_id = new_account()
    with write_transaction(conn):
        later = ledger_db.post(conn, posting(account_id, EntryType.PAYMENT, -100,
                                             effective_on=date(2026, 3, 9)), posted_at=POSTED_AT)
        earlier = ledger_db.post(conn, posting(account_id, EntryType.BILL, 900,
                                               effective_on=date(2026, 3, 1)), posted_at=POSTED_AT)
    entries = ledger_db.entries_for(conn, account_id)
    assert [e.id for e in entries] == [earlier, later]
    assert entries[0] == ledger_db.entry(conn, earlier)
    assert (entries[0].entry_type, entries[0].book, entries[0].actor, entries[0].posted_at) == (
        EntryType.BILL, Book.RECEIVABLE, "mreyes", POSTED_AT)


def test_balance_of_an_account_without_entries_is_zero(
        conn: sqlite3.Connection, new_account: Callable[..., int]) -> None:
    assert ledger_db.balance_of(conn, new_account()) == (0, 0)


# --- the check ------------------------------------------------------------------------------


def test_check_is_ok_on_a_good_ledger(conn: sqlite3.Connection,
                                      new_account: Callable[..., int]) -> None:
    first, second = new_account("100-0001"), new_account("100-0002")
    bill = post(conn, first, EntryType.BILL, 5000)
    reverse(conn, bill)
    post(conn, second, EntryType.BILL, 4200)
    post(conn, second, EntryType.PAYMENT, -1200)
    result = ledger_db.check(conn)
    assert result.ok, result.problems
    assert (result.accounts_checked, result.entries_checked, result.receivable_cents) == (
        2, 4, 3000)


def test_check_on_an_empty_database_is_ok(conn: sqlite3.Connection) -> None:
    assert ledger_db.check(conn).ok


def test_check_names_the_account_whose_balance_was_tampered_with(
        conn: sqlite3.Connection, new_account: Callable[..., int]) -> None:
    first, second = new_account("100-0001"), new_account("100-0002")
    post(conn, first, EntryType.BILL, 5000)
    post(conn, second, EntryType.BILL, 4200)
    conn.execute("UPDATE account_balances SET balance_cents = balance_cents + 1"
                 " WHERE account_id = ?", (second,))
    result = ledger_db.check(conn)
    assert not result.ok
    assert any("100-0002" in problem and "4201" in problem and "4200" in problem
               for problem in result.problems), result.problems
    assert not any("100-0001" in problem for problem in result.problems)


def test_check_names_a_tampered_deposit_and_an_account_with_no_entries(
        conn: sqlite3.Connection, new_account: Callable[..., int]) -> None:
    held, empty = new_account("100-0001"), new_account("100-0002")
    post(conn, held, EntryType.DEPOSIT, 15000, Book.DEPOSIT)
    conn.execute("UPDATE account_balances SET deposit_cents = 0 WHERE account_id = ?", (held,))
    conn.execute("INSERT INTO account_balances (account_id, balance_cents) VALUES (?, 99)",
                 (empty,))
    problems = ledger_db.check(conn).problems
    assert any("100-0001" in p for p in problems), problems
    assert any("100-0002" in p for p in problems), problems


def test_check_notices_tampered_control_totals(conn: sqlite3.Connection,
                                               new_account: Callable[..., int]) -> None:
    post(conn, new_account(), EntryType.BILL, 5000)
    conn.execute("UPDATE ledger_control SET entry_count = entry_count + 1")
    problems = ledger_db.check(conn).problems
    assert len(problems) == 1 and "control totals" in problems[0]


def test_a_bulk_range_covers_only_new_entries_and_check_reports_one_left_open(
        conn: sqlite3.Connection, new_account: Callable[..., int]) -> None:
    """Migration 0013: entries inside a bulk posting range skip the per-entry totals, so a
    range can never cover an entry already posted, and one left behind is a problem."""
    account = new_account()
    first = post(conn, account, EntryType.BILL, 5000)
    with pytest.raises(sqlite3.IntegrityError, match="not yet posted"):
        conn.execute("INSERT INTO ledger_bulk_postings VALUES (?, ?)", (first, first + 5))
    conn.execute("INSERT INTO ledger_bulk_postings VALUES (?, ?)", (first + 1, first + 1))
    post(conn, account, EntryType.BILL, 700)  # inside the range: no totals
    problems = ledger_db.check(conn).problems
    assert any("left open" in p for p in problems), problems
    assert any("100-0001" in p for p in problems), problems
