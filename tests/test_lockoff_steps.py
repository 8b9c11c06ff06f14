"""The delinquency steps: previews write nothing, and a clerk runs one from F8 at 80x24."""
from __future__ import annotations

import asyncio
import sqlite3
from datetime import date
from pathlib import Path

from console.app import MeterlineApp
from console.config import ConsoleConfig
from console.screens.lockoff import LockoffScreen
from core.schedule import EventKind
from db.connection import open_database
from db.late_fees import preview_late_fees, run_late_fees
from db.notices import preview_notices, run_notices
from db.schedule import generate_months, schedule_for_month
from tests.calendar_support import AT, SUPERVISOR, build_calendar_district
from tests.console_support import session_for

MONTH = date(2026, 8, 1)


def _district(tmp_path: Path) -> tuple[Path, dict[EventKind, date]]:
    path = tmp_path / "district.db"
    conn = build_calendar_district(path, accounts_per_cycle=2)
    generate_months(conn, MONTH, 3, user=SUPERVISOR, at=AT, today=MONTH)
    dates = {d.event: d.on for d in schedule_for_month(conn, MONTH, 1)}
    conn.close()
    return path, dates


def _counts(conn: sqlite3.Connection) -> tuple[int, ...]:
    return tuple(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in (
        "ledger_entries", "delinquency_notices", "late_fee_waivers", "audit_log"))


def test_previews_write_nothing_and_match_the_run(tmp_path: Path) -> None:
    path, dates = _district(tmp_path)
    with open_database(path) as conn:
        before = _counts(conn)
        fees = preview_late_fees(conn, dates[EventKind.LATE_FEE], actor="clerk1", at=AT)
        notices = preview_notices(conn, dates[EventKind.REMINDER], actor="clerk1", at=AT)
        assert _counts(conn) == before
        used = conn.execute("SELECT count(*) FROM schedule_dates WHERE used_by IS NOT NULL")
        assert used.fetchone()[0] == 0
        run = run_late_fees(conn, dates[EventKind.LATE_FEE], actor="clerk1", at=AT)
        assert (fees.charged, fees.charged_cents) == (run.charged, run.charged_cents) != (0, 0)
        sent = run_notices(conn, dates[EventKind.REMINDER], tmp_path / "n.csv", actor="clerk1",
                           at=AT)
        assert notices.notices == sent.logged > 0 and notices.accounts > 0
        again = preview_late_fees(conn, dates[EventKind.LATE_FEE], actor="clerk1", at=AT)
        assert again.already_run and again.charged == 0
        seen = preview_notices(conn, dates[EventKind.REMINDER], actor="clerk1", at=AT)
        assert seen.notices == 0 and seen.already == sent.in_file


def test_a_clerk_runs_the_late_fees_from_the_lockoff_screen(tmp_path: Path) -> None:
    path, dates = _district(tmp_path)
    fee_day = dates[EventKind.LATE_FEE]
    app = MeterlineApp(session_for(path), ConsoleConfig())

    async def settle(pilot: object) -> None:
        for _ in range(2):
            await app.workers.wait_for_complete()
            await pilot.pause()  # type: ignore[attr-defined]

    async def drive() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f8")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, LockoffScreen)
            await pilot.press("s")
            await pilot.pause()
            await pilot.press("2")                       # Late fees
            await pilot.pause()
            await pilot.press("ctrl+u", *str(fee_day), "enter")
            await settle(pilot)
            shown = str(app.screen.query_one("#confirm-title").render())
            assert shown == f"Late fees for {fee_day}"
            preview = str(app.screen.query_one("VerticalScroll Static").render())
            assert "late fees to post, $" in preview
            await pilot.press("y")
            await settle(pilot)
            assert app.screen is screen
            status = str(screen.query_one("#lockoff-status").render())
            assert "Late fees done." in status and "late fees posted" in status
            await pilot.press("s", "2")                  # the same date again
            await pilot.pause()
            await pilot.press("ctrl+u", *str(fee_day), "enter")
            await settle(pilot)
            assert app.screen is screen
            status = str(screen.query_one("#lockoff-status").render())
            assert "already run for this date" in status

    asyncio.run(drive())
    with open_database(path) as conn:
        fees = conn.execute("SELECT count(*), min(actor) FROM ledger_entries"
                            " WHERE entry_type = 'late_fee'").fetchone()
    assert tuple(fees) == (2, "clerk1")


def test_the_plan_form_checks_its_fields_and_previews_every_installment() -> None:
    import pytest

    from console.screens.lockoff_plans import PlanRequest, parse_plan_form, plan_preview_lines
    from core.errors import InputError

    today = date(2026, 11, 20)
    good = parse_plan_form("100-0000", {"months": "3", "down": "", "start": "2026-11-20"}, today)
    assert good == PlanRequest("100-0000", 3, 0, today)
    with pytest.raises(InputError) as caught:
        parse_plan_form("100-0000", {"months": "0", "down": "-1.00", "start": "2026-11-21"},
                        today)
    fields = {p.field for p in caught.value.problems}
    assert fields == {"months", "down payment", "start date"}
    lines = plan_preview_lines(PlanRequest("100-0000", 3, 1000, today), 10001)
    assert "On the plan: $90.01 in 3 monthly installments:" in lines
    assert [line.split()[-1] for line in lines if "due" in line and ". due" in line] == [
        "$30.01", "$30.01", "$29.99"]
    again = plan_preview_lines(PlanRequest("100-0000", 3, 0, today), 10001,
                               ("plan 1 from 2026-11-01",))
    assert "NOTE: already on plan 1 from 2026-11-01" in again[1]
    with pytest.raises(InputError, match="covers all"):
        plan_preview_lines(PlanRequest("100-0000", 3, 10001, today), 10001)
