"""A few snapshots of the main screens at 80x24 (pytest-textual-snapshot).

Update after an intended change with `pytest tests/test_snapshots.py --snapshot-update` and
look at the report before committing the new SVGs.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.console_support import build_small_district, copy_district, make_app


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_small_district(tmp_path_factory.mktemp("snap"), accounts=200)


@pytest.fixture
def db_path(district: Path, tmp_path: Path) -> Path:
    return copy_district(district, tmp_path)


async def _settle(pilot: Pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_home_screen(snap_compare, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(db_path), terminal_size=(80, 24), run_before=_settle)


def test_accounts_list(snap_compare, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def open_list(pilot: Pilot) -> None:
        await pilot.press("f3")
        await _settle(pilot)
        await pilot.press("j", "j")
        await _settle(pilot)

    assert snap_compare(make_app(db_path), terminal_size=(80, 24), run_before=open_list)


def test_help_on_accounts(snap_compare, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def open_help(pilot: Pilot) -> None:
        await pilot.press("f3")
        await _settle(pilot)
        await pilot.press("f1")
        await _settle(pilot)

    assert snap_compare(make_app(db_path), terminal_size=(80, 24), run_before=open_help)
