"""The Collections screen at 80x24: the four after-lock-off lists for the session's date, read
from db.collections.after_lockoff_list as `meterline collections` prints them, `f` cycling
them, a pane with the chosen account's reason, service address and settings."""
from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, timedelta
from pathlib import Path

from console.app import MeterlineApp
from console.config import ConsoleConfig
from console.screens.account import AccountScreen
from console.screens.collections import CollectionsScreen
from console.screens.home import HomeScreen
from core.model import Role
from db.collections import after_lockoff_list
from db.connection import open_database
from tests.collections_support import locked_off_district
from tests.console_support import open_by_palette, session_for, settle, text_of

SIZE = (80, 24)


def _locked_off_district(tmp_path: Path) -> tuple[Path, date]:
    """tests.collections_support.locked_off_district, closed: the database and the lock-off
    day."""
    path = tmp_path / "district.db"
    conn, locked = locked_off_district(path)
    conn.close()
    return path, locked


def _app(path: Path, today: date) -> MeterlineApp:
    session = dataclasses.replace(session_for(path, Role.SUPERVISOR, "sup1"), today=today)
    return MeterlineApp(session, ConsoleConfig())


def test_a_supervisor_reads_each_list_with_its_reasons(tmp_path: Path) -> None:
    path, locked = _locked_off_district(tmp_path)
    later = locked + timedelta(days=200)
    with open_database(path) as conn:  # the rows the CLI prints for the day
        listed = {which: [f.account.number for f in after_lockoff_list(conn, which, later)]
                  for which in ("final-notices", "liens", "agency", "write-offs")}
    assert listed == {"final-notices": ["100-0000", "100-0001"], "liens": ["100-0001"],
                      "agency": ["100-0000"], "write-offs": ["100-0000"]}
    app = _app(path, later)

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await open_by_palette(app, pilot, "Collections")
            screen = app.screen
            assert isinstance(screen, CollectionsScreen)
            assert text_of(app, "#collections-title") == (
                f"Collections — FINAL NOTICES (1 of 4) on {later} — 2 accounts")
            assert text_of(app, "#collections-head").startswith(
                "100-0000 RES · off 200 days · $90.00 unpaid · Customer 1-0")
            assert text_of(app, "#collections-reason") == (
                f"Why: off 200 days since the {locked} lock-off (≥ 10 for a final notice),"
                " $90.00 unpaid")
            assert text_of(app, "#collections-where") == (
                "Service address: 100 Canyon Rd, Mesa Verde")
            assert text_of(app, "#collections-setting") == (
                "Setting: collections_final_notice_days = 10")
            await pilot.press("j")
            await pilot.pause()
            assert text_of(app, "#collections-head").startswith("100-0001 RES")

            await pilot.press("f")                       # lien candidates: the owner owes
            await settle(app, pilot)
            assert text_of(app, "#collections-title") == (
                f"Collections — LIEN CANDIDATES (2 of 4) on {later} — 1 account")
            assert text_of(app, "#collections-head").startswith("100-0001 RES")
            assert "the property owner is the customer of record and owes at least $50.00" in (
                text_of(app, "#collections-reason"))
            assert text_of(app, "#collections-setting") == (
                "Settings: collections_lien_days = 60, collections_lien_min_cents = $50.00")

            await pilot.press("f")                       # the agency: the tenant's account
            await settle(app, pilot)
            assert "COLLECTION AGENCY (3 of 4)" in text_of(app, "#collections-title")
            assert text_of(app, "#collections-head").startswith("100-0000 RES")
            assert text_of(app, "#collections-reason").endswith("at least $25.00 and no lien")
            assert text_of(app, "#collections-setting") == ("Settings: collections_agency_days"
                                                           " = 90, collections_agency_min_cents"
                                                           " = $25.00")
            await pilot.press("f")
            await settle(app, pilot)
            assert "WRITE-OFF PROPOSALS (4 of 4)" in text_of(app, "#collections-title")
            assert "(≥ 180 for a write-off)" in text_of(app, "#collections-reason")
            assert text_of(app, "#collections-setting") == (
                "Setting: collections_write_off_days = 180")

            await pilot.press("enter")                   # the account, and back
            await settle(app, pilot)
            assert isinstance(app.screen, AccountScreen)
            await pilot.press("escape")
            await settle(app, pilot)
            assert app.screen is screen
            await pilot.press("f")                       # round to the final notices
            await settle(app, pilot)
            assert "FINAL NOTICES (1 of 4)" in text_of(app, "#collections-title")
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)

    asyncio.run(drive())


def test_an_empty_list_says_what_would_put_an_account_on_it(tmp_path: Path) -> None:
    path, locked = _locked_off_district(tmp_path)
    app = _app(path, locked + timedelta(days=30))  # past the final notice, before the rest

    async def drive() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await open_by_palette(app, pilot, "Collections")
            assert "— 2 accounts" in text_of(app, "#collections-title")
            await pilot.press("f", "f")                  # the agency: nobody yet
            await settle(app, pilot)
            day = locked + timedelta(days=30)
            assert text_of(app, "#collections-title") == (
                f"Collections — COLLECTION AGENCY (3 of 4) on {day} — 0 accounts")
            assert text_of(app, "#collections-head") == (
                f"No account is on the collection agency list on {day}; f: next list.")
            assert "is not a lien candidate" in text_of(app, "#collections-reason")
            assert "collections_agency_days = 90" in text_of(app, "#collections-setting")

    asyncio.run(drive())
