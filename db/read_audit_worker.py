"""Auditing staged reads against their history, in this process or in a second one.

A large file's reads are split in two: a worker process (started when the import starts, so
its start-up overlaps the line checks) audits the first part on its own read connection while
the importing process audits the rest, so both cores work. The worker reads only committed
history, which is all the audit reads: the import writes nothing until after the audit.
"""
from __future__ import annotations

import contextlib
import gc
import os
import pickle
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from core.read_audit import audit_read
from core.read_bands import ReadAuditPolicy
from core.read_import import MeterRef, ReadWindow
from core.read_rules import Finding
from core.reads import AmrFlags, Occupancy, ReadUnderAudit
from db.read_exceptions import ExceptionPlace
from db.read_history import fill_premises, load_chains, premise_occupancy
from db.read_lookups import load_meters

NO_FLAGS = AmrFlags()
# A file this large (about 14,000 lines) is worth a second process; smaller ones audit here.
WORKER_MIN_BYTES = 1 << 20
# Far beyond what a worker needs (about a second for 50,000 reads); past it, this process
# audits the worker's part itself.
WORKER_TIMEOUT_SECONDS = 120

Found = list[tuple[ExceptionPlace, Finding]]


def audit_reads(conn: sqlite3.Connection, staged: Sequence[Sequence[Any]],
                missing: Sequence[MeterRef], meters: dict[int, MeterRef],
                windows: dict[int, ReadWindow], since: date, until: date,
                policy: ReadAuditPolicy) -> Found:
    """Run the rules on checked reads and skips, in line order, then on the meters not read,
    each against its premise's history in [since, until).

    A staged row is (line, meter_id, account_id, read_on, reading, method, skip_code,
    note_text, leak, backflow, tamper, no_usage_days).
    """
    premises = {meters[row[1]].premise_id for row in staged} | {m.premise_id for m in missing}
    fill_premises(conn, (p for p in premises if p is not None))
    chains = load_chains(conn, since, until)
    plain = conn.cursor()
    plain.row_factory = None
    statuses = dict(plain.execute(
        "SELECT a.id, a.status FROM accounts a JOIN temp.audit_premises t"
        " ON t.premise_id = a.premise_id").fetchall())
    found: Found = []
    parse, active, inactive, vacant = (date.fromisoformat, Occupancy.ACTIVE, Occupancy.INACTIVE,
                                       Occupancy.VACANT)
    for (line, meter_id, account_id, read_on, reading, method, skip, note, leak, backflow,
         tamper, no_usage) in staged:
        meter = meters[meter_id]
        status = statuses.get(account_id) if account_id is not None else None
        state = vacant if status is None else (active if status == "active" else inactive)
        flags = AmrFlags(leak, backflow, tamper, no_usage) if leak or backflow or tamper \
            or no_usage else NO_FLAGS
        day = parse(read_on)
        read = ReadUnderAudit(
            meter_id, meter.serial, meter.dials, day, reading, state,
            chains.get(meter.premise_id, ()) if meter.premise_id else (),
            method == "ESTIMATE", flags, skip, note)
        findings = audit_read(read, policy)
        if findings:
            place = ExceptionPlace(None, meter_id, account_id, meter.cycle_id or 0, meter.route,
                                   meter.walk_order, day, skip, None, line)
            found.extend((place, f) for f in findings)
    if not missing:
        return found
    occupancy = premise_occupancy(conn)
    for meter in missing:
        assert meter.cycle_id is not None and meter.premise_id is not None
        window = windows[meter.cycle_id]
        account = occupancy.get(meter.premise_id)
        read = ReadUnderAudit(meter.id, meter.serial, meter.dials, window.scheduled, None,
                              account[2] if account else vacant,
                              chains.get(meter.premise_id, ()))
        place = ExceptionPlace(None, meter.id, account[0] if account else None, meter.cycle_id,
                               meter.route, meter.walk_order, window.scheduled)
        found.extend((place, f) for f in audit_read(read, policy))
    return found


def database_file(conn: sqlite3.Connection) -> Path | None:
    """The file of the connection's main database, or None (in memory, or a temporary one)."""
    for _, name, file in conn.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    return None


class AuditWorker:
    """A second process auditing part of the reads; if it fails, the caller audits that part."""

    def __init__(self, db_file: Path) -> None:
        self.db_file = db_file
        root = str(Path(__file__).resolve().parents[1])
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}
        self.process: subprocess.Popen[bytes] | None = None
        # Without a second process (OSError) the caller audits everything itself.
        with contextlib.suppress(OSError):
            self.process = subprocess.Popen(
                [sys.executable, "-m", "db.read_audit_worker", str(db_file)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=env, cwd=root)  # `-m` looks in the working folder first: ours

    def send(self, staged: Sequence[Sequence[Any]], windows: dict[int, ReadWindow],
             since: date, until: date, policy: ReadAuditPolicy) -> bool:
        """Hand the worker its reads; False when it cannot take them."""
        if self.process is None or self.process.stdin is None:
            return False
        try:
            pickle.dump((list(staged), windows, since, until, policy),
                        self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.close()
        except OSError:
            self.close()
            return False
        self.process.stdin = None  # sent: communicate() now only reads the answer
        return True

    def result(self) -> Found | None:
        """The worker's findings, or None when it failed."""
        if self.process is None or self.process.stdin is not None:
            return None
        try:
            data, _ = self.process.communicate(timeout=WORKER_TIMEOUT_SECONDS)
            code = self.process.returncode
            outcome = pickle.loads(data) if code == 0 and data else None
        except (OSError, pickle.UnpicklingError, EOFError, subprocess.TimeoutExpired):
            outcome = None
        self.close()
        if not isinstance(outcome, tuple) or outcome[0] != "found":
            return None
        found: Found = outcome[1]
        return found

    def close(self) -> None:
        """Stop the worker if it is still running (the file was refused, or it failed)."""
        process, self.process = self.process, None
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if process.poll() is None:
            process.kill()
        process.wait()


def _serve(db_file: str) -> None:
    """The worker's side: load the meters while the importing process checks the file, then
    read one job from stdin and write its findings to stdout."""
    gc.disable()  # many small objects and no cycles; see db.read_import
    outcome: tuple[str, Any]
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(f"{Path(db_file).as_uri()}?mode=ro", uri=True,
                               isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 5000")
        meters = load_meters(conn)
    except Exception as exc:  # the importing process audits these reads itself
        outcome = ("failed", repr(exc))
    try:
        staged, windows, since, until, policy = pickle.load(sys.stdin.buffer)
    except EOFError:
        return  # the file was refused, or too small to need us
    if conn is not None:
        try:
            outcome = ("found", audit_reads(conn, staged, (), meters, windows, since, until,
                                            policy))
        except Exception as exc:
            outcome = ("failed", repr(exc))
        conn.close()
    sys.stdout.buffer.write(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _serve(sys.argv[1])
