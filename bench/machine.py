"""How fast this machine is right now: a fixed Python and SQLite workload, timed.

The same code has run the billing benchmark in 6.3 s on one day and 10 s on another on
machines of the same kind, so a time alone does not say whether a change made the code faster.
The benchmarks that matter most print their time beside this one's, as a ratio: the ratio
moves with the code, far less with the machine.
"""
from __future__ import annotations

import sqlite3
import statistics
import time

ROWS = 60_000


def _workload() -> int:
    """What a billing run does per bill, in miniature: build rows in Python, insert them into
    indexed tables, read them back joined and grouped, and format text lines."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, n TEXT UNIQUE, k INTEGER)")
    conn.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, a INTEGER, day TEXT, cents INTEGER)")
    conn.execute("CREATE INDEX b_a ON b(a, day)")
    conn.executemany("INSERT INTO a VALUES (?, ?, ?)",
                     ((i, f"{i:07d}-01", i % 97) for i in range(ROWS)))
    conn.executemany("INSERT INTO b VALUES (?, ?, ?, ?)",
                     ((i, (i * 7919) % ROWS, f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                       (i * 31) % 100_000) for i in range(ROWS)))
    size = 0
    for n, k, total, last in conn.execute(
            "SELECT a.n, a.k, SUM(b.cents), MAX(b.day) FROM a JOIN b ON b.a = a.id"
            " GROUP BY a.id ORDER BY a.n"):
        size += len(f"B|{n}|{k}|{total}|{last}|{total * 3 // 100}")
    conn.close()
    return size


def calibration_seconds(runs: int = 3) -> float:
    """The workload's median time over `runs` runs."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        _workload()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
