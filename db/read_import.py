"""Importing a read file: check every line, then store reads and audit them in one transaction.

All-or-nothing and idempotent (PRODUCT.md): the file is streamed and checked line by line, the
checked reads kept in memory (tens of megabytes for a 100,000-read file); any problem refuses
the whole file and nothing is written. A large file's audit is shared with a second process
(db.read_audit_worker).
The file's SHA-256 is recorded, so the same file imports once.
"""
from __future__ import annotations

import gc
import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

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
from core.read_rules import Finding
from db.read_audit_worker import (
    WORKER_MIN_BYTES,
    AuditWorker,
    audit_reads,
    database_file,
)
from db.read_exceptions import ExceptionPlace, insert_exceptions, open_missing_meters
from db.read_lookups import cycle_windows, load_accounts, load_meters, reads_in_windows
from db.settings import load_settings
from db.transaction import write_transaction

WORKER_MIN_READS = 10_000  # below this a second process costs more than it saves
# The worker's share of the reads: this process also stages the reads and audits the meters
# not read while the worker audits.
WORKER_SHARE = 0.55


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a whole bulk import (lookups, checks, audit
    and writes): the import makes and frees hundreds of thousands of small objects and holds no
    cycles, and the collector would rescan them again and again (about 2 s of a 100,000-read
    import)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# An ImportedRead's fields the audit reads (db.read_audit_worker.audit_reads), in its order:
# line, meter_id, account_id, read_on, reading, method, skip_code, note_text, leak, backflow,
# tamper, no_usage_days.
AUDITED = itemgetter(0, 1, 2, 3, 5, 6, 8, 10, 12, 13, 14, 15)


@dataclass(frozen=True)
class ImportResult:
    """What an import stored, for the clerk's confirmation line."""

    import_id: int
    file_name: str
    reads: int
    skips: int
    missing: int
    exceptions: int
    by_rule: dict[str, int] = field(default_factory=dict)

    def headline(self) -> str:
        """The summary without the count by rule (the queue shows the rules)."""
        return (f"Imported {self.file_name} (import {self.import_id}): {self.reads:,} reads, "
                f"{self.skips:,} skipped, {self.missing:,} not in the file; "
                f"{self.exceptions:,} exceptions.")

    def summary(self) -> str:
        rules = ", ".join(f"{rule} {n}" for rule, n in sorted(self.by_rule.items()))
        return (f"Imported {self.file_name} as import {self.import_id}: {self.reads:,} reads, "
                f"{self.skips:,} skipped, {self.missing:,} not in the file; "
                f"{self.exceptions:,} exceptions{f' ({rules})' if rules else ''}.")


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
    try:
        with _collector_paused():
            return _check_and_store(conn, path, name=name, sha256=sha256, size=size,
                                    today=today, cycle_id=cycle_id, encoding=encoding,
                                    actor=actor, at=at, worker=worker)
    finally:
        if worker is not None:
            worker.close()
        conn.execute("DROP TABLE IF EXISTS temp.staged_reads")


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
        existing = reads_in_windows(conn, {read.meter_id for read in staged}, windows, meters)
        if existing:
            for read in staged:
                if read.meter_id in existing:
                    checker.already_read(read.line, read.meter_id, existing[read.meter_id])
    log.raise_if_any()
    # The audit only reads history, so it runs before the write transaction: other clerks'
    # work waits only for the writes, not for the audit.
    reads = sum(1 for read in staged if read.reading is not None)
    in_file = {read.meter_id for read in staged}
    missing = _missing_meters(conn, checker.routes, in_file, meters, windows)
    found = _audit(conn, list(map(AUDITED, staged)), meters, windows, missing, policy, worker,
                   meanwhile=lambda: _stage(conn, staged))
    with write_transaction(conn):
        repeat = already_imported(conn, sha256)  # another clerk may have just imported it
        if repeat is not None:
            raise _refuse_repeat(name, repeat)
        _refuse_reads_since_checked(conn, name, staged, windows, meters)
        counts = ImportCounts(lines, reads, len(staged) - reads, len(missing))
        return _store(conn, name=name, sha256=sha256, size=size, encoding=encoding,
                      cycle_id=cycle_id, counts=counts, found=found, actor=actor, at=at)


class ImportCounts(NamedTuple):
    lines: int
    reads: int
    skips: int
    missing: int


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


def _store(conn: sqlite3.Connection, *, name: str, sha256: str, size: int, encoding: str,
           cycle_id: int | None, counts: ImportCounts,
           found: list[tuple[ExceptionPlace, Finding]], actor: str, at: str) -> ImportResult:
    """The writes: the import, its reads and its exceptions; the caller owns the transaction."""
    import_id = int(conn.execute(
        "INSERT INTO read_imports (file_name, file_sha256, byte_size, encoding, cycle_id, lines,"
        " reads, skips, exceptions, imported_by, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?)", (name, sha256, size, encoding, cycle_id, counts.lines, counts.reads,
                   counts.skips, len(found), actor, at)).lastrowid or 0)
    conn.execute(
        "INSERT INTO meter_reads (meter_id, account_id, read_on, reading, kind, source, read_code,"
        " created_by, created_at, import_id, source_line, read_at, read_method, trouble_code,"
        " note_text, hi_lo, leak, backflow, tamper, no_usage_days, reader_id, endpoint_id)"
        " SELECT meter_id, account_id, read_on, reading,"
        " CASE method WHEN 'ESTIMATE' THEN 'estimated' ELSE 'actual' END, ?, read_code, ?, ?, ?,"
        " line, read_at, method, trouble_code, note_text, hi_lo, leak, backflow, tamper,"
        " no_usage_days, reader_id, endpoint_id FROM temp.staged_reads"
        " WHERE reading IS NOT NULL", (name, actor, at, import_id))  # staged in line order
    lines = json.dumps(sorted({p.source_line for p, _ in found if p.source_line}))
    read_ids = dict(conn.execute(  # only the reads that have exceptions
        "SELECT source_line, id FROM meter_reads WHERE import_id = ? AND source_line IN"
        " (SELECT value FROM json_each(?))", (import_id, lines)).fetchall())
    placed = [(place._replace(import_id=import_id,
                              read_id=read_ids.get(place.source_line)
                              if place.source_line else None), finding)
              for place, finding in found]
    insert_exceptions(conn, placed, actor=actor, at=at)
    _supersede_missing(conn, import_id, actor, at)
    by_rule = Counter(f.rule_id for _, f in found)
    return ImportResult(import_id, name, counts.reads, counts.skips, counts.missing, len(found),
                        dict(by_rule))


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


def _audit(conn: sqlite3.Connection, staged: list[tuple[Any, ...]], meters: dict[int, MeterRef],
           windows: dict[int, ReadWindow], missing: list[MeterRef], policy: ReadAuditPolicy,
           worker: AuditWorker | None = None, meanwhile: Callable[[], None] = lambda: None
           ) -> list[tuple[ExceptionPlace, Finding]]:
    """Run the rules on every staged read, skip and missing meter; with a worker, it audits the
    first part of the reads while this process does `meanwhile` and audits the rest."""
    days = [row[3] for row in staged] + [  # ISO dates: text order is date order
        windows[m.cycle_id].scheduled.isoformat() for m in missing if m.cycle_id is not None]
    if not days:
        meanwhile()
        return []
    since = date.fromisoformat(min(days)) - timedelta(days=policy.history_days)
    until = date.fromisoformat(max(days))
    part = round(len(staged) * WORKER_SHARE) if worker is not None \
        and len(staged) >= WORKER_MIN_READS else 0
    if part and worker is not None and worker.send(staged[:part], windows, since, until,
                                                   policy):
        meanwhile()
        rest = audit_reads(conn, staged[part:], missing, meters, windows, since, until, policy)
        first = worker.result()
        if first is None:  # the worker failed: audit its part here
            first = audit_reads(conn, staged[:part], (), meters, windows, since, until, policy)
        return first + rest  # the worker's part comes first in the file, as in line order
    meanwhile()
    return audit_reads(conn, staged, missing, meters, windows, since, until, policy)


def _supersede_missing(conn: sqlite3.Connection, import_id: int, actor: str, at: str) -> None:
    """A read that arrives for a meter already reported missing resolves that exception."""
    rows = conn.execute(
        "SELECT e.id, r.id AS read_id FROM read_exceptions e JOIN meter_reads r"
        " ON r.meter_id = e.meter_id AND r.import_id = ? WHERE e.rule_id = 'MISSING'"
        " AND e.read_id IS NULL AND e.status IN ('open', 'waiting')"
        " AND (e.import_id IS NULL OR e.import_id <> ?)", (import_id, import_id)).fetchall()
    for row in rows:
        conn.execute("UPDATE read_exceptions SET status = 'resolved', disposition = 'superseded',"
                     " resolved_by = ?, resolved_at = ?, version = version + 1 WHERE id = ?",
                     (actor, at, row["id"]))
        conn.execute("INSERT INTO read_dispositions (exception_id, disposition, actor, at, comment,"
                     " details) VALUES (?, 'superseded', ?, ?, ?, ?)",
                     (row["id"], actor, at, f"the read arrived in import {import_id}",
                      f'{{"read_id": {row["read_id"]}}}'))


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
        found = _audit(conn, [], meters, windows, missing, policy)
        insert_exceptions(conn, found, actor=actor, at=at)
    return len(found)
