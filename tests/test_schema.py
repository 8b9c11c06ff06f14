"""Opening the database: clear refusals, migrations by user_version, pragmas, STRICT tables."""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import add_account

from db.connection import (
    BUSY_TIMEOUT_MS,
    PAGE_BYTES,
    DatabaseError,
    _statements,
    migrations,
    open_database,
    schema_version,
)


def make_foreign_sqlite_file(path: Path, user_version: int = 0) -> None:
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    other.execute(f"PRAGMA user_version = {user_version}")
    other.commit()
    other.close()


def tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name")]


# --- refusals ----------------------------------------------------------------------------


def test_a_missing_file_points_at_meterline_demo(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "district.db"
    with pytest.raises(DatabaseError, match="`meterline demo --db") as refused:
        open_database(path)
    assert str(path) in str(refused.value)
    assert not path.exists() and not path.parent.exists()


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="is a folder"):
        open_database(tmp_path)


def test_a_garbage_file_is_refused_in_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "district.db"
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    with pytest.raises(DatabaseError, match="cannot be read as a Meterline database") as refused:
        open_database(path)
    assert not isinstance(refused.value, sqlite3.Error)  # the console shows it, no traceback
    assert str(path) in str(refused.value)
    assert path.read_bytes() == garbage


def test_an_empty_file_is_refused_unless_creating(tmp_path: Path) -> None:
    path = tmp_path / "district.db"
    path.touch()
    with pytest.raises(DatabaseError, match=r"is empty.*meterline demo"):
        open_database(path)
    assert path.stat().st_size == 0
    open_database(path, create=True).close()
    open_database(path).close()


def test_another_programs_sqlite_file_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "places.sqlite"
    make_foreign_sqlite_file(path)
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="is a SQLite file but not a Meterline database"):
        open_database(path)
    with pytest.raises(DatabaseError, match="not a Meterline database"):
        open_database(path, create=True)
    assert path.read_bytes() == before  # not switched to WAL, not migrated
    assert sorted(p.name for p in tmp_path.iterdir()) == ["places.sqlite"]


def test_a_database_from_a_newer_meterline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "district.db"
    open_database(path, create=True).close()
    newer = schema_version() + 1
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {newer}")
    raw.close()
    with pytest.raises(DatabaseError, match="newer Meterline") as refused:
        open_database(path)
    assert f"schema {newer}" in str(refused.value)


# --- migrations and pragmas -------------------------------------------------------------


def test_migrations_are_numbered_uniquely_and_increasing() -> None:
    # A number may be skipped (work that never landed) but never reused: a database that has
    # applied N never applies a lower number later.
    numbers = [number for number, _, _ in migrations()]
    assert numbers[0] == 1 and numbers == sorted(set(numbers))
    assert schema_version() == numbers[-1]


def test_a_new_database_is_migrated_to_the_shipped_schema(conn: sqlite3.Connection) -> None:
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version()
    assert {"accounts", "ledger_entries", "account_balances", "ledger_control", "audit_log",
            "settings", "users"} <= set(tables(conn))


def test_reopening_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "district.db"
    first = open_database(path, create=True)
    schema = first.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    first.close()
    again = open_database(path)
    assert again.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name"
                         ).fetchall() == schema
    assert again.execute("PRAGMA user_version").fetchone()[0] == schema_version()
    again.close()


def test_connection_pragmas(conn: sqlite3.Connection) -> None:
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS > 0
    assert conn.isolation_level is None  # transactions are explicit (BEGIN IMMEDIATE)


def test_a_new_database_has_8_kib_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    new = open_database(tmp_path / "new.db", create=True)
    assert new.execute("PRAGMA page_size").fetchone()[0] == PAGE_BYTES == 8192
    new.close()
    old_path = tmp_path / "old.db"
    raw = sqlite3.connect(old_path, isolation_level=None)
    raw.execute("PRAGMA page_size = 4096")
    for _, _, sql in migrations()[:1]:
        for statement in _statements(sql):
            raw.execute(statement)
    raw.execute("PRAGMA user_version = 1")
    raw.close()
    old = open_database(old_path)
    assert old.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert old.execute("PRAGMA user_version").fetchone()[0] == schema_version()
    old.close()


def test_foreign_keys_are_enforced(conn: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        conn.execute("INSERT INTO notes (account_id, author, at, body)"
                     " VALUES (999, 'mreyes', '2026-03-01T09:00:00', 'hello')")


# --- table definitions ------------------------------------------------------------------


def _fts_tables(conn: sqlite3.Connection) -> set[str]:
    """Full-text index tables and their shadow tables, which SQLite cannot make STRICT."""
    virtual = [r["name"] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")]
    names = set(virtual)
    for name in virtual:
        names |= {f"{name}_{suffix}" for suffix in ("data", "idx", "content", "docsize", "config")}
    return names


def test_every_table_is_strict(conn: sqlite3.Connection) -> None:
    fts = _fts_tables(conn)
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"
                        " AND name NOT LIKE 'sqlite_%'").fetchall()
    assert rows
    loose = [r["name"] for r in rows
             if r["name"] not in fts and not r["sql"].rstrip().upper().endswith("STRICT")]
    assert loose == []
    strict_flags = {r["name"]: r["strict"] for r in conn.execute("PRAGMA table_list")
                    if r["schema"] == "main" and r["type"] == "table"
                    and not r["name"].startswith("sqlite_")
                    and r["name"] not in fts}
    assert strict_flags and all(strict_flags.values()), strict_flags


def test_money_columns_are_integer_cents(conn: sqlite3.Connection) -> None:
    money = [(table, col["name"], col["type"]) for table in tables(conn)
             for col in conn.execute(f"PRAGMA table_info({table})")
             if col["name"].endswith("_cents")]
    assert ("ledger_entries", "amount_cents", "INTEGER") in money
    assert [m for m in money if m[2] != "INTEGER"] == []


@pytest.mark.parametrize(("value", "kind"), [("'twelve'", "TEXT"), ("'12.34'", "REAL"),
                                             ("12.34", "REAL")])
def test_strict_tables_refuse_anything_but_whole_cents(conn: sqlite3.Connection, value: str,
                                                       kind: str) -> None:
    with pytest.raises(sqlite3.IntegrityError, match=f"cannot store {kind} value in INTEGER"):
        conn.execute("INSERT INTO ledger_control (entry_type, book, total_cents)"
                     f" VALUES ('bill', 'receivable', {value})")


def test_a_foreign_sqlite_file_with_a_user_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other-program.db"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    other.execute("PRAGMA user_version = 1")
    other.commit()
    other.close()
    with pytest.raises(DatabaseError, match="not a Meterline database"):
        open_database(path)


def test_bill_lines_stored_before_line_sets_survive_the_migration(tmp_path: Path) -> None:
    """Migration 0011 moves each stored bill's lines into a set of its own; the bill_lines
    view shows them as before, and a frozen run's lines still cannot change."""
    from db.connection import _statements

    path = tmp_path / "old.db"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA foreign_keys = OFF")
    before = [m for m in migrations() if m[0] < 11]
    for _, _, sql in before:
        for statement in _statements(sql):
            raw.execute(statement)
    raw.execute(f"PRAGMA user_version = {before[-1][0]}")
    raw.execute("INSERT INTO cycles (id, name, read_day) VALUES (1, 'Cycle 1', 5)")
    assert add_account(raw) == 1
    raw.execute("INSERT INTO billing_runs (id, cycle_id, month, status, bill_date, due_date,"
                " rate_folder, fingerprint, drafted_by, drafted_at) VALUES (1, 1, '2026-01',"
                " 'draft', '2026-01-20', '2026-02-10', 'rates', 'x', 'a', 'now')")
    raw.execute("INSERT INTO bills (id, run_id, account_id, outcome, total_cents)"
                " VALUES (7, 1, 1, 'billed', 300)")
    for seq, cents in ((1, 100), (2, 200)):
        raw.execute("INSERT INTO bill_lines (bill_id, seq, component, label, quantity, unit,"
                    " rate, amount_cents, explanation, rate_files, rate_sha256)"
                    " VALUES (7, ?, 'water', 'l', '1', 'HCF', '1.00', ?, 'e', 'f', 's')",
                    (seq, cents))
    raw.execute("UPDATE billing_runs SET status = 'frozen' WHERE id = 1")
    raw.close()
    conn = open_database(path)
    assert [tuple(r) for r in conn.execute("SELECT bill_id, seq, amount_cents FROM bill_lines"
                                           " ORDER BY seq")] == [(7, 1, 100), (7, 2, 200)]
    with pytest.raises(sqlite3.DatabaseError, match="frozen"):
        conn.execute("DELETE FROM bill_set_lines")
    conn.close()


def test_bills_and_their_ledger_links_survive_migration_0013(tmp_path: Path) -> None:
    """Migration 0013 moves the bills to bill_rows and their ledger links to bill_entries; the
    view bills shows every bill as before, frozen or draft, and the same triggers guard them."""
    from db.billing_draft import PREVIOUS_SQL
    from db.connection import _statements

    path = tmp_path / "old.db"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA foreign_keys = ON")
    raw.execute("PRAGMA recursive_triggers = ON")
    before = [m for m in migrations() if m[0] <= 12]
    for _, _, sql in before:
        for statement in _statements(sql):
            raw.execute(statement)
    raw.execute("PRAGMA user_version = 12")
    raw.execute("INSERT INTO cycles (id, name, read_day) VALUES (1, 'Cycle 1', 5)")
    raw.execute("INSERT INTO routes (id, cycle_id, code) VALUES (1, 1, 'R1')")
    accounts = [add_account(raw, number) for number in ("100-0001", "100-0002")]
    raw.execute("UPDATE premises SET route_id = 1")
    for month in ("2026-01", "2026-02"):  # January is frozen below, February a draft
        raw.execute("INSERT INTO billing_runs (cycle_id, month, status, bill_date, due_date,"
                    " rate_folder, fingerprint, drafted_by, drafted_at) VALUES (1, ?, 'draft',"
                    " '2026-01-20', '2026-02-10', 'rates', 'x', 'a', 'now')", (month,))
    entry = raw.execute("INSERT INTO ledger_entries (account_id, entry_type, amount_cents,"
                        " effective_on, posted_at, actor, reason_code, comment) VALUES"
                        " (?, 'bill', 4200, '2026-01-20', 'now', 'a', 'BILL', 'water')",
                        (accounts[0],)).lastrowid
    raw.execute("INSERT INTO bill_line_sets (id, run_id) VALUES (5, 1)")
    bills = [  # id, run, account, outcome, reason, period end, cents, entry, history
        (11, 1, accounts[0], "billed", "", "2026-01-05", 4200, entry, "2026-01-05:12"),
        (12, 1, accounts[1], "held", "high read", "2026-01-05", 0, None, "2026-01-05:9"),
        (13, 2, accounts[0], "billed", "", "2026-02-05", 3900, None, "2026-02-05:11")]
    for bill_id, run, account, outcome, reason, end, cents, link, history in bills:
        raw.execute("INSERT INTO bills (id, run_id, account_id, outcome, reason, period_end,"
                    " total_cents, ledger_entry_id, usage_history, meter_reads, line_set_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'R|1', ?)",
                    (bill_id, run, account, outcome, reason, end, cents, link, history,
                     5 if run == 1 else None))
    raw.execute("INSERT INTO bill_set_lines (set_id, seq, component, label, quantity, unit,"
                " rate, amount_cents, explanation, rate_files, rate_sha256)"
                " VALUES (5, 1, 'water', 'l', '1', 'HCF', '1.00', 4200, 'e', 'f', 's')")
    raw.execute("UPDATE billing_runs SET status = 'frozen' WHERE id = 1")
    old_bills = raw.execute("SELECT * FROM bills ORDER BY id").fetchall()
    old_lines = raw.execute("SELECT * FROM bill_lines ORDER BY bill_id, seq").fetchall()
    raw.close()

    conn = open_database(path)
    conn.row_factory = None
    assert conn.execute("SELECT * FROM bills ORDER BY id").fetchall() == old_bills
    assert conn.execute("SELECT * FROM bill_lines ORDER BY bill_id, seq").fetchall() \
        == old_lines
    assert conn.execute("SELECT * FROM bill_entries").fetchall() == [(11, entry)]
    assert conn.execute("SELECT type FROM sqlite_master WHERE name = 'bills'").fetchone() \
        == ("view",)
    # The draft's previous bill: account 1's posted January bill, not its February draft.
    assert conn.execute(PREVIOUS_SQL, (json.dumps(accounts), "2026-02-28")).fetchall() \
        == [(accounts[0], "2026-01-05", "2026-01-05:12")]
    with pytest.raises(sqlite3.DatabaseError, match="never edited"):
        conn.execute("UPDATE bill_rows SET total_cents = 1 WHERE id = 13")
    with pytest.raises(sqlite3.DatabaseError, match="frozen"):
        conn.execute("DELETE FROM bill_rows WHERE id = 12")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE bill_entries SET entry_id = entry_id")
    conn.execute("DELETE FROM bill_rows WHERE run_id = 2")  # a draft is drafted again
    conn.execute("INSERT INTO ledger_entries (account_id, entry_type, amount_cents,"
                 " effective_on, posted_at, actor, reason_code, comment) VALUES"
                 " (?, 'payment', -200, '2026-02-01', 'now', 'a', 'PAY', 'cash')",
                 (accounts[0],))
    assert conn.execute("SELECT balance_cents FROM account_balances WHERE account_id = ?",
                        (accounts[0],)).fetchone() == (4000,)
    conn.close()


def test_a_premises_reads_are_loaded_from_the_chain_index_in_day_then_id_order(
        conn: sqlite3.Connection) -> None:
    """Migration 0019: load_chains reads each meter's reads from meter_reads_chain alone (no
    table lookup), a day's reads still in the order they were stored."""
    from datetime import date

    from db.read_history import fill_premises, load_chains
    from tests.payments_support import add_meter_reads

    account = add_account(conn)
    meter = add_meter_reads(conn, account, [5, 7], date(2026, 1, 10))
    conn.execute("INSERT INTO meter_reads (meter_id, read_on, reading, kind, created_by,"
                 " created_at) VALUES (?, '2026-03-10', 9, 'estimated', 'test', 'x')", (meter,))
    premise = conn.execute("SELECT premise_id FROM accounts WHERE id = ?", (account,)).fetchone()
    fill_premises(conn, [premise[0]])
    (chain,) = load_chains(conn, date(2026, 1, 1), date(2026, 4, 1))[premise[0]]
    assert [(p.day.isoformat(), p.reading, p.estimated) for p in chain.points] == [
        ("2026-01-10", 0, False), ("2026-02-10", 5, False), ("2026-03-10", 12, False),
        ("2026-03-10", 9, True)]
    plan = [row[3] for row in conn.execute(
        "EXPLAIN QUERY PLAN SELECT r.reading, r.kind FROM meter_reads r"
        " INDEXED BY meter_reads_chain WHERE r.meter_id = 1 AND r.read_on >= ''")]
    assert plan == ["SEARCH r USING COVERING INDEX meter_reads_chain (meter_id=? AND read_on>?)"]
