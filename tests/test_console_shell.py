"""The app shell driven as a clerk would drive it, at 80x24."""
from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Label, Static

from console.screens.account import AccountScreen
from console.screens.accounts import AccountsScreen
from console.screens.error import ErrorModal
from console.screens.help import HelpScreen
from console.screens.home import HomeScreen
from console.widgets.paged_table import PagedTable
from tests.console_support import build_small_district, copy_district, make_app

SIZE = (80, 24)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_small_district(tmp_path_factory.mktemp("district"))


@pytest.fixture
def db_path(district: Path, tmp_path: Path) -> Path:
    return copy_district(district, tmp_path)


def _text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector).render())


async def test_home_shows_district_user_role_today_and_agenda(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert "High Mesa Water District" in _text(app, "#home-title")
        who = _text(app, "#home-who")
        assert "clerk1@district-server" in who and "CLERK" in who and "2026-11-20" in who
        assert "Accounts:" in _text(app, "#home-district")
        assert _text(app, "#home-agenda")  # either work items or the sentence saying none
        assert "F3" in _text(app, "#home-areas")


async def test_accounts_list_pages_and_opens_an_account(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)
        table = app.screen.query_one(PagedTable)
        assert table.row_count == 120
        await pilot.press("j", "j", "pagedown", "k")
        await app.workers.wait_for_complete()
        await pilot.pause()
        expected = table.cursor_key
        assert table.cursor == 2 + (SIZE[1] - 4) - 1 or table.cursor > 2
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.number == expected
        assert expected in _text(app, "#account-title")
        await pilot.press("escape")
        assert isinstance(app.screen, AccountsScreen)


async def test_end_key_reaches_the_last_account_without_loading_everything(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await app.workers.wait_for_complete()
        table = app.screen.query_one(PagedTable)
        table.page_size = 25  # force several pages on a small district
        table.reload()
        await app.workers.wait_for_complete()
        await pilot.press("end")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.cursor == 119
        for _ in range(50):  # the last page is asked for when the row is drawn, then loaded
            await app.workers.wait_for_complete()
            await pilot.pause()
            if table.cursor_key is not None:
                break
        assert table.cursor_key is not None
        assert len(table._pages) < 120 // 25 + 1  # never the whole table


async def test_help_lists_every_binding_of_the_screen_with_ids(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await app.workers.wait_for_complete()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        ids = {str(table.get_row_at(i)[2]) for i in range(table.row_count)}
        assert {"app.help", "app.home", "accounts.back", "list.open"} <= ids
        await pilot.press("escape")
        assert isinstance(app.screen, AccountsScreen)


async def test_command_palette_opens_an_account_by_number(db_path: Path) -> None:
    import sqlite3

    number = sqlite3.connect(db_path).execute(
        "SELECT number FROM accounts ORDER BY number LIMIT 1 OFFSET 7").fetchone()[0]
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*number)
        await pilot.pause()
        await app.workers.wait_for_complete()  # the palette's search is a worker
        await pilot.pause()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.number == number


async def test_keymap_from_config_moves_a_key(db_path: Path) -> None:
    app = make_app(db_path, keymap={"app.accounts": "f4"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)


async def test_a_failing_worker_shows_one_sentence_not_a_traceback(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        db_path.unlink()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        message = str(app.screen.query_one("#error-message", Label).render())
        assert "No database at" in message and "Traceback" not in message
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_customer_text_with_brackets_is_shown_verbatim(db_path: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(db_path)
    number = conn.execute(
        "SELECT a.number FROM accounts a JOIN customers c ON c.id = a.customer_id"
        " WHERE c.name LIKE '%[%' LIMIT 1").fetchone()[0]
    name = conn.execute(
        "SELECT c.name FROM accounts a JOIN customers c ON c.id = a.customer_id"
        " WHERE a.number = ?", (number,)).fetchone()[0]
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        app.open_account(number)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert name in str(app.screen.query_one("#account-header", Static).render())
