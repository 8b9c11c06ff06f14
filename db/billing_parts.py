"""A large cycle's draft priced in two parts at once: the later accounts in a second process
(db.second_process), the earlier ones here, so both cores work.

The caller holds the write lock (draft and freeze price inside BEGIN IMMEDIATE, before they
write anything), so the second process's read transaction sees exactly the caller's snapshot.
Its part comes back as the same bills this process would have computed (StoredBills); it must cover
exactly the accounts this process expected, or this process prices that part itself, as it
does when the second process cannot start, fails or is late.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from core.billing import StoredBill
from core.rate_book import RateBook
from db.billing_draft import (
    CycleMonth,
    Draft,
    DraftPricer,
    close_together,
    compute_draft,
    cycle_accounts,
)
from db.connection import database_file
from db.second_process import (
    PartLimit,
    kept_process,
    parts_allowed,
    running_kept_process,
    take_parts,
)
from db.transaction import collector_paused

# A cycle this large is worth a second process (its first start-up costs about 0.3 s of the
# other core); smaller ones, and the test districts, are priced here alone.
SECOND_PROCESS_MIN_ACCOUNTS = 8_000
# The second process's share: this process also stores every bill (the second process's
# slices as they come, about 0.016 s each, after its own part), yet takes the second's last
# slices once free. With the covering read index and 8 KiB pages (migration 0019, PAGE_BYTES)
# the second process sat idle for the last 0.2 s of a warm cycle's draft at 0.55 (timed in
# both processes): at 0.62 the 100,000-account district's cycles 2-4 drafted in 1.75-1.91 s
# against 1.87-2.03 s, faster in 5 of 5 alternating runs, and the whole run in 4 of 5;
# 0.66 and 0.70 were no faster than 0.62.
SECOND_SHARE = 0.62
SLICE_ACCOUNTS = 2_000  # the second process sends its bills this many accounts at a time
TAKE_LAST_SLICES = True  # this process prices the second's last slices once it is free
JOB = "db.billing_parts:price_part"
NO_LIMIT = 1 << 32  # a PartLimit not yet lowered: the second process's job sends every slice
WARM = ("db.billing_parts", "db.bill_print", "db.print_bodies")  # loaded at the start

IDS_SQL = """
SELECT a.id FROM routes r CROSS JOIN premises p ON p.route_id = r.id
  CROSS JOIN accounts a ON a.premise_id = p.id
 WHERE r.cycle_id = ? AND a.status = 'active'
 ORDER BY a.id
"""

# The most active accounts any one cycle has.
LARGEST_CYCLE_SQL = """
SELECT COUNT(*) AS accounts FROM routes r CROSS JOIN premises p ON p.route_id = r.id
  CROSS JOIN accounts a ON a.premise_id = p.id
 WHERE a.status = 'active' GROUP BY r.cycle_id ORDER BY accounts DESC LIMIT 1
"""

# Each slice the second process sends: its account ids, their bills as the run stores them
# (plain values: a tenth of the pickling of AccountBills), the premises priced from their full
# history, and account id -> premise id.
Part = tuple[tuple[int, ...], tuple[StoredBill, ...], tuple[int, ...], dict[int, int]]


def warm_second_process(conn: sqlite3.Connection) -> bool:
    """Start the session's kept second process now if any cycle is large enough to be shared
    with it (the Billing screen does so as it opens), so that the clerk's first draft finds
    it started, its modules loaded; False when no cycle is (the demo, the tests) or the
    database is in memory."""
    db_file = database_file(conn)
    if db_file is None:
        return False
    row = conn.execute(LARGEST_CYCLE_SQL).fetchone()
    if row is None or row[0] < SECOND_PROCESS_MIN_ACCOUNTS:
        return False
    return kept_process(db_file, WARM).alive()


def compute_draft_in_parts(conn: sqlite3.Connection, dates: CycleMonth, book: RateBook,
                           run_id: int | None = None, *,
                           on_part: Callable[[Sequence[StoredBill]], None] | None = None,
                           min_accounts: int | None = None) -> Draft:
    """compute_draft for the whole cycle, the later accounts priced by a second process when
    the cycle is large; `on_part` gets the bills as they are priced, in account order: this
    process's part, then each slice of the second process's as it comes (the draft stores
    them while the rest is priced). Call while holding the write lock; what this connection
    writes meanwhile must not change any pricing (the second process sees only the last
    commit).

    The two processes finish together however their speeds differ: once this process has
    priced (and stored) its own part and no slice is waiting, it takes the second process's
    last slice not yet begun, and lowers the second process's limit so that it stops before
    it (db.second_process.PartLimit)."""
    db_file = database_file(conn)
    threshold = max(SECOND_PROCESS_MIN_ACCOUNTS if min_accounts is None else min_accounts, 2)
    with collector_paused(), PartLimit(NO_LIMIT) as limit:
        # The session's kept second process, when one is running, is asked at once: it finds
        # the cycle's accounts and its part itself, in the same snapshot (its read begins
        # after our write lock), while this process finds them; a cycle too small for it is
        # priced here and it sends nothing.
        running = running_kept_process(db_file) if db_file is not None else None
        message = (dates, book, run_id, threshold, SECOND_SHARE, SLICE_ACCOUNTS, limit.path)
        ticket = running.ask(JOB, message) if running is not None else None
        ids = [row[0] for row in conn.execute(IDS_SQL, (dates.cycle_id,))] \
            if db_file is not None else []
        if len(ids) < threshold:
            draft = compute_draft(conn, dates, book, run_id)
            if on_part is not None:
                on_part(draft.rows)
            return draft
        assert db_file is not None
        split, slices = second_part(ids, SECOND_SHARE, SLICE_ACCOUNTS)
        limit.lower(len(slices))
        by_range = close_together(ids)  # each part read by its id range
        if ticket is None:
            # None running: it starts now, its start-up overlapping our own part; a later
            # cycle finds it warm.
            ticket = kept_process(db_file, WARM).ask(JOB, message)
        mine = DraftPricer(conn, dates, book, run_id, None,
                           cycle_accounts(conn, dates.cycle_id, (ids[0], ids[split - 1]),
                                          by_range=by_range), by_range=by_range)
        bills, wide = mine.price(mine.accounts)
        collected = _Collected(list(bills), set(wide),
                               {r["id"]: r["premise_id"] for r in mine.accounts}, on_part)
        if on_part is not None:
            on_part(bills)
        def sent(part: Any, expected: tuple[int, ...]) -> Part | None:
            return part if part is not None and part[0] == expected else None

        def here(pieces: Sequence[tuple[int, ...]]) -> Part:
            accounts = tuple(account for piece in pieces for account in piece)
            return (accounts, *_price_slice(conn, mine, dates, accounts))

        take_parts(ticket, limit, slices, sent=sent, here=here,
                   take=lambda part: collected.take(part[1], part[2], part[3]),
                   take_last=TAKE_LAST_SLICES)
    return Draft(dates, tuple(collected.bills), collected.premises,
                 tuple(sorted(collected.wide)))


@dataclass
class _Collected:
    """The cycle's bills as its parts are taken, in account order."""

    bills: list[StoredBill]
    wide: set[int]
    premises: dict[int, int]
    on_part: Callable[[Sequence[StoredBill]], None] | None

    def take(self, bills: Sequence[StoredBill], wide: Sequence[int],
             premises: dict[int, int]) -> None:
        self.bills.extend(bills)
        self.wide.update(wide)
        self.premises.update(premises)
        if self.on_part is not None:
            self.on_part(bills)


def second_part(ids: Sequence[int], share: float, size: int
                ) -> tuple[int, list[tuple[int, ...]]]:
    """Where the second process's part of a cycle's account ids (in order) begins (its
    `share`), and that part in slices of `size`: both processes work it out alike."""
    split = len(ids) - round(len(ids) * share)
    return split, [tuple(ids[at:at + size]) for at in range(split, len(ids), size)]


def _price_slice(conn: sqlite3.Connection, mine: DraftPricer, dates: CycleMonth,
                 accounts: tuple[int, ...]
                 ) -> tuple[tuple[StoredBill, ...], tuple[int, ...], dict[int, int]]:
    """These accounts (a run of the cycle's, in order) priced here, sharing `mine`'s
    cycle-wide holds, settings and memos."""
    rows = cycle_accounts(conn, dates.cycle_id, (accounts[0], accounts[-1]),
                          by_range=mine.found.by_range)
    pricer = DraftPricer(conn, dates, mine.pricing.engine.book, None, None, rows,
                         sharing=mine)
    bills, wide = pricer.price(rows)
    return bills, wide, {row["id"]: row["premise_id"] for row in rows}


def price_part(conn: sqlite3.Connection, messages: Iterator[Any]) -> Iterator[Part]:
    """The second process's job: the cycle's later accounts (second_part of its account
    ids, found here in the caller's snapshot, with the caller's share and slice size;
    nothing when the cycle has fewer than `threshold`), priced in one read transaction and
    sent a slice at a time as each is priced, until the caller's limit (a PartLimit's file)
    says it prices the rest itself."""
    dates, book, run_id, threshold, share, size, limit = next(messages)
    with collector_paused():
        conn.execute("BEGIN")
        try:
            ids = [row[0] for row in conn.execute(IDS_SQL, (dates.cycle_id,))]
            if len(ids) < threshold:
                return
            _, slices = second_part(ids, share, size)
            by_range = close_together(ids)
            rows = cycle_accounts(conn, dates.cycle_id, (slices[0][0], slices[-1][-1]),
                                  by_range=by_range)
            pricer: DraftPricer | None = None
            for sent, at in enumerate(range(0, len(rows), size)):
                allowed = parts_allowed(limit)
                if allowed is not None and sent >= allowed:
                    return
                # Each slice's inputs are loaded as it comes: none for a slice the caller
                # takes over; the cycle's holds once, each slice's own exclusions.
                part = rows[at:at + size]
                pricer = DraftPricer(conn, dates, book, run_id, None, part, sharing=pricer,
                                     by_range=by_range)
                bills, wide = pricer.price(part)
                yield (tuple(row["id"] for row in part), bills, wide,
                       {row["id"]: row["premise_id"] for row in part})
        finally:
            conn.execute("COMMIT")
