"""Shared test helpers: a migrated district database in tmp_path, quick accounts in SQL."""
from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from functools import cache
from pathlib import Path

import pytest
import textual._wait

from core.ledger import Book, EntryType, Posting
from db.connection import open_database

POSTED_AT = "2026-03-01T09:00:00"

# Pilot's press and pause wait until the process looks idle, sampling the CPU clock every
# 20 ms (Textual's SLEEP_GRANULARITY, read at each call): at least two samples a key, most
# of a Pilot test's time. A 5 ms sample with the same idle ratio (CPU under 1/20 of the
# sample) still sees a screen, a worker thread or SQLite working; workers are waited for
# explicitly anyway (app.workers.wait_for_complete). Textual is pinned exactly.
assert hasattr(textual._wait, "SLEEP_GRANULARITY"), "Textual moved its idle sampling"
textual._wait.SLEEP_GRANULARITY = 0.005
textual._wait.SLEEP_IDLE = textual._wait.SLEEP_GRANULARITY / 20.0


@cache
def _migrated_template() -> Path:
    """An empty database with every migration applied, made once a test process."""
    folder = Path(tempfile.mkdtemp(prefix="meterline-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "empty.db"
    conn = open_database(path, create=True)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def open_new_database(path: Path) -> sqlite3.Connection:
    """A new, empty, migrated district database at `path` (a copy of one migrated once a
    process: the same file `open_database(path, create=True)` makes, without running every
    migration again); an existing file is opened."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_migrated_template(), path)
    return open_database(path, create=True)


def add_account(conn: sqlite3.Connection, number: str = "100-0001", *,
                name: str = "Rosa Delgado", service_class: str = "residential",
                opened_on: str = "2025-01-01") -> int:
    """Add a customer, a premise and an account in plain SQL; returns the account id."""
    customer_id = conn.execute(
        "INSERT INTO customers (name, created_at) VALUES (?, ?)",
        (name, f"{opened_on}T08:00:00")).lastrowid
    kind = "single_family" if service_class == "residential" else "commercial"
    premise_id = conn.execute(
        "INSERT INTO premises (line1, city, service_class, kind, owner_customer_id)"
        " VALUES (?, 'Mesa Verde', ?, ?, ?)",
        (f"{number} Canyon Rd", service_class, kind, customer_id)).lastrowid
    account_id = conn.execute(
        "INSERT INTO accounts (number, customer_id, premise_id, status, mail_line1, mail_city,"
        " opened_on) VALUES (?, ?, ?, 'active', ?, 'Mesa Verde', ?)",
        (number, customer_id, premise_id, f"{number} Canyon Rd", opened_on)).lastrowid
    assert account_id is not None
    return int(account_id)


def posting(account_id: int, entry_type: EntryType, amount_cents: int, *,
            book: Book = Book.RECEIVABLE, effective_on: date = date(2026, 3, 1),
            reverses_id: int | None = None) -> Posting:
    """A posting with a clerk, a reason and a comment filled in."""
    return Posting(account_id=account_id, entry_type=entry_type, amount_cents=amount_cents,
                   effective_on=effective_on, actor="mreyes", reason_code="TEST",
                   comment="posted by a test", book=book, reverses_id=reverses_id)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """An opened, empty, migrated database file in tmp_path."""
    connection = open_new_database(tmp_path / "district.db")
    yield connection
    connection.close()


@pytest.fixture
def new_account(conn: sqlite3.Connection) -> Callable[..., int]:
    """Add an account to `conn` by number: `new_account("100-0002")`."""
    def make(number: str = "100-0001", **kwargs: str) -> int:
        return add_account(conn, number, **kwargs)
    return make


@pytest.fixture(scope="module")
def november_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo district with cycle 3's November reads (tests/billing_support), built
    once a module: tests take a copy with billing_support.opened_copy."""
    from tests.billing_support import november_district

    return november_district(tmp_path_factory.mktemp("november"))


@pytest.fixture
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The console's configuration as on a new machine: its own config folder, and none of
    the MTL_ variables of whoever runs the tests (CLI test modules use it for every test)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for name in ("MTL_DB", "MTL_THEME", "MTL_COLOR_SYSTEM", "MTL_MOUSE", "MTL_TODAY"):
        monkeypatch.delenv(name, raising=False)
