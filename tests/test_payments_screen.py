"""F7 Payments driven as a clerk would, at 80x24: open a batch, key a small stack (with a
duplicate check, an unknown account and a letter in an amount refused), balance, close."""
from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from console.screens.payments import PaymentsScreen
from db.connection import open_database
from db.ledger import check
from tests.conftest import open_new_database
from tests.console_support import make_app
from tests.payments_support import small_district

SIZE = (80, 24)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "district.db"
    conn = open_new_database(path)
    small_district(conn, 3)
    conn.close()
    return path


def text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector).render())


async def settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait for the database workers; a dialog flow waiting on the clerk is left waiting."""
    for _ in range(3):
        busy = [w for w in app.workers if not w.is_finished
                and w.group not in ("account-form", "payments-poster")]
        if busy:  # an empty list would mean every worker, the waiting dialog too
            await app.workers.wait_for_complete(busy)
        await pilot.pause()


async def test_a_clerk_posts_a_small_batch_and_balances_it(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f7")
        await settle(app, pilot)
        # No open batch: the screen asks for the control total at once.
        await pilot.press(*"150.00", "enter", "enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PaymentsScreen) and screen.batch_id is not None
        assert "control $150.00" in text(app, "#pay-title") and "SHORT $150.00" in text(
            app, "#pay-title")
        await pilot.press(*"100-0001", "enter", *"100", "enter", "enter", *"1201", "enter")
        await pilot.press(*"100-0001", "enter", *"5", "enter", "enter", *"1201", "enter")
        assert "duplicate check number" in text(app, "#pay-problem")
        await pilot.press("ctrl+l", *"100-0009", "enter", *"5", "enter", "c", "enter")
        await settle(app, pilot)
        assert "no account '100-0009'" in text(app, "#pay-result")
        await pilot.press(*"100-0002", "enter", *"2x", "enter", "enter", *"77", "enter")
        assert "REFUSED (nothing posted): amount" in text(app, "#pay-problem")
        # The cursor waits in the amount; the other fields keep what was typed.
        await pilot.press("backspace", "backspace", *"50", "enter", "enter", "enter")
        await settle(app, pilot)
        table = screen.query_one(DataTable)
        assert [str(table.get_row_at(i)[-1]) for i in range(table.row_count)] == [
            "POSTED", "REFUSED", "POSTED"]
        assert "BALANCED" in text(app, "#pay-title")
        await pilot.press("escape", "c")  # to the list, close the batch
        await settle(app, pilot)
        assert "CLOSED batch" in text(app, "#pay-result") and "BALANCED" in text(
            app, "#pay-result")
    conn = open_database(db_path)
    assert conn.execute("SELECT status FROM payment_batches").fetchone()[0] == "closed"
    assert conn.execute("SELECT count(*) FROM payments").fetchone()[0] == 2
    assert check(conn).ok
    conn.close()
