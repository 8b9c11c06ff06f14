"""The Lock-off screen (F8) at 80x24: make the list, open one account's explanation, print."""
from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from console.app import MeterlineApp
from console.config import ConsoleConfig
from console.screens.lockoff import ExplanationModal, LockoffScreen
from db.connection import open_database
from db.lockoff import next_lockoff_date
from db.schedule import generate_months
from tests.calendar_support import AT, SUPERVISOR, TODAY, build_calendar_district
from tests.console_support import session_for

SIZE = (80, 24)


def _district(tmp_path: Path) -> Path:
    path = tmp_path / "district.db"
    conn = build_calendar_district(path)
    generate_months(conn, date(2026, 9, 1), 3, user=SUPERVISOR, at=AT, today=date(2026, 9, 1))
    notice = conn.execute("SELECT on_date FROM schedule_dates WHERE month = '2026-09' AND"
                          " cycle_id = 1 AND event = 'notice'").fetchone()[0]
    for kind in ("sb998", "occupant"):
        conn.execute("INSERT INTO delinquency_notices (account_id, kind, on_date, addressed_to,"
                     " logged_by, logged_at) SELECT id, ?, ?, 'Customer 1-0', 'clerk1', ?"
                     " FROM accounts WHERE number = '100-0000'", (kind, notice, AT))
    conn.close()
    return path


def test_a_clerk_makes_the_list_opens_an_explanation_and_prints(tmp_path: Path) -> None:
    path = _district(tmp_path)
    with open_database(path) as conn:
        lockoff = next_lockoff_date(conn, TODAY)
    assert lockoff == date(2026, 11, 30)
    app = MeterlineApp(session_for(path), ConsoleConfig())

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f8")
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, LockoffScreen)
            title = str(screen.query_one("#lockoff-title").render())
            assert "2026-11-30" in title and "press m" in title
            await pilot.press("m")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            title = str(screen.query_one("#lockoff-title").render())
            assert "1 ON LIST of 3" in title
            detail = str(screen.query_one("#lockoff-detail").render())
            assert "ON LIST · 100-0000" in detail and "PASS G1   oldest unpaid" in detail
            await pilot.press("j")
            await pilot.pause()
            assert "OFF the list" in str(screen.query_one("#lockoff-detail").render())
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ExplanationModal)
            full = str(app.screen.query_one("#lockoff-explanation").render())
            assert "FAIL G2" in full and "§116908(a)(1)(A)" in full
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen
            await pilot.press("p")
            await app.workers.wait_for_complete()
            await pilot.pause()
            status = str(screen.query_one("#lockoff-status").render())
            assert "1 accounts still ON LIST" in status
            await app.workers.wait_for_complete()
            await pilot.pause()

    asyncio.run(drive())
    printed = tmp_path / "print" / "lockoff-2026-11-30-list1.csv"
    assert printed.read_text(encoding="utf-8").splitlines()[1].startswith("100-0000,")
    with open_database(path) as conn:
        row = conn.execute("SELECT printed_by, printed_count FROM lockoff_lists").fetchone()
    assert tuple(row) == ("clerk1", 1)
