"""The print file's bills rendered by the freeze while it posts the run, from the snapshot
before the posting, and kept with the run (migration 0014): `bill print-file` then only adds
the header, the global message and the trailer (db.bill_print)."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar

import zstandard

from core.bill_print import RECORD_TYPES
from db import billing_parts
from db.bill_print import (
    BILLS_SQL,
    PrintBody,
    bill_records,
    bill_terms,
    billed_numbers,
    bills_of,
)
from db.billing_run import Run
from db.connection import database_file
from db.second_process import Ticket, kept_process
from db.settings import load_settings
from db.transaction import collector_paused

# The kept second process's job (db.second_process): the later accounts of a large run
# rendered on the other core while this process checks the run, renders the earlier ones and
# posts it.
BODY_JOB = "db.print_bodies:render_body_job"
SECOND_SHARE = 0.7  # this process also checks the run and posts it (about 0.25 s a cycle)
Posted = TypeVar("Posted")


class Rendering:
    """The run's bills being rendered for its freeze, from the snapshot before the posting (the
    caller holds the write lock): for a large run the later accounts by the kept second
    process, which starts as soon as this is made, while the freeze checks the run and this
    process renders the earlier accounts and posts (`while_posting`)."""

    def __init__(self, conn: sqlite3.Connection, run: Run, bill_on: date, due_on: date) -> None:
        self.conn = conn
        self.run = replace(run, bill_date=bill_on.isoformat(), due_date=due_on.isoformat())
        # The id post_bills gives the run's first entry: BILLS_SQL bounded by it leaves out
        # the entries from it on, so it reads the snapshot before the run, before or after
        # the posting.
        self.first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM ledger_entries"
                                  ).fetchone()[0]
        self.ticket: Ticket | None = None
        db_file = database_file(conn)
        if db_file is not None and run.billed >= max(
                billing_parts.SECOND_PROCESS_MIN_ACCOUNTS, 2):
            # The second process finds the run's account numbers and its part itself (the
            # same snapshot gives it the same numbers), so it starts at once.
            self.ticket = kept_process(db_file, billing_parts.WARM).ask(
                BODY_JOB, (self.run, self.first, SECOND_SHARE))

    def while_posting(self, post: Callable[[], Posted]) -> tuple[PrintBody, Posted]:
        """The run's bills rendered and `post` called: the earlier accounts here, then the
        posting, then the second process's part (rendered here, after the posting, by the
        same query, when it has none or not exactly the accounts after ours)."""
        conn, run, first = self.conn, self.run, self.first
        numbers = billed_numbers(conn, run.id)
        if not numbers:
            return render_body(conn, run, first, ("", "")), post()
        if self.ticket is None or len(numbers) < 2:
            return render_body(conn, run, first, (numbers[0], numbers[-1])), post()
        split = second_part_start(len(numbers), SECOND_SHARE)
        mine = render_body(conn, run, first, (numbers[0], numbers[split - 1]))
        posted = post()
        answer = self.ticket.result()
        if isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[1], PrintBody) \
                and answer[0] == numbers[split] and answer[1].run_id == run.id \
                and answer[1].bills == len(numbers) - split:
            theirs: PrintBody = answer[1]
        else:
            theirs = render_body(conn, run, first, (numbers[split], numbers[-1]))
        return mine.then(theirs), posted


def second_part_start(bills: int, share: float) -> int:
    """Where the second process's part of a run's bills (in account-number order) begins:
    its `share`, at least one bill, and at least one left for this process."""
    return bills - min(max(round(bills * share), 1), bills - 1)


def render_body(conn: sqlite3.Connection, run: Run, first: int, numbers: tuple[str, str]
                ) -> PrintBody:
    """The run's bill records (BILLS_SQL, the ledger's entries before `first`) of the
    account numbers from numbers[0] to numbers[1], both included, each bill's charge lines
    as its line set's mark (db.bill_print.SET_MARK: the print file writes them out), then
    compressed as one complete zstd frame, which the next part's frame may follow."""
    plain = conn.cursor()
    plain.row_factory = None
    rows = plain.execute(BILLS_SQL, bills_of(run.id, first, bound=first,
                                             numbers=numbers)).fetchall()
    records = bill_records(rows, bill_terms(conn, run, load_settings(conn), marked=True))
    text = records.text + "\n" if records.text else ""
    # Level 1: about 5.5 to 1, and three times as fast as DEFLATE level 1 (migration 0017).
    body = zstandard.ZstdCompressor(level=1).compress(text.encode("utf-8"))
    return PrintBody(run.id, body, {rec: records.counts[rec] for rec in RECORD_TYPES[1:-1]},
                     records.bills, records.current_cents, records.total_due_cents, "zstd")


def render_body_job(conn: sqlite3.Connection, messages: Iterator[Any]
                    ) -> tuple[str, PrintBody] | None:
    """The second process's job: the run's last account numbers (its `share` of them,
    second_part_start) rendered in one read transaction, which begun while the freeze holds
    the write lock sees its snapshot; with the first account number of the part."""
    run, first, share = next(messages)
    with collector_paused():
        conn.execute("BEGIN")
        try:
            numbers = billed_numbers(conn, run.id)
            if len(numbers) < 2:
                return None
            start = numbers[second_part_start(len(numbers), share)]
            return start, render_body(conn, run, first, (start, numbers[-1]))
        finally:
            conn.execute("COMMIT")


def store_body(conn: sqlite3.Connection, body: PrintBody) -> None:
    conn.execute("INSERT INTO print_bodies (run_id, body, bills, current_cents,"
                 " total_due_cents, counts, codec) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (body.run_id, body.body, body.bills, body.current_cents,
                  body.total_due_cents, json.dumps(body.counts), body.codec))


