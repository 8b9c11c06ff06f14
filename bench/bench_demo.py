"""Demo district generation: 100,000 accounts must build in under 60 seconds (two cores).

The build itself is the measurement, so it happens once in `prepare`; its figures are kept
in a JSON file beside the district and shown as "(cached)" until --fresh rebuilds it.
"""
from __future__ import annotations

import getpass
import json
import platform
import sqlite3
from datetime import date, datetime
from pathlib import Path

from bench.figure import Figure
from fixtures.demo import DEMO_VERSION, build_demo, building_path

BENCH_ACCOUNTS = 100_000
BENCH_SEED = 1
BENCH_TODAY = date(2026, 3, 15)  # fixed, so every run measures the same district
TARGET_SECONDS_PER_100K = 60.0

_built_now: set[Path] = set()


def side_file(db_path: Path) -> Path:
    """The build's record, beside the district it describes."""
    return db_path.with_name(db_path.name + ".generation.json")


def prepare(db_path: Path, *, fresh: bool = False, accounts: int = BENCH_ACCOUNTS) -> None:
    """Build the benchmark district when it is missing, or anew with `fresh`."""
    record = side_file(db_path)
    if db_path.exists() and not fresh:
        built = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
        if built.get("demo_version") != DEMO_VERSION:  # built by an older generator
            print(f"{db_path} was built by an older demo generator: building it anew",
                  flush=True)
            fresh = True
    if fresh:
        for path in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm"), record,
                     building_path(db_path)):
            path.unlink(missing_ok=True)
    if db_path.exists():
        return
    record.unlink(missing_ok=True)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    # The OS login is the district's admin, so the console benchmarks can open it.
    summary = build_demo(db_path, accounts=accounts, seed=BENCH_SEED, today=BENCH_TODAY,
                         admin_login=getpass.getuser())
    record.write_text(json.dumps({
        "demo_version": DEMO_VERSION, "accounts": summary.accounts, "seed": summary.seed,
        "today": summary.today.isoformat(),
        "seconds": summary.seconds, "rows": summary.rows, "phase_seconds": summary.phase_seconds,
        "built_at": datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
    }, indent=2) + "\n", encoding="utf-8")
    _built_now.add(db_path)


def run(db_path: Path) -> list[Figure]:
    """The build time against its target, and the build's rates."""
    record = side_file(db_path)
    if not record.exists():
        return [Figure(f"demo generation (no record in {record}; run with --fresh)", 0.0, "s",
                       f"< {TARGET_SECONDS_PER_100K:g} s per 100,000 accounts")]
    built = json.loads(record.read_text(encoding="utf-8"))
    seconds, accounts = float(built["seconds"]), int(built["accounts"])
    cached = "" if db_path in _built_now else " (cached)"
    target = TARGET_SECONDS_PER_100K * accounts / BENCH_ACCOUNTS
    ledger_rows = int(built["rows"].get("ledger_entries", 0))
    reads = int(built["rows"].get("meter_reads", 0))
    return [
        Figure(f"demo generation ({accounts:,} accounts){cached}", seconds, "s",
               f"< {target:g} s", seconds < target),
        Figure(f"demo generation rate{cached}", accounts / seconds, "accounts/s"),
        Figure(f"demo ledger rows written ({ledger_rows:,}){cached}", ledger_rows / seconds,
               "rows/s"),
        Figure(f"demo meter reads written ({reads:,}){cached}", reads / seconds, "rows/s"),
    ]
