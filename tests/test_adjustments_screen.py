"""F9 Adjustments at 80x24: a clerk previews and submits; a clerk cannot approve; a supervisor
approves from the queue; a posted adjustment is reversed."""
from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from console.app import MeterlineApp
from console.config import ConsoleConfig
from console.screens.adjustments import AdjustmentsScreen
from console.screens.error import ErrorModal
from core.users import Role
from db.connection import open_database
from db.ledger import balance_of, check
from tests.conftest import open_new_database
from tests.console_support import session_for
from tests.payments_support import small_district

SIZE = (80, 24)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "district.db"
    conn = open_new_database(path)
    small_district(conn, 2)
    conn.close()
    return path


def app_for(db_path: Path, role: Role, login: str) -> MeterlineApp:
    return MeterlineApp(session_for(db_path, role, login), ConsoleConfig())


def text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector).render())


async def settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        busy = [w for w in app.workers if not w.is_finished and w.group != "account-form"]
        if busy:
            await app.workers.wait_for_complete(busy)
        await pilot.pause()


async def fill(pilot, *values: str) -> None:  # type: ignore[no-untyped-def]
    """Type each field's value and Enter: account, kind, reason, amount, from, to, method,
    percent, comment."""
    for value in values:
        await pilot.press(*value, "enter")


async def test_clerk_submits_supervisor_approves_then_reverses(db_path: Path) -> None:
    clerk = app_for(db_path, Role.CLERK, "clerk1")
    async with clerk.run_test(size=SIZE) as pilot:
        await pilot.press("f9")
        await settle(clerk, pilot)
        assert isinstance(clerk.screen, AdjustmentsScreen)
        await fill(pilot, "100-0001", "a", "bill-err", "-250", "", "", "", "", "misread")
        await settle(clerk, pilot)
        preview = text(clerk, "#adj-preview")
        assert "PREVIEW" in preview and "SEND FOR APPROVAL" in preview
        assert "$480.00 → $230.00" in preview
        await pilot.press("enter")  # Enter again on Comment: submit
        await settle(clerk, pilot)
        assert "WAITING: request 1" in text(clerk, "#adj-preview")
        assert str(clerk.screen.query_one(DataTable).get_row_at(0)[4]) == "WAITING"
        await pilot.press("escape", "a", *"ok!", "enter")  # a clerk tries to approve
        await settle(clerk, pilot)
        assert isinstance(clerk.screen, ErrorModal)
        assert "only a supervisor can approve" in clerk.screen.message
    conn = open_database(db_path)
    assert balance_of(conn, 1)[0] == 48000
    conn.close()
    app = app_for(db_path, Role.SUPERVISOR, "super1")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f9")
        await settle(app, pilot)
        assert "1 waiting for approval" in text(app, "#adj-title")
        await pilot.press("escape", "a", *"read ok", "enter")
        await settle(app, pilot)
        assert "APPROVED request 1" in text(app, "#adj-preview")
        table = app.screen.query_one(DataTable)
        assert str(table.get_row_at(0)[4]) == "POSTED"
        await pilot.press("u", *"undo", "enter")
        await settle(app, pilot)
        assert "REVERSED adjustment" in text(app, "#adj-preview")
    conn = open_database(db_path)
    assert balance_of(conn, 1)[0] == 48000 and check(conn).ok
    conn.close()
