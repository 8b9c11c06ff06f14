"""The fingerprint of a billing run: the inputs that determine its bills, and the bills stored.

Why a freeze may post the stored draft without pricing it again: the engine is a pure function
of what it is given (core/ reads no clock or database), and every value compute_draft gives it
comes from the rows hashed here: the cycle's active accounts with their premise and meter
(ACCOUNTS_SQL, every column), the holds and the exclusions (their reasons), every meter of
those premises and every read in the history window, the read unit, the calendar dates and the
rate book (folder and each rate file's SHA-256). Draft and freeze hash the same rows, each
inside its own write transaction (one snapshot); if they agree, and the stored bills and lines
hash as approved, a recomputation would give the bills that are stored, so posting them is
posting the preview. Any change to an input, or to a stored bill, refuses the freeze.
"""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from core.rate_book import RateBook

# Each query is one text, built by SQLite: fields split by char(31), rows by char(30), NULL
# written as char(29) so it differs from ''. The rows come in index order (the order
# load_chains reads in); were it ever to differ, the digests differ and the freeze is refused,
# never wrongly allowed.


def _fields(*columns: str) -> str:
    return " || char(31) || ".join(f"ifnull({c}, char(29))" for c in columns)


# Every meter of the premises in temp.audit_premises, and every read in [since, until).
METERS_SQL = f"""
SELECT group_concat({_fields("m.id", "m.premise_id", "m.serial", "m.size", "m.dials",
                             "m.installed_on", "m.install_read", "m.removed_on",
                             "m.removal_read")}, char(30))
  FROM temp.audit_premises t CROSS JOIN meters m ON m.premise_id = t.premise_id
"""
READS_SQL = f"""
SELECT group_concat({_fields("r.id", "r.meter_id", "r.read_on", "r.reading", "r.kind")},
                    char(30))
  FROM temp.audit_premises t CROSS JOIN meters m ON m.premise_id = t.premise_id
  CROSS JOIN meter_reads r INDEXED BY meter_reads_meter
    ON r.meter_id = m.id AND r.read_on >= ? AND r.read_on < ?
"""
# Every bill of the run and each of its lines, by account and line number (not by row id: a
# redraft of the same inputs stores the same bills under new ids).
STORED_SQL = f"""
SELECT group_concat(bill, char(30)) FROM (
SELECT {_fields("b.account_id", "b.outcome", "b.reason", "b.rate_class", "b.period_start",
                "b.period_end", "b.usage_hcf", "b.estimated", "b.total_cents", "l.seq",
                "l.component", "l.label", "l.quantity", "l.unit", "l.rate", "l.amount_cents",
                "l.explanation", "l.rate_files", "l.rate_sha256")} AS bill
  FROM bills b LEFT JOIN bill_lines l ON l.bill_id = b.id
 WHERE b.run_id = ?
 ORDER BY b.account_id, l.seq)
"""


def _text(conn: sqlite3.Connection, sql: str, params: Sequence[object] = ()) -> str:
    return conn.execute(sql, params).fetchone()[0] or ""


def inputs_digest(conn: sqlite3.Connection, *, dates: Iterable[date], book: RateBook,
                  read_unit: str, accounts: Iterable[sqlite3.Row], holds: Mapping[int, str],
                  excluded: Mapping[int, str], since: date, until: date) -> str:
    """SHA-256 of everything a draft's bills are computed from (the premises of `accounts`
    must be in temp.audit_premises)."""
    digest = hashlib.sha256()

    def part(name: str, text: str) -> None:
        digest.update(f"\x1e{name}\x1f".encode())
        digest.update(text.encode("utf-8"))

    part("dates", ",".join(d.isoformat() for d in dates))
    part("window", f"{since.isoformat()},{until.isoformat()}")
    part("read_unit", read_unit)
    part("rates", "\n".join([book.folder, str(book.what_if)] + [
        f"{s.ref.file},{s.ref.rate_class},{s.ref.effective},{s.ref.sha256}"
        for s in book.schedules()]))
    part("accounts", "\n".join(repr(tuple(row)) for row in accounts))
    part("holds", repr(sorted(holds.items())))
    part("excluded", repr(sorted(excluded.items())))
    part("meters", _text(conn, METERS_SQL))
    part("reads", _text(conn, READS_SQL, (since.isoformat(), until.isoformat())))
    return digest.hexdigest()


def run_fingerprint(conn: sqlite3.Connection, run_id: int, inputs: str) -> str:
    """SHA-256 of the run's stored bills and lines together with its inputs' digest: what the
    supervisor approves, and what the freeze checks again."""
    return fingerprint_of(inputs, _text(conn, STORED_SQL, (run_id,)))


def fingerprint_of(inputs: str, stored: str) -> str:
    digest = hashlib.sha256(inputs.encode("ascii"))
    digest.update(b"\x1e")
    digest.update(stored.encode("utf-8"))
    return digest.hexdigest()


Field = str | int | None


def stored_text(bills: Iterable[tuple[Field, ...]],
                lines: Mapping[Any, Sequence[tuple[Field, ...]]]) -> str:
    """STORED_SQL's text from the rows as they are inserted: `bills` (account id first, in
    account order, the columns STORED_SQL names) and each bill's `lines` by the bill's first
    field (seq first). The draft hashes what it writes instead of reading it back; a test
    holds the two equal."""
    def field(value: Field) -> str:
        return "\x1d" if value is None else str(value)

    texts: dict[int, str] = {}  # by the line tuple's identity: a draft shares equal lines
    no_lines = "\x1f" + "\x1f".join(["\x1d"] * 10)
    parts = []
    for bill in bills:
        head = "\x1f".join(map(field, bill))
        found = lines.get(bill[0])
        if not found:
            parts.append(head + no_lines)
            continue
        for line in found:
            text = texts.get(id(line))
            if text is None:
                text = texts[id(line)] = "\x1f" + "\x1f".join(map(field, line))
            parts.append(head + text)
    return "\x1e".join(parts)
