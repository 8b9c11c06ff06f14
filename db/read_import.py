"""Importing a read file: check every line, then store reads and audit them in one transaction.

All-or-nothing and idempotent (PRODUCT.md): the file is streamed and checked line by line, the
checked reads kept in memory (tens of megabytes for a 100,000-read file); any problem refuses
the whole file and nothing is written. A large file's audit is shared with a second process
(db.read_audit_worker); the reads are written while it finishes (db.read_import_writes).
The file's SHA-256 is recorded, so the same file imports once.
"""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

from core.csv_file import CsvRows, ProblemLog
from core.errors import InputError, InputProblem
from core.read_bands import ReadAuditPolicy, read_audit_policy
from core.read_import import (
    READ_IMPORT_COLUMNS,
    ImportedRead,
    MeterRef,
    ReadChecker,
    ReadWindow,
)
from db.connection import checkpoint_deferred, checkpoint_in_background, database_file
from db.read_audit_worker import WORKER_MIN_BYTES, AuditWorker, audit_reads
from db.read_exceptions import insert_exceptions, open_missing_meters
from db.read_import_writes import (
    ImportCounts,
    ImportFile,
    ImportResult,
    store_import,
    store_reads,
)
from db.read_lookups import cycle_windows, load_accounts, load_meters, reads_in_windows
from db.settings import load_settings
from db.transaction import collector_paused, write_transaction

WORKER_MIN_READS = 10_000  # below this a second process costs more than it saves
# The worker's share of the reads: the worker loads their history while this process checks
# the lines; this process then stages the reads, audits the rest and the meters not read, and
# writes the reads while the worker audits. With each read's history loaded from one covering
# index (migration 0019), this process's part got cheaper than the worker's: at 0.85 it
# waited 0.6 s for the worker (timed in both processes). The 99,087-read file imported in
# 2.42-3.22 s over 11 runs at 0.85, in 2.41-2.55 s over 7 at 0.79-0.8 (faster in 6 of 7
# alternating pairs); 0.68-0.75 left the worker waiting instead.
WORKER_SHARE = 0.8
# How long the write transaction waits for the worker's findings before it gives the lock back
# and waits without it (a 100,000-read file's worker answers well within this).
WORKER_WAIT_WRITING_SECONDS = 2.0


# An ImportedRead's fields the audit reads (db.read_audit_worker.audit_reads), in its order:
# line, meter_id, account_id, read_on, reading, method, skip_code, note_text, leak, backflow,
# tamper, no_usage_days.
AUDITED = itemgetter(0, 1, 2, 3, 5, 6, 8, 10, 12, 13, 14, 15)


def file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def already_imported(conn: sqlite3.Connection, sha256: str) -> sqlite3.Row | None:
    return conn.execute("SELECT id, file_name, imported_by, imported_at, reads FROM read_imports"
                        " WHERE file_sha256 = ?", (sha256,)).fetchone()


def _refuse_repeat(name: str, row: sqlite3.Row) -> InputError:
    return InputError(InputProblem(
        f"this file was already imported on {row['imported_at'].replace('T', ' at ')} by "
        f"{row['imported_by']} (import {row['id']}, {row['reads']:,} reads, as "
        f"{row['file_name']}); the same file imports once", source=name))


def _stage(conn: sqlite3.Connection, staged: list[ImportedRead]) -> None:
    """Put the checked reads in a connection-private table: one INSERT ... SELECT from it
    stores them several times faster than a row-by-row insert into meter_reads (SQLite opens
    a statement journal per statement on a table with constraints)."""
    conn.execute("DROP TABLE IF EXISTS temp.staged_reads")
    conn.execute(f"CREATE TEMP TABLE staged_reads ({', '.join(ImportedRead._fields)})")
    # In one transaction of the temp database (no lock on the district's): outside one, each
    # row commits on its own, ten times slower once the temp database has been used.
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        conn.executemany(f"INSERT INTO temp.staged_reads VALUES "
                         f"({', '.join('?' for _ in ImportedRead._fields)})", staged)
    except BaseException:
        if own:
            conn.execute("ROLLBACK")
        raise
    if own:
        conn.execute("COMMIT")


def import_reads(conn: sqlite3.Connection, path: Path, *, actor: str, at: str, today: date,
                 cycle_id: int | None = None, encoding: str = "utf-8",
                 name: str | None = None) -> ImportResult:
    """Check the whole file, then store its reads and their exceptions; raises InputError."""
    name = name or path.name
    if not path.is_file():
        raise InputError(InputProblem("no such file", source=str(path)))
    sha256, size = file_sha256(path)
    if size == 0:
        raise InputError(InputProblem("the file is empty: it has no header row", source=name))
    repeat = already_imported(conn, sha256)
    if repeat is not None:
        raise _refuse_repeat(name, repeat)
    if cycle_id is not None and conn.execute("SELECT 1 FROM cycles WHERE id = ?",
                                             (cycle_id,)).fetchone() is None:
        raise InputError(InputProblem(f"there is no cycle {cycle_id}", field="--cycle"))
    db_file = database_file(conn)
    # The worker starts now, so its start-up overlaps the line checks; a file refused by the
    # checks stops it unused. Inside a caller's transaction the worker could not see that
    # transaction's changes, so the audit stays here.
    worker = AuditWorker(db_file) if size >= WORKER_MIN_BYTES and db_file is not None \
        and not conn.in_transaction else None
    if worker is not None:
        worker.expect(path, WORKER_SHARE, encoding)
    try:
        # The commit returns without copying the WAL's pages into the database file; they
        # are copied on a thread afterwards, while the clerk reads the answer (as the billing
        # run does: db.connection.checkpoint_in_background).
        with collector_paused(), checkpoint_deferred(conn):
            result = _check_and_store(conn, path, name=name, sha256=sha256, size=size,
                                      today=today, cycle_id=cycle_id, encoding=encoding,
                                      actor=actor, at=at, worker=worker)
    finally:
        if worker is not None:
            worker.close()
        conn.execute("DROP TABLE IF EXISTS temp.staged_reads")
    checkpoint_in_background(conn)
    return result


def _check_and_store(conn: sqlite3.Connection, path: Path, *, name: str, sha256: str, size: int,
                     today: date, cycle_id: int | None, encoding: str, actor: str, at: str,
                     worker: AuditWorker | None) -> ImportResult:
    """Check every line, then audit the checked reads, then write in one transaction."""
    policy = read_audit_policy(load_settings(conn))
    meters = load_meters(conn)
    accounts, premise_accounts = load_accounts(conn)
    windows = cycle_windows(conn, today, policy)
    log = ProblemLog(name, closing="nothing was imported")
    with path.open("rb") as handle:
        rows = CsvRows(handle, READ_IMPORT_COLUMNS, log, encoding)
        checker = ReadChecker(log=log, index=rows.index, meters=meters, accounts=accounts,
                              premise_accounts=premise_accounts, windows=windows, today=today,
                              cycle_id=cycle_id)
        checked = (checker.check(line, fields) for line, fields in rows)
        staged = [read for read in checked if read is not None]  # in line order
        lines = rows.lines.line_no
        # Read before the check: a commit by another connection after it changes the version.
        checked_version = _data_version(conn)
        existing = reads_in_windows(conn, {read.meter_id for read in staged}, windows, meters)
        if existing:
            for read in staged:
                if read.meter_id in existing:
                    checker.already_read(read.line, read.meter_id, existing[read.meter_id])
    log.raise_if_any()
    # The audit only reads history, so it runs before the write transaction: other clerks'
    # work waits only for the writes, not for the audit (with a worker, only for its last part).
    reads = sum(1 for read in staged if read.reading is not None)
    in_file = {read.meter_id for read in staged}
    missing = _missing_meters(conn, checker.routes, in_file, meters, windows)
    file = ImportFile(name, sha256, size, encoding, cycle_id)
    counts = ImportCounts(lines, reads, len(staged) - reads, len(missing))
    audited = list(map(AUDITED, staged))
    since, until = _history_days(audited, missing, windows, policy)
    part = round(len(audited) * WORKER_SHARE) if worker is not None \
        and len(audited) >= WORKER_MIN_READS else 0
    if part and worker is not None and worker.send_part(audited[:part], windows, since, until,
                                                        policy):
        _stage(conn, staged)
        rest = audit_reads(conn, audited[part:], missing, meters, windows, since, until, policy)
        try:
            with _writing(conn, name, sha256, staged, windows, meters, checked_version):
                # The reads are written while the worker finishes its part. A worker that is
                # slow or fails rolls this back, so other clerks' writes wait only briefly.
                import_id = store_reads(conn, name=name, actor=actor, at=at)
                first = worker.result() if worker.finished(WORKER_WAIT_WRITING_SECONDS) \
                    else None
                if first is None:
                    raise _WorkerLate
                # The worker's part comes first in the file, as in line order.
                return store_import(conn, import_id, file, counts, first + rest, actor=actor,
                                    at=at)
        except _WorkerLate:  # rolled back: nothing is written, and this process reads history
            first = worker.result()  # None at once if it failed
            if first is None:
                first = audit_reads(conn, audited[:part], (), meters, windows, since, until,
                                    policy)
            found = first + rest
    else:
        found = audit_reads(conn, audited, missing, meters, windows, since, until, policy) \
            if audited or missing else []
        _stage(conn, staged)
    with _writing(conn, name, sha256, staged, windows, meters, checked_version):
        import_id = store_reads(conn, name=name, actor=actor, at=at)
        return store_import(conn, import_id, file, counts, found, actor=actor, at=at)


class _WorkerLate(Exception):
    """The audit worker has not answered in time, or failed: the write waits for it (or audits
    its part here) outside the write transaction."""


@contextmanager
def _writing(conn: sqlite3.Connection, name: str, sha256: str, staged: list[ImportedRead],
             windows: dict[int, ReadWindow], meters: dict[int, MeterRef],
             checked_version: int) -> Iterator[None]:
    """The write transaction, refusing a file imported or read since it was checked."""
    try:
        with write_transaction(conn):
            repeat = already_imported(conn, sha256)  # another clerk may have just imported it
            if repeat is not None:
                raise _refuse_repeat(name, repeat)
            if _data_version(conn) != checked_version:  # another connection has written
                _refuse_reads_since_checked(conn, name, staged, windows, meters)
            yield
    finally:
        if conn.in_transaction:  # the commit failed (a foreign key checked at commit)
            conn.execute("ROLLBACK")


def _data_version(conn: sqlite3.Connection) -> int:
    """Changes when another connection commits to the database (PRAGMA data_version)."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def _history_days(staged: list[tuple[Any, ...]], missing: list[MeterRef],
                  windows: dict[int, ReadWindow], policy: ReadAuditPolicy) -> tuple[date, date]:
    """[since, until): the history every read, skip and missing meter is audited against."""
    days = [row[3] for row in staged] + [  # ISO dates: text order is date order
        windows[m.cycle_id].scheduled.isoformat() for m in missing if m.cycle_id is not None]
    if not days:
        return date.min, date.min
    since = date.fromisoformat(min(days)) - timedelta(days=policy.history_days)
    return since, date.fromisoformat(max(days))


def _refuse_reads_since_checked(conn: sqlite3.Connection, name: str,
                                staged: list[ImportedRead], windows: dict[int, ReadWindow],
                                meters: dict[int, MeterRef]) -> None:
    """Inside the write: a read stored for one of the file's meters since the check (another
    clerk's file) refuses this file, so no meter gets two reads in a window."""
    existing = reads_in_windows(conn, {read.meter_id for read in staged}, windows, meters)
    if existing:
        log = ProblemLog(name, closing="nothing was imported")
        for read in staged:
            if read.meter_id in existing:
                log.add(f"meter {read.meter_id} got a read on "
                        f"{existing[read.meter_id].isoformat()} from another import while this "
                        "file was checked", line=read.line, field="meter_id")
        log.raise_if_any()


def _missing_meters(conn: sqlite3.Connection, routes: set[str], in_file: set[int],
                    meters: dict[int, MeterRef], windows: dict[int, ReadWindow]) -> list[MeterRef]:
    """Meters on the file's routes with no line in it and no read yet in their window."""
    if not routes:
        return []
    earliest = min(w.first for w in windows.values())
    already = open_missing_meters(conn, earliest)
    candidates = []
    for meter in meters.values():
        if meter.route not in routes or meter.id in in_file or meter.id in already \
                or meter.cycle_id is None:
            continue
        window = windows[meter.cycle_id]
        if meter.removed_on is not None or meter.installed_on > window.last:
            continue
        candidates.append(meter)
    if not candidates:
        return []
    read = reads_in_windows(conn, {m.id for m in candidates}, windows, meters)
    return [m for m in candidates if m.id not in read]


def report_missing(conn: sqlite3.Connection, cycle_id: int, *, today: date, actor: str,
                   at: str) -> int:
    """Queue MISSING for every meter of the cycle not read in its window (a route that never
    came back); meters already reported are not reported twice. Returns how many."""
    policy = read_audit_policy(load_settings(conn))
    with write_transaction(conn):
        meters = load_meters(conn)
        windows = cycle_windows(conn, today, policy)
        if cycle_id not in windows:
            raise InputError(InputProblem(f"there is no cycle {cycle_id}", field="--cycle"))
        routes = {m.route for m in meters.values() if m.cycle_id == cycle_id}
        missing = _missing_meters(conn, routes, set(), meters, windows)
        since, until = _history_days([], missing, windows, policy)
        found = audit_reads(conn, [], missing, meters, windows, since, until, policy) \
            if missing else []
        insert_exceptions(conn, found, actor=actor, at=at)
    return len(found)
