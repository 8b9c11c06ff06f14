"""Auditing staged reads against their history, in this process or in a second one.

A large file's reads are split in two: a worker process (started when the import starts)
audits the first part on its own read connection while the importing process audits the rest,
so both cores work. While the importing process checks the lines, the worker reads the file's
meter ids and dates and loads the history it expects to need; when its part arrives it uses
that history only if it is the history the part needs (the same days, every premise), and
loads what is missing. The worker reads only committed history, which is all the audit reads:
the importing process audits its own part before it writes, and commits nothing until the
worker has answered.
"""
from __future__ import annotations

import contextlib
import gc
import os
import pickle
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any, NamedTuple

from core.read_audit import audit_read
from core.read_bands import ReadAuditPolicy, read_audit_policy
from core.read_import import MeterRef, ReadWindow
from core.read_rules import Finding
from core.reads import AmrFlags, MeterChain, Occupancy, ReadUnderAudit
from db.read_exceptions import ExceptionPlace
from db.read_history import fill_premises, load_chains, premise_occupancy
from db.read_lookups import load_meters
from db.settings import load_settings

NO_FLAGS = AmrFlags()
# A file this large (about 14,000 lines) is worth a second process; smaller ones audit here.
WORKER_MIN_BYTES = 1 << 20
# Far beyond what a worker needs (about a second for 50,000 reads); past it, this process
# audits the worker's part itself.
WORKER_TIMEOUT_SECONDS = 120

Found = list[tuple[ExceptionPlace, Finding]]


class Prefetched(NamedTuple):
    """History loaded before the reads arrived: premise id -> chains in [since, until)."""

    since: date
    until: date
    premises: frozenset[int]
    chains: dict[int, tuple[MeterChain, ...]]


def _history(conn: sqlite3.Connection, premises: set[int], since: date, until: date,
             prefetched: Prefetched | None) -> dict[int, tuple[MeterChain, ...]]:
    """The premises' chains in [since, until): the prefetched ones when they are for the same
    days, the rest loaded now; leaves every premise in temp.audit_premises."""
    if prefetched is None or (prefetched.since, prefetched.until) != (since, until):
        fill_premises(conn, premises)
        return load_chains(conn, since, until)
    rest = premises - prefetched.premises
    chains = prefetched.chains
    if rest:
        fill_premises(conn, rest)
        chains = {**chains, **load_chains(conn, since, until)}
    fill_premises(conn, premises)
    return chains


def audit_reads(conn: sqlite3.Connection, staged: Sequence[Sequence[Any]],
                missing: Sequence[MeterRef], meters: dict[int, MeterRef],
                windows: dict[int, ReadWindow], since: date, until: date,
                policy: ReadAuditPolicy, prefetched: Prefetched | None = None) -> Found:
    """Run the rules on checked reads and skips, in line order, then on the meters not read,
    each against its premise's history in [since, until).

    A staged row is (line, meter_id, account_id, read_on, reading, method, skip_code,
    note_text, leak, backflow, tamper, no_usage_days).
    """
    premises = {premise for premise in ([meters[row[1]].premise_id for row in staged]
                                        + [m.premise_id for m in missing]) if premise is not None}
    chains = _history(conn, premises, since, until, prefetched)
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
        self._sender: threading.Thread | None = None
        self._receiver: threading.Thread | None = None
        self._answer: list[bytes] = []
        # Without a second process (OSError) the caller audits everything itself.
        with contextlib.suppress(OSError):
            self.process = subprocess.Popen(
                [sys.executable, "-m", "db.read_audit_worker", str(db_file)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=env, cwd=root)  # `-m` looks in the working folder first: ours

    def expect(self, read_file: Path, share: float, encoding: str) -> None:
        """Tell the worker which file is being checked and what share of its lines will be its
        part, so it loads their history while the lines are checked."""
        if self.process is None or self.process.stdin is None:
            return
        try:
            pickle.dump(("expect", str(read_file), share, encoding), self.process.stdin,
                        protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
        except OSError:
            self.close()

    def send(self, staged: Sequence[Sequence[Any]], windows: dict[int, ReadWindow],
             since: date, until: date, policy: ReadAuditPolicy) -> bool:
        """Hand the worker its reads; False when it cannot take them. Threads write the job and
        read the answer, so this process goes on at once and the worker never waits on a pipe."""
        if self.process is None or self.process.stdin is None or self.process.stdout is None:
            return False
        payload = pickle.dumps(("audit", list(staged), windows, since, until, policy),
                               protocol=pickle.HIGHEST_PROTOCOL)
        stream, self.process.stdin = self.process.stdin, None
        self._sender = threading.Thread(target=_write_and_close, args=(stream, payload),
                                        daemon=True)
        self._receiver = threading.Thread(target=_read_answer,
                                          args=(self.process.stdout, self._answer), daemon=True)
        self._sender.start()
        self._receiver.start()
        return True

    def finished(self, timeout: float) -> bool:
        """Whether the worker has answered (or failed) within `timeout` seconds."""
        if self._receiver is None:
            return True
        self._receiver.join(timeout)
        return not self._receiver.is_alive()

    def result(self) -> Found | None:
        """The worker's findings, or None when it failed."""
        if self.process is None or self._receiver is None:
            return None
        self._receiver.join(WORKER_TIMEOUT_SECONDS)
        outcome = None
        if not self._receiver.is_alive() and self._answer:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(WORKER_TIMEOUT_SECONDS)
            if self.process.returncode == 0:
                with contextlib.suppress(pickle.UnpicklingError, EOFError):
                    outcome = pickle.loads(self._answer[0])
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
        if process.poll() is None:
            process.kill()
        process.wait()
        for thread in (self._sender, self._receiver):  # their pipes end with the process
            if thread is not None:
                thread.join()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _prefetch(conn: sqlite3.Connection, meters: dict[int, MeterRef], read_file: str,
              share: float, encoding: str) -> Prefetched | None:
    """The history the worker's part will need if the file passes its checks: the premises
    of the first `share` of its lines, over the days its reads imply. A guess the audit checks
    before using it, so lines are split at commas without reading CSV quoting (a quoted comma
    costs only time); None when the file cannot be read this way."""
    policy = read_audit_policy(load_settings(conn))
    with open(read_file, "rb") as handle:
        lines = [line for line in handle.read().decode(encoding).splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    header = [name.strip().lstrip("\ufeff") for name in lines[0].split(",")]
    meter_at, day_at = header.index("meter_id"), header.index("read_datetime")
    last = max(meter_at, day_at)
    fields = [line.split(",", last + 1) for line in lines[1:]]
    meter_ids = [row[meter_at].strip() for row in fields if len(row) > last]
    days = [row[day_at].strip()[:10] for row in fields if len(row) > last]
    part = round(len(fields) * share)
    premises = frozenset(
        premise for premise in (meters[int(raw)].premise_id for raw in meter_ids[:part]
                                if raw.isdigit() and int(raw) in meters)
        if premise is not None)
    since = date.fromisoformat(min(days)) - timedelta(days=policy.history_days)
    until = date.fromisoformat(max(days))
    fill_premises(conn, premises)
    return Prefetched(since, until, premises, load_chains(conn, since, until))


def _write_and_close(stream: IO[bytes], payload: bytes) -> None:
    """Write the job to the worker; a worker that has stopped is the caller's to notice."""
    with contextlib.suppress(OSError):
        stream.write(payload)
    with contextlib.suppress(OSError):
        stream.close()


def _read_answer(stream: IO[bytes], answer: list[bytes]) -> None:
    """Read the worker's whole answer (it ends when the worker exits or is stopped)."""
    with contextlib.suppress(OSError, ValueError):
        answer.append(stream.read())


def _read_job(job: list[bytes]) -> None:
    """Read the job's bytes from stdin into `job` (empty when the importing process sends
    none); unpickled later, so this thread holds the interpreter only while it waits."""
    with contextlib.suppress(OSError):
        job.append(sys.stdin.buffer.read())


def _serve(db_file: str) -> None:
    """The worker's side: load the meters and the expected history while the importing
    process checks the file, then read one job from stdin and write its findings to stdout."""
    gc.disable()  # many small objects and no cycles; see db.read_import
    outcome: tuple[str, Any]
    conn: sqlite3.Connection | None = None
    meters: dict[int, MeterRef] = {}
    try:
        conn = sqlite3.connect(f"{Path(db_file).as_uri()}?mode=ro", uri=True,
                               isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 5000")
        meters = load_meters(conn)
    except Exception as exc:  # the importing process audits these reads itself
        outcome = ("failed", repr(exc))
    prefetched: Prefetched | None = None
    try:
        message = pickle.load(sys.stdin.buffer)
    except EOFError:
        return  # the file was refused, or too small to need us
    if message[0] == "expect":
        # The job is read while the history loads, so the importing process never waits on a
        # full pipe.
        job: list[bytes] = []
        reader = threading.Thread(target=_read_job, args=(job,), daemon=True)
        reader.start()
        if conn is not None:
            # A guess: a file the checks refuse, or a history it misjudges, costs only time.
            with contextlib.suppress(Exception):
                prefetched = _prefetch(conn, meters, *message[1:])
        reader.join()
        if not job or not job[0]:
            return  # the file was refused
        try:
            message = pickle.loads(job[0])
        except (pickle.UnpicklingError, EOFError):
            return  # not a whole job: the importing process audits the part itself
    _, staged, windows, since, until, policy = message
    if conn is not None:
        try:
            outcome = ("found", audit_reads(conn, staged, (), meters, windows, since, until,
                                            policy, prefetched))
        except Exception as exc:
            outcome = ("failed", repr(exc))
        conn.close()
    sys.stdout.buffer.write(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _serve(sys.argv[1])
