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
from tests.console_support import session_for, settle, text_of

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


def test_a_clerk_puts_the_account_on_a_plan_and_it_leaves_the_list(tmp_path: Path) -> None:
    from console.widgets.forms import ConfirmModal, FormModal

    path = _district(tmp_path)
    app = MeterlineApp(session_for(path), ConsoleConfig())

    async def settle(pilot: object) -> None:
        for _ in range(2):
            await app.workers.wait_for_complete()
            await pilot.pause()  # type: ignore[attr-defined]

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f8")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, LockoffScreen)
            await pilot.press("m")
            await settle(pilot)
            assert "1 ON LIST of 3" in str(screen.query_one("#lockoff-title").render())
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, FormModal)
            app.screen.query_one("#form-months").value = "13"  # type: ignore[attr-defined]
            await pilot.press("enter", "enter", "enter")
            await pilot.pause()
            assert isinstance(app.screen, FormModal)
            problem = str(app.screen.query_one("#form-problem").render())
            assert "1 to 12 months" in problem
            app.screen.query_one("#form-months").value = "3"  # type: ignore[attr-defined]
            app.screen.query_one("#form-down").value = "15.00"  # type: ignore[attr-defined]
            app.screen.query_one("#form-months").focus()
            await pilot.press("enter", "enter", "enter")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmModal)
            shown = "\n".join(app.screen.lines)
            assert "$90.00 past due on Fri 2026-11-20" in shown
            assert "Down payment $15.00" in shown and "$75.00 in 3 monthly" in shown
            assert "1. due Sun 2026-12-20" in shown and "$25.00" in shown
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is screen
            status = str(screen.query_one("#lockoff-status").render())
            assert "Plan 1 for 100-0000: $75.00 in 3 installments" in status
            assert "Now OFF the list" in status and "KEPT" in status
            assert "0 ON LIST of 3" in str(screen.query_one("#lockoff-title").render())
            assert "OFF the list · 100-0000" in str(screen.query_one("#lockoff-detail").render())
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ExplanationModal)
            full = str(app.screen.query_one("#lockoff-explanation").render())
            assert "FAIL PLAN no plan, or plan in default: amortization plan from" in full
            assert "KEPT" in full
            await pilot.press("escape")
            await pilot.pause()

    asyncio.run(drive())
    with open_database(path) as conn:
        plan = conn.execute("SELECT months, total_cents, installment_cents, created_by FROM"
                            " payment_plans").fetchone()
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE action LIKE"
                                              " 'lockoff.%' ORDER BY id")]
        entry = conn.execute("SELECT eligible, blocked_by, gates FROM lockoff_list_entries e"
                             " JOIN accounts a ON a.id = e.account_id WHERE"
                             " a.number = '100-0000'").fetchone()
    assert tuple(plan) == (3, 7500, 2500, "clerk1")
    assert actions[-2:] == ["lockoff.plan_created", "lockoff.entry_rechecked"]
    assert (entry["eligible"], entry["blocked_by"]) == (0, "PLAN")
    assert "KEPT" in entry["gates"]


def test_a_clerk_ends_the_plan_and_the_account_returns_to_the_list(tmp_path: Path) -> None:
    from console.widgets.forms import ChoiceModal, FormModal
    from db.arrangements import create_plan

    path = _district(tmp_path)
    with open_database(path) as conn:
        create_plan(conn, "100-0000", months=3, on=TODAY, actor="clerk1", at=AT)
    app = MeterlineApp(session_for(path), ConsoleConfig())

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            for key in ("f8", "m"):
                await pilot.press(key)
                await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, LockoffScreen)
            assert "0 ON LIST of 3" in text_of(app, "#lockoff-title")
            await pilot.press("e")
            await settle(app, pilot)
            assert isinstance(app.screen, ChoiceModal)
            await pilot.press("2")
            await pilot.pause()
            assert isinstance(app.screen, FormModal)
            assert not app.screen.query("#form-plan")  # one plan: no plan number to give
            app.screen.query_one("#form-comment").value = "by phone"  # type: ignore[attr-defined]
            await pilot.press("enter", "enter")
            await settle(app, pilot)
            status = text_of(app, "#lockoff-status")
            assert app.screen is screen and "Now ON LIST" in status
            assert "1 ON LIST of 3" in text_of(app, "#lockoff-title")

    asyncio.run(drive())
    with open_database(path) as conn:
        plan = conn.execute("SELECT ended_on, end_reason FROM payment_plans").fetchone()
    assert tuple(plan) == (TODAY.isoformat(), "customer-cancelled")


def test_ending_a_plan_on_an_account_without_one_asks_nothing(tmp_path: Path) -> None:
    path = _district(tmp_path)
    app = MeterlineApp(session_for(path), ConsoleConfig())

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            for key in ("f8", "m"):
                await pilot.press(key)
                await settle(app, pilot)
            screen = app.screen
            await pilot.press("e")
            await settle(app, pilot)
            assert app.screen is screen  # no dialog opened
            assert "has no active payment plan: nothing to end" in text_of(
                app, "#lockoff-status")

    asyncio.run(drive())
