"""The Read audit screen driven as a clerk would, at 80x24: import, then work the queue."""
from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from textual.widgets import Static

from console.screens.read_audit import ReadAuditScreen
from console.widgets.paged_table import PagedTable
from console.widgets.usage_chart import UsageChart
from tests.console_support import make_app, settle, text_of
from tests.reads_support import build_read_district, standard_rows, write_rows

SIZE = (80, 24)
# The Pilot runs inside asyncio.run: these tests need no pytest async plugin.


def test_import_a_file_and_work_three_exceptions_with_the_keys(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "district.db"
    premises = build_read_district(db)
    write_rows(tmp_path / "r.csv", standard_rows(premises))
    monkeypatch.chdir(tmp_path)  # the clerk types the file's name where the console started
    asyncio.run(import_and_work(make_app(db), Path("r.csv")))
    conn = sqlite3.connect(db)
    worked = [tuple(r) for r in conn.execute(
        "SELECT e.rule_id, d.disposition, d.actor FROM read_dispositions d"
        " JOIN read_exceptions e ON e.id = d.exception_id ORDER BY d.id")]
    assert worked == [("LOW", "accept", "clerk1"), ("STUCK", "edit", "clerk1"),
                      ("NEGATIVE", "estimate", "clerk1")]
    assert conn.execute("SELECT count(*) FROM read_exceptions WHERE status = 'open'"
                        ).fetchone()[0] == 11


async def import_and_work(app, path: Path) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await settle(app, pilot)
        assert isinstance(app.screen, ReadAuditScreen)
        table = app.screen.query_one(PagedTable)
        assert table.row_count == 0

        await pilot.press("i")
        await pilot.pause()
        await pilot.press(*str(path), "enter", "3", "enter", "enter")
        await settle(app, pilot)
        assert "Imported" in text_of(app, "#reads-status")
        assert table.row_count == 14
        assert "14 OPEN" in text_of(app, "#reads-title")
        # Errors first, then route order: the LOW read on route C3-R01 leads.
        assert text_of(app, "#reads-head").startswith("#2 LOW ERROR")
        assert "Usage 30 is 85% below the expected 202" in text_of(app, "#reads-explain")
        assert "200  200" in str(app.screen.query_one(UsageChart).render())

        await pilot.press("a")  # accept the low read
        await settle(app, pilot)
        assert table.row_count == 13
        assert text_of(app, "#reads-head").startswith("#4 STUCK ERROR")

        await pilot.press("e")  # the clerk corrects the stuck reading from the photo
        await pilot.pause()
        await pilot.press("ctrl+u", *"5070", "enter", *"photo", "enter")
        await settle(app, pilot)
        assert table.row_count == 12
        assert "from 5050 to 5070" in text_of(app, "#reads-status")

        await pilot.press("j", "k")  # moving needs no database: the detail comes with the page
        assert text_of(app, "#reads-head").startswith("#6 NEGATIVE ERROR")
        await pilot.press("s")  # estimate the misread
        await pilot.pause()
        await pilot.press("1")
        await settle(app, pilot)
        assert table.row_count == 11
        assert "ESTIMATED" in text_of(app, "#reads-status")


def test_filter_by_rule_and_a_bad_filter_is_explained_in_the_dialog(tmp_path: Path) -> None:
    db = tmp_path / "district.db"
    premises = build_read_district(db)
    from db.connection import open_database
    from db.read_import import import_reads
    from tests.reads_support import TODAY

    conn = open_database(db)
    import_reads(conn, write_rows(tmp_path / "r.csv", standard_rows(premises)), actor="clerk1",
                 at="2026-11-20T10:00:00", today=TODAY)
    conn.close()
    asyncio.run(filter_queue(make_app(db)))


async def filter_queue(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await settle(app, pilot)
        table = app.screen.query_one(PagedTable)
        await pilot.press("slash", *"stuk", "enter", "enter", "enter", "enter")
        await pilot.pause()
        assert "'STUK' is not a rule" in str(app.screen.query_one("#form-problem").render())
        await pilot.press("escape")
        await pilot.press("slash", "ctrl+u", *"missing", "enter", "enter", "enter", "enter")
        await settle(app, pilot)
        assert table.row_count == 2
        assert "rule MISSING" in str(app.screen.query_one("#reads-title", Static).render())
        assert "Not read" in text_of(app, "#reads-numbers")
