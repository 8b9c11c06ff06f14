"""The Work orders screen driven as a clerk would, at 80x24: find, schedule, complete, refuse."""
from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from console.screens.read_audit import ReadAuditScreen
from console.screens.work_orders import WorkOrdersScreen
from console.widgets.forms import FormModal
from console.widgets.paged_table import PagedTable
from core.work_orders import WorkOrderType
from db.connection import open_database
from db.read_dispositions import order_work
from db.read_import import import_reads
from db.work_orders import count_work_orders, create_work_order, work_order_page
from tests.console_support import make_app, open_by_palette, settle, text_of
from tests.reads_support import TODAY, build_read_district, standard_rows, write_rows

SIZE = (80, 24)
WHO = {"actor": "clerk1", "at": "2026-11-20T10:05:00"}


def district_with_a_reread(tmp_path: Path) -> tuple[Path, int, int]:
    """The standard read district, its file imported, and a re-read ordered on the STUCK read."""
    db = tmp_path / "district.db"
    premises = build_read_district(db)
    conn = open_database(db)
    import_reads(conn, write_rows(tmp_path / "r.csv", standard_rows(premises)), actor="clerk1",
                 at="2026-11-20T10:00:00", today=TODAY, cycle_id=3)
    stuck = conn.execute("SELECT id FROM read_exceptions WHERE rule_id = 'STUCK'").fetchone()[0]
    order = order_work(conn, stuck, WorkOrderType.REREAD, **WHO).work_order_id
    conn.close()
    assert order is not None
    return db, order, stuck


def test_schedule_and_complete_a_reread_with_the_keys(tmp_path: Path) -> None:
    db, order, stuck = district_with_a_reread(tmp_path)
    asyncio.run(schedule_and_complete(make_app(db)))
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT status, scheduled_on, result_reading, done_by FROM work_orders"
                        " WHERE id = ?", (order,)).fetchone() == \
        ("done", "2026-11-21", 5072, "clerk1")
    exception = conn.execute("SELECT status, read_id FROM read_exceptions WHERE id = ?",
                             (stuck,)).fetchone()
    assert exception[0] == "resolved"
    assert conn.execute("SELECT reading, read_on FROM meter_reads WHERE id = ?",
                        (exception[1],)).fetchone() == (5072, "2026-11-21")


async def schedule_and_complete(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await settle(app, pilot)
        await pilot.press("w")  # from the read audit queue
        await settle(app, pilot)
        assert isinstance(app.screen, WorkOrdersScreen)
        table = app.screen.query_one(PagedTable)
        assert table.row_count == 1
        assert "1 OPEN AND SCHEDULED" in text_of(app, "#orders-title")
        assert "RE-READ OPEN" in text_of(app, "#orders-head")
        assert "STUCK: WAITING on this order" in text_of(app, "#orders-exception")

        await pilot.press("s")
        await pilot.pause()
        await pilot.press("ctrl+u", *"2026-11-21", "enter")
        await settle(app, pilot)
        assert "scheduled for 2026-11-21" in text_of(app, "#orders-status")
        assert "RE-READ SCHEDULED for 2026-11-21" in text_of(app, "#orders-head")

        await pilot.press("d")  # the field read 5072 the next day
        await pilot.pause()
        await pilot.press("ctrl+u", *"2026-11-21", "enter", *"5072", "enter", *"photo", "enter")
        await settle(app, pilot)
        assert "replaces the disputed read" in text_of(app, "#orders-status")
        assert table.row_count == 0  # done orders leave the default list

        await pilot.press("f")  # all orders
        await settle(app, pilot)
        assert "1 ALL" in text_of(app, "#orders-title")
        assert "RE-READ DONE" in text_of(app, "#orders-head")
        assert "reading 5072" in text_of(app, "#orders-history")
        assert "STUCK: RESOLVED" in text_of(app, "#orders-exception")

        await pilot.press("escape")  # back to the queue, which no longer holds the STUCK read
        await settle(app, pilot)
        assert isinstance(app.screen, ReadAuditScreen)


def test_a_bad_date_or_reading_is_refused_in_the_dialog_and_nothing_changes(
        tmp_path: Path) -> None:
    db, order, stuck = district_with_a_reread(tmp_path)
    before = sqlite3.connect(db).execute("SELECT count(*) FROM audit_log").fetchone()[0]
    asyncio.run(refuse_bad_input(make_app(db)))
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT status, scheduled_on, version FROM work_orders WHERE id = ?",
                        (order,)).fetchone() == ("open", None, 1)
    assert conn.execute("SELECT status FROM read_exceptions WHERE id = ?",
                        (stuck,)).fetchone() == ("waiting",)
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before


async def refuse_bad_input(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await open_by_palette(app, pilot, "work orders")  # no F-key: the palette reaches it
        assert isinstance(app.screen, WorkOrdersScreen)

        for key, typed, problem in (
                ("s", ["ctrl+u", *"2026-02-30", "enter"], "'2026-02-30' is not a date on the"),
                ("d", ["enter", *"50a2", "enter", "enter"], "'50a2' is not a whole number"),
                ("d", ["enter", *"50720", "enter", "enter"], "does not fit the meter's 4 dials")):
            await pilot.press(key)
            await pilot.pause()
            await pilot.press(*typed)
            await pilot.pause()
            assert isinstance(app.screen, FormModal)
            assert problem in text_of(app, "#form-problem")
            await pilot.press("escape")
            await pilot.pause()
        await settle(app, pilot)
        assert isinstance(app.screen, WorkOrdersScreen)
        assert "RE-READ OPEN" in text_of(app, "#orders-head")


def test_work_order_pages_by_status_newest_first(tmp_path: Path) -> None:
    db = tmp_path / "district.db"
    premises = build_read_district(db)
    conn = open_database(db)
    conn.execute("BEGIN")
    for n in range(5):
        create_work_order(conn, WorkOrderType.LEAK_LETTER, account_id=premises[0].account_id,
                          meter_id=premises[0].meter_id, exception_id=None,
                          reason=f"letter {n}", **WHO)
    conn.execute("COMMIT")
    assert count_work_orders(conn, ("open", "scheduled")) == 5
    assert count_work_orders(conn, ("done",)) == 0
    first = work_order_page(conn, ("open",), limit=2)
    assert [r["id"] for r in first] == [5, 4]
    assert [r["id"] for r in work_order_page(conn, ("open",), after=4, limit=2)] == [3, 2]
    assert [r["id"] for r in work_order_page(conn, (), offset=4, limit=2)] == [1]
    assert first[0]["account_number"] == premises[0].number
