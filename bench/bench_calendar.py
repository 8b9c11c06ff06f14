"""Billing calendar speed: 12 months × 4 cycles generated and stored, and the screen's month load.

Generation reads only the settings, cycles and closure list, so it runs on a fresh file with
the district's cycles copied in (cold: the holiday seed computed from scratch; warm:
regenerating the same months, which moves nothing). The screen's month load (grid, schedule,
conflicts and the lock-off forecast over every account) runs on a copy of the district itself.
"""
from __future__ import annotations

import sqlite3
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.figure import Figure
from core.business_days import package_holidays
from core.users import Role, User
from db.connection import open_database
from db.schedule import generate_months
from db.schedule_conflicts import calendar_month

TARGET_MS = 1000.0
FIRST = date(2026, 12, 1)
TODAY = date(2026, 11, 20)
BENCH_USER = User("bench", Role.SUPERVISOR)


def _fresh_with_cycles(source: Path, target: Path) -> sqlite3.Connection:
    conn = open_database(target, create=True)
    with sqlite3.connect(source) as district:
        cycles = district.execute("SELECT id, name, read_day FROM cycles").fetchall()
        closures = district.execute("SELECT * FROM closures").fetchall()
        settings = district.execute("SELECT * FROM settings").fetchall()
    conn.executemany("INSERT INTO cycles (id, name, read_day) VALUES (?, ?, ?)", cycles)
    conn.executemany("INSERT INTO closures VALUES (?, ?, ?, ?, ?, ?)", closures)
    conn.executemany("INSERT INTO settings VALUES (?, ?, ?, ?)", settings)
    return conn


def _timed_ms(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return (time.perf_counter() - start) * 1000


def run(db_path: Path) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        conn = _fresh_with_cycles(db_path, Path(folder) / "calendar.db")
        cycles = conn.execute("SELECT count(*) FROM cycles").fetchone()[0]
        import holidays  # noqa: F401  - the import is start-up's cost, not generation's

        package_holidays.cache_clear()  # cold: every year's holiday seed computed afresh
        cold = _timed_ms(lambda: generate_months(conn, FIRST, 12, user=BENCH_USER,
                                                 at="2026-11-20T09:00:00", today=TODAY))
        warm = _timed_ms(lambda: generate_months(conn, FIRST, 12, user=BENCH_USER,
                                                 at="2026-11-20T09:05:00", today=TODAY))
        conn.close()
        copy = Path(folder) / "district.db"
        with sqlite3.connect(db_path) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        district = open_database(copy)
        generate_months(district, FIRST, 12, user=BENCH_USER, at="2026-11-20T09:00:00",
                        today=TODAY)
        first_view: list[object] = []
        load = _timed_ms(lambda: first_view.append(calendar_month(district, date(2027, 3, 1),
                                                                  TODAY)))
        forecast = first_view[0].forecast  # type: ignore[attr-defined]
        step = _timed_ms(lambda: calendar_month(district, date(2027, 4, 1), TODAY, forecast))
        accounts = district.execute("SELECT count(*) FROM accounts").fetchone()[0]
        district.close()
    label = f"12 months × {cycles} cycles"
    return [
        Figure(f"calendar: generate and store {label}, cold", cold, "ms",
               f"< {TARGET_MS:.0f} ms", cold < TARGET_MS),
        Figure(f"calendar: regenerate {label} (nothing moves)", warm, "ms",
               f"< {TARGET_MS:.0f} ms", warm < TARGET_MS),
        Figure(f"calendar: screen's first month load, lock-off forecast over {accounts:,} "
               "accounts", load, "ms", "< 500 ms", load < 500),
        Figure("calendar: screen's next month (forecast reused)", step, "ms", "< 100 ms",
               step < 100),
    ]
