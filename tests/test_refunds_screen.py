"""The Refunds screen at 80x24: a supervisor approves, cancels and pays; a clerk is refused."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from console.app import MeterlineApp
from console.config import ConsoleConfig
from console.screens.adjustments import AdjustmentsScreen
from console.screens.refunds import RefundsScreen
from console.widgets.forms import FormModal
from core.errors import PermissionDenied
from core.users import Role
from db.connection import open_database
from db.deposit_book import request_deposit_refund
from db.refunds import count_refunds, decide_refund, own_request, refund_page
from tests.console_support import open_by_palette, session_for, settle, text_of
from tests.payments_support import (
    AT,
    SUPERVISOR,
    TODAY,
    hold_deposit,
    small_district,
    swept_refunds,
)

SIZE = (80, 24)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Three good payers' deposits, proposed for refund by the sweep: refunds 1, 2 and 3."""
    return swept_refunds(tmp_path / "district.db")


def register(db_path: Path) -> dict[int, str]:
    conn = sqlite3.connect(db_path)
    return dict(conn.execute("SELECT id, status FROM refund_register"))


def audit_actions(db_path: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(db_path)
    return list(conn.execute("SELECT action, actor, object_id FROM audit_log"
                             " WHERE action LIKE 'refunds.%' ORDER BY id"))


async def test_a_supervisor_approves_cancels_and_pays(db_path: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the A/P file's default folder
    app = MeterlineApp(session_for(db_path, Role.SUPERVISOR, "super1"), ConsoleConfig())
    out = tmp_path / "refunds-2026-11-20.csv"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f9")
        await settle(app, pilot)
        await pilot.press("escape", "r")  # from the adjustment queue
        await settle(app, pilot)
        assert isinstance(app.screen, RefundsScreen)
        assert "3 PENDING" in text_of(app, "#refunds-title")
        assert "#3 PENDING · $100.00" in text_of(app, "#refunds-head")
        assert "Pay Customer 3" in text_of(app, "#refunds-payee")
        assert "deposit sweep" in text_of(app, "#refunds-how")

        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"good", "enter")
        await settle(app, pilot)
        assert "Refund 3 is APPROVED" in text_of(app, "#refunds-status")
        assert "2 PENDING" in text_of(app, "#refunds-title")

        await pilot.press("c", "enter")  # no reason: refused in the dialog
        await pilot.pause()
        assert isinstance(app.screen, FormModal)
        assert "reason: a reason saying why is required" in text_of(app, "#form-problem")
        await pilot.press(*"kept", "enter")
        await settle(app, pilot)
        assert "Refund 2 is CANCELLED" in text_of(app, "#refunds-status")

        await pilot.press("p", "enter")  # the file offered: refunds-<today>.csv here
        await settle(app, pilot)
        assert "PAID 1 refunds, $100.00" in text_of(app, "#refunds-status")
        await pilot.press("p", "enter")  # the same file again: it exists, refused
        await pilot.pause()
        assert "already exists" in text_of(app, "#form-problem")
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("f", "f", "f")  # all, approved, paid
        await settle(app, pilot)
        assert "1 PAID" in text_of(app, "#refunds-title")
        assert "APPROVED by super1" in text_of(app, "#refunds-history")
        assert "PAID 2026-11-20 in refunds-2026-11-20.csv" in text_of(app, "#refunds-history")
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, AdjustmentsScreen)
    assert register(db_path) == {1: "pending", 2: "cancelled", 3: "paid"}
    assert audit_actions(db_path)[-3:] == [("refunds.approve", "super1", "3"),
                                           ("refunds.cancel", "super1", "2"),
                                           ("refunds.export", "super1", "1")]
    assert out.read_text().count("\n") == 2  # the header and refund 3


async def test_a_clerk_is_refused_in_words_and_nothing_changes(db_path: Path) -> None:
    before = audit_actions(db_path)
    app = MeterlineApp(session_for(db_path), ConsoleConfig())
    async with app.run_test(size=SIZE) as pilot:
        await open_by_palette(app, pilot, "refund")  # no F-key: the palette reaches it
        assert isinstance(app.screen, RefundsScreen)
        for key, verb in (("a", "approve"), ("c", "cancel")):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, RefundsScreen)  # no dialog opens
            assert (f"only a supervisor can {verb} a refund; clerk1 is a clerk"
                    in text_of(app, "#refunds-status"))
    assert register(db_path) == {1: "pending", 2: "pending", 3: "pending"}
    assert audit_actions(db_path) == before


def test_the_register_pages_by_status_newest_first(db_path: Path) -> None:
    conn = open_database(db_path)
    assert count_refunds(conn, ("pending",)) == 3 and count_refunds(conn, ("paid",)) == 0
    assert [r["id"] for r in refund_page(conn, ("pending",), limit=2)] == [3, 2]
    assert [r["id"] for r in refund_page(conn, (), after=2, limit=2)] == [1]
    assert [r["id"] for r in refund_page(conn, (), offset=1, limit=5)] == [2, 1]
    assert refund_page(conn, limit=1)[0]["deposit_cents"] == 10000


def test_a_supervisor_may_not_approve_a_refund_they_asked_for_by_hand(
        conn: sqlite3.Connection) -> None:
    small_district(conn, 1)
    hold_deposit(conn, 1, 5000, TODAY)
    row_id = request_deposit_refund(conn, "100-0001", actor="super1", comment="moved to autopay",
                                    at=AT, today=TODAY)
    asked = refund_page(conn)[0]
    assert own_request(asked, SUPERVISOR) == ("super1 asked for refund 1; another supervisor "
                                              "must approve it")
    assert own_request({**dict(asked), "source": "deposit_sweep"}, SUPERVISOR) is None
    with pytest.raises(PermissionDenied, match="another supervisor"):  # as adjustments do
        decide_refund(conn, row_id, approver=SUPERVISOR, approve=True, comment="ok!", at=AT)
    assert decide_refund(conn, row_id, approver=SUPERVISOR, approve=False, comment="mine",
                         at=AT) == "cancelled"
