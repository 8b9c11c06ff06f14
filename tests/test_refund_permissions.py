"""Who may do what in the refund register: a supervisor approves, cancels (an approved refund
too, until it is paid) and pays; a clerk asks; a paid refund is never cancelled."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from console.app import MeterlineApp
from console.cli import main
from console.config import ConsoleConfig
from console.screens.refund_forms import refund_lines
from console.screens.refunds import RefundsScreen
from console.session import os_login
from core.errors import ConflictError, InputError, PermissionDenied
from core.users import Role
from db.connection import open_database
from db.ledger import check
from db.refunds import decide_refund, export_refunds, refund_page
from tests.console_support import open_by_palette, session_for, settle, text_of
from tests.payments_support import (
    AT,
    CLERK,
    SUPERVISOR,
    SUPERVISOR2,
    TODAY,
    swept_refunds,
)

SIZE = (80, 24)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Three good payers' deposits proposed by the sweep (refunds 1-3); refund 3 approved."""
    path = swept_refunds(tmp_path / "district.db")
    conn = open_database(path)
    decide_refund(conn, 3, approver=SUPERVISOR, approve=True, comment="good payer", at=AT)
    conn.close()
    return path


def _money_rows(conn: sqlite3.Connection) -> tuple[int, int]:
    return (conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0],
            conn.execute("SELECT count(*) FROM refund_exports").fetchone()[0])


def _statuses(conn: sqlite3.Connection) -> dict[int, str]:
    return dict(conn.execute("SELECT id, status FROM refund_register"))


def test_a_supervisor_cancels_an_approved_refund_with_no_money_moved(db_path: Path) -> None:
    conn = open_database(db_path)
    before = _money_rows(conn)
    # Any supervisor may cancel it, the one who approved it too.
    assert decide_refund(conn, 3, approver=SUPERVISOR2, approve=False,
                         comment="customer asked to keep the deposit", at=AT) == "cancelled"
    assert _statuses(conn)[3] == "cancelled" and _money_rows(conn) == before
    last = conn.execute("SELECT actor, before, after FROM audit_log WHERE action ="
                        " 'refunds.cancel' ORDER BY id DESC").fetchone()
    assert last[0] == "super2"
    assert json.loads(last[1]) == {"status": "approved", "approved_by": "super1",
                                   "approved_at": AT, "comment": "good payer"}
    assert json.loads(last[2])["status"] == "cancelled"
    shown = next(r for r in refund_page(conn) if r["id"] == 3)
    history = refund_lines(shown)[-1]
    assert "APPROVED by super1 2026-11-20 10:00" in history
    assert "CANCELLED by super2 2026-11-20 10:00: customer asked" in history
    with pytest.raises(InputError, match="no approved refunds"):
        export_refunds(conn, db_path.with_name("ap.csv"), user=SUPERVISOR, at=AT, today=TODAY)
    with pytest.raises(ConflictError, match="refund 3 is already CANCELLED"):
        decide_refund(conn, 3, approver=SUPERVISOR, approve=False, comment="again", at=AT)
    with pytest.raises(ConflictError, match="CANCELLED: only a PENDING refund can be approved"):
        decide_refund(conn, 3, approver=SUPERVISOR2, approve=True, comment="oops", at=AT)
    assert check(conn).ok


def test_a_clerk_may_not_cancel_an_approved_refund_or_pay(db_path: Path,
                                                          tmp_path: Path) -> None:
    conn = open_database(db_path)
    before = _money_rows(conn)
    with pytest.raises(PermissionDenied, match="only a supervisor can cancel a refund; "
                                               "clerk1 is a clerk"):
        decide_refund(conn, 3, approver=CLERK, approve=False, comment="not needed", at=AT)
    out = tmp_path / "ap.csv"
    with pytest.raises(PermissionDenied) as refused:
        export_refunds(conn, out, user=CLERK, at=AT, today=TODAY)
    assert str(refused.value) == ("only a supervisor can pay the approved refunds to A/P; "
                                  "clerk1 is a clerk")
    assert not out.exists() and _money_rows(conn) == before
    assert _statuses(conn) == {1: "pending", 2: "pending", 3: "approved"}


def test_a_paid_refund_is_not_cancelled(db_path: Path, tmp_path: Path) -> None:
    conn = open_database(db_path)
    export_refunds(conn, tmp_path / "ap.csv", user=SUPERVISOR, at=AT, today=TODAY)
    before = _money_rows(conn)
    with pytest.raises(ConflictError) as refused:
        decide_refund(conn, 3, approver=SUPERVISOR, approve=False, comment="check lost", at=AT)
    entry = conn.execute("SELECT paid_entry_id FROM refund_register WHERE id = 3").fetchone()[0]
    assert str(refused.value) == (
        f"refund 3 is PAID: its refund entry {entry} is posted and A/P has the file, so it "
        "cannot be cancelled; if A/P voids the check, put the credit back with an adjustment")
    assert _statuses(conn)[3] == "paid" and _money_rows(conn) == before


def _cli(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str]:
    code = main([*argv, "--db", str(db), "--today", TODAY.isoformat()])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_the_commands_refuse_a_clerk_and_let_a_supervisor_cancel_an_approved_refund(
        db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for name in ("MTL_DB", "MTL_THEME", "MTL_COLOR_SYSTEM", "MTL_MOUSE", "MTL_TODAY"):
        monkeypatch.delenv(name, raising=False)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("INSERT INTO users (login, role, added_by, added_at) VALUES"
                     " (?, 'clerk', 't', ?)", (os_login(), AT))
    out = tmp_path / "ap.csv"
    code, text = _cli(capsys, db_path, "refunds", "export", "--out", str(out))
    assert code == 2 and len(text.strip().splitlines()) == 1 and "Traceback" not in text
    assert f"only a supervisor can pay the approved refunds to A/P; {os_login()} is a clerk" \
        in text and not out.exists()
    code, text = _cli(capsys, db_path, "refunds", "cancel", "3", "--comment", "not owed")
    assert code == 2 and f"only a supervisor can cancel a refund; {os_login()} is a clerk" \
        in text
    with conn:
        conn.execute("UPDATE users SET role = 'supervisor' WHERE login = ?", (os_login(),))
    code, text = _cli(capsys, db_path, "refunds", "cancel", "3", "--comment", "not owed")
    assert code == 0 and "Refund 3 is CANCELLED. It is never paid" in text
    assert _statuses(conn)[3] == "cancelled"
    conn.close()


async def test_on_the_screen_a_supervisor_cancels_an_approved_refund(db_path: Path) -> None:
    app = MeterlineApp(session_for(db_path, Role.SUPERVISOR, "super2"), ConsoleConfig())
    async with app.run_test(size=SIZE) as pilot:
        await open_by_palette(app, pilot, "refund")
        assert isinstance(app.screen, RefundsScreen)
        await pilot.press("f", "f")  # all, approved
        await settle(app, pilot)
        assert "1 APPROVED" in text_of(app, "#refunds-title")
        await pilot.press("a")  # approved already: refused before any dialog
        await pilot.pause()
        assert isinstance(app.screen, RefundsScreen)
        assert "only a PENDING refund can be approved" in text_of(app, "#refunds-status")
        await pilot.press("c")
        await pilot.pause()
        assert "It was APPROVED; nothing was paid or posted yet." in " ".join(
            str(label.render()) for label in app.screen.query("Label"))
        await pilot.press(*"customer keeps it", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, RefundsScreen)
        assert "Refund 3 is CANCELLED" in text_of(app, "#refunds-status")
        assert "0 APPROVED" in text_of(app, "#refunds-title")
    conn = open_database(db_path)
    assert _statuses(conn)[3] == "cancelled"
    assert conn.execute("SELECT count(*) FROM refund_exports").fetchone()[0] == 0


async def test_on_the_screen_a_clerk_may_not_pay(db_path: Path) -> None:
    app = MeterlineApp(session_for(db_path), ConsoleConfig())
    async with app.run_test(size=SIZE) as pilot:
        await open_by_palette(app, pilot, "refund")
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, RefundsScreen)  # no dialog opens
        assert ("only a supervisor can pay the approved refunds to A/P; clerk1 is a clerk"
                in text_of(app, "#refunds-status"))
    conn = open_database(db_path)
    assert _statuses(conn)[3] == "approved"
    assert conn.execute("SELECT count(*) FROM refund_exports").fetchone()[0] == 0
