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
from db.billing_draft import CycleMonth, Draft, compute_draft, cycle_accounts
from db.connection import database_file
from db.second_process import kept_process
from db.transaction import collector_paused

# A cycle this large is worth a second process (its first start-up costs about 0.3 s of the
# other core); smaller ones, and the test districts, are priced here alone.
SECOND_PROCESS_MIN_ACCOUNTS = 8_000
# The second process's share: it starts later (Python and the modules load first), and this
# process stores the bills afterwards.
SECOND_SHARE = 0.45
JOB = "db.billing_parts:price_part"
WARM = ("db.billing_parts", "db.bill_print")  # the kept process's modules, loaded at its start

IDS_SQL = """
SELECT a.id FROM routes r CROSS JOIN premises p ON p.route_id = r.id
  CROSS JOIN accounts a ON a.premise_id = p.id
 WHERE r.cycle_id = ? AND a.status = 'active'
 ORDER BY a.id
"""

# The second process's answer: its account ids, their bills, the premises priced from their
# full history, and account id -> premise id.
Part = tuple[tuple[int, ...], tuple[AccountBill, ...], tuple[int, ...], dict[int, int]]


def compute_draft_in_parts(conn: sqlite3.Connection, dates: CycleMonth, book: RateBook,
                           run_id: int | None = None, *,
                           on_part: Callable[[Sequence[AccountBill]], None] | None = None,
                           min_accounts: int | None = None) -> Draft:
    """compute_draft for the whole cycle, the later accounts priced by a second process when
    the cycle is large; `on_part` gets each part's bills as soon as it is priced, in account
    order (the draft stores the first while the second is priced). Call while holding the
    write lock; what this connection writes meanwhile must not change any pricing (the
    second process sees only the last commit)."""
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
    expected = tuple(ids[split:])
    assert db_file is not None
    # The kept second process (db.second_process) starts now if this session has none: its
    # start-up overlaps our own part; a later cycle finds it warm.
    ticket = kept_process(db_file, WARM).ask(JOB, (dates, book, run_id, expected[0],
                                                   expected[-1]))
    engine = RateEngine(book)
    mine = compute_draft(conn, dates, book, run_id, engine,
                         cycle_accounts(conn, dates.cycle_id, (ids[0], ids[split - 1])))
    if on_part is not None:
        on_part(mine.bills)
    answer = ticket.result()
    if isinstance(answer, tuple) and len(answer) == 4 and answer[0] == expected:
        theirs_bills, theirs_wide, theirs_premises = answer[1], answer[2], answer[3]
    else:  # no second process, or not the part we expected: price it here
        theirs = compute_draft(conn, dates, book, run_id, engine,
                               cycle_accounts(conn, dates.cycle_id, (expected[0], expected[-1])))
        theirs_bills, theirs_wide, theirs_premises = (theirs.bills, theirs.history_premises,
                                                      theirs.premises)
    if on_part is not None:
        on_part(theirs_bills)
    return Draft(dates, mine.bills + tuple(theirs_bills), {**mine.premises, **theirs_premises},
                 tuple(sorted({*mine.history_premises, *theirs_wide})))


def price_part(conn: sqlite3.Connection, messages: Iterator[Any]) -> Part:
    """The second process's job: the cycle's accounts from `first` to `last` (account ids),
    priced in one read transaction; their ids, bills and full-history premises."""
    dates, book, run_id, first, last = next(messages)
    with collector_paused():
        conn.execute("BEGIN")
        try:
            accounts = cycle_accounts(conn, dates.cycle_id, (first, last))
            part = compute_draft(conn, dates, book, run_id, None, accounts)
        finally:
            conn.execute("COMMIT")
    return (tuple(row["id"] for row in accounts), part.bills, part.history_premises,
            part.premises)
