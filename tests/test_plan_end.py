"""Ending a payment plan on real SQLite: refusals, the audit row, the gates and the CLI."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from core.errors import InputError
from core.schedule import EventKind
from db.arrangements import create_plan, end_plan
from db.delinquency import candidates
from db.lockoff import build_list
from db.schedule import generate_months, schedule_for_month
from tests.calendar_support import AT, SUPERVISOR, build_calendar_district

MONTH = date(2026, 9, 1)
TODAY = date(2026, 11, 20)


@pytest.fixture
def district(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = build_calendar_district(tmp_path / "district.db", accounts_per_cycle=3)
    generate_months(conn, MONTH, 3, user=SUPERVISOR, at=AT, today=MONTH)
    yield conn
    conn.close()


def _dates(conn: sqlite3.Connection) -> dict[EventKind, date]:
    return {d.event: d.on for d in schedule_for_month(conn, MONTH, 1)}


def _notice(conn: sqlite3.Connection, number: str, on: date) -> None:
    """An SB 998 notice and its occupant copy (the test accounts mail elsewhere)."""
    for kind in ("occupant", "sb998"):
        conn.execute("INSERT INTO delinquency_notices (account_id, kind, on_date, addressed_to,"
                     " logged_by, logged_at) SELECT id, ?, ?, 'customer', 'clerk1', ? FROM"
                     " accounts WHERE number = ?", (kind, on.isoformat(), AT, number))


def _ledger(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return [tuple(r) for r in conn.execute("SELECT * FROM ledger_entries ORDER BY id")]


def test_ending_needs_an_active_plan_a_reason_and_a_date_in_the_plan(
        district: sqlite3.Connection) -> None:
    start = date(2026, 9, 1)
    with pytest.raises(InputError, match="no active payment plan"):
        end_plan(district, "100-0000", on=start, reason="paid-in-full", today=TODAY,
                 actor="clerk1", at=AT)
    create_plan(district, "100-0000", months=3, on=start, actor="clerk1", at=AT)
    refusals = {"reason must be one of": dict(on=start, reason=""),
                "after today": dict(on=TODAY + timedelta(days=1), reason="replaced"),
                "cannot end before": dict(on=start - timedelta(days=1), reason="replaced")}
    for words, given in refusals.items():
        with pytest.raises(InputError, match=words):
            end_plan(district, "100-0000", today=TODAY, actor="clerk1", at=AT,
                     **given)  # type: ignore[arg-type]
    assert district.execute("SELECT ended_on FROM payment_plans").fetchone()[0] is None


def test_an_ended_plan_is_audited_posts_nothing_and_stops_protecting(
        district: sqlite3.Connection) -> None:
    dates = _dates(district)
    notice, lockoff = dates[EventKind.NOTICE], dates[EventKind.LOCKOFF]
    _notice(district, "100-0000", notice)
    create_plan(district, "100-0000", months=3, on=notice, actor="clerk1", at=AT)
    assert {e.candidate.number: e for e in build_list(district, lockoff).entries
            }["100-0000"].blocked_by == "PLAN"
    ledger = _ledger(district)
    ends = notice + timedelta(days=1)
    said = end_plan(district, "100-0000", on=ends, reason="customer-cancelled", today=TODAY,
                    comment="asked by phone", actor="clerk1", at=AT)
    assert said.endswith(f"ended on {ends}: cancelled at the customer's request.")
    assert _ledger(district) == ledger
    row = district.execute("SELECT ended_on, end_reason FROM payment_plans").fetchone()
    assert tuple(row) == (ends.isoformat(), "customer-cancelled")
    audit = district.execute("SELECT actor, after FROM audit_log WHERE action ="
                             " 'lockoff.plan_ended'").fetchall()
    assert len(audit) == 1 and audit[0][0] == "clerk1"
    assert json.loads(audit[0][1])["comment"] == "asked by phone"
    # On the plan the day before it ended; not on it from the end date on.
    before = {c.number: c for c in candidates(district, notice, 1, True)}["100-0000"]
    assert before.plans[0].active_on(notice)
    entry = {e.candidate.number: e for e in build_list(district, lockoff).entries}["100-0000"]
    assert entry.eligible and "no active payment plan" in next(
        g.why for g in entry.gates if g.code == "PLAN")
    with pytest.raises(InputError, match="no active payment plan"):
        end_plan(district, "100-0000", on=ends, reason="replaced", today=TODAY,
                 actor="clerk1", at=AT)


def test_two_active_plans_need_the_plan_named(district: sqlite3.Connection) -> None:
    start = date(2026, 9, 1)
    for _ in range(2):
        create_plan(district, "100-0000", months=3, on=start, actor="clerk1", at=AT)
    with pytest.raises(InputError, match=r"2 active plans \(1, 2\)"):
        end_plan(district, "100-0000", on=start, reason="replaced", today=TODAY,
                 actor="clerk1", at=AT)
    said = end_plan(district, "100-0000", on=start, reason="replaced", today=TODAY,
                    plan_id=1, actor="clerk1", at=AT)
    assert said.startswith("Plan 1 for 100-0000")


def test_the_cli_ends_a_plan_in_one_line(district: sqlite3.Connection, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from console.cli import main
    from console.session import os_login
    from db.users import add_user

    add_user(district, login=os_login(), role="clerk", full_name="CLI user", actor="tester",
             at=AT)
    create_plan(district, "100-0000", months=3, on=date(2026, 9, 1), actor="clerk1", at=AT)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = district.execute("PRAGMA database_list").fetchone()[2]
    base = ["lockoff", "plan-end", "100-0000", "--db", path, "--today", TODAY.isoformat()]
    assert main([*base, "--reason", "late"]) == 2
    assert main([*base, "--reason", "paid-in-full", "--date", "2026-11-2x"]) == 2
    assert main([*base, "--reason", "paid-in-full", "--date", "2026-11-21"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and "reason" in errors[0] and "--date" in errors[1]
    assert main([*base, "--reason", "paid-in-full", "--comment", "paid at the counter"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [f"Plan 1 for 100-0000 (amortization, $90.00) ended on {TODAY}: paid in full."]
    assert main([*base, "--reason", "paid-in-full"]) == 2
    assert "no active payment plan" in capsys.readouterr().err
