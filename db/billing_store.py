"""Storing a cycle-month's draft as its parts are priced: the run row first, then each part's
bills in account order (the first part while the second is still being priced), then the
counts, the fingerprint and the inputs' mark once every bill is written."""
from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from core.billing import Outcome, StoredBill, StoredLine
from core.rate_book import RateBook
from core.users import User
from db.billing_draft import CycleMonth, Draft
from db.billing_inputs import inputs_mark, run_fingerprint


class DraftStore:
    """One draft being written inside the caller's write transaction."""

    def __init__(self, conn: sqlite3.Connection, dates: CycleMonth, book: RateBook, *,
                 user: User, at: str) -> None:
        """The run's row, new or reset to a draft with its approval cleared and its earlier
        bills removed (a draft's bills are never posted, so no pricing reads them)."""
        self.conn = conn
        values = (dates.bill_date.isoformat(), dates.due_date.isoformat(), book.folder,
                  user.login, at)
        row = conn.execute("SELECT id FROM billing_runs WHERE cycle_id = ? AND month = ?",
                           (dates.cycle_id, dates.key)).fetchone()
        if row is None:
            self.run_id = int(conn.execute(
                "INSERT INTO billing_runs (cycle_id, month, status, bill_date, due_date,"
                " rate_folder, fingerprint, billed_count, held_count, excluded_count,"
                " total_cents, drafted_by, drafted_at)"
                " VALUES (?, ?, 'draft', ?, ?, ?, '', 0, 0, 0, 0, ?, ?)",
                (dates.cycle_id, dates.key, *values)).lastrowid or 0)
        else:
            self.run_id = row[0]
            conn.execute(
                "UPDATE billing_runs SET status = 'draft', bill_date = ?, due_date = ?,"
                " rate_folder = ?, fingerprint = '', billed_count = 0, held_count = 0,"
                " excluded_count = 0, total_cents = 0, drafted_by = ?, drafted_at = ?,"
                " approved_by = NULL, approved_at = NULL, approved_fingerprint = NULL"
                " WHERE id = ?", (*values, self.run_id))
            conn.execute("DELETE FROM bill_rows WHERE run_id = ?", (self.run_id,))
            conn.execute("DELETE FROM bill_line_sets WHERE run_id = ?", (self.run_id,))
        self.next_bill = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM bill_rows"
                                       ).fetchone()[0]
        self.next_set = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM bill_line_sets"
                                     ).fetchone()[0]
        self.last_account = 0
        # The draft's memo shares one tuple of lines per pricing; equal tuples share a set.
        self.by_identity: dict[int, int] = {}
        self.by_value: dict[tuple[StoredLine, ...], int] = {}
        self.kept: list[tuple[StoredLine, ...]] = []

    def write(self, bills: Sequence[StoredBill]) -> None:
        """A part's bills, in account order after every bill written before, and each set of
        lines not yet stored once (bills priced alike share one set); ids are given, so each
        table is one statement."""
        run_id, next_bill, by_identity, by_value = (self.run_id, self.next_bill,
                                                    self.by_identity, self.by_value)
        sets: list[tuple[int, tuple[StoredLine, ...]]] = []
        rows = []
        last_account = self.last_account
        for (account_id, _, outcome, reason, rate_class, start, end, usage, estimated, total,
             history, reads, lines) in bills:
            if account_id <= last_account:
                raise AssertionError(f"bills out of account order at account {account_id}")
            last_account = account_id
            set_id = None
            if lines:
                set_id = by_identity.get(id(lines))
                if set_id is None:
                    set_id = by_value.get(lines)
                    if set_id is None:
                        set_id = by_value[lines] = self.next_set
                        self.next_set += 1
                        sets.append((set_id, lines))
                    by_identity[id(lines)] = set_id
                    self.kept.append(lines)  # its id stays this tuple's while the draft runs
            rows.append((next_bill, run_id, account_id, outcome, reason, rate_class, start, end,
                         usage, estimated, total, history, reads, set_id))
            next_bill += 1
        self.next_bill, self.last_account = next_bill, last_account
        conn = self.conn
        conn.executemany("INSERT INTO bill_line_sets (id, run_id) VALUES (?, ?)",
                         [(set_id, run_id) for set_id, _ in sets])
        conn.executemany(
            "INSERT INTO bill_set_lines (set_id, seq, component, label, quantity, unit, rate,"
            " amount_cents, explanation, rate_files, rate_sha256)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(set_id, seq, ln.component, ln.label, ln.quantity, ln.unit, ln.rate,
              ln.amount_cents, ln.explanation, ln.rate_files, ln.rate_sha256)
             for set_id, lines in sets for seq, ln in enumerate(lines, start=1)])
        conn.executemany(
            "INSERT INTO bill_rows (id, run_id, account_id, outcome, reason, rate_class,"
            " period_start, period_end, usage_hcf, estimated, total_cents, usage_history,"
            " meter_reads, line_set_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows)

    def finish(self, draft: Draft, book: RateBook) -> int:
        """The run's counts and total, then its fingerprint and the inputs' mark, last, after
        every write of the draft (its bills count as changes too); returns the run's id."""
        conn, run_id = self.conn, self.run_id
        conn.execute("UPDATE billing_runs SET billed_count = ?, held_count = ?,"
                     " excluded_count = ?, total_cents = ? WHERE id = ?",
                     (draft.count(Outcome.BILLED), draft.count(Outcome.HELD),
                      draft.count(Outcome.EXCLUDED), draft.total_cents, run_id))
        conn.execute("UPDATE billing_runs SET fingerprint = ?, inputs_mark = ? WHERE id = ?",
                     (run_fingerprint(conn, run_id), inputs_mark(conn, book), run_id))
        return run_id

