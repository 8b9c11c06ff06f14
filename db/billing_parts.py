"""A large cycle's draft priced in two parts at once: the later accounts in a second process
(db.second_process), the earlier ones here, so both cores work.

The caller holds the write lock (draft and freeze price inside BEGIN IMMEDIATE, before they
write anything), so the second process's read transaction sees exactly the caller's snapshot.
Its part comes back as the same AccountBills this process would have computed; it must cover
exactly the accounts this process expected, or this process prices that part itself, as it
does when the second process cannot start, fails or is late.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from core.billing import AccountBill
from core.rate_book import RateBook
from core.rate_engine import RateEngine
from db.billing_draft import CycleMonth, Draft, DraftPricer, compute_draft, cycle_accounts
from db.connection import database_file
from db.second_process import kept_process
from db.transaction import collector_paused

# A cycle this large is worth a second process (its first start-up costs about 0.3 s of the
# other core); smaller ones, and the test districts, are priced here alone.
SECOND_PROCESS_MIN_ACCOUNTS = 8_000
# The second process's share: this process also stores every bill (the second process's
# slices as they come), so it prices less.
SECOND_SHARE = 0.6
SLICE_ACCOUNTS = 2_000  # the second process sends its bills this many accounts at a time
JOB = "db.billing_parts:price_part"
WARM = ("db.billing_parts", "db.bill_print", "db.print_bodies")  # loaded at the start

IDS_SQL = """
SELECT a.id FROM routes r CROSS JOIN premises p ON p.route_id = r.id
  CROSS JOIN accounts a ON a.premise_id = p.id
 WHERE r.cycle_id = ? AND a.status = 'active'
 ORDER BY a.id
"""

# Each slice the second process sends: its account ids, their bills, the premises priced from
# their full history, and account id -> premise id.
Part = tuple[tuple[int, ...], tuple[AccountBill, ...], tuple[int, ...], dict[int, int]]


def compute_draft_in_parts(conn: sqlite3.Connection, dates: CycleMonth, book: RateBook,
                           run_id: int | None = None, *,
                           on_part: Callable[[Sequence[AccountBill]], None] | None = None,
                           min_accounts: int | None = None) -> Draft:
    """compute_draft for the whole cycle, the later accounts priced by a second process when
    the cycle is large; `on_part` gets the bills as they are priced, in account order: this
    process's part, then each slice of the second process's as it comes (the draft stores
    them while the rest is priced). Call while holding the write lock; what this connection
    writes meanwhile must not change any pricing (the second process sees only the last
    commit)."""
    db_file = database_file(conn)
    ids = [row[0] for row in conn.execute(IDS_SQL, (dates.cycle_id,))] \
        if db_file is not None else []
    if len(ids) < max(SECOND_PROCESS_MIN_ACCOUNTS if min_accounts is None else min_accounts,
                      2):
        draft = compute_draft(conn, dates, book, run_id)
        if on_part is not None:
            on_part(draft.bills)
        return draft
    split = len(ids) - round(len(ids) * SECOND_SHARE)
    expected = ids[split:]
    assert db_file is not None
    # The kept second process (db.second_process) starts now if this session has none: its
    # start-up overlaps our own part; a later cycle finds it warm.
    ticket = kept_process(db_file, WARM).ask(JOB, (dates, book, run_id, expected[0],
                                                   expected[-1]))
    engine = RateEngine(book)
    mine = compute_draft(conn, dates, book, run_id, engine,
                         cycle_accounts(conn, dates.cycle_id, (ids[0], ids[split - 1])))
    bills, wide, premises = list(mine.bills), set(mine.history_premises), dict(mine.premises)
    if on_part is not None:
        on_part(mine.bills)

    def take(part_bills: Sequence[AccountBill]) -> None:
        bills.extend(part_bills)
        if on_part is not None:
            on_part(part_bills)

    done = 0  # how many of the expected accounts came, in order
    for slice_ids, slice_bills, slice_wide, slice_premises in ticket.parts():
        if tuple(expected[done:done + len(slice_ids)]) != slice_ids:
            break  # not the slice expected: the rest is priced here
        take(slice_bills)
        wide.update(slice_wide)
        premises.update(slice_premises)
        done += len(slice_ids)
    if done < len(expected):  # no second process, or it stopped: price the rest here
        rest = compute_draft(conn, dates, book, run_id, engine,
                             cycle_accounts(conn, dates.cycle_id, (expected[done],
                                                                   expected[-1])))
        take(rest.bills)
        wide.update(rest.history_premises)
        premises.update(rest.premises)
    return Draft(dates, tuple(bills), premises, tuple(sorted(wide)))


def price_part(conn: sqlite3.Connection, messages: Iterator[Any]) -> Iterator[Part]:
    """The second process's job: the cycle's accounts from `first` to `last` (account ids),
    priced in one read transaction and sent a slice at a time as each is priced."""
    dates, book, run_id, first, last = next(messages)
    with collector_paused():
        conn.execute("BEGIN")
        try:
            pricer = DraftPricer(conn, dates, book, run_id, None,
                                 cycle_accounts(conn, dates.cycle_id, (first, last)))
            rows = pricer.accounts
            for at in range(0, len(rows), SLICE_ACCOUNTS):
                part = rows[at:at + SLICE_ACCOUNTS]
                bills, wide = pricer.price(part)
                yield (tuple(row["id"] for row in part), bills, wide,
                       {row["id"]: row["premise_id"] for row in part})
        finally:
            conn.execute("COMMIT")
