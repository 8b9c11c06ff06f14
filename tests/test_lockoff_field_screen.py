"""Field work from the Lock-off screen (F8) at 80x24: field orders as a step, the crew's result,
reconnection with its fee, and an SB 998 condition, each through the db function the CLI uses."""
from __future__ import annotations

import asyncio
import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from console.app import MeterlineApp
from console.config import ConsoleConfig
from console.screens.lockoff import LockoffScreen
from console.widgets.forms import ChoiceModal, ConfirmModal, FormModal
from db.arrangements import create_plan
from db.connection import open_database
from db.ledger import check
from db.lockoff import latest_list, make_list
from db.lockoff_orders import make_orders
from db.schedule import generate_months
from tests.calendar_support import AT, SUPERVISOR, build_calendar_district
from tests.console_support import session_for, settle, text_of

SIZE = (80, 24)
LOCKOFF = date(2026, 11, 30)


def _district(tmp_path: Path, *, orders: bool = False) -> Path:
    """Three past-due accounts of cycle 1; 100-0000 and 100-0001 have their notices, so they
    are ON LIST on 2026-11-30 (the list is made; with `orders`, the orders are open too)."""
    path = tmp_path / "district.db"
    conn = build_calendar_district(path)
    generate_months(conn, date(2026, 9, 1), 3, user=SUPERVISOR, at=AT, today=date(2026, 9, 1))
    notice = conn.execute("SELECT on_date FROM schedule_dates WHERE month = '2026-09' AND"
                          " cycle_id = 1 AND event = 'notice'").fetchone()[0]
    for number in ("100-0000", "100-0001"):
        for kind in ("sb998", "occupant"):
            conn.execute("INSERT INTO delinquency_notices (account_id, kind, on_date,"
                         " addressed_to, logged_by, logged_at) SELECT id, ?, ?, 'Customer',"
                         " 'clerk1', ? FROM accounts WHERE number = ?",
                         (kind, notice, AT, number))
    make_list(conn, LOCKOFF, actor="clerk1", at=AT)
    if orders:
        stored = latest_list(conn, LOCKOFF)
        assert stored is not None
        assert make_orders(conn, stored, actor="clerk1", at=AT).created == 2
    conn.close()
    return path


def _app(path: Path, today: date = date(2026, 11, 20)) -> MeterlineApp:
    return MeterlineApp(dataclasses.replace(session_for(path), today=today), ConsoleConfig())


async def open_lockoff(app: MeterlineApp, pilot: Any) -> Any:
    """F8, settled: the Lock-off screen on the date's stored list."""
    await pilot.press("f8")
    await settle(app, pilot)
    return app.screen


def test_a_clerk_opens_the_field_orders_as_a_step_and_a_second_run_opens_nothing(
        tmp_path: Path) -> None:
    path = _district(tmp_path)
    with open_database(path) as conn:   # a plan since the list was made takes 100-0001 off
        create_plan(conn, "100-0001", months=3, on=date(2026, 11, 20), actor="clerk1", at=AT)
    app = _app(path)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_lockoff(app, pilot)
            assert isinstance(screen, LockoffScreen)
            assert "2 ON LIST of 3" in text_of(app, "#lockoff-title")
            await pilot.press("s")
            await pilot.pause()
            assert isinstance(app.screen, ChoiceModal)
            await pilot.press("3")                       # Field orders, for the screen's date
            await settle(app, pilot)
            assert isinstance(app.screen, ConfirmModal)
            assert app.screen.title_text == "Field orders for 2026-11-30"
            shown = "\n".join(app.screen.lines)
            assert "1 accounts still ON LIST after checking every gate again" in shown
            assert "1 new lock-off orders to open." in shown
            assert "TAKEN OFF 100-0001: PLAN" in shown
            await pilot.press("y")
            await settle(app, pilot)
            assert app.screen is screen
            status = text_of(app, "#lockoff-status")
            assert "Field orders done. 1 lock-off orders opened for 2026-11-30" in status
            assert "TAKEN OFF, no order: 100-0001." in status
            await pilot.press("s", "3")                  # again: nothing new, nothing asked
            await settle(app, pilot)
            assert app.screen is screen
            status = text_of(app, "#lockoff-status")
            assert "already made for list 1; nothing new to open" in status

    asyncio.run(drive())
    with open_database(path) as conn:
        orders = conn.execute("SELECT a.number, o.status, o.created_by FROM lockoff_orders o"
                              " JOIN accounts a ON a.id = o.account_id").fetchall()
        made = conn.execute("SELECT count(*) FROM audit_log WHERE action ="
                            " 'lockoff.orders_made'").fetchone()[0]
    assert [tuple(r) for r in orders] == [("100-0000", "open", "clerk1")]
    assert made == 1   # the second try ran nothing


def test_field_orders_need_a_made_list(tmp_path: Path) -> None:
    path = tmp_path / "district.db"
    conn = build_calendar_district(path)
    generate_months(conn, date(2026, 9, 1), 3, user=SUPERVISOR, at=AT, today=date(2026, 9, 1))
    conn.close()
    app = _app(path)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_lockoff(app, pilot)
            await pilot.press("s", "3")
            await settle(app, pilot)
            assert app.screen is screen
            assert ("no lock-off list has been made for 2026-11-30: press m first"
                    in text_of(app, "#lockoff-status"))

    asyncio.run(drive())


async def _crew_result(app: MeterlineApp, pilot: object, result: str, note: str) -> None:
    await pilot.press("o")  # type: ignore[attr-defined]
    await settle(app, pilot)
    assert isinstance(app.screen, ChoiceModal)
    await pilot.press(result)  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    assert isinstance(app.screen, FormModal)
    app.screen.query_one("#form-note").value = note  # type: ignore[attr-defined]
    await pilot.press("enter", "enter")  # type: ignore[attr-defined]
    await settle(app, pilot)


def test_a_crew_result_is_recorded_refused_when_taken_off_and_reconnection_posts_the_fee(
        tmp_path: Path) -> None:
    from console.screens.error import ErrorModal

    path = _district(tmp_path, orders=True)
    with open_database(path) as conn:   # 100-0001 is on a plan since the orders were made
        create_plan(conn, "100-0001", months=3, on=LOCKOFF, actor="clerk1", at=AT)
    app = _app(path, today=LOCKOFF)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_lockoff(app, pilot)
            assert isinstance(screen, LockoffScreen)
            await pilot.press("j")                       # 100-0001
            await pilot.pause()
            assert "· 100-0001" in text_of(app, "#lockoff-detail")
            await _crew_result(app, pilot, "1", "at the meter 9:40")  # LOCKED: refused
            assert isinstance(app.screen, ErrorModal)
            refusal = str(app.screen.query_one("#error-message").render())
            assert "do not lock 100-0001: PLAN" in refusal
            assert "close the order as not locked" in refusal
            await pilot.press("escape")
            await pilot.pause()
            assert "not recorded; nothing changed" in text_of(app, "#lockoff-status")
            await _crew_result(app, pilot, "2", "on a plan since Friday")
            assert app.screen is screen
            assert "Order 2 (100-0001): NOT LOCKED." in text_of(app, "#lockoff-status")
            await pilot.press("k")                       # 100-0000
            await pilot.pause()
            await _crew_result(app, pilot, "1", "locked 9:40, meter 1234")
            assert "Order 1 (100-0000): LOCKED." in text_of(app, "#lockoff-status")
            await pilot.press("o")                       # nothing open any more
            await settle(app, pilot)
            assert app.screen is screen
            assert "has no open lock-off order" in text_of(app, "#lockoff-status")
            await pilot.press("r")                       # still owes: refused by the db layer
            await settle(app, pilot)
            await pilot.press("1", "enter")              # refused when the fee is quoted,
            await settle(app, pilot)                     # before any confirmation
            assert isinstance(app.screen, ErrorModal)
            assert "still owes $" in str(app.screen.query_one("#error-message").render())
            await pilot.press("escape")
            await pilot.pause()
            assert "not reconnected; nothing changed" in text_of(app, "#lockoff-status")

    asyncio.run(drive())
    with open_database(path) as conn:
        orders = [tuple(r) for r in conn.execute(
            "SELECT id, status, result_note, completed_by FROM lockoff_orders ORDER BY id")]
        logged = conn.execute("SELECT count(*) FROM shutoff_log").fetchone()[0]
        create_plan(conn, "100-0000", months=6, on=LOCKOFF, actor="clerk1", at=AT)
    assert orders == [(1, "locked", "locked 9:40, meter 1234", "clerk1"),
                      (2, "not_locked", "on a plan since Friday", "clerk1")]
    assert logged == 1

    app = _app(path, today=date(2026, 12, 1))

    async def reconnect() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_lockoff(app, pilot)
            await pilot.press("d")
            await pilot.pause()
            await pilot.press("ctrl+u", *str(LOCKOFF), "enter")
            await settle(app, pilot)
            screen = app.screen
            assert "· 100-0000" in text_of(app, "#lockoff-detail")
            await pilot.press("r")
            await settle(app, pilot)
            assert isinstance(app.screen, ChoiceModal)
            assert "locked off 2026-11-30" in app.screen.title_text
            await pilot.press("2")                       # after hours
            await pilot.pause()
            assert isinstance(app.screen, FormModal)
            await pilot.press("enter")
            await settle(app, pilot)
            assert isinstance(app.screen, ConfirmModal)
            shown = "\n".join(app.screen.lines)
            assert "Reconnect on Tue 2026-12-01, after hours." in shown
            assert "Fee $150.00 after hours (RULES.md §3.3)." in shown
            assert "No low-income record on file, so no cap (SB 998 §116914(a))." in shown
            assert all(len(line) <= 76 for line in app.screen.lines[1:])
            await pilot.press("enter")
            await settle(app, pilot)
            assert app.screen is screen
            assert ("100-0000 reconnected on 2026-12-01: reconnection fee after hours $150.00."
                    in text_of(app, "#lockoff-status"))

    asyncio.run(reconnect())
    with open_database(path) as conn:
        fee = conn.execute("SELECT amount_cents, reason_code, actor FROM ledger_entries WHERE"
                           " reference LIKE 'reconnection %'").fetchall()
        again = conn.execute("SELECT after_hours, fee_cents FROM reconnections").fetchall()
        assert check(conn).problems == []
    assert [tuple(r) for r in fee] == [(15000, "RECONNECT", "clerk1")]
    assert [tuple(r) for r in again] == [(1, 15000)]


def test_a_clerk_records_an_sb998_condition_and_the_list_is_checked_again(
        tmp_path: Path) -> None:
    path = _district(tmp_path)
    app = _app(path)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_lockoff(app, pilot)
            await pilot.press("c")
            await pilot.pause()
            assert isinstance(app.screen, ChoiceModal)
            await pilot.press("2")                       # financial
            await pilot.pause()
            assert isinstance(app.screen, FormModal)
            assert app.screen.title_text.startswith("Financial condition for 100-0000")
            app.screen.query_one("#form-evidence").value = "CalFresh card"  # type: ignore
            app.screen.query_one("#form-expires").value = "2026-11-01"  # type: ignore
            await pilot.press("enter", "enter", "enter")
            await pilot.pause()
            assert isinstance(app.screen, FormModal)   # the expiry is before received
            assert "expires: the expiry must come after" in text_of(app, "#form-problem")
            app.screen.query_one("#form-expires").value = "2027-11-20"  # type: ignore
            await pilot.press("enter")
            await settle(app, pilot)
            assert app.screen is screen
            status = text_of(app, "#lockoff-status")
            assert ("100-0000: financial condition on file from 2026-11-20 until 2027-11-20."
                    in status)
            assert "Now ON LIST." in status and "§1.3" in status

    asyncio.run(drive())
    with open_database(path) as conn:
        rows = conn.execute("SELECT condition, evidence, received_on, expires_on, recorded_by"
                            " FROM protection_records").fetchall()
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE action LIKE"
                                              " 'lockoff.%' ORDER BY id")]
    assert [tuple(r) for r in rows] == [("financial", "CalFresh card", "2026-11-20",
                                         "2027-11-20", "clerk1")]
    assert actions[-2:] == ["lockoff.condition_recorded", "lockoff.entry_rechecked"]


def test_the_field_forms_check_their_fields() -> None:
    from console.screens.lockoff_field import (
        parse_condition_form,
        parse_crew_form,
        parse_reconnect_form,
    )
    from core.errors import InputError

    today = date(2026, 11, 30)
    done = parse_crew_form(1, "100-0000", True, {"note": " locked ", "date": "2026-11-30"},
                           today)
    assert (done.note, done.on, done.locked) == ("locked", today, True)
    with pytest.raises(InputError, match="say what the crew found"):
        parse_crew_form(1, "100-0000", False, {"note": " ", "date": "2026-11-30"}, today)
    with pytest.raises(InputError, match="not after today"):
        parse_reconnect_form("100-0000", False, {"date": "2026-12-01"}, today)
    got = parse_condition_form("100-0000", "medical", {"evidence": "Dr. letter", "received":
                                                       "2026-11-30", "expires": ""}, today)
    assert got.expires_on is None
    with pytest.raises(InputError, match="name the evidence"):
        parse_condition_form("100-0000", "medical", {"evidence": "", "received": "2026-11-30",
                                                     "expires": ""}, today)


def test_the_reconnection_confirmation_says_the_quoted_fee_and_any_low_income_cap() -> None:
    from console.screens.lockoff_field import ReconnectRequest, reconnect_fee_lines
    from core.settings import DistrictSettings
    from db.lockoff_orders import ReconnectionFee

    settings = DistrictSettings()
    request = ReconnectRequest("100-0000", False, LOCKOFF)
    capped = reconnect_fee_lines(settings, request, "Customer", "2026-11-30",
                                 ReconnectionFee(5000, 7500, True, "capped"))
    assert "Fee $50.00: $75.00 in office hours, capped for a low-income" in capped
    assert "household on file (SB 998 §116914(a))." in capped
    full = reconnect_fee_lines(settings, request, "Customer", "2026-11-30",
                               ReconnectionFee(7500, 7500, False, "full"))
    assert "Fee $75.00 in office hours (RULES.md §3.3)." in full
    assert "No low-income record on file, so no cap (SB 998 §116914(a))." in full
    assert all(len(line) <= 76 for line in capped[1:] + full[1:])


def test_a_remade_list_opens_no_second_order_for_an_account_with_one_open(
        tmp_path: Path) -> None:
    path = _district(tmp_path, orders=True)
    with open_database(path) as conn:
        make_list(conn, LOCKOFF, actor="clerk1", at=AT)          # list 2, orders 1-2 still open
    app = _app(path, today=LOCKOFF)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_lockoff(app, pilot)
            await pilot.press("s", "3")
            await settle(app, pilot)
            assert not isinstance(app.screen, ConfirmModal)
            assert ("2 accounts still ON LIST already have an open order from an earlier list;"
                    " nothing new to open") in text_of(app, "#lockoff-status")

    asyncio.run(drive())
    with open_database(path) as conn:
        orders = [tuple(r) for r in conn.execute("SELECT id, list_id, status FROM lockoff_orders"
                                                 " ORDER BY id")]
        assert orders == [(1, 1, "open"), (2, 1, "open")]
        stored = latest_list(conn, LOCKOFF)
        assert stored is not None and stored.id == 2
        made = make_orders(conn, stored, actor="clerk1", at=AT)   # the CLI's call: the same
        assert (made.created, made.already_open) == (0, [("100-0000", 1), ("100-0001", 2)])


def test_the_crew_result_asks_which_order_when_an_account_has_two_open(
        tmp_path: Path) -> None:
    """Two open orders for one account (a district's older data can hold them): the crew's
    result asks which it is for."""
    path = _district(tmp_path, orders=True)
    with open_database(path) as conn:
        stored, _ = make_list(conn, LOCKOFF, actor="clerk1", at=AT)
        conn.execute("INSERT INTO lockoff_orders (list_id, account_id, lockoff_on,"
                     " service_class, created_by, created_at) SELECT ?, account_id,"
                     " lockoff_on, service_class, created_by, created_at FROM lockoff_orders"
                     " WHERE id = 1", (stored.id,))
        conn.commit()
    app = _app(path, today=LOCKOFF)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_lockoff(app, pilot)
            await pilot.press("o")
            await settle(app, pilot)
            assert isinstance(app.screen, ChoiceModal)
            assert app.screen.title_text == "100-0000 has 2 open lock-off orders: which one?"
            await pilot.press("1")                       # order 1, from list 1
            await pilot.pause()
            assert isinstance(app.screen, ChoiceModal)
            await pilot.press("2")
            await pilot.pause()
            app.screen.query_one("#form-note").value = "second order, same visit"  # type: ignore
            await pilot.press("enter", "enter")
            await settle(app, pilot)
            assert app.screen is screen
            assert "Order 1 (100-0000): NOT LOCKED." in text_of(app, "#lockoff-status")

    asyncio.run(drive())
    with open_database(path) as conn:
        orders = [tuple(r) for r in conn.execute("SELECT id, list_id, status FROM lockoff_orders"
                                                 " ORDER BY id")]
    assert orders == [(1, 1, "not_locked"), (2, 1, "open"), (3, 2, "open")]


def test_a_clerk_logs_a_phone_contact_and_the_notice_gate_is_checked_again(
        tmp_path: Path) -> None:
    path = _district(tmp_path)
    app = _app(path)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_lockoff(app, pilot)
            for _ in range(3):
                if "· 100-0002" in text_of(app, "#lockoff-detail"):
                    break
                await pilot.press("j")
                await settle(app, pilot)
            assert "· 100-0002" in text_of(app, "#lockoff-detail")   # no notice: G2 blocks
            await pilot.press("t")
            await pilot.pause()
            assert isinstance(app.screen, FormModal)
            assert app.screen.title_text.startswith("Phone contact with 100-0002")
            await pilot.press("enter", "enter")
            await pilot.pause()
            assert "spoke with: name the person you spoke with" in text_of(app,
                                                                           "#form-problem")
            app.screen.query_one("#form-spoke_with").value = "Ana (owner)"  # type: ignore
            await pilot.press("enter")
            await settle(app, pilot)
            assert app.screen is screen
            status = text_of(app, "#lockoff-status")
            assert "100-0002: phone contact with Ana (owner) on 2026-11-20 logged" in status
            assert "G2 phone contact Fri 2026-11-20" in status

    asyncio.run(drive())
    with open_database(path) as conn:
        rows = conn.execute("SELECT a.number, n.on_date, n.addressed_to, n.logged_by FROM"
                            " delinquency_notices n JOIN accounts a ON a.id = n.account_id"
                            " WHERE n.kind = 'phone'").fetchall()
    assert [tuple(r) for r in rows] == [("100-0002", "2026-11-20", "Ana (owner)", "clerk1")]
