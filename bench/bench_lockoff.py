"""Lock-off list speed: the list for a lock-off date, with every gate explained, at 100,000.

The district file has no stored calendar, so a copy gets one (four months before the demo's
last ledger date); the list is then built for every residential lock-off date up to that day
and the slowest build is the figure (target <= 1 s, issue 8).
"""
from __future__ import annotations

import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.figure import Figure
from core.users import Role, User
from db.connection import open_database
from db.lockoff import build_list, make_list

TARGET_S = 1.0
BENCH_USER = User("bench", Role.SUPERVISOR)


def run(db_path: Path) -> list[Figure]:
    from db.schedule import generate_months

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "district.db"
        shutil.copy(db_path, copy)
        conn = open_database(copy)
        last = conn.execute("SELECT max(effective_on) FROM ledger_entries").fetchone()[0]
        end = date.fromisoformat(last)
        first = date(end.year - (1 if end.month <= 4 else 0), (end.month - 5) % 12 + 1, 1)
        generate_months(conn, first, 4, user=BENCH_USER, at="2026-01-01T09:00:00", today=first)
        days = [date.fromisoformat(r[0]) for r in conn.execute(
            "SELECT DISTINCT on_date FROM schedule_dates WHERE event = 'lockoff' AND on_date <= ?"
            " ORDER BY on_date", (end.isoformat(),))]
        slowest, candidates, gates, largest = 0.0, 0, 0, 0
        for day in days:
            start = time.perf_counter()
            built = build_list(conn, day)
            elapsed = time.perf_counter() - start
            largest = max(largest, len(built.entries))
            if elapsed > slowest:
                slowest = elapsed
                candidates = len(built.entries)
                gates = sum(len(e.gates) for e in built.entries)
        stored = 0.0
        if days:
            start = time.perf_counter()
            make_list(conn, days[-1], actor="bench", at="2026-01-01T09:00:00")
            stored = time.perf_counter() - start
        conn.close()
    return [
        Figure("lock-off list built, slowest date (every gate explained)", slowest, "s",
               f"<= {TARGET_S:.0f} s", slowest <= TARGET_S),
        Figure("lock-off list candidates on that date", candidates, "accounts"),
        Figure("lock-off gates evaluated on that date", gates, "gates"),
        Figure(f"lock-off largest list of {len(days)} dates", largest, "accounts"),
        Figure("lock-off list made and stored (last date)", stored, "s"),
    ]
