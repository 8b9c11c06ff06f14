"""The stored schedule: generation, regeneration that keeps used dates, overrides and gates."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from core.business_days import ClosureKind
from core.errors import InputError, PermissionDenied
from core.schedule import EventKind
from core.schedule_gates import GateRefused
from db.closures import load_calendar, remove_closure, set_closure
from db.connection import open_database
from db.schedule import (
    generate_months,
    override_date,
    record_workload,
    schedule_for_month,
    use_schedule_date,
)
from db.schedule_conflicts import lockoff_forecast, schedule_conflicts
from db.settings import load_settings
from tests.calendar_support import AT, CLERK, SUPERVISOR, TODAY, build_calendar_district

E = EventKind
DECEMBER = date(2026, 12, 1)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = build_calendar_district(tmp_path / "district.db")
    yield connection
    connection.close()


def generate(conn: sqlite3.Connection, month: date = DECEMBER, count: int = 1,
             today: date = TODAY):  # type: ignore[no-untyped-def]
    return generate_months(conn, month, count, user=SUPERVISOR, at=AT, today=today)


def stored(conn: sqlite3.Connection, cycle: int, event: EventKind, month: date = DECEMBER):  # type: ignore[no-untyped-def]
    return next(r for r in schedule_for_month(conn, month, cycle) if r.event == event)


def audit(conn: sqlite3.Connection, action: str) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM audit_log WHERE action = ? ORDER BY id",
                        (action,)).fetchall()


def conflicts(conn: sqlite3.Connection, start: date = date(2026, 12, 1),
              end: date = date(2027, 3, 31)) -> list[str]:
    return [c.message for c in schedule_conflicts(conn, start, end, TODAY, load_calendar(conn),
                                                  load_settings(conn))]


def test_generating_a_month_stores_every_date_of_every_cycle(conn: sqlite3.Connection) -> None:
    [report] = generate(conn)
    rows = schedule_for_month(conn, DECEMBER)
    assert report.created == len(rows) == 4 * len(EventKind)
    due = stored(conn, 1, E.DUE)
    assert due.on == due.rule_on == date(2026, 12, 29)
    assert [(r["object_id"], json.loads(r["after"])["created"]) for r in
            audit(conn, "calendar.generate")] == [("2026-12", 44)]
    [again] = generate(conn)
    assert (again.created, again.moved, again.kept) == (0, [], [])


def test_a_closure_added_after_scheduling_is_called_out_and_regeneration_moves_it(
        conn: sqlite3.Connection) -> None:
    generate(conn)
    due = stored(conn, 2, E.DUE)   # Cycle 2: bill Tue 12-15 + 21 = Tue 2027-01-05
    assert due.on == date(2027, 1, 5)
    set_closure(conn, on=due.on, kind=ClosureKind.CLOSED, name="Water main emergency",
                reason="GM order 2026-3", user=SUPERVISOR, at="2026-11-21T08:00:00")
    [message] = [m for m in conflicts(conn) if "Water main" in m]
    assert message.startswith("Cycle 2 (2026-12): BUSINESS DAY (district calendar): the due "
                              "date Tue 2027-01-05 is not a business day (Water main emergency")
    assert "closure was added 2026-11-21, after this date was scheduled 2026-11-20" in message
    [report] = generate(conn)
    assert "Cycle 2 due Tue 2027-01-05 → Wed 2027-01-06" in report.moved
    assert stored(conn, 2, E.DUE).on == date(2027, 1, 6)
    assert not [m for m in conflicts(conn) if "Water main" in m]
    assert [r["action"] for r in conn.execute("SELECT action FROM audit_log WHERE object_type"
                                              " = 'closure'")] == ["closure.set"]


def test_regeneration_never_moves_a_date_a_process_has_used(conn: sqlite3.Connection) -> None:
    generate(conn)
    with conn:
        day = use_schedule_date(conn, month=DECEMBER, cycle_id=2, event=E.DUE,
                                used_by="billing run 2026-12 #1", actor="clerk1",
                                at="2026-12-15T10:00:00")
    assert day == date(2027, 1, 5)
    set_closure(conn, on=day, kind=ClosureKind.CLOSED, name="Water main emergency",
                reason="GM order", user=SUPERVISOR, at="2026-12-16T08:00:00")
    [report] = generate(conn)
    assert report.kept == ["Cycle 2 due stays Tue 2027-01-05 (used by billing run 2026-12 #1 on "
                           "2026-12-15); the rules now give Wed 2027-01-06"]
    due = stored(conn, 2, E.DUE)
    assert (due.on, due.rule_on, due.status) == (date(2027, 1, 5), date(2027, 1, 6), "USED")
    # The lock-off counts its 60 days from the due date printed on the bills.
    assert (stored(conn, 2, E.LOCKOFF).on - due.on).days >= 60
    assert any("USED by billing run" in m for m in conflicts(conn))
    with pytest.raises(sqlite3.IntegrityError, match="used by a process"):
        conn.execute("UPDATE schedule_dates SET on_date = '2027-01-07' WHERE id = ?", (due.id,))
    with pytest.raises(InputError, match="used by billing run"):
        override_date(conn, month=DECEMBER, cycle_id=2, event=E.DUE, new_on=date(2027, 1, 7),
                      reason="try", user=SUPERVISOR, at=AT, today=TODAY)


def test_an_override_that_breaks_the_60_day_gate_is_refused_by_name(
        conn: sqlite3.Connection) -> None:
    generate(conn)
    lockoff = stored(conn, 1, E.LOCKOFF)   # due Tue 12-29 + 60 = Sat 02-27 → Mon 03-01
    assert lockoff.on == date(2027, 3, 1)
    before = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(GateRefused) as refused:
        override_date(conn, month=DECEMBER, cycle_id=1, event=E.LOCKOFF,
                      new_on=date(2027, 2, 24), reason="crew free that day", user=SUPERVISOR,
                      at=AT, today=TODAY)
    assert [b.gate for b in refused.value.breaches] == ["G1"]
    assert str(refused.value) == (
        "Moving Cycle 1 lock-off to Wed 2027-02-24 refused: G1 (SB 998, HSC "
        "§116908(a)(1)(A)): the lock-off Wed 2027-02-24 is 57 days after the due date Tue "
        "2026-12-29; it must be at least 60 (no earlier than Sat 2027-02-27)")
    assert stored(conn, 1, E.LOCKOFF).on == lockoff.on
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before


def test_an_override_that_breaks_the_7_business_day_gate_is_refused_by_name(
        conn: sqlite3.Connection) -> None:
    generate(conn)
    # The supervisor has fixed the lock-off on Tue 03-09; the notice follows it (7 business
    # days before). Moving the notice to Thu 03-04 would leave 3 business days.
    override_date(conn, month=DECEMBER, cycle_id=1, event=E.LOCKOFF, new_on=date(2027, 3, 9),
                  reason="crew at training on 03-01", user=SUPERVISOR, at=AT, today=TODAY)
    assert stored(conn, 1, E.NOTICE).on == date(2027, 2, 26)
    with pytest.raises(GateRefused) as refused:
        override_date(conn, month=DECEMBER, cycle_id=1, event=E.NOTICE,
                      new_on=date(2027, 3, 4), reason="mail house late", user=SUPERVISOR,
                      at=AT, today=TODAY)
    gates = [b.gate for b in refused.value.breaches]
    assert gates[0] == "G2" and "G9" in gates
    assert ("G2 (SB 998, HSC §116908(a)(1)(A)): the notice Thu 2027-03-04 is 3 business days "
            "before the lock-off Tue 2027-03-09; it must be at least 7") in str(refused.value)
    assert stored(conn, 1, E.NOTICE).on == date(2027, 2, 26)


def test_an_accepted_override_moves_what_follows_and_is_audited(
        conn: sqlite3.Connection) -> None:
    generate(conn)
    report = override_date(conn, month=DECEMBER, cycle_id=1, event=E.BILL,
                           new_on=date(2026, 12, 9), reason="print vendor a day late",
                           user=SUPERVISOR, at="2026-11-25T10:00:00", today=TODAY)
    assert report.lines()[0] == "Cycle 1 bill moved Tue 2026-12-08 → Wed 2026-12-09"
    assert "due Tue 2026-12-29 → Wed 2026-12-30" in report.followed
    bill, due = stored(conn, 1, E.BILL), stored(conn, 1, E.DUE)
    assert (bill.status, bill.overridden_by, bill.rule_on) == ("OVERRIDDEN", "sup1",
                                                              date(2026, 12, 8))
    assert due.on == date(2026, 12, 30) and due.status == ""
    [row] = audit(conn, "calendar.override")
    assert row["object_id"] == "2026-12/1/bill" and row["actor"] == "sup1"
    assert json.loads(row["after"])["reason"] == "print vendor a day late"
    # Regeneration keeps the override and says the rules would differ.
    [again] = generate(conn)
    assert again.moved == [] and again.kept[0].startswith("Cycle 1 bill stays Wed 2026-12-09")


def test_only_supervisors_change_the_calendar(conn: sqlite3.Connection) -> None:
    with pytest.raises(PermissionDenied, match="only a supervisor can generate"):
        generate_months(conn, DECEMBER, 1, user=CLERK, at=AT, today=TODAY)
    generate(conn)
    with pytest.raises(PermissionDenied, match="clerk1 is a clerk"):
        override_date(conn, month=DECEMBER, cycle_id=1, event=E.BILL, new_on=date(2026, 12, 9),
                      reason="x", user=CLERK, at=AT, today=TODAY)
    with pytest.raises(PermissionDenied):
        set_closure(conn, on=date(2026, 12, 24), kind=ClosureKind.CLOSED, name="Christmas Eve",
                    reason="MOU", user=CLERK, at=AT)


def test_closure_list_edits_are_checked_and_audited(conn: sqlite3.Connection) -> None:
    set_closure(conn, on=date(2026, 12, 24), kind=ClosureKind.CLOSED, name="Christmas Eve",
                reason="MOU 2026", user=SUPERVISOR, at=AT)
    set_closure(conn, on=date(2027, 10, 29), kind=ClosureKind.OPEN, name="Diwali",
                reason="board does not observe", user=SUPERVISOR, at=AT)
    calendar = load_calendar(conn)
    assert not calendar.is_business_day(date(2026, 12, 24))
    assert calendar.is_business_day(date(2027, 10, 29))
    with pytest.raises(InputError, match="already a holiday in the seed"):
        set_closure(conn, on=date(2026, 12, 25), kind=ClosureKind.CLOSED, name="Xmas",
                    reason="r", user=SUPERVISOR, at=AT)
    with pytest.raises(InputError, match="reason"):
        remove_closure(conn, on=date(2026, 12, 24), reason=" ", user=SUPERVISOR, at=AT)
    remove_closure(conn, on=date(2026, 12, 24), reason="office opens after all",
                   user=SUPERVISOR, at=AT)
    assert load_calendar(conn).is_business_day(date(2026, 12, 24))
    assert [r["action"] for r in conn.execute(
        "SELECT action FROM audit_log WHERE object_type = 'closure' ORDER BY id")] == [
        "closure.set", "closure.set", "closure.remove"]


def test_more_lockoffs_on_a_day_than_the_crew_can_do_is_a_conflict(
        conn: sqlite3.Connection) -> None:
    generate(conn)
    assert load_settings(conn).crew_capacity_per_day == 40
    # Cycle 1's lock-off moves a week later (legal), onto cycle 2's Monday.
    override_date(conn, month=DECEMBER, cycle_id=1, event=E.LOCKOFF, new_on=date(2027, 3, 8),
                  reason="combine crews", user=SUPERVISOR, at=AT, today=TODAY)
    with conn:
        record_workload(conn, month=DECEMBER, cycle_id=1, event=E.LOCKOFF, count=25)
        record_workload(conn, month=DECEMBER, cycle_id=2, event=E.LOCKOFF, count=21)
    [crew] = [m for m in conflicts(conn) if "crew capacity" in m]
    assert crew.startswith("Mon 2027-03-08: 46 lock-offs planned (Cycle 1 lock-off 25, "
                           "Cycle 2 lock-off 21), more than the crew capacity of 40 a day")


def test_the_lockoff_forecast_counts_owing_accounts_by_cycle(conn: sqlite3.Connection) -> None:
    rules = load_settings(conn)
    # Each cycle has 3 accounts owing $90 on a bill due 2026-08-28: 84 days before today.
    assert lockoff_forecast(conn, TODAY, rules) == {1: (3, 0), 2: (3, 0), 3: (3, 0), 4: (3, 0)}
    # On 2026-10-01 that bill is only 34 days past due: nobody is on a list yet.
    assert lockoff_forecast(conn, date(2026, 10, 1), rules) == {}
    # A new bill owed on top of the old one does not count; the old one still does.
    account = conn.execute("SELECT id FROM accounts WHERE number = '100-0000'").fetchone()[0]
    conn.execute(
        "INSERT INTO ledger_entries (account_id, entry_type, amount_cents, effective_on, due_on,"
        " posted_at, actor, reason_code, comment) VALUES (?, 'payment', -9000, '2026-11-01',"
        " NULL, ?, 'setup', 'PAY', 'paid'), (?, 'bill', 9500, '2026-11-06', '2026-11-27', ?,"
        " 'setup', 'BILL', 'November bill')", (account, AT, account, AT))
    assert lockoff_forecast(conn, TODAY, rules)[1] == (2, 0)


def test_a_process_gets_the_stored_date_and_freezes_it(conn: sqlite3.Connection) -> None:
    generate(conn)
    with conn:
        first = use_schedule_date(conn, month=DECEMBER, cycle_id=3, event=E.LATE_FEE,
                                  used_by="late fees 2027-01-22", actor="clerk1", at=AT)
        again = use_schedule_date(conn, month=DECEMBER, cycle_id=3, event=E.LATE_FEE,
                                  used_by="someone else", actor="clerk2", at=AT)
    assert first == again == date(2027, 1, 22)
    assert stored(conn, 3, E.LATE_FEE).used_by == "late fees 2027-01-22"
    assert len(audit(conn, "calendar.use")) == 1
    with pytest.raises(InputError, match="a supervisor generates the month"):
        use_schedule_date(conn, month=date(2027, 6, 1), cycle_id=3, event=E.DUE,
                          used_by="billing run", actor="clerk1", at=AT)


def test_migration_moves_the_old_settings_list_into_the_closure_table(tmp_path: Path) -> None:
    from db.connection import migrations

    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    raw.executescript(migrations()[0][2])
    raw.execute("PRAGMA user_version = 1")
    raw.executemany("INSERT INTO settings VALUES (?, ?, 'admin1', '2026-01-02T08:00:00')",
                    [("holidays_added", '["2026-12-24"]'),
                     ("holidays_removed", '["2026-11-08"]'), ("due_days", "25")])
    raw.commit()
    raw.close()
    conn = open_database(path)
    try:
        assert [tuple(r) for r in conn.execute(
            "SELECT on_date, kind, added_by FROM closures ORDER BY on_date")] == [
            ("2026-11-08", "open", "admin1"), ("2026-12-24", "closed", "admin1")]
        assert load_settings(conn).due_days == 25  # the old keys no longer trouble settings
        assert len(audit(conn, "settings.moved_to_closures")) == 2
        assert not load_calendar(conn).is_business_day(date(2026, 12, 24))
    finally:
        conn.close()
