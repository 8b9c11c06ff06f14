"""Payments at district scale, on a private copy of the district.

A lockbox file of 20,000 payments (50 of them for unknown accounts, which go to suspense) is
checked and posted in one transaction: target 2 s, file parsing included. Manual posting is
measured as the time one keyed payment takes to post in its own transaction on the console's
poster thread (the form never waits for it; this is how long a line shows POSTING…).
"""
from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.figure import Figure

LOCKBOX_PAYMENTS = 20_000
TARGET_SECONDS = 2.0
MANUAL_PAYMENTS = 500
MANUAL_TARGET_MS = 100.0


def _copy(source: Path, folder: Path) -> Path:
    copy = folder / "payments-bench.db"
    with sqlite3.connect(source) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return copy


def run(db_path: Path) -> list[Figure]:
    from core.payments import parse_payment_line
    from db.connection import open_database
    from db.ledger import check
    from db.lockbox_import import import_lockbox
    from db.payment_batches import open_batch, post_payment
    from fixtures.demo_lockbox import district_lockbox

    with tempfile.TemporaryDirectory() as folder:
        copy = _copy(db_path, Path(folder))
        conn = open_database(copy)
        last = conn.execute("SELECT max(effective_on) FROM ledger_entries").fetchone()[0]
        today = date.fromisoformat(last) + timedelta(days=1)
        lockbox = district_lockbox(conn, Path(folder) / "lockbox.csv", LOCKBOX_PAYMENTS,
                                   deposit=today, unknown=50)
        started = time.perf_counter()
        result = import_lockbox(conn, lockbox, actor="bench", at=f"{today}T09:00:00",
                                today=today)
        seconds = time.perf_counter() - started
        again = time.perf_counter()
        assert import_lockbox(conn, lockbox, actor="bench", at=f"{today}T09:00:00",
                              today=today).already_posted
        again_ms = (time.perf_counter() - again) * 1000
        numbers = [r[0] for r in conn.execute(
            "SELECT number FROM accounts WHERE status = 'active' ORDER BY id DESC LIMIT ?",
            (MANUAL_PAYMENTS,))]
        batch = open_batch(conn, control_total_cents=MANUAL_PAYMENTS * 2500,
                           deposit_date=today, actor="bench", at=f"{today}T10:00:00")
        timings = []
        for n, number in enumerate(numbers):
            line = parse_payment_line(number, "25.00", "check", str(50_000 + n))
            tick = time.perf_counter()
            post_payment(conn, batch.id, line, actor="bench", at=f"{today}T10:00:00",
                         today=today)
            timings.append((time.perf_counter() - tick) * 1000)
        checked = time.perf_counter()
        balanced = check(conn).ok
        check_seconds = time.perf_counter() - checked
        conn.close()
    p95 = statistics.quantiles(timings, n=20)[-1]
    posted = result.posted + result.suspense
    return [
        Figure(f"lockbox import, {posted:,} payments ({result.suspense} to suspense)",
               seconds, "s", f"≤ {TARGET_SECONDS:.0f} s", seconds <= TARGET_SECONDS),
        Figure("lockbox import rate", posted / seconds, "payments/s"),
        Figure("same lockbox file again (posts nothing)", again_ms, "ms"),
        Figure(f"manual payment posted, p95 of {len(timings)}", p95, "ms",
               f"≤ {MANUAL_TARGET_MS:.0f} ms", p95 <= MANUAL_TARGET_MS),
        Figure("ledger check after the payments", check_seconds, "s", "balances", balanced),
    ]
