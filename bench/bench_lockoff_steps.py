"""Delinquency step previews at 100,000 accounts: what the F8 screen's `s` works out before it
asks "Run it?" (late fees and notices, in a transaction rolled back), and the run after it.

As in bench_lockoff, a copy of the district gets a stored calendar; the figures are for the
busiest late-fee and notice dates up to the demo's last ledger date.
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

BENCH_USER = User("bench", Role.SUPERVISOR)
AT = "2026-01-01T09:00:00"


def _last_date(conn: object, event: str, end: date) -> date | None:
    row = conn.execute(  # type: ignore[attr-defined]
        "SELECT max(on_date) FROM schedule_dates WHERE event = ? AND on_date <= ?",
        (event, end.isoformat())).fetchone()
    return date.fromisoformat(row[0]) if row and row[0] else None


def run(db_path: Path) -> list[Figure]:
    from db.late_fees import preview_late_fees, run_late_fees
    from db.notices import preview_notices
    from db.schedule import generate_months

    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "district.db"
        shutil.copy(db_path, copy)
        conn = open_database(copy)
        last = conn.execute("SELECT max(effective_on) FROM ledger_entries").fetchone()[0]
        end = date.fromisoformat(last)
        first = date(end.year - (1 if end.month <= 4 else 0), (end.month - 5) % 12 + 1, 1)
        generate_months(conn, first, 4, user=BENCH_USER, at=AT, today=first)
        fee_day = _last_date(conn, "late_fee", end)
        if fee_day is not None:
            start = time.perf_counter()
            seen = preview_late_fees(conn, fee_day, actor="bench", at=AT)
            figures.append(Figure("late-fee step preview (rolled back)",
                                  time.perf_counter() - start, "s"))
            start = time.perf_counter()
            done = run_late_fees(conn, fee_day, actor="bench", at=AT)
            figures.append(Figure("late-fee step run", time.perf_counter() - start, "s"))
            figures.append(Figure("late fees posted by that run", done.charged, "fees",
                                  "= preview", done.charged == seen.charged))
        notice_day = _last_date(conn, "notice", end)
        if notice_day is not None:
            start = time.perf_counter()
            found = preview_notices(conn, notice_day, actor="bench", at=AT)
            figures.append(Figure("notice step preview (rolled back)",
                                  time.perf_counter() - start, "s"))
            figures.append(Figure("notices that preview would log", found.notices, "notices"))
        conn.close()
    return figures
