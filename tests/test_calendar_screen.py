"""The calendar screen driven from the keyboard at 80x24, and the CLI showing the same dates."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from textual.widgets import DataTable

from console.app import MeterlineApp
from console.cli import main
from console.config import ConsoleConfig
from console.screens.calendar import CalendarScreen
from console.screens.calendar_modals import OverrideModal, TextModal
from console.screens.error import ErrorModal
from console.screens.home import HomeScreen
from console.session import os_login
from core.users import Role
from db.schedule import generate_months
from tests.calendar_support import AT, SUPERVISOR, TODAY, build_calendar_district
from tests.console_support import session_for

SIZE = (80, 24)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "district.db"
    conn = build_calendar_district(path)
    conn.execute("INSERT INTO users (login, role, full_name, added_by, added_at)"
                 " VALUES (?, 'supervisor', 'CLI user', 'setup', ?)", (os_login(), AT))
    generate_months(conn, TODAY.replace(day=1), 2, user=SUPERVISOR, at=AT, today=TODAY)
    conn.close()
    return path


def app_for(db_path: Path, role: Role = Role.CLERK, login: str = "clerk1") -> MeterlineApp:
    return MeterlineApp(session_for(db_path, role, login), ConsoleConfig())


def text(app: MeterlineApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def settle(app: MeterlineApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


# The Pilot runs inside asyncio.run: these tests need no pytest async plugin.


def test_a_clerk_moves_through_the_month_and_opens_a_dates_explanation(
        db_path: Path) -> None:
    app = app_for(db_path)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f4")
            await settle(app, pilot)
            assert isinstance(app.screen, CalendarScreen)
            assert "November 2026" in text(app, "#calendar-title")
            assert ">20 TODAY" in text(app, "#calendar-grid")
            await pilot.press("right_square_bracket")        # Sun 2026-12-20
            await settle(app, pilot)
            assert "December 2026" in text(app, "#calendar-title")
            assert "2026-12 STORED" in text(app, "#calendar-status")
            await pilot.press("down", "right", "l")           # Sun 27 → Tue 2026-12-29
            await pilot.pause()
            day = text(app, "#calendar-day")
            assert day.startswith("Tue 2026-12-29  office OPEN")
            assert "Cycle 1 due: due = bill 2026-12-08 + 21 days = Tue 2026-12-29" in day
            await pilot.press("left", "up", "k", "j", "j", "right")  # back to the 29th
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, TextModal)
            why = text(app, "#modal-text")
            assert "Cycle 1 due: Tue 2026-12-29" in why and "settings: due_days = 21" in why
            assert "rule: The bill date + due_days calendar days" in why
            await pilot.press("escape")
            assert isinstance(app.screen, CalendarScreen)
            await pilot.press("c")                            # cycle 1 only
            assert "Cycle 1" in text(app, "#calendar-title")
            await pilot.press("v", "v")                       # the schedule by cycle
            table = app.screen.query_one(DataTable)
            assert table.row_count == 11
            await pilot.press("o")                            # a clerk may not override
            await pilot.pause()
            assert isinstance(app.screen, ErrorModal)
            assert "only a supervisor can override" in text(app, "#error-message")

    asyncio.run(drive())


def test_a_supervisor_override_that_breaks_the_60_days_is_refused_naming_g1(
        db_path: Path) -> None:
    app = app_for(db_path, Role.SUPERVISOR, "sup1")
    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f4")
            await settle(app, pilot)
            for _ in range(3):                                # Nov 20 → Feb 20
                await pilot.press("pagedown")
                await settle(app, pilot)
            await pilot.press("down", "right", "right")       # Mon 2027-03-01
            await settle(app, pilot)
            assert "Cycle 1 lock-off" in text(app, "#calendar-day")
            await pilot.press("o")
            await pilot.pause()
            assert isinstance(app.screen, OverrideModal)
            assert [r.event.value for r in app.screen.rows] == ["lockoff"]
            # One date on the day: the cursor starts in the new-date field.
            await pilot.press(*"2027-02-24", "enter", *"crew", "space", *"free", "enter")
            await settle(app, pilot)
            assert isinstance(app.screen, ErrorModal)
            message = text(app, "#error-message")
            assert "refused: G1 (SB 998, HSC §116908(a)(1)(A))" in message
            assert "57 days after the due date" in message

    asyncio.run(drive())


def test_home_lists_the_schedule_due_this_week_with_its_reason(db_path: Path) -> None:
    app = app_for(db_path)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert isinstance(app.screen, HomeScreen)
            agenda = text(app, "#home-agenda")
            assert "TODAY  Cycle 3: bills are dated and sent to print" in agenda
            why = " ".join(agenda.split())  # the reason wraps under "why:" at 80 columns
            assert "why: bill = read window closes 2026-11-19 + 1 day = Fri 2026-11-20" in why

    asyncio.run(drive())


def test_the_cli_and_the_screen_show_the_same_dates(
        db_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert main(["calendar", "--db", str(db_path), "--today", "2026-11-20", "--month",
                 "2026-12", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    cli = [(r["cycle"], r["event"], r["date"]) for r in printed["rows"]]
    app = app_for(db_path)

    async def drive() -> list[tuple[str, ...]]:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f4")
            await settle(app, pilot)
            await pilot.press("right_square_bracket", "v", "v")
            await settle(app, pilot)
            table = app.screen.query_one(DataTable)
            return [tuple(str(cell) for cell in table.get_row_at(i))[:3]
                    for i in range(table.row_count)]

    screen = asyncio.run(drive())
    assert len(cli) == 44
    assert [(c, e, d) for c, d, e in screen] == cli


def test_closures_cli_names_where_each_day_comes_from(
        db_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    args = ["--db", str(db_path), "--today", "2026-11-20"]
    assert main(["calendar", "close", "2026-12-24", "--name", "Christmas Eve", "--reason",
                 "MOU 2026", *args]) == 0
    capsys.readouterr()
    assert main(["calendar", "closures", "--year", "2026", "--format", "csv", *args]) == 0
    out = capsys.readouterr().out
    assert "Thu 2026-12-24,Christmas Eve,CLOSED,district list: MOU 2026" in out
    assert "Fri 2026-12-25,Christmas Day,CLOSED,\"holidays package (US-CA, observed)\"" in out
    assert main(["calendar", "override", "--month", "2026-12", "--cycle", "1", "--event",
                 "lockoff", "--date", "2027-02-24", "--reason", "x", *args]) == 2
    assert "refused: G1" in capsys.readouterr().err
