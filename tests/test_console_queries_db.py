"""The small queries the screens and commands ask of db/: account and cycle look-ups, the run's
bills paged by keyset, a bill for the explanation pane, a list row's place, a batch's items."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from db.accounts import account_id, customer_id_of
from db.billing_run import bill_lines, count_run_bills, run_bill, run_bill_page
from db.lockoff import entries_before
from db.rates import load_rate_book
from db.schedule import cycle_exists, last_cycle_id
from db.write_offs import batch_items
from tests.billing_support import AT, NOV, SUPER, opened_copy
from tests.conftest import add_account


def test_an_account_id_and_its_customer_by_number(
        conn: sqlite3.Connection, new_account: Callable[..., int]) -> None:
    first, second = new_account("100-0001"), new_account("100-0002")
    assert (account_id(conn, "100-0001"), account_id(conn, "100-0002")) == (first, second)
    assert account_id(conn, "100-9999") is None
    customer = conn.execute("SELECT customer_id FROM accounts WHERE id = ?",
                            (second,)).fetchone()[0]
    assert customer_id_of(conn, "100-0002") == customer
    assert customer_id_of(conn, "100-9999") is None
    assert customer_id_of(conn, " 100-0002") is None     # the caller strips what was typed


def test_cycles_exist_and_the_last_one(conn: sqlite3.Connection) -> None:
    assert last_cycle_id(conn) is None
    assert not cycle_exists(conn, 1)
    conn.executemany("INSERT INTO cycles (id, name, read_day) VALUES (?, ?, ?)",
                     [(1, "Cycle 1", 5), (4, "Cycle 4", 12)])
    assert last_cycle_id(conn) == 4
    assert (cycle_exists(conn, 1), cycle_exists(conn, 2), cycle_exists(conn, 4)) == (
        True, False, True)


def test_the_runs_bills_page_by_keyset_in_account_order(
        november_source: Path, tmp_path: Path) -> None:
    from db.billing_run import draft_run, stored_bills

    with opened_copy(november_source, tmp_path) as conn:
        run, _ = draft_run(conn, 3, NOV, load_rate_book(conn), user=SUPER, at=AT)
        everything = stored_bills(conn, run.id)
        assert count_run_bills(conn, run.id) == len(everything) > 10
        assert count_run_bills(conn, run.id + 1) == 0
        first = run_bill_page(conn, run.id, after=None, offset=0, limit=4)
        assert [tuple(r) for r in first] == [
            (r["id"], r["number"], r["outcome"], r["usage_hcf"], r["total_cents"],
             r["rate_class"], r["reason"]) for r in everything[:4]]
        by_key = run_bill_page(conn, run.id, after=first[-1]["number"], offset=0, limit=4)
        by_offset = run_bill_page(conn, run.id, after=None, offset=4, limit=4)
        assert [tuple(r) for r in by_key] == [tuple(r) for r in by_offset]
        assert [r["number"] for r in by_key] == [r["number"] for r in everything[4:8]]
        last = run_bill_page(conn, run.id, after=everything[-1]["number"], offset=0, limit=4)
        assert last == []

        billed = next(r for r in everything if r["outcome"] == "billed")
        bill = run_bill(conn, run.id, billed["number"])
        assert bill is not None and bill["id"] == billed["id"]
        lines = bill_lines(conn, bill["id"])
        assert lines and [r["seq"] for r in lines] == sorted(r["seq"] for r in lines)
        assert all(r["explanation"] for r in lines)
        assert run_bill(conn, run.id, "999-9999") is None
        assert run_bill(conn, run.id + 1, billed["number"]) is None


def test_a_list_rows_place_counts_the_rows_sorted_before_it(conn: sqlite3.Connection) -> None:
    ids = [add_account(conn, f"100-000{n}") for n in range(4)]
    made = conn.execute("INSERT INTO lockoff_lists (lockoff_on, made_by, made_at, candidates,"
                        " eligible) VALUES ('2026-10-06', 'clerk1', ?, 4, 2)", (AT,)).lastrowid
    other = conn.execute("INSERT INTO lockoff_lists (lockoff_on, made_by, made_at, candidates,"
                         " eligible) VALUES ('2026-10-07', 'clerk1', ?, 1, 1)", (AT,)).lastrowid
    rows = [(made, ids[0], "0|100-0000"), (made, ids[1], "1|100-0001"),
            (made, ids[2], "0|100-0002"), (made, ids[3], "1|100-0003"),
            (other, ids[0], "0|100-0000")]
    conn.executemany("INSERT INTO lockoff_list_entries (list_id, account_id, sort_key, number,"
                     " name, address, service_class, past_due_cents, days_past_due, eligible,"
                     " blocked_by, gates) VALUES (?, ?, ?, '', '', '', 'residential', 0, 0, 0,"
                     " '', '[]')", rows)
    assert [entries_before(conn, made, key) for key in
            ("0|100-0000", "0|100-0002", "1|100-0001", "1|100-0003")] == [0, 1, 2, 3]
    assert entries_before(conn, other, "1|100-0003") == 1


def test_a_batchs_items_in_account_order(conn: sqlite3.Connection) -> None:
    ids = {number: add_account(conn, number) for number in ("100-0003", "100-0001", "100-0002")}
    made = conn.execute("INSERT INTO lockoff_lists (lockoff_on, made_by, made_at, candidates,"
                        " eligible) VALUES ('2026-01-05', 'clerk1', ?, 3, 3)", (AT,)).lastrowid
    batches = [conn.execute("INSERT INTO write_off_batches (made_on, made_by, made_at) VALUES"
                            " ('2026-07-24', 'clerk1', ?)", (AT,)).lastrowid for _ in range(2)]
    for n, (number, account) in enumerate(ids.items()):
        order = conn.execute("INSERT INTO lockoff_orders (list_id, account_id, lockoff_on,"
                             " service_class, created_by, created_at) VALUES (?, ?,"
                             " '2026-01-05', 'residential', 'clerk1', ?)",
                             (made, account, AT)).lastrowid
        shutoff = conn.execute("INSERT INTO shutoff_log (order_id, account_id, service_class,"
                               " locked_on, past_due_cents, logged_by, logged_at) VALUES"
                               " (?, ?, 'residential', '2026-01-05', 100, 'crew1', ?)",
                               (order, account, AT)).lastrowid
        batch = batches[1] if number == "100-0002" else batches[0]
        conn.execute("INSERT INTO write_off_items (batch_id, shutoff_id, account_id,"
                     " balance_cents, reason) VALUES (?, ?, ?, ?, ?)",
                     (batch, shutoff, account, 1000 * (n + 1), f"off since {number}"))
    assert [tuple(r) for r in batch_items(conn, batches[0])] == [
        ("100-0001", 2000, "off since 100-0001"), ("100-0003", 1000, "off since 100-0003")]
    assert [tuple(r) for r in batch_items(conn, batches[1])] == [
        ("100-0002", 3000, "off since 100-0002")]
    assert batch_items(conn, 99) == []
