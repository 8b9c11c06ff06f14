"""The writes of a read import: its reads, then the import with its exceptions, in the caller's
transaction.

The reads go in first, under the import id the import row takes last, so a large file's reads
are written while the audit worker finishes its part (db.read_import); the import row's
exception count is known only then. Foreign keys are checked when the transaction commits.
"""
from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from core.read_rules import Finding
from db.read_exceptions import ExceptionPlace, insert_exceptions


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


class ImportCounts(NamedTuple):
    lines: int
    reads: int
    skips: int
    missing: int


class ImportFile(NamedTuple):
    """The file as read_imports records it."""

    name: str
    sha256: str
    size: int
    encoding: str
    cycle_id: int | None


def store_reads(conn: sqlite3.Connection, *, name: str, actor: str, at: str) -> int:
    """Store the staged reads (temp.staged_reads, in line order) under the next import id, and
    return that id; store_import must follow in the same transaction."""
    # The write lock is held, so no other import can take this id; read_imports is
    # append-only, so ids are never reused. The reads' import_id is checked at commit.
    conn.execute("PRAGMA defer_foreign_keys = ON")
    import_id = int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM read_imports"
                                 ).fetchone()[0])
    conn.execute(
        "INSERT INTO meter_reads (meter_id, account_id, read_on, reading, kind, source, read_code,"
        " created_by, created_at, import_id, source_line, read_at, read_method, trouble_code,"
        " note_text, hi_lo, leak, backflow, tamper, no_usage_days, reader_id, endpoint_id)"
        " SELECT meter_id, account_id, read_on, reading,"
        " CASE method WHEN 'ESTIMATE' THEN 'estimated' ELSE 'actual' END, ?, read_code, ?, ?, ?,"
        " line, read_at, method, trouble_code, note_text, hi_lo, leak, backflow, tamper,"
        " no_usage_days, reader_id, endpoint_id FROM temp.staged_reads"
        " WHERE reading IS NOT NULL", (name, actor, at, import_id))
    return import_id


def store_import(conn: sqlite3.Connection, import_id: int, file: ImportFile,
                 counts: ImportCounts, found: list[tuple[ExceptionPlace, Finding]], *,
                 actor: str, at: str) -> ImportResult:
    """The import row with the id its reads carry, and its exceptions placed on their reads."""
    conn.execute(
        "INSERT INTO read_imports (id, file_name, file_sha256, byte_size, encoding, cycle_id,"
        " lines, reads, skips, exceptions, imported_by, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?,"
        " ?, ?, ?, ?, ?)", (import_id, file.name, file.sha256, file.size, file.encoding,
                            file.cycle_id, counts.lines, counts.reads, counts.skips, len(found),
                            actor, at))
    lines = json.dumps(sorted({p.source_line for p, _ in found if p.source_line}))
    read_ids = dict(conn.execute(  # only the reads that have exceptions
        "SELECT source_line, id FROM meter_reads WHERE import_id = ? AND source_line IN"
        " (SELECT value FROM json_each(?))", (import_id, lines)).fetchall())
    placed = [(place._replace(import_id=import_id,
                              read_id=read_ids.get(place.source_line)
                              if place.source_line else None), finding)
              for place, finding in found]
    insert_exceptions(conn, placed, actor=actor, at=at)
    supersede_missing(conn, import_id, actor, at)
    by_rule = Counter(f.rule_id for _, f in found)
    return ImportResult(import_id, file.name, counts.reads, counts.skips, counts.missing,
                        len(found), dict(by_rule))


def supersede_missing(conn: sqlite3.Connection, import_id: int, actor: str, at: str) -> None:
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
