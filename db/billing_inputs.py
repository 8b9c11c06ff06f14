"""How a freeze knows it posts the preview: the stored bills are the approved ones, and what
they were computed from has not moved, or pricing the cycle again gives exactly those bills.

- The stored bills. No bill or line is ever edited (migrations 0011 and 0013); a redraft
  replaces them and clears the approval. The approval keeps their count and sums
  (run_fingerprint), so a row added or removed by hand is caught as well.
- The inputs. inputs_mark is a dozen lookups: the newest row of every table a draft reads
  (a new row always takes the next rowid), a trigger-kept count of edits and removals in them,
  and the rate book's files and hashes. The engine is a pure function of what the draft
  gives it (core/ reads no clock or database), so an unchanged mark means a new computation
  would give the stored bills.
- When the mark moved (a payment posted, another cycle's reads imported, an account edited),
  the freeze prices the cycle again and compares every bill and line with the stored ones,
  and posts only if they are the same.
"""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable

from core.billing import StoredBill
from core.rate_book import RateBook

# The run's stored bills and lines, counted and summed (line sets by their place in the run,
# so drafting the same inputs again gives the same text).
STORED_SQL = """
SELECT (SELECT count(*) || ',' || total(account_id) || ',' || total(total_cents) || ','
               || total(estimated) || ',' || total(length(outcome) + length(reason)
               + length(rate_class) + length(ifnull(period_start, '')) + length(usage_hcf)
               + length(usage_history) + length(meter_reads)) || ','
               || total(line_set_id - (SELECT min(id) FROM bill_line_sets WHERE run_id = :run))
          FROM bill_rows WHERE run_id = :run) || ';' ||
       (SELECT count(*) || ',' || total(l.seq) || ',' || total(l.amount_cents) || ','
               || total(length(l.label) + length(l.quantity) + length(l.rate)
               + length(l.explanation) + length(l.rate_sha256))
          FROM bill_line_sets s JOIN bill_set_lines l ON l.set_id = s.id
         WHERE s.run_id = :run)
"""


def run_fingerprint(conn: sqlite3.Connection, run_id: int) -> str:
    """SHA-256 of the run's stored bills and lines counted and summed: what the supervisor
    approves, and what the freeze checks again."""
    text = conn.execute(STORED_SQL, {"run": run_id}).fetchone()[0] or ""
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def rates_text(book: RateBook) -> str:
    """The rate book as the mark sees it: its folder, each file's class, date and hash, and
    the values of each ETo file its water budgets read (a file beside the rate files, which
    the district updates as CIMIS reports: new values price budgets differently)."""
    eto = {s.budget.eto_file: s.budget.eto for s in book.schedules() if s.budget is not None}
    return "\n".join([book.folder, str(book.what_if)] + [
        f"{s.ref.file},{s.ref.rate_class},{s.ref.effective},{s.ref.sha256}"
        for s in book.schedules()] + [
        f"{name},{hashlib.sha256(table.values_text().encode('ascii')).hexdigest()}"
        for name, table in sorted(eto.items())])


def rates_fingerprint(book: RateBook) -> str:
    """SHA-256 of rates_text: equal for two books that price every bill alike."""
    return hashlib.sha256(rates_text(book).encode("utf-8")).hexdigest()


# The tables a draft reads (accounts and their premises, routes and cycles, meters and reads,
# read exceptions for holds, ledger entries, settings, calendar dates): the newest row of each,
# and the count of edits and removals. Bills are not among them: a draft reads only posted
# bills, and posting one adds its ledger entry, so another cycle's draft (new bills, nothing
# posted) leaves this draft's mark as it was.
INPUT_TABLES = ("accounts", "premises", "routes", "cycles", "meters", "meter_reads",
                "read_exceptions", "ledger_entries", "settings", "schedule_dates")
MARK_SQL = "SELECT (SELECT n FROM billing_input_changes), " + ", ".join(
    f"(SELECT max(rowid) FROM {table})" for table in INPUT_TABLES)


def inputs_mark(conn: sqlite3.Connection, book: RateBook) -> str:
    """Whether anything a draft is computed from has moved, in a dozen lookups (migration
    0011): equal marks mean equal inputs."""
    found = conn.execute(MARK_SQL).fetchone()
    return ",".join(map(str, found)) + "," + rates_fingerprint(book)


BillRow = tuple[object, ...]


def draft_rows(bills: Iterable[StoredBill]) -> dict[int, BillRow]:
    """Account id -> its bill as the run stores it (with its lines), for comparing."""
    return {account_id: (
        outcome, reason, rate_class, start, end, usage, estimated, total, history, reads,
        tuple((ln.component, ln.label, ln.quantity, ln.unit, ln.rate, ln.amount_cents,
               ln.explanation, ln.rate_files, ln.rate_sha256) for ln in lines))
        for (account_id, _, outcome, reason, rate_class, start, end, usage, estimated, total,
             history, reads, lines) in bills}


def stored_rows(conn: sqlite3.Connection, run_id: int) -> dict[int, BillRow]:
    """draft_rows of the run's stored bills."""
    sets: dict[int, list[tuple[object, ...]]] = {}
    for set_id, *line in conn.execute(
            "SELECT l.set_id, l.component, l.label, l.quantity, l.unit, l.rate, l.amount_cents,"
            " l.explanation, l.rate_files, l.rate_sha256 FROM bill_line_sets s"
            " JOIN bill_set_lines l ON l.set_id = s.id WHERE s.run_id = ?"
            " ORDER BY l.set_id, l.seq", (run_id,)):
        sets.setdefault(set_id, []).append(tuple(line))
    return {account_id: (*row, tuple(sets.get(set_id, ()))) for account_id, *row, set_id in
            conn.execute("SELECT account_id, outcome, reason, rate_class, period_start,"
                         " period_end, usage_hcf, estimated, total_cents, usage_history,"
                         " meter_reads, line_set_id FROM bill_rows WHERE run_id = ?",
                         (run_id,))}
