"""F6 Billing at 80x24: a supervisor drafts cycle 3, reads the diff, approves, freezes, prints."""
from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

from textual.widgets import Label, Static

from console.app import MeterlineApp
from console.config import ConsoleConfig
from console.screens.billing import BillingScreen
from console.widgets.paged_table import PagedTable
from core.model import Role
from db.connection import open_database
from tests.billing_support import read_cycle
from tests.console_support import build_small_district, session_for

SIZE = (80, 24)


def supervisor_with_cycle_three_read(tmp_path: Path) -> tuple[Path, MeterlineApp]:
    """The small demo district with cycle 3's November reads in, and a supervisor's console."""
    db = build_small_district(tmp_path)
    conn = open_database(db)
    read_cycle(conn, 3, date(2026, 11, 17))
    conn.close()
    return db, MeterlineApp(session_for(db, Role.SUPERVISOR, "super1"), ConsoleConfig())


async def open_billing(pilot: Any, app: MeterlineApp) -> BillingScreen:
    """F6 pressed and its first load done: the Billing screen."""
    await pilot.press("f6")
    await app.workers.wait_for_complete()
    screen = app.screen
    assert isinstance(screen, BillingScreen)
    return screen


def test_a_supervisor_runs_cycle_three_from_draft_to_print_file(tmp_path: Path) -> None:
    db, app = supervisor_with_cycle_three_read(tmp_path)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_billing(pilot, app)

            def title() -> str:
                return str(screen.query_one("#billing-title", Label).content)

            assert "cycle 1" in title() and "FROZEN" in title()  # the demo billed it
            await pilot.press("right_square_bracket", "right_square_bracket")
            await app.workers.wait_for_complete()
            assert "cycle 3 · 2026-11 · NOT DRAFTED" in title()
            await pilot.press("d")
            await app.workers.wait_for_complete()
            await app.workers.wait_for_complete()
            assert "DRAFT" in title()
            assert "billed" in str(screen.query_one("#billing-status", Label).content)
            assert screen.query_one(PagedTable).row_count > 0
            await pilot.press("enter")                     # the first bill, explained
            await app.workers.wait_for_complete()
            detail = str(screen.query_one("#billing-detail", Static).content)
            assert "HCF" in detail and "×" in detail
            await pilot.press("v")                         # the diff
            await app.workers.wait_for_complete()
            detail = str(screen.query_one("#billing-detail", Static).content)
            assert "demo history" in detail
            await pilot.press("a")
            await app.workers.wait_for_complete()
            await app.workers.wait_for_complete()
            assert "APPROVED" in title()
            await pilot.press("f")
            await app.workers.wait_for_complete()
            await app.workers.wait_for_complete()
            assert "FROZEN" in title()
            await pilot.press("p")
            await app.workers.wait_for_complete()
            await app.workers.wait_for_complete()
            assert "PRINT FILE written" in str(
                screen.query_one("#billing-status", Label).content)

    asyncio.run(run())
    assert (tmp_path / "bills-cycle3-2026-11.txt").exists()
    conn = open_database(db)
    posted = conn.execute("SELECT COUNT(*) FROM ledger_entries WHERE reason_code = 'BILL'"
                          ).fetchone()[0]
    conn.close()
    assert posted > 0


def test_f6_opens_again_on_the_cycle_month_the_clerk_left(tmp_path: Path) -> None:
    db = build_small_district(tmp_path)
    app = MeterlineApp(session_for(db), ConsoleConfig())

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f6")
            await app.workers.wait_for_complete()
            await pilot.press("right_square_bracket", "less_than_sign")
            await app.workers.wait_for_complete()
            first = app.screen
            assert "cycle 2 · 2026-10" in str(first.query_one("#billing-title", Label).content)
            await pilot.press("f10")                       # home, then F6 again
            await pilot.pause()
            assert app.screen is not first
            await pilot.press("f6")
            await app.workers.wait_for_complete()
            assert isinstance(app.screen, BillingScreen) and app.screen is not first
            assert "cycle 2 · 2026-10" in str(
                app.screen.query_one("#billing-title", Label).content)

    asyncio.run(run())


def test_a_step_key_pressed_while_a_draft_runs_starts_nothing(tmp_path: Path,
                                                              monkeypatch) -> None:
    """A thread worker cannot be stopped: approve and freeze pressed while the draft is still
    pricing are refused with a word to the clerk, and after it the steps go on as usual."""
    import threading

    from db import billing_run

    _, app = supervisor_with_cycle_three_read(tmp_path)
    release, started = threading.Event(), threading.Event()
    real_draft, approvals = billing_run.draft_run, []
    real_approve = billing_run.approve_run

    def slow_draft(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.set()
        release.wait(10)
        return real_draft(*args, **kwargs)

    def counted_approve(*args, **kwargs):  # type: ignore[no-untyped-def]
        approvals.append(args[1])
        return real_approve(*args, **kwargs)

    monkeypatch.setattr(billing_run, "draft_run", slow_draft)
    monkeypatch.setattr(billing_run, "approve_run", counted_approve)

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_billing(pilot, app)
            await pilot.press("right_square_bracket", "right_square_bracket")
            await app.workers.wait_for_complete()
            await pilot.press("d")
            await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
            await pilot.press("a", "f", "p")
            await pilot.pause()
            assert screen.step_running == "draft"
            warnings = [n.message for n in app._notifications]
            assert any("draft is still running" in m for m in warnings)
            assert "Drafting" in str(screen.query_one("#billing-status", Label).content)
            release.set()
            await app.workers.wait_for_complete()
            await app.workers.wait_for_complete()
            assert screen.step_running is None
            assert approvals == []                  # nothing was approved beside the draft
            title = str(screen.query_one("#billing-title", Label).content)
            assert "DRAFT" in title and "APPROVED" not in title
            await pilot.press("a")                  # the draft done, the key works again
            await app.workers.wait_for_complete()
            await app.workers.wait_for_complete()
            assert approvals == [3]
            assert "APPROVED" in str(screen.query_one("#billing-title", Label).content)

    asyncio.run(run())
