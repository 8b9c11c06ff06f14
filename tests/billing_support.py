"""Helpers for billing tests: a cycle's reads written with plain SQL, as an import would, and
the November districts the billing tests draft, freeze and print (copied per test)."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from core.model import Role, User
from db.billing_draft import Draft
from db.billing_run import approve_run, draft_run
from db.connection import open_database
from db.rates import load_rate_book
from db.second_process import close_kept_processes
from tests.console_support import build_small_district, copy_district

NOV = date(2026, 11, 1)
CLERK = User("clerk1", Role.CLERK, "Clerk")
SUPER = User("super1", Role.SUPERVISOR, "Supervisor")
AT = "2026-11-20T09:00:00"


def read_cycle(conn: sqlite3.Connection, cycle_id: int, day: date, usage: int = 10) -> int:
    """Read every meter of the cycle on `day`: its last reading plus `usage` (premise id
    added, so accounts differ). Returns the number of reads written."""
    rows = conn.execute(
        "SELECT m.id, m.premise_id, m.dials, COALESCE((SELECT x.reading FROM meter_reads x"
        "  WHERE x.meter_id = m.id ORDER BY x.read_on DESC, x.id DESC LIMIT 1), m.install_read)"
        " FROM meters m JOIN premises p ON p.id = m.premise_id JOIN routes r ON r.id = p.route_id"
        " WHERE r.cycle_id = ? AND m.removed_on IS NULL", (cycle_id,)).fetchall()
    with conn:
        conn.executemany(
            "INSERT INTO meter_reads (meter_id, read_on, reading, kind, source, created_by,"
            " created_at) VALUES (?, ?, ?, 'actual', 'test', 'tester', ?)",
            [(meter_id, day.isoformat(), (last + usage + premise_id % 7) % 10**dials,
              f"{day}T08:00:00") for meter_id, premise_id, dials, last in rows])
    return len(rows)


def november_district(folder: Path) -> Path:
    """The small demo district (tests/console_support) with cycle 3's November reads stored,
    as an import would: what the billing tests draft, freeze and print."""
    path = build_small_district(folder)
    conn = open_database(path)
    read_cycle(conn, 3, date(2026, 11, 17))
    conn.close()
    return path


@contextmanager
def approved_november(folder: Path, after_draft: Callable[[sqlite3.Connection, Draft], object]
                      | None = None) -> Iterator[tuple[Path, sqlite3.Connection]]:
    """november_district with cycle 3's November run drafted (`after_draft` then changes what
    it will) and approved by a supervisor: its file and an open connection, closed after."""
    path = november_district(folder)
    conn = open_database(path)
    try:
        _, draft = draft_run(conn, 3, NOV, load_rate_book(conn), user=SUPER, at=AT)
        if after_draft is not None:
            after_draft(conn, draft)
        approve_run(conn, 3, NOV, user=SUPER, at=AT)
        yield path, conn
    finally:
        conn.close()


@contextmanager
def opened_copy(source: Path, folder: Path, *,
                end_kept_processes: bool = False) -> Iterator[sqlite3.Connection]:
    """A test's own copy of a source district in `folder`, opened, and closed after; with
    `end_kept_processes` a second process the test started ends with its database."""
    conn = open_database(copy_district(source, folder))
    try:
        yield conn
    finally:
        conn.close()
        if end_kept_processes:
            close_kept_processes()
