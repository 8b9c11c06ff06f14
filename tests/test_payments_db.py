"""Payment posting on a real database: manual batches, lockbox files, suspense; always balanced."""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from core.errors import ConflictError, InputError
from core.payments import parse_payment_line
from db.connection import open_database
from db.ledger import balance_of, check
from db.lockbox_import import import_lockbox
from db.payment_batches import (
    batch_lines,
    batch_totals,
    close_batch,
    open_batch,
    post_payment,
    set_control_total,
    void_payment,
)
from db.payment_suspense import resolve_suspense, suspense_items
from fixtures.demo_lockbox import lockbox_rows, write_lockbox
from tests.conftest import open_new_database
from tests.payments_support import AT, TODAY, small_district


def counts(conn: sqlite3.Connection) -> tuple[int, ...]:
    return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("ledger_entries", "payments", "payment_suspense", "payment_batches"))


def test_a_manual_batch_posts_as_keyed_balances_and_closes(conn: sqlite3.Connection) -> None:
    ids = small_district(conn)
    batch = open_batch(conn, control_total_cents=20000, deposit_date=TODAY, actor="clerk1", at=AT)
    posted = post_payment(conn, batch.id, parse_payment_line("100-0001", "120.00", "k", "501"),
                          actor="clerk1", at=AT, today=TODAY)
    assert posted.customer_name == "Customer 1" and "pays 1 in full and part of 1" in \
        posted.allocation
    assert balance_of(conn, ids[0])[0] == 6 * 8000 - 12000
    with pytest.raises(InputError, match="does not balance"):
        close_batch(conn, batch.id, actor="clerk1", at=AT)
    post_payment(conn, batch.id, parse_payment_line("100-0002", "80", "cash", ""),
                 actor="clerk1", at=AT, today=TODAY)
    totals = close_batch(conn, batch.id, actor="clerk1", at=AT)
    assert totals.balanced and totals.posted_count == 2
    with pytest.raises(ConflictError, match="closed"):
        post_payment(conn, batch.id, parse_payment_line("100-0001", "1", "cash", ""),
                     actor="clerk1", at=AT, today=TODAY)
    assert check(conn).ok


def test_bad_entries_change_nothing_and_say_why(conn: sqlite3.Connection) -> None:
    small_district(conn)
    batch = open_batch(conn, control_total_cents=5000, deposit_date=TODAY, actor="clerk1", at=AT)
    post_payment(conn, batch.id, parse_payment_line("100-0001", "25", "check", "9"),
                 actor="clerk1", at=AT, today=TODAY)
    before = counts(conn)
    with pytest.raises(InputError, match="duplicate check number"):
        post_payment(conn, batch.id, parse_payment_line("100-0001", "25", "check", "009"),
                     actor="clerk1", at=AT, today=TODAY)
    with pytest.raises(InputError, match="there is no account '555-5555'"):
        post_payment(conn, batch.id, parse_payment_line("555-5555", "25", "cash", ""),
                     actor="clerk1", at=AT, today=TODAY)
    for amount in ("2S.00", "-25"):
        with pytest.raises(InputError, match="amount"):
            parse_payment_line("100-0001", amount, "cash", "")
    assert counts(conn) == before
    # The same check number from another customer is another check.
    post_payment(conn, batch.id, parse_payment_line("100-0002", "25", "check", "9"),
                 actor="clerk1", at=AT, today=TODAY)
    assert batch_totals(conn, batch.id).balanced and check(conn).ok


def test_void_reverses_a_keyed_mistake_and_the_control_total_can_be_corrected(
        conn: sqlite3.Connection) -> None:
    ids = small_district(conn)
    batch = open_batch(conn, control_total_cents=1000, deposit_date=TODAY, actor="clerk1", at=AT)
    posted = post_payment(conn, batch.id, parse_payment_line("100-0001", "100", "cash", ""),
                          actor="clerk1", at=AT, today=TODAY)
    void_payment(conn, posted.payment_id, actor="clerk1", comment="wrong amount", at=AT,
                 today=TODAY)
    assert balance_of(conn, ids[0])[0] == 6 * 8000
    assert [line.status for line in batch_lines(conn, batch.id)] == ["VOIDED"]
    post_payment(conn, batch.id, parse_payment_line("100-0001", "10.50", "cash", ""),
                 actor="clerk1", at=AT, today=TODAY)
    set_control_total(conn, batch.id, 1050, actor="clerk1", at=AT)
    assert close_batch(conn, batch.id, actor="clerk1", at=AT).balanced
    assert check(conn).ok


def test_cash_only_accounts_cannot_pay_by_check(conn: sqlite3.Connection) -> None:
    ids = small_district(conn)
    conn.execute("INSERT INTO account_flags (account_id, flag, reason, author, set_on, expires_on)"
                 " VALUES (?, 'CASH ONLY', 'two returns', 'clerk1', '2026-10-01', '2027-10-01')",
                 (ids[0],))
    batch = open_batch(conn, control_total_cents=5000, deposit_date=TODAY, actor="clerk1", at=AT)
    with pytest.raises(InputError, match="CASH ONLY until 2027-10-01"):
        post_payment(conn, batch.id, parse_payment_line("100-0001", "50", "check", "1"),
                     actor="clerk1", at=AT, today=TODAY)
    post_payment(conn, batch.id, parse_payment_line("100-0001", "50", "money_order", ""),
                 actor="clerk1", at=AT, today=TODAY)


def _file(tmp_path: Path, name: str = "lbx.csv", unknown: int = 2, count: int = 3) -> Path:
    accounts = [(f"100-{n:04d}", 8000) for n in range(1, 4)]
    return write_lockbox(tmp_path / name, lockbox_rows(accounts, count, deposit=TODAY,
                                                       unknown=unknown))


def test_a_lockbox_file_posts_once_with_unknown_accounts_in_suspense(
        conn: sqlite3.Connection, tmp_path: Path) -> None:
    small_district(conn)
    path = _file(tmp_path)
    result = import_lockbox(conn, path, actor="clerk1", at=AT, today=TODAY)
    assert (result.posted, result.suspense) == (3, 2) and not result.already_posted
    before = counts(conn)
    again = import_lockbox(conn, path, actor="clerk2", at=AT, today=TODAY)
    assert again.already_posted and again.batch_id == result.batch_id and counts(conn) == before
    items = suspense_items(conn)
    assert items[0].reason.startswith("no account 999")
    entry_id, _ = resolve_suspense(conn, items[0].id, "100-0003", actor="clerk1",
                                   comment="payer called", at=AT, today=TODAY)
    assert entry_id and len(suspense_items(conn)) == 1
    with pytest.raises(ConflictError, match="already posted"):
        resolve_suspense(conn, items[0].id, "100-0002", actor="clerk1", comment="again",
                         at=AT, today=TODAY)
    assert batch_totals(conn, result.batch_id).balanced and check(conn).ok


def test_a_bad_lockbox_file_changes_nothing(conn: sqlite3.Connection, tmp_path: Path) -> None:
    small_district(conn)
    path = _file(tmp_path)
    lines = path.read_text().splitlines()
    fields = lines[2].split(",")
    fields[6] = "80O0"  # a letter O in the amount
    lines[2] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    before = counts(conn)
    with pytest.raises(InputError) as caught:
        import_lockbox(conn, path, actor="clerk1", at=AT, today=TODAY)
    assert caught.value.problems[0].line == 3
    assert caught.value.problems[0].field == "amount_paid_cents"
    assert counts(conn) == before


def test_two_clerks_importing_the_same_file_at_once_post_it_once(tmp_path: Path) -> None:
    path = tmp_path / "district.db"
    first = open_new_database(path)
    small_district(first)
    first.close()
    lockbox = _file(tmp_path, count=3, unknown=0)
    results = []

    def run(login: str) -> None:
        conn = open_database(path)
        try:
            results.append(import_lockbox(conn, lockbox, actor=login, at=AT, today=TODAY))
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(f"clerk{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.already_posted for r in results) == [False, True]
    conn = open_database(path)
    assert conn.execute("SELECT count(*) FROM payments").fetchone()[0] == 3
    assert check(conn).ok
    conn.close()


def test_ledger_check_names_a_batch_that_does_not_add_up(conn: sqlite3.Connection,
                                                          tmp_path: Path) -> None:
    from db.payment_checks import batch_problems

    small_district(conn)
    result = import_lockbox(conn, _file(tmp_path), actor="clerk1", at=AT, today=TODAY)
    batch = open_batch(conn, control_total_cents=500, deposit_date=TODAY, actor="clerk1", at=AT)
    post_payment(conn, batch.id, parse_payment_line("100-0001", "5", "cash", ""),
                 actor="clerk1", at=AT, today=TODAY)
    close_batch(conn, batch.id, actor="clerk1", at=AT)
    assert batch_problems(conn) == []
    conn.execute("INSERT INTO payment_suspense (batch_id, source_line, account_text,"
                 " amount_cents, received_on, reason) VALUES (?, 99, 'x', 100, ?, 'tampered')",
                 (result.batch_id, TODAY.isoformat()))
    problems = batch_problems(conn)
    assert len(problems) == 1 and f"payment batch {result.batch_id} (lockbox)" in problems[0]
