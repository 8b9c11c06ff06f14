"""The print file's bills rendered by the freeze while it posts the run, from the snapshot
before the posting, and kept with the run (migration 0014): `bill print-file` then only adds
the header, the global message and the trailer (db.bill_print)."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar

import zstandard

from core.bill_print import RECORD_TYPES
from db import billing_parts
from db.bill_print import (
    BILLS_SQL,
    BillTerms,
    PrintBody,
    bill_records,
    bill_terms,
    billed_numbers,
    bills_of,
    read_ahead,
)
from db.billing_run import Run
from db.connection import database_file
from db.second_process import (
    KeptProcess,
    PartLimit,
    Ticket,
    kept_process,
    parts_allowed,
    take_parts,
)
from db.settings import load_settings
from db.transaction import collector_paused

# The kept second process's job (db.second_process): the later accounts of a large run
# rendered on the other core while this process checks the run, renders the earlier ones and
# posts it.
BODY_JOB = "db.print_bodies:render_body_job"
# The second process's share: this process also checks the run and posts it (0.2-0.35 s a
# cycle), and renders the second's last chunks when it lags (a cold first cycle, a core shared
# with the draft's checkpoint), so a share above the balance (about 0.78) costs little.
SECOND_SHARE = 0.85
# The second process sends its part this many bills at a time, each a zstd frame of its own:
# once this process has posted, it renders the second's last chunks not yet begun itself
# (a PartLimit stops the second before them), so both finish together however their speeds
# differ (the first cycle's cold caches, the other core shared with a checkpoint).
CHUNK_BILLS = 2_000
Posted = TypeVar("Posted")
Chunk = tuple[str, str, int]  # its first and last account numbers, and its bills


class Rendering:
    """The run's bills being rendered for its freeze, from the snapshot before the posting (the
    caller holds the write lock): for a large run the later accounts by the kept second
    process, which starts as soon as this is made, while the freeze checks the run and this
    process renders the earlier accounts and posts (`while_posting`). `close` when done, or
    when the freeze is refused: the second process then stops after the chunk it is on."""

    def __init__(self, conn: sqlite3.Connection, run: Run, bill_on: date, due_on: date) -> None:
        self.conn = conn
        self.run = replace(run, bill_date=bill_on.isoformat(), due_date=due_on.isoformat())
        # The id post_bills gives the run's first entry: BILLS_SQL bounded by it leaves out
        # the entries from it on, so it reads the snapshot before the run, before or after
        # the posting.
        self.first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM ledger_entries"
                                  ).fetchone()[0]
        self.kept: KeptProcess | None = None
        self.ticket: Ticket | None = None
        self.limit: PartLimit | None = None
        db_file = database_file(conn)
        if db_file is not None and run.billed >= max(
                billing_parts.SECOND_PROCESS_MIN_ACCOUNTS, 2):
            # The second process finds the run's account numbers and its part itself (the
            # same snapshot gives it the same numbers), so it starts at once.
            self.limit = PartLimit(billing_parts.NO_LIMIT)
            self.kept = kept_process(db_file, billing_parts.WARM)
            self.ticket = self.kept.ask(
                BODY_JOB, (self.run, self.first, SECOND_SHARE, CHUNK_BILLS, self.limit.path))

    def while_posting(self, post: Callable[[], Posted]) -> tuple[PrintBody, Posted]:
        """The run's bills rendered and `post` called: the earlier accounts here, then the
        posting, then the second process's chunks as they come, its last ones not yet begun
        rendered here (and the rest, after a chunk that is not exactly the one expected or
        none at all, rendered here by the same query)."""
        conn, run, first = self.conn, self.run, self.first
        numbers = billed_numbers(conn, run.id)
        terms = bill_terms(conn, run, load_settings(conn), marked=True)
        if not numbers:
            return render_body(conn, run, first, ("", ""), terms), post()
        if self.ticket is None or self.limit is None or len(numbers) < 2:
            return render_body(conn, run, first, (numbers[0], numbers[-1]), terms), post()
        split = second_part_start(len(numbers), SECOND_SHARE)
        chunks = part_chunks(numbers, split, CHUNK_BILLS)
        self.limit.lower(len(chunks))
        parts = [render_body(conn, run, first, (numbers[0], numbers[split - 1]), terms)]
        posted = post()

        def sent(part: Any, expected: Chunk) -> PrintBody | None:
            fits = isinstance(part, tuple) and len(part) == 2 \
                and isinstance(part[1], PrintBody) and part[0] == expected[0] \
                and part[1].run_id == run.id and part[1].bills == expected[2]
            return part[1] if fits else None

        def here(pieces: Sequence[Chunk]) -> PrintBody:
            return render_body(conn, run, first, (pieces[0][0], pieces[-1][1]), terms)

        take_parts(self.ticket, self.limit, chunks, sent=sent, here=here, take=parts.append)
        body = parts[0]
        for later in parts[1:]:
            body = body.then(later)
        return body, posted

    def close(self) -> None:
        """The second process stops after the chunk it is on (when the freeze was refused, or
        it already sent every chunk); its limit's file is removed."""
        if self.limit is not None:
            self.limit.lower(0)
            self.limit.close()


def second_part_start(bills: int, share: float) -> int:
    """Where the second process's part of a run's bills (in account-number order) begins:
    its `share`, at least one bill, and at least one left for this process."""
    return bills - min(max(round(bills * share), 1), bills - 1)


def part_chunks(numbers: list[str], split: int, size: int) -> list[Chunk]:
    """The second process's part (the account numbers from `split` on) in chunks of `size`
    bills: both processes work them out alike."""
    return [(numbers[at], numbers[min(at + size, len(numbers)) - 1],
             min(at + size, len(numbers)) - at) for at in range(split, len(numbers), size)]


def render_body(conn: sqlite3.Connection, run: Run, first: int, numbers: tuple[str, str],
                terms: BillTerms) -> PrintBody:
    """The run's bill records (BILLS_SQL, the ledger's entries before `first`) of the
    account numbers from numbers[0] to numbers[1], both included, each bill's charge lines
    as its line set's mark (`terms` from bill_terms(marked=True): the print file writes them
    out), then compressed as one complete zstd frame, which the next part's frame may
    follow."""
    plain = conn.cursor()
    plain.row_factory = None
    rows = plain.execute(BILLS_SQL, bills_of(run.id, first, bound=first,
                                             numbers=numbers)).fetchall()
    records = bill_records(rows, terms)
    text = records.text + "\n" if records.text else ""
    # Level 1: about 5.5 to 1, and three times as fast as DEFLATE level 1 (migration 0017).
    body = zstandard.ZstdCompressor(level=1).compress(text.encode("utf-8"))
    return PrintBody(run.id, body, {rec: records.counts[rec] for rec in RECORD_TYPES[1:-1]},
                     records.bills, records.current_cents, records.total_due_cents, "zstd")


def render_body_job(conn: sqlite3.Connection, messages: Iterator[Any]
                    ) -> Iterator[tuple[str, PrintBody]]:
    """The second process's job: the run's last account numbers (its `share` of them,
    second_part_start) rendered in one read transaction, which begun while the freeze holds
    the write lock sees its snapshot; sent a chunk at a time (part_chunks), each with its
    first account number, until the caller's limit says it renders the rest itself. Then,
    unless the caller closed the limit (a refused freeze), the run's charge lines are read
    ahead for its print file (db.bill_print.read_ahead) while the freeze posts and commits."""
    run, first, share, size, limit = next(messages)
    with collector_paused():
        conn.execute("BEGIN")
        try:
            numbers = billed_numbers(conn, run.id)
            if len(numbers) < 2:
                return
            terms = bill_terms(conn, run, load_settings(conn), marked=True)
            chunks = part_chunks(numbers, second_part_start(len(numbers), share), size)
            for sent, (start, last, _) in enumerate(chunks):
                allowed = parts_allowed(limit)
                if allowed is not None and sent >= allowed:
                    break
                yield start, render_body(conn, run, first, (start, last), terms)
            if parts_allowed(limit) != 0:
                read_ahead(conn, run.id)
        finally:
            conn.execute("COMMIT")


def store_body(conn: sqlite3.Connection, body: PrintBody) -> None:
    conn.execute("INSERT INTO print_bodies (run_id, body, bills, current_cents,"
                 " total_due_cents, counts, codec) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (body.run_id, body.body, body.bills, body.current_cents,
                  body.total_due_cents, json.dumps(body.counts), body.codec))


