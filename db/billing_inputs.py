"""The fingerprint of a billing run: the inputs that determine its bills, and the bills stored.

Why a freeze may post the stored draft without pricing it again: the engine is a pure function
of what it is given (core/ reads no clock or database), and every value compute_draft gives it
comes from the rows hashed here: the cycle's active accounts with their premise and meter
(ACCOUNTS_SQL, every column), the holds and the exclusions (their reasons), every meter of
those premises and every read in the period's window, the latest posted bill each account's
usage history extends (by id: a posted bill never changes), the full read history of the
premises the draft priced from their reads alone (the run stores which), the read unit, the
calendar dates and the rate book (folder and each rate file's SHA-256). Draft and freeze hash
the same rows, each inside its own write transaction (one snapshot); if they agree, and the
stored bills and lines hash as approved, a recomputation would give the bills that are stored,
so posting them is posting the preview. Any change to an input, or to a stored bill, refuses
the freeze.
"""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

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
# The run's stored bills and lines, counted and summed: no stored bill or line is ever
# edited (migration 0011's triggers), so only a redraft (which clears the approval) or a row
# added or removed by hand could change them, and that changes these sums.
STORED_SQL = """
SELECT (SELECT count(*) || ',' || total(account_id) || ',' || total(total_cents) || ','
               || total(estimated) || ',' || total(length(outcome) + length(reason)
               + length(rate_class) + length(ifnull(period_start, '')) + length(usage_hcf)
               + length(usage_history) + length(meter_reads)) || ','
               || total(line_set_id - (SELECT min(id) FROM bill_line_sets WHERE run_id = :run))
          FROM bills WHERE run_id = :run) || ';' ||
       (SELECT count(*) || ',' || total(l.seq) || ',' || total(l.amount_cents) || ','
               || total(length(l.label) + length(l.quantity) + length(l.rate)
               + length(l.explanation) + length(l.rate_sha256))
          FROM bill_line_sets s JOIN bill_set_lines l ON l.set_id = s.id
         WHERE s.run_id = :run)
"""


def _text(conn: sqlite3.Connection, sql: str,
          params: Sequence[object] | Mapping[str, object] = ()) -> str:
    return conn.execute(sql, params).fetchone()[0] or ""


def inputs_digest(conn: sqlite3.Connection, *, dates: Iterable[date], book: RateBook,
                  read_unit: str, accounts: Iterable[sqlite3.Row], holds: Mapping[int, str],
                  excluded: Mapping[int, str], previous_bills: Iterable[int], since: date,
                  until: date) -> str:
    """SHA-256 of everything a draft's bills are computed from but the full read histories
    (the premises of `accounts` must be in temp.audit_premises)."""
    digest = hashlib.sha256()

    def part(name: str, text: str) -> None:
        digest.update(f"\x1e{name}\x1f".encode())
        digest.update(text.encode("utf-8"))

    part("dates", ",".join(d.isoformat() for d in dates))
    part("window", f"{since.isoformat()},{until.isoformat()}")
    part("read_unit", read_unit)
    part("rates", rates_text(book))
    part("accounts", "\n".join(repr(tuple(row)) for row in accounts))
    part("holds", repr(sorted(holds.items())))
    part("excluded", repr(sorted(excluded.items())))
    part("previous", ",".join(map(str, sorted(previous_bills))))
    part("meters", _text(conn, METERS_SQL))
    part("reads", _text(conn, READS_SQL, (since.isoformat(), until.isoformat())))
    return digest.hexdigest()


def rates_text(book: RateBook) -> str:
    """The rate book as the digest sees it: its folder and each file's class, date and hash."""
    return "\n".join([book.folder, str(book.what_if)] + [
        f"{s.ref.file},{s.ref.rate_class},{s.ref.effective},{s.ref.sha256}"
        for s in book.schedules()])


MARK_SQL = """
SELECT (SELECT n FROM billing_input_changes), (SELECT max(rowid) FROM meter_reads),
       (SELECT max(rowid) FROM ledger_entries)
"""


def inputs_mark(conn: sqlite3.Connection, book: RateBook) -> str:
    """Whether anything a draft is computed from has moved, in three lookups (migration 0011):
    the count of changes to its input tables, the newest read and ledger entry, and the rate
    book. Equal marks mean equal inputs, so equal digests."""
    changes, reads, entries = conn.execute(MARK_SQL).fetchone()
    rates = hashlib.sha256(rates_text(book).encode("utf-8")).hexdigest()
    return f"{changes},{reads},{entries},{rates}"


def with_histories(conn: sqlite3.Connection, digest: str, premises: Sequence[int],
                   since: date, until: date) -> str:
    """`digest` with the reads in [since, until) of `premises` (the ones in
    temp.audit_premises) added: the draft priced those from their reads alone."""
    if not premises:
        return digest
    added = hashlib.sha256(digest.encode("ascii"))
    added.update(f"\x1ehistories\x1f{','.join(map(str, premises))}\x1e".encode())
    added.update(_text(conn, READS_SQL, (since.isoformat(), until.isoformat())).encode("utf-8"))
    return added.hexdigest()


def run_fingerprint(conn: sqlite3.Connection, run_id: int, inputs: str) -> str:
    """SHA-256 of the inputs' digest and the run's stored bills (STORED_SQL): what the
    supervisor approves, and what the freeze checks again."""
    digest = hashlib.sha256(inputs.encode("ascii"))
    digest.update(b"\x1e")
    digest.update(_text(conn, STORED_SQL, {"run": run_id}).encode("ascii"))
    return digest.hexdigest()
