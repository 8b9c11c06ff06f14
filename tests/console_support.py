"""Helpers for console tests: a small demo district built once per session, and a fixed session."""
from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

from console.config import ConsoleConfig
from console.session import Session
from core.model import Role, User

TODAY = date(2026, 11, 20)


def build_small_district(folder: Path, accounts: int = 120) -> Path:
    from fixtures.demo import build_demo

    path = folder / "district.db"
    build_demo(path, accounts=accounts, seed=3, today=TODAY, admin_login="tester")
    return path


def copy_district(source: Path, folder: Path) -> Path:
    """A copy made by SQLite's backup, so what is still in the source's WAL (a background
    checkpoint may be copying it) is in the copy too."""
    target = folder / "district.db"
    with closing(sqlite3.connect(source)) as reader, closing(sqlite3.connect(target)) as writer:
        reader.backup(writer)
    return target


def session_for(db_path: Path, role: Role = Role.CLERK, login: str = "clerk1") -> Session:
    return Session(db_path=db_path, user=User(login, role, "Test Clerk"),
                   host="district-server", today=TODAY)


def make_app(db_path: Path, **config: object):  # type: ignore[no-untyped-def]
    from console.app import MeterlineApp

    return MeterlineApp(session_for(db_path), ConsoleConfig(**config))  # type: ignore[arg-type]


async def settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    """Let workers finish and the messages they post be handled (work, then a reload)."""
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def open_by_palette(app, pilot, words: str) -> None:  # type: ignore[no-untyped-def]
    """ctrl+p, type `words`, Enter: how an area with no F-key is reached (Work orders, Refunds)."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*words)
    await pilot.pause()
    palette = app.screen  # its search is a worker of its own: the matches are listed after it
    await asyncio.gather(*(worker.wait() for worker in app.workers
                           if worker.node is palette and not worker.is_finished),
                         return_exceptions=True)
    await pilot.pause()
    await pilot.press("enter")
    await settle(app, pilot)


def text_of(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    """What a widget of the current screen shows."""
    return str(app.screen.query_one(selector).render())
