"""Keys a clerk types right behind an area's key, in one burst (a fast clerk, a paste over
SSH), reach the area's screen: F2 then a name searches the name; F7 then an amount is the new
batch's control total, or the first payment's account when a batch is open. An area key under
a form or dialog still does nothing."""
from __future__ import annotations

import asyncio
import threading
from datetime import date
from pathlib import Path

import pytest

from console.screens.payments import PaymentsScreen
from console.screens.search import SearchScreen
from console.widgets.forms import FormModal
from db.connection import open_database
from db.payment_batches import open_batch
from tests.console_support import build_small_district, copy_district, make_app, session_for
from tests.test_form_type_ahead import typed_at_once


@pytest.fixture(scope="module")
def district_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_small_district(tmp_path_factory.mktemp("typeahead"), accounts=30)


@pytest.fixture
def district(district_source: Path, tmp_path: Path) -> Path:
    return copy_district(district_source, tmp_path)


def open_a_batch(district: Path) -> None:
    """The clerk's batch is open already (F7 then goes to its account field)."""
    with open_database(district) as conn:
        open_batch(conn, control_total_cents=10000, deposit_date=date(2026, 11, 20),
                   actor=session_for(district).user.login, at="2026-11-20T09:00:00")


# Workers that never finish while their screen is open: the Payments screen keeps one for
# posting and the batch form waits for the clerk.
WAITING_GROUPS = ("account-form", "payments-poster")


async def settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    """Let the screens load: every worker but the waiting ones is waited for (one that fails
    shows the error modal), then the messages it posted are handled."""
    for _ in range(6):
        busy = [worker for worker in app.workers
                if not worker.is_finished and worker.group not in WAITING_GROUPS]
        await asyncio.gather(*(worker.wait() for worker in busy), return_exceptions=True)
        await pilot.pause()


def value_of(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector).value)


async def test_a_name_typed_behind_f2_is_searched(district: Path) -> None:
    app = make_app(district)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        typed_at_once(app, ["f2", *"smi"])
        await settle(app, pilot)
        assert isinstance(app.screen, SearchScreen)
        assert value_of(app, "#search-text") == "smi"


async def test_an_amount_typed_behind_f7_is_the_new_batchs_control_total(
        district: Path) -> None:
    app = make_app(district)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        typed_at_once(app, ["f7", *"150.00"])
        await settle(app, pilot)
        assert isinstance(app.screen, FormModal)
        assert app.screen.title_text == "Open a payment batch"
        assert value_of(app, "#form-control") == "150.00"


async def test_an_account_typed_behind_f7_with_a_batch_open_is_the_first_payments(
        district: Path) -> None:
    open_a_batch(district)
    app = make_app(district)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        typed_at_once(app, ["f7", *"0100004-01"])
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentsScreen)
        assert value_of(app, "#pay-account") == "0100004-01"
        assert app.screen.focused is app.screen.query_one("#pay-account")


async def test_an_area_key_under_a_form_still_does_nothing(district: Path) -> None:
    app = make_app(district)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f7")
        await settle(app, pilot)
        assert isinstance(app.screen, FormModal)
        await pilot.press("f3", "f2")
        await settle(app, pilot)
        assert isinstance(app.screen, FormModal)
        assert [type(s).__name__ for s in app.screen_stack][-2:] == ["PaymentsScreen",
                                                                      "FormModal"]


async def test_a_batch_that_cannot_be_loaded_still_leaves_the_account_field_ready(
        district: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import db.payment_batches as payment_batches
    from console.screens.error import ErrorModal
    from db.connection import DatabaseError

    typed = threading.Event()

    def locked(*args: object, **kwargs: object) -> None:
        typed.wait(10)  # the keys typed behind F7 arrive while the batch is looked up
        raise DatabaseError("the database is locked by another program")

    monkeypatch.setattr(payment_batches, "open_batch_of", locked)
    app = make_app(district)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        typed_at_once(app, ["f7", *"0100"])
        await pilot.pause()
        typed.set()  # only now does the lookup fail (a fixed sleep raced a loaded machine)
        await settle(app, pilot)
        assert isinstance(app.screen, ErrorModal)
        await pilot.press("escape")
        await pilot.press(*"004-01")
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentsScreen)
        assert value_of(app, "#pay-account") == "0100004-01"


async def test_an_account_and_enter_typed_behind_f7_move_on_to_the_amount(
        district: Path) -> None:
    open_a_batch(district)
    app = make_app(district)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        typed_at_once(app, ["f7", *"0100004-01", "enter"])
        await settle(app, pilot)
        typed_at_once(app, [*"25.00"])
        await settle(app, pilot)
        assert value_of(app, "#pay-account") == "0100004-01"
        assert value_of(app, "#pay-amount") == "25.00"
        assert app.screen.focused is app.screen.query_one("#pay-amount")


async def test_an_area_key_remapped_to_ctrl_a_leaves_ctrl_a_to_the_field(
        district: Path) -> None:
    """[keymap] "app.accounts" = "f3,ctrl+a" (docs/configuration.md): in a field, ctrl+a is
    still the start of the line; F3 still goes to the accounts at once."""
    open_a_batch(district)
    app = make_app(district, keymap={"app.accounts": "f3,ctrl+a"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f7")
        await settle(app, pilot)
        await pilot.press(*"004-01", "ctrl+a", *"0100")
        await settle(app, pilot)
        assert isinstance(app.screen, PaymentsScreen)
        assert value_of(app, "#pay-account") == "0100004-01"
        await pilot.press("f3")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "AccountsScreen"
