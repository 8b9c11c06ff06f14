"""The demo district: deterministic, balanced, and showing every situation a trainer needs."""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.model import AccountFlagKind, PremiseKind, ServiceType
from core.money import round_half_up
from core.settings import DistrictSettings
from db.connection import open_database
from db.ledger import check
from fixtures import demo
from fixtures.demo import DemoError, build_demo
from fixtures.demo_calendar import district_calendar
from fixtures.demo_guide import FLAG_KINDS, situation_examples, stage_examples

TODAY = date(2026, 3, 15)
ACCOUNTS = 250


def build(folder: Path, *, seed: int = 7, today: date = TODAY, accounts: int = ACCOUNTS) -> Path:
    path = folder / "district.db"
    build_demo(path, accounts=accounts, seed=seed, today=today, admin_login="mreyes")
    return path


def dump_hash(path: Path) -> str:
    """A hash of every row of every table, in order."""
    conn = sqlite3.connect(path)
    try:
        digest = hashlib.sha256()
        for line in conn.iterdump():
            digest.update(line.encode())
        return digest.hexdigest()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def conn(district: Path) -> Iterator[sqlite3.Connection]:
    connection = open_database(district)
    yield connection
    connection.close()


def column(conn: sqlite3.Connection, sql: str, *params: object) -> list[Any]:
    return [row[0] for row in conn.execute(sql, params)]


# -- building ---------------------------------------------------------------------------------

def test_the_same_seed_builds_the_same_district(tmp_path: Path, district: Path) -> None:
    again = build(tmp_path)
    assert dump_hash(again) == dump_hash(district)


def test_another_seed_or_day_builds_another_district(tmp_path: Path, district: Path) -> None:
    (tmp_path / "seed").mkdir()
    (tmp_path / "day").mkdir()
    assert dump_hash(build(tmp_path / "seed", seed=8)) != dump_hash(district)
    tomorrow = TODAY + timedelta(days=1)
    assert dump_hash(build(tmp_path / "day", today=tomorrow)) != dump_hash(district)


def test_an_existing_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "district.db"
    path.write_bytes(b"somebody's work")
    with pytest.raises(DemoError, match="already exists"):
        build_demo(path, accounts=ACCOUNTS, seed=1, today=TODAY, admin_login="mreyes")
    assert path.read_bytes() == b"somebody's work"


def test_an_empty_district_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DemoError, match="at least 1"):
        build(tmp_path, accounts=0)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("accounts", [1, 7, 20, 60, 149])
def test_a_small_district_builds_with_what_fits(tmp_path: Path, accounts: int) -> None:
    path = build(tmp_path, accounts=accounts)
    connection = open_database(path)
    try:
        assert connection.execute("SELECT count(*) FROM accounts").fetchone()[0] == accounts
        assert check(connection).ok
    finally:
        connection.close()


def test_nothing_is_left_beside_a_finished_district(district: Path) -> None:
    assert sorted(p.name for p in district.parent.iterdir()) == ["district.db"]


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo.DistrictWriter, "notes", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        build(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_stale_building_file_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "district.db.building").write_bytes(b"half a district")
    path = build(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["district.db"]
    assert check(open_database(path)).ok


def test_the_district_opens_balanced_and_consistent(conn: sqlite3.Connection) -> None:
    result = check(conn)
    assert result.ok, result.problems
    assert result.entries_checked > ACCOUNTS * 20
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_build_is_recorded(conn: sqlite3.Connection) -> None:
    rows = conn.execute("SELECT actor, action, object_id, at FROM audit_log"
                        " WHERE action = 'demo.build'").fetchall()
    assert [tuple(r) for r in rows] == [("mreyes", "demo.build", "HMWD", "2026-03-15T07:00:00")]


def test_the_billing_calendar_is_generated_around_today(conn: sqlite3.Connection) -> None:
    months = [r[0] for r in conn.execute(
        "SELECT object_id FROM audit_log WHERE action = 'calendar.generate' ORDER BY id")]
    assert months[0] == "2025-02" and months[-1] == "2026-06" and len(months) == 17
    settings = dict(conn.execute("SELECT key, value FROM settings").fetchall())
    assert settings["district_name"] == '"High Mesa Water District"'
    assert settings["district_short"] == '"HMWD"'
    users = dict(conn.execute("SELECT login, role FROM users").fetchall())
    assert users == {"mreyes": "admin", "clerk1": "clerk", "super1": "supervisor",
                     "trainer1": "trainer"}


def test_nothing_is_dated_after_today(conn: sqlite3.Connection) -> None:
    latest = [
        "SELECT max(effective_on) FROM ledger_entries", "SELECT max(posted_at) FROM ledger_entries",
        "SELECT max(read_on) FROM meter_reads", "SELECT max(created_at) FROM meter_reads",
        "SELECT max(set_on) FROM account_flags", "SELECT max(at) FROM notes",
        "SELECT max(opened_on) FROM accounts", "SELECT max(created_at) FROM customers",
        "SELECT max(installed_on) FROM meters",
    ]
    for sql in latest:
        assert str(conn.execute(sql).fetchone()[0])[:10] <= TODAY.isoformat(), sql


# -- what the district contains ---------------------------------------------------------------

def test_exactly_the_accounts_asked_for_with_sortable_numbers(conn: sqlite3.Connection) -> None:
    numbers = column(conn, "SELECT number FROM accounts ORDER BY id")
    assert len(numbers) == ACCOUNTS
    assert numbers == sorted(numbers)
    assert all(len(str(n)) == 10 and str(n)[7] == "-" for n in numbers)


def test_every_premise_kind_and_service_type(conn: sqlite3.Connection) -> None:
    assert set(column(conn, "SELECT DISTINCT kind FROM premises")) == {k.value for k in PremiseKind}
    assert set(column(conn, "SELECT DISTINCT service_type FROM accounts")) == {
        s.value for s in ServiceType}
    assert set(column(conn, "SELECT DISTINCT status FROM accounts")) == {
        "active", "inactive", "closed"}
    assert column(conn, "SELECT DISTINCT m.size FROM meters m JOIN accounts a"
                        " ON a.premise_id = m.premise_id WHERE a.service_type = 'bulk'") == ["3"]
    assert min(column(conn, "SELECT landscape_sqft FROM premises WHERE kind = 'landscape'")) > 0
    units = column(conn, "SELECT dwelling_units FROM premises WHERE kind = 'multi_unit'")
    assert min(units) >= 2 and max(units) <= 24


def test_four_cycles_of_routes_in_walk_order(conn: sqlite3.Connection) -> None:
    assert column(conn, "SELECT read_day FROM cycles ORDER BY id") == [3, 10, 17, 24]
    codes = column(conn, "SELECT code FROM routes ORDER BY id")
    assert codes[0] == "C1-R01" and len(codes) >= 4
    walks = column(conn, "SELECT count(*) - count(DISTINCT walk_order) FROM premises"
                         " GROUP BY route_id")
    assert set(walks) == {0}


def test_every_flag_kind_is_in_use(conn: sqlite3.Connection) -> None:
    assert set(FLAG_KINDS) == {k.value for k in AccountFlagKind}
    assert set(column(conn, "SELECT DISTINCT flag FROM account_flags")) == set(FLAG_KINDS)
    plans = conn.execute("SELECT reason, expires_on FROM account_flags"
                         " WHERE flag IN ('PAYMENT PLAN', 'MEDICAL CERT')").fetchall()
    assert all(reason and expires for reason, expires in plans)


def test_every_delinquency_stage_is_present(conn: sqlite3.Connection) -> None:
    stages = stage_examples(conn, TODAY)
    assert all(stages.values()), stages


@pytest.mark.parametrize("today", [date(2026, 1, 2), date(2026, 7, 31), date(2027, 2, 28)])
def test_every_stage_is_present_whatever_the_day(tmp_path: Path, today: date) -> None:
    """Only the 1-9-day stage can be empty: on days when no cycle's due date fell in the last
    9 days (2027-02-28: the nearest was 10 days before), nobody can be in it."""
    path = build(tmp_path, today=today, accounts=200)
    connection = open_database(path)
    try:
        stages = stage_examples(connection, today)
        assert check(connection).ok
    finally:
        connection.close()
    recent_due = any(cycle.periods_past_due(today, 1, 9)
                     for cycle in district_calendar(today, DistrictSettings()))
    first, *later = stages.values()
    assert bool(first) == recent_due
    assert all(later), stages


def test_every_training_situation_has_an_example(conn: sqlite3.Connection) -> None:
    missing = [name for name, numbers in situation_examples(conn, TODAY).items() if not numbers]
    assert missing == []


def test_names_and_addresses_carry_awkward_characters(conn: sqlite3.Connection) -> None:
    names = " ".join(str(n) for n in column(conn, "SELECT name FROM customers"))
    addresses = " ".join(str(a) for a in column(
        conn, "SELECT line1 || ' ' || line2 FROM premises UNION ALL"
              " SELECT mail_line1 || ' ' || mail_line2 FROM accounts"))
    for text in (names, addresses):
        for character in "[]'&/":
            assert text.count(character) >= 3, (character, text[:80])
        assert sum(1 for ch in text if ord(ch) > 127) >= 3
    assert "Acme [Water] Supply & Co." in names and "O'Brien, Siobhán" in names
    assert " 1/2 " in addresses and "[/]" in addresses


def test_renters_have_an_owner_of_record_and_owners_may_mail_elsewhere(
        conn: sqlite3.Connection) -> None:
    tenants = conn.execute(
        "SELECT count(*) FROM accounts a JOIN premises p ON p.id = a.premise_id"
        " WHERE p.owner_customer_id <> a.customer_id").fetchone()[0]
    elsewhere = conn.execute(
        "SELECT count(*) FROM accounts a JOIN premises p ON p.id = a.premise_id"
        " WHERE a.mail_line1 <> p.line1").fetchone()[0]
    assert tenants > 10 and elsewhere > 10


# -- money ------------------------------------------------------------------------------------

def test_bills_are_due_on_the_calendar_due_date(conn: sqlite3.Connection) -> None:
    """Due = bill + 21 days, moved forward to a business day (core.schedule), as stored."""
    rows = conn.execute("SELECT effective_on, due_on FROM ledger_entries"
                        " WHERE entry_type = 'bill'").fetchall()
    assert rows
    for billed, due in rows:
        gap = date.fromisoformat(due) - date.fromisoformat(billed)
        assert timedelta(days=21) <= gap <= timedelta(days=25)
        assert date.fromisoformat(due).weekday() < 5
    stored = {(r[0], r[1]) for r in conn.execute(
        "SELECT s.on_date, c.name FROM schedule_dates s JOIN cycles c ON c.id = s.cycle_id"
        " WHERE s.event = 'due'")} if _has_table(conn, "schedule_dates") else None
    if stored is not None:
        dues = {r[1] for r in rows}
        assert dues <= {on for on, _ in stored}


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return found is not None


def test_bills_follow_the_published_rates(conn: sqlite3.Connection) -> None:
    # RULES.md §5.3: 8 HCF on a 5/8" meter is $60.03 (4 x $3.65 + 4 x $6.17 + $20.75).
    amounts = column(conn, "SELECT DISTINCT amount_cents FROM ledger_entries WHERE"
                           " entry_type = 'bill' AND comment LIKE '%: 8 HCF on a 5/8\" meter'")
    assert amounts == [6003]


def test_late_fees_are_the_larger_of_ten_dollars_and_ten_percent(
        conn: sqlite3.Connection) -> None:
    rows = conn.execute(
        "SELECT f.amount_cents, b.amount_cents FROM ledger_entries f JOIN ledger_entries b"
        " ON b.account_id = f.account_id AND b.reference = f.reference AND b.entry_type = 'bill'"
        " WHERE f.entry_type = 'late_fee'").fetchall()
    assert rows
    for fee, bill in rows:
        assert fee == max(1000, round_half_up(Decimal(bill) / 1000))


def test_a_returned_check_reverses_its_payment_and_adds_the_fee(conn: sqlite3.Connection) -> None:
    returns = conn.execute(
        "SELECT r.account_id, r.amount_cents, p.amount_cents, p.entry_type, p.account_id"
        " FROM ledger_entries r JOIN ledger_entries p ON p.id = r.reverses_id"
        " WHERE r.entry_type = 'returned_payment'").fetchall()
    assert returns
    for account, returned, paid, kind, paid_account in returns:
        assert (kind, paid_account, returned) == ("payment", account, -paid)
    fees = column(conn, "SELECT amount_cents FROM ledger_entries WHERE entry_type = 'fee'")
    assert set(fees) == {2500, 3500} and len(fees) == len(returns)
    cash_only = column(conn, "SELECT account_id FROM account_flags WHERE flag = 'CASH ONLY'")
    for account_id in cash_only:
        returned = conn.execute("SELECT count(*) FROM ledger_entries WHERE account_id = ?"
                                " AND entry_type = 'returned_payment'", (account_id,)).fetchone()
        assert returned[0] == 2


def test_deposits_held_are_on_the_deposit_book(conn: sqlite3.Connection) -> None:
    held = column(conn, "SELECT a.id FROM accounts a JOIN account_flags f ON f.account_id = a.id"
                        " WHERE f.flag = 'DEPOSIT HELD'")
    assert held
    for account_id in held:
        assert conn.execute("SELECT deposit_cents FROM account_balances WHERE account_id = ?",
                            (account_id,)).fetchone()[0] > 0


def test_summer_use_is_about_two_and_a_half_times_winter(conn: sqlite3.Connection) -> None:
    by_month = dict(conn.execute(
        "SELECT substr(r.read_on, 6, 2), sum(q.reading - r.reading) FROM meter_reads r"
        " JOIN meter_reads q ON q.meter_id = r.meter_id AND q.id = r.id + 1"
        " JOIN premises p ON p.id = (SELECT premise_id FROM meters WHERE id = r.meter_id)"
        " WHERE p.kind = 'single_family' AND q.reading >= r.reading GROUP BY 1").fetchall())
    ratio = by_month["07"] / by_month["01"]
    assert 2.0 <= ratio <= 3.0
