"""Helpers for billing tests: a cycle's reads written with plain SQL, as an import would."""
from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path


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
    from db.connection import open_database
    from tests.console_support import build_small_district

    path = build_small_district(folder)
    conn = open_database(path)
    read_cycle(conn, 3, date(2026, 11, 17))
    conn.close()
    return path
