"""The deposit sweep on the Refunds screen: s previews, Enter proposes, Esc stores none."""
from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Static

from console.app import MeterlineApp
from console.config import ConsoleConfig
from console.screens.refunds import RefundsScreen
from console.widgets.forms import ConfirmModal
from core.ledger import EntryType
from tests.conftest import open_new_database
from tests.console_support import open_by_palette, session_for, settle, text_of
from tests.payments_support import TODAY, charge, hold_deposit, small_district

SIZE = (80, 24)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Four accounts holding $100.00 deposits: three good payers, one with two late fees."""
    path = tmp_path / "district.db"
    conn = open_new_database(path)
    ids = small_district(conn, 4)
    for account_id in ids:
        hold_deposit(conn, account_id, 10000, TODAY.replace(year=2024))
    for month in (7, 9):  # more than deposit_refund_max_late (1): not earned
        charge(conn, ids[3], 1000, date(2026, month, 28), EntryType.LATE_FEE)
    conn.close()
    return path


def register(db_path: Path) -> list[tuple[str, str, str, int]]:
    conn = sqlite3.connect(db_path)
    return list(conn.execute("SELECT status, source, requested_by, amount_cents"
                             " FROM refund_register ORDER BY id"))


def sweeps(db_path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db_path)
    return list(conn.execute("SELECT actor, object_id FROM audit_log"
                             " WHERE action = 'deposits.sweep'"))


def dialog_text(app: MeterlineApp) -> str:
    return " ".join(str(widget.render()) for widget in app.screen.query(Static))


async def test_a_clerk_runs_the_sweep_and_a_second_run_proposes_none(db_path: Path) -> None:
    app = MeterlineApp(session_for(db_path), ConsoleConfig())  # clerk1, a clerk
    async with app.run_test(size=SIZE) as pilot:
        await open_by_palette(app, pilot, "refund")
        assert isinstance(app.screen, RefundsScreen)
        assert "0 PENDING" in text_of(app, "#refunds-title")

        await pilot.press("s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmModal)
        said = dialog_text(app)
        assert "Deposit sweep 2026-11-20" in said
        assert "3 refunds to propose, $300.00 in all: 3 of the 4 held deposits" in said
        assert "Propose 3 refunds ($300.00)?" in said
        assert register(db_path) == []  # the preview stores nothing

        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, RefundsScreen)
        assert text_of(app, "#refunds-status") == (
            "Deposit sweep 2026-11-20: 3 refunds proposed ($300.00), pending a supervisor's"
            " approval.")
        assert "3 PENDING" in text_of(app, "#refunds-title")
        assert "#3 PENDING · $100.00 · account 100-0003" in text_of(app, "#refunds-head")
        assert "deposit sweep" in text_of(app, "#refunds-how")

        await pilot.press("s")  # again: every earned deposit already waits
        await settle(app, pilot)
        assert isinstance(app.screen, RefundsScreen)  # no dialog
        assert "Deposit sweep 2026-11-20: 0 refunds to propose" in text_of(app, "#refunds-status")
    assert register(db_path) == [("pending", "deposit_sweep", "clerk1", 10000)] * 3
    assert sweeps(db_path) == [("clerk1", "2026-11-20")]


async def test_esc_on_the_dialog_proposes_nothing(db_path: Path) -> None:
    app = MeterlineApp(session_for(db_path), ConsoleConfig())
    async with app.run_test(size=SIZE) as pilot:
        await open_by_palette(app, pilot, "refund")
        await pilot.press("s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, RefundsScreen)
        assert "Nothing was proposed." in text_of(app, "#refunds-status")
        assert "0 PENDING" in text_of(app, "#refunds-title")
    assert register(db_path) == []
    assert sweeps(db_path) == []
