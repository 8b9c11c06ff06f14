"""What a read file is checked against: the district's meters, accounts and read windows."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import date, timedelta

from core.read_bands import ReadAuditPolicy
from core.read_import import AccountRef, MeterRef, ReadWindow, current_read_day, read_window


def _plain(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """A cursor giving plain tuples, whatever the connection's row factory (cheaper per row)."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor


def load_meters(conn: sqlite3.Connection) -> dict[int, MeterRef]:
    rows = _plain(conn).execute(
        "SELECT m.id, m.serial, m.dials, m.premise_id, r.cycle_id, COALESCE(r.code, ''),"
        " COALESCE(p.walk_order, 0), m.installed_on, m.removed_on"
        " FROM meters m LEFT JOIN premises p ON p.id = m.premise_id"
        " LEFT JOIN routes r ON r.id = p.route_id")
    parse = date.fromisoformat
    return {row[0]: MeterRef(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                             parse(row[7]), parse(row[8]) if row[8] else None) for row in rows}


def reads_in_windows(conn: sqlite3.Connection, meter_ids: Iterable[int],
                     windows: dict[int, ReadWindow], meters: dict[int, MeterRef]
                     ) -> dict[int, date]:
    """meter id -> its stored read inside its cycle's window, for the meters `meter_ids`."""
    ids = json.dumps(list(meter_ids))  # one parameter, however many meters
    if not windows or ids == "[]":
        return {}
    earliest = min(w.first for w in windows.values()).isoformat()
    found = {}
    for meter_id, read_on in _plain(conn).execute(
            "SELECT r.meter_id, max(r.read_on) FROM meter_reads r WHERE r.meter_id IN"
            " (SELECT value FROM json_each(?)) AND r.read_on >= ? GROUP BY r.meter_id",
            (ids, earliest)):
        cycle = meters[meter_id].cycle_id
        day = date.fromisoformat(read_on)
        if cycle in windows and day >= windows[cycle].first:
            found[meter_id] = day
    return found


def load_accounts(conn: sqlite3.Connection) -> tuple[dict[str, AccountRef], dict[int, str]]:
    """Accounts by number, and each premise's current account (active, else inactive)."""
    accounts: dict[str, AccountRef] = {}
    current: dict[int, tuple[int, str]] = {}
    rank = {"active": 2, "inactive": 1}
    for row in map(AccountRef._make, _plain(conn).execute(
            "SELECT id, number, premise_id, status FROM accounts")):
        accounts[row.number] = row
        level = rank.get(row.status, 0)
        if level and level >= current.get(row.premise_id, (0, ""))[0]:
            current[row.premise_id] = (level, row.number)
    return accounts, {premise: number for premise, (_, number) in current.items()}


def cycle_windows(conn: sqlite3.Connection, today: date, policy: ReadAuditPolicy, *,
                  upcoming: bool = False) -> dict[int, ReadWindow]:
    """Each cycle's current read window, from the billing calendar's stored read start and end
    when the month is generated (dates come from one place), else from the cycle's read day.

    `upcoming` (the route export): once a window has closed, the next month's read instead.
    """
    windows = {}
    for cycle_id, day in conn.execute("SELECT id, read_day FROM cycles").fetchall():
        read_day = current_read_day(day, today, policy.window_days_before)
        if upcoming and read_day + timedelta(days=policy.window_days_after) < today:
            read_day = current_read_day(day, read_day + timedelta(days=31),
                                        policy.window_days_before)
        stored = dict(conn.execute(
            "SELECT event, on_date FROM schedule_dates WHERE month = ? AND cycle_id = ?"
            " AND event IN ('read_start', 'read_end')",
            (f"{read_day:%Y-%m}", cycle_id)).fetchall())
        calendar = "read_start" in stored and "read_end" in stored
        start = date.fromisoformat(stored["read_start"]) if calendar else read_day
        end = date.fromisoformat(stored["read_end"]) if calendar else read_day
        windows[cycle_id] = read_window(cycle_id, start, end, today,
                                        days_before=policy.window_days_before,
                                        days_after=policy.window_days_after,
                                        from_calendar=calendar)
    return windows
