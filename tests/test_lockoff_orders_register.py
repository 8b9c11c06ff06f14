"""The crew's dispatch list: every lock-off order paged from SQLite (open only, or all), the
same rows from `meterline lockoff open-orders`, and the Lock-off orders register at 80x24
recording a crew's result through db.lockoff_orders.complete_order."""
from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import pytest

from console.screens.lockoff_orders import LockoffOrdersScreen
from console.widgets.forms import ChoiceModal, FormModal
from db.connection import open_database
from db.lockoff import make_list
from db.lockoff_orders import (
    REGISTER_SQL,
    complete_order,
    count_register,
    register_key,
    register_page,
)
from tests.calendar_support import AT
from tests.console_support import open_by_palette, settle, text_of
from tests.test_lockoff_field_screen import LOCKOFF, SIZE, _app, _district


def _with_second_list(path: Path) -> None:
    """A remade list for the same day with a second order for 100-0000 (opened before a remade
    list stopped giving one), so the open orders span two lists."""
    with open_database(path) as conn:
        stored, _ = make_list(conn, LOCKOFF, actor="clerk1", at=AT)
        conn.execute("INSERT INTO lockoff_orders (list_id, account_id, lockoff_on,"
                     " service_class, created_by, created_at) SELECT ?, account_id,"
                     " '2026-11-25', service_class, created_by, created_at FROM lockoff_orders"
                     " WHERE id = 1", (stored.id,))
        conn.commit()


def test_the_register_pages_open_orders_oldest_lockoff_day_first(tmp_path: Path) -> None:
    path = _district(tmp_path, orders=True)
    _with_second_list(path)
    with open_database(path) as conn:
        assert count_register(conn, ("open",)) == 3 and count_register(conn) == 3
        rows = register_page(conn, ("open",))
        assert [(r["id"], r["lockoff_on"], r["list_id"]) for r in rows] == [
            (3, "2026-11-25", 2), (1, "2026-11-30", 1), (2, "2026-11-30", 1)]
        first = rows[0]
        assert (first["account_number"], first["status"], first["created_by"]) == (
            "100-0000", "open", "clerk1")
        assert first["customer_name"] and first["address"] and first["service_class"]
        # keyset and offset paging give the same rows, one at a time
        one = register_page(conn, ("open",), limit=1)
        after = register_page(conn, ("open",), after=register_key(one[0]), limit=1)
        again = register_page(conn, ("open",), after=register_key(after[0]), limit=5)
        assert [r["id"] for r in one + after + again] == [3, 1, 2]
        assert [r["id"] for r in register_page(conn, ("open",), offset=1, limit=1)] == [1]
        plan = " ".join(r[3] for r in conn.execute(
            f"EXPLAIN QUERY PLAN {REGISTER_SQL} WHERE o.status IN (?) AND (o.lockoff_on, o.id)"
            " > (?, ?) ORDER BY o.lockoff_on, o.id LIMIT 5", ("open", "2026-11-25", 3)))
        assert "INDEX lockoff_orders_status" in plan and "TEMP B-TREE" not in plan  # 0016
        complete_order(conn, 2, locked=False, note="paid at the door", on=LOCKOFF,
                       actor="clerk1", at=AT)
        assert count_register(conn, ("open",)) == 2 and count_register(conn) == 3
        assert [r["id"] for r in register_page(conn, ("open",))] == [3, 1]
        done = register_page(conn, ("not_locked",))
        assert [(r["id"], r["result_note"], r["completed_on"], r["completed_by"])
                for r in done] == [(2, "paid at the door", "2026-11-30", "clerk1")]


def _cli_ready(path: Path) -> None:
    from console.session import os_login

    with open_database(path) as conn:
        conn.execute("INSERT OR IGNORE INTO users (login, role, full_name, added_by, added_at)"
                     " VALUES (?, 'clerk', 'CLI user', 'setup', ?)", (os_login(), AT))
        conn.commit()


def test_the_cli_prints_the_open_orders_as_a_table_and_as_json(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import console.commands.lockoff as lockoff_commands
    from console.cli import main

    path = _district(tmp_path, orders=True)
    _cli_ready(path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    with open_database(path) as conn:
        complete_order(conn, 2, locked=False, note="on a plan", on=LOCKOFF, actor="clerk1",
                       at=AT)
    common = ["--db", str(path), "--today", LOCKOFF.isoformat()]
    assert main(["lockoff", "open-orders", *common]) == 0
    table = capsys.readouterr().out
    assert table.startswith("1 open lock-off orders, oldest lock-off day first.")
    assert "100-0000" in table and "100-0001" not in table and "OPEN" in table
    assert "meterline lockoff complete ORDER" in table
    assert all(len(line) <= 80 for line in table.splitlines())  # an 80-column terminal

    assert main(["lockoff", "open-orders", "--all", "--format", "json", *common]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["count"] == 2 and printed["all"] is True
    orders = {o["order"]: o for o in printed["orders"]}
    assert (orders[1]["account"], orders[1]["status"], orders[1]["list"]) == (
        "100-0000", "OPEN", 1)
    assert (orders[2]["status"], orders[2]["result_note"], orders[2]["completed_by"]) == (
        "NOT_LOCKED", "on a plan", "clerk1")
    assert orders[1]["lockoff_on"] == "2026-11-30" and orders[1]["name"]

    monkeypatch.setattr(lockoff_commands, "ORDERS_PAGE", 1)  # every order on a page of its own
    assert main(["lockoff", "open-orders", "--all", *common]) == 0
    table = capsys.readouterr().out
    assert table.startswith("2 lock-off orders") and "NOT LOCKED" in table
    assert table.index("100-0000") < table.index("100-0001")


def test_a_clerk_opens_the_dispatch_list_and_records_a_crew_result(tmp_path: Path) -> None:
    path = _district(tmp_path, orders=True)
    app = _app(path, today=LOCKOFF)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_by_palette(app, pilot, "Lock-off orders")
            screen = app.screen
            assert isinstance(screen, LockoffOrdersScreen)
            assert "Lock-off orders — 2 OPEN" in text_of(app, "#lockoff-orders-title")
            assert "#1 OPEN · lock-off 2026-11-30 · account 100-0000" in text_of(
                app, "#lockoff-orders-head")
            await pilot.press("o")
            await pilot.pause()
            assert isinstance(app.screen, ChoiceModal)
            assert app.screen.title_text.startswith("Crew result, order 1: 100-0000")
            await pilot.press("2")                       # NOT LOCKED
            await pilot.pause()
            assert isinstance(app.screen, FormModal)
            app.screen.query_one("#form-note").value = "paid at the door"  # type: ignore
            await pilot.press("enter", "enter")
            await settle(app, pilot)
            assert app.screen is screen
            assert "Order 1 (100-0000): NOT LOCKED." in text_of(app, "#lockoff-orders-status")
            assert "Lock-off orders — 1 OPEN" in text_of(app, "#lockoff-orders-title")
            assert "#2 OPEN" in text_of(app, "#lockoff-orders-head")
            await pilot.press("f")                       # all orders: order 1 with its result
            await settle(app, pilot)
            assert "Lock-off orders — 2 ALL" in text_of(app, "#lockoff-orders-title")
            assert "#1 NOT LOCKED" in text_of(app, "#lockoff-orders-head")
            assert "Crew: paid at the door" in text_of(app, "#lockoff-orders-note")
            await pilot.press("o")                       # a recorded order: said, not asked
            await pilot.pause()
            assert app.screen is screen
            assert "is NOT LOCKED: its result is recorded" in text_of(
                app, "#lockoff-orders-status")

    asyncio.run(drive())
    with open_database(path) as conn:
        orders = [tuple(r) for r in conn.execute(
            "SELECT id, status, result_note, completed_by FROM lockoff_orders ORDER BY id")]
    assert orders == [(1, "not_locked", "paid at the door", "clerk1"), (2, "open", "", None)]


def test_a_refused_lockoff_is_said_on_the_status_line(tmp_path: Path) -> None:
    from db.arrangements import create_plan

    path = _district(tmp_path, orders=True)
    with open_database(path) as conn:   # 100-0001 is on a plan since the orders were made
        create_plan(conn, "100-0001", months=3, on=LOCKOFF, actor="clerk1", at=AT)
    app = _app(path, today=date(2026, 11, 30))

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_by_palette(app, pilot, "Lock-off orders")
            screen = app.screen
            await pilot.press("j")                       # order 2, 100-0001
            await pilot.pause()
            await pilot.press("o", "1")                  # LOCKED: refused by the db layer
            await pilot.pause()
            app.screen.query_one("#form-note").value = "at the meter"  # type: ignore
            await pilot.press("enter", "enter")
            await settle(app, pilot)
            assert app.screen is screen              # no error modal, no traceback
            said = text_of(app, "#lockoff-orders-status")
            assert said.startswith("Order 2 (100-0001) not recorded, nothing changed: do not"
                                   " lock 100-0001: PLAN")
            assert "Lock-off orders — 2 OPEN" in text_of(app, "#lockoff-orders-title")

    asyncio.run(drive())
    with open_database(path) as conn:
        assert conn.execute("SELECT count(*) FROM lockoff_orders WHERE status = 'open'"
                            ).fetchone()[0] == 2
