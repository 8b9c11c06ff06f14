"""The account workflows driven as a clerk drives them, at 80x24."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from textual.widgets import DataTable, Label, Static

from console.app import MeterlineApp
from console.config import ConsoleConfig
from console.screens.account import AccountScreen
from console.screens.error import ErrorModal
from console.screens.search import SearchScreen
from core.users import Role
from tests.accounts_support import (
    active_account,
    build_accounts_district,
    copy_to,
    last_reading,
    use_strict_read_bands,
)
from tests.console_support import make_app, session_for

SIZE = (80, 24)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_accounts_district(tmp_path_factory.mktemp("account-screen"))


@pytest.fixture
def db_path(district: Path, tmp_path: Path) -> Path:
    return copy_to(district, tmp_path)


async def _settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def _until_screen(app, pilot, name: str) -> None:  # type: ignore[no-untyped-def]
    """Pause until a dialog shows: a guided flow's worker waits on it, so do not wait for it."""
    for _ in range(100):
        if type(app.screen).__name__ == name:
            return
        await pilot.pause(0.05)
    raise AssertionError(f"{name} never showed; the screen is {type(app.screen).__name__}")


async def test_search_open_account_add_note_and_see_it(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    number = active_account(conn)
    name = conn.execute("SELECT c.name FROM customers c JOIN accounts a ON a.customer_id = c.id"
                        " WHERE a.number = ?", (number,)).fetchone()[0]
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*number)
        await _settle(app, pilot)
        results = app.screen.query_one(DataTable)
        assert str(results.get_row_at(0)[0]) == number
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, AccountScreen) and app.screen.number == number
        assert name in str(app.screen.query_one("#account-header", Static).render())
        assert "Aging:" in str(app.screen.query_one("#account-money", Static).render())
        await pilot.press("n")
        await _until_screen(app, pilot, "AccountForm")
        await pilot.press(*"Called about a leak at the hose bib", "enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, AccountScreen)
        notes = app.screen.query_one("#account-notes", DataTable)
        assert notes.row_count >= 1
        newest = [str(cell) for cell in notes.get_row_at(0)]
        assert newest[1:] == ["clerk1", "Called about a leak at the hose bib"]
        await pilot.press("escape")
        assert not isinstance(app.screen, AccountScreen)


async def test_slash_on_the_account_list_searches_and_esc_returns(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await _settle(app, pilot)
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"contenta")
        await _settle(app, pilot)
        assert "match" in str(app.screen.query_one("#search-status", Label).render())
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "AccountsScreen"


def _closing_account(db_path: Path, usage: int) -> tuple[str, str]:
    """An active account holding a deposit, and a final read `usage` units past its last."""
    conn = sqlite3.connect(db_path)
    try:
        number = active_account(conn, deposit=True)
        return number, str(last_reading(conn, number) + usage)
    finally:
        conn.close()


async def _move_out_with(app, pilot, number: str, final: str) -> None:  # type: ignore[no-untyped-def]
    """Open the account, press m, type the final read and Enter through the form."""
    app.open_account(number)
    await _settle(app, pilot)
    await pilot.press("m")
    await _until_screen(app, pilot, "AccountForm")
    await pilot.press(*final, "enter", "enter", "enter", "enter", "enter")
    await _until_screen(app, pilot, "ConfirmModal")


async def test_move_out_guided_closes_the_account(db_path: Path) -> None:
    number, final = _closing_account(db_path, 3)
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await _move_out_with(app, pilot, number, final)
        assert "Deposit applied" in str(app.screen.query_one("VerticalScroll Static",
                                                             Static).render())
        await pilot.press("y")
        await _settle(app, pilot)
        assert isinstance(app.screen, AccountScreen)
        assert "CLOSED" in str(app.screen.query_one("#account-title", Label).render())
        assert "CLOSING BILL" in str(app.screen.query_one("#account-bills", Static).render())
    status = sqlite3.connect(db_path).execute(
        "SELECT status FROM accounts WHERE number = ?", (number,)).fetchone()[0]
    assert status == "closed"


async def test_a_stale_save_is_refused_with_who_and_when(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    number = active_account(conn)
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        app.open_account(number)
        await _settle(app, pilot)
        # Another clerk saves the account after this screen read it.
        conn.execute("UPDATE accounts SET version = version + 1, updated_by = 'tester',"
                     " updated_at = '2026-11-20T09:41:00' WHERE number = ?", (number,))
        conn.commit()
        await pilot.press("e")
        await _until_screen(app, pilot, "AccountForm")
        await pilot.press("enter", "enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, ErrorModal)
        message = str(app.screen.query_one("#error-message", Label).render())
        assert f"Account {number} was changed by" in message
        assert "at 2026-11-20 09:41 — reload" in message


async def test_move_out_on_a_refused_final_read_is_accepted_with_a_reason(
        db_path: Path) -> None:
    use_strict_read_bands(db_path)
    number, final = _closing_account(db_path, 500)
    app = MeterlineApp(session_for(db_path, Role.SUPERVISOR, "super1"), ConsoleConfig())
    async with app.run_test(size=SIZE) as pilot:
        await _move_out_with(app, pilot, number, final)
        refusal = str(app.screen.query_one("VerticalScroll Static", Static).render())
        assert "HIGH (error, limit +300%):" in refusal and "above the expected" in refusal
        await pilot.press("n")  # back to the form to check the reading: nothing written
        await _until_screen(app, pilot, "AccountForm")
        await pilot.press("enter", "enter", "enter", "enter", "enter")
        await _until_screen(app, pilot, "ConfirmModal")
        await pilot.press("y")
        await _until_screen(app, pilot, "AccountForm")
        await pilot.press(*"Re-read by field staff", "enter")
        for _ in range(100):  # the closing summary replaces the refusal
            await pilot.pause(0.05)
            shown = app.screen.query("VerticalScroll Static")
            if type(app.screen).__name__ == "ConfirmModal" and shown and \
                    "Closing bill" in str(shown.first(Static).render()):
                break
        summary = str(app.screen.query_one("VerticalScroll Static", Static).render())
        assert "Read audit ERROR HIGH — ACCEPTED" in summary and "Re-read by field" in summary
        await pilot.press("y")
        await _settle(app, pilot)
        assert "CLOSED" in str(app.screen.query_one("#account-title", Label).render())
    conn = sqlite3.connect(db_path)
    row = conn.execute("SELECT actor, after FROM audit_log WHERE object_id = ? AND action ="
                       " 'account.final_read_accepted'", (number,)).fetchone()
    assert row[0] == "super1" and '"reason": "Re-read by field staff"' in row[1]


async def test_a_clerk_is_told_a_supervisor_accepts_a_refused_final_read(db_path: Path) -> None:
    use_strict_read_bands(db_path)
    number, final = _closing_account(db_path, 500)
    app = make_app(db_path)  # clerk1, a clerk
    async with app.run_test(size=SIZE) as pilot:
        app.open_account(number)
        await _settle(app, pilot)
        await pilot.press("m")
        await _until_screen(app, pilot, "AccountForm")
        await pilot.press(*final, "enter", "enter", "enter", "enter", "enter")
        await _until_screen(app, pilot, "ErrorModal")  # no accept dialog opens
        message = str(app.screen.query_one("#error-message", Label).render())
        assert "HIGH (error, limit +300%):" in message
        assert ("Refused: only a supervisor can accept a final read the read audit calls an"
                " error; clerk1 is a clerk." in message.replace("\n", " "))
        await pilot.press("escape")
        await _until_screen(app, pilot, "AccountForm")  # back to fix the reading
        note = " ".join(str(label.render()) for label in app.screen.query(Label))
        assert "a supervisor closes the account" in note.replace("\n", " ")
        await pilot.press("escape")
        await _settle(app, pilot)
        assert "CLOSED" not in str(app.screen.query_one("#account-title", Label).render())
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT status FROM accounts WHERE number = ?",
                        (number,)).fetchone()[0] == "active"
    assert conn.execute("SELECT count(*) FROM audit_log WHERE object_id = ? AND action ="
                        " 'account.final_read_accepted'", (number,)).fetchone()[0] == 0
