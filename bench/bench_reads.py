"""Read audit speed on the 100,000-account district: import plus audit of one 100,000-read file,
the queue painting with its open exceptions, and moving between exceptions.

Works on a private copy of the district. On the copy every route is read in one cycle (some
districts read monthly in a single cycle), its read day set just after the newest stored read,
so a single file carries a read for every meter; the file is the practice file
(fixtures.demo_read_file) with 5% of meters in trouble. Import time covers checking every
line, staging, the audit against each premise's history (the district's `history_days`), and
the writes and their commit, in one transaction; it is timed three times on fresh copies and
the median reported. Most of the audit runs in a worker process, which loads its part's
history while the lines are checked and audits it while the reads are written; its CPU time
is reported on its own.
"""
from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.figure import Figure

IMPORT_TARGET_SECONDS = 3.0
IMPORT_RUNS = 3
PAINT_TARGET_SECONDS = 0.3
MOVES = 150
CYCLE = 3


def _prepare(source: Path, folder: Path) -> tuple[Path, date]:
    """A copy of the district with every route in cycle 3, read the week after the last read."""
    from db.connection import open_database

    copy = folder / "reads-bench.db"
    with sqlite3.connect(source) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    conn = open_database(copy)
    last = date.fromisoformat(conn.execute("SELECT max(read_on) FROM meter_reads").fetchone()[0])
    read_on = last + timedelta(days=7)
    while read_on.day > 28:
        read_on += timedelta(days=1)
    conn.execute("BEGIN")
    conn.execute("UPDATE cycles SET read_day = ? WHERE id = ?", (read_on.day, CYCLE))
    conn.execute("UPDATE routes SET cycle_id = ?", (CYCLE,))
    conn.execute("DELETE FROM schedule_dates WHERE used_by IS NULL")
    conn.execute("INSERT OR IGNORE INTO users (login, role, full_name, added_by, added_at)"
                 " VALUES ('bench', 'clerk', 'Benchmark', 'bench', '2026-01-01T00:00:00')")
    conn.execute("COMMIT")
    conn.close()
    os.sync()  # the copy's gigabyte goes to the disk now, not while the import is timed
    return copy, read_on + timedelta(days=1)


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def _import(copy: Path, folder: Path, today: date
            ) -> tuple[int, float, float, float, int, int]:
    """(reads in the file, seconds, CPU seconds of this process and of the audit worker to
    import and audit, exceptions, open)."""
    from db.connection import open_database, wait_for_checkpoints
    from db.read_import import import_reads
    from fixtures.demo_read_file import write_sample_read_file

    conn = open_database(copy)
    path = folder / "reads.csv"
    write_sample_read_file(conn, CYCLE, path, today=today, seed=7, share=0.05)
    started, cpu, worker = time.perf_counter(), time.process_time(), _children_cpu()
    result = import_reads(conn, path, actor="bench", at="2026-01-01T00:00:00", today=today,
                          cycle_id=CYCLE)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    worker = _children_cpu() - worker
    wait_for_checkpoints()  # copied on a thread after the answer, as for a clerk
    open_count = conn.execute("SELECT count(*) FROM read_exceptions WHERE status = 'open'"
                              ).fetchone()[0]
    conn.close()
    return result.reads + result.skips, seconds, cpu, worker, result.exceptions, open_count


F5, F10 = b"\x1b[15~", b"\x1b[21~"


def _paint_in_terminal(copy: Path, today: date, marker: bytes, runs: int = 5) -> list[float]:
    """Seconds from pressing F5 in the console (a real pty at 80x24) until the queue's first
    rows are on the terminal, `runs` times (F10 back to Home between)."""
    import fcntl
    import pty
    import select
    import signal
    import struct
    import sys
    import termios

    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    env.pop("CI", None)
    meterline = str(Path(sys.executable).with_name("meterline"))
    argv = [meterline, "--db", str(copy), "--today", today.isoformat()]
    pid, fd = pty.fork()
    if pid == 0:  # the console
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))

    def wait_for(*texts: bytes, timeout: float = 30.0) -> None:
        seen, start = b"", time.perf_counter()
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.005)
            if ready:
                seen = (seen + os.read(fd, 65536))[-200_000:]
                if all(text in seen for text in texts):
                    return
        raise RuntimeError(f"the console did not show {texts!r} within {timeout} s")

    def drain() -> None:
        while select.select([fd], [], [], 0.05)[0]:
            os.read(fd, 65536)

    times = []
    try:
        wait_for(b"Meterline")
        time.sleep(0.5)  # let the home screen's worker finish
        for _ in range(runs):
            drain()  # nothing of the screen before may count
            os.write(fd, F5)
            started = time.perf_counter()
            wait_for(marker, b"ERROR ")  # the title's count and the queue's first rows
            times.append(time.perf_counter() - started)
            time.sleep(0.2)
            os.write(fd, F10)
            time.sleep(0.3)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    return times


class _CountingConnector:
    """The app's connector, counting the connections the screen opens."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        return self.inner()


async def _move(copy: Path, today: date) -> tuple[float, int]:
    """(seconds per move in a headless Pilot, connections opened while moving)."""
    from console.app import MeterlineApp
    from console.config import ConsoleConfig
    from console.session import Session
    from console.widgets.paged_table import PagedTable
    from core.users import Role, User

    session = Session(copy, User("bench", Role.CLERK, "Benchmark"), "bench", today)
    app = MeterlineApp(session, ConsoleConfig())
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        counter = _CountingConnector(app.connect)
        app.connect = counter  # type: ignore[assignment]
        await pilot.press("f5")
        table = app.screen.query_one(PagedTable)
        while table.row_count < 0 or table.row_at(0) is None:
            await pilot.pause(0.002)
        await app.workers.wait_for_complete()
        before = counter.calls
        started = time.perf_counter()
        for _ in range(MOVES):
            await pilot.press("j")
        moving = (time.perf_counter() - started) / MOVES
        opened = counter.calls - before
        head = str(app.screen.query_one("#reads-head").render())
        assert head.startswith("#"), "the detail pane did not follow the cursor"
    return moving, opened


def run(db_path: Path) -> list[Figure]:
    from console.session import os_login

    # This machine's speed wanders from run to run, so the import is timed IMPORT_RUNS times,
    # each on a fresh copy, and the median run is reported beside every run's seconds; the
    # screen figures use the last copy.
    timed = []
    for _ in range(IMPORT_RUNS - 1):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            copy, today = _prepare(db_path, folder)
            timed.append(_import(copy, folder, today))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        copy, today = _prepare(db_path, folder)
        timed.append(_import(copy, folder, today))
        timed.sort(key=lambda one: one[1])
        reads, seconds, cpu, worker, exceptions, open_count = timed[len(timed) // 2]
        every = ", ".join(f"{one[1]:.2f}" for one in timed)
        with sqlite3.connect(copy) as conn:  # the console runs as whoever runs the benchmark
            conn.execute("INSERT OR IGNORE INTO users (login, role, full_name, added_by,"
                         " added_at) VALUES (?, 'clerk', 'Benchmark', 'bench', 'x')",
                         (os_login(),))
        paints = _paint_in_terminal(copy, today, f"{open_count:,} OPEN".encode())
        moving, opened = asyncio.run(_move(copy, today))
    paint = statistics.median(paints)
    return [
        Figure(f"read import + audit of one {reads:,}-read file, median of {IMPORT_RUNS}",
               seconds, "s", f"<= {IMPORT_TARGET_SECONDS:g}", seconds <= IMPORT_TARGET_SECONDS),
        Figure(f"read import + audit, every run's seconds: {every}; fastest", timed[0][1], "s"),
        Figure("read import + audit, CPU time of the importing process", cpu, "s"),
        Figure("read import + audit, CPU time of the audit worker process", worker, "s"),
        Figure("read import + audit rate", reads / seconds, "reads/s"),
        Figure("read exceptions found by the audit", exceptions, "exceptions"),
        Figure(f"F5 to the read audit queue on screen, {open_count:,} open exceptions "
               "(pty 80x24, median of 5)", paint * 1000, "ms",
               f"<= {PAINT_TARGET_SECONDS * 1000:g}", paint <= PAINT_TARGET_SECONDS),
        Figure(f"moving between exceptions ({MOVES} moves, headless Pilot)", moving * 1000,
               "ms/move"),
        Figure("database connections opened while moving", opened, "connections", "0",
               opened == 0),
    ]


if __name__ == "__main__":
    import sys

    for figure in run(Path(sys.argv[1])):
        print(figure.line())
