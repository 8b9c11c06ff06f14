"""Posting a frozen run's bills to the ledger in one statement, the balances and control
totals added set-based in the same transaction (migration 0013: ledger_bulk_postings)."""
from __future__ import annotations

import sqlite3
from datetime import date

from core.errors import InputError, InputProblem
from core.ledger import Book, EntryType, Posting, validate_posting

BILL_REASON = "BILL"

# Each billed bill is one 'bill' entry on the receivable book, ids given in account order.
# Driven from the run's postings in entry order, each bill found by its id: left to itself the
# planner scans every bill of every run and sorts (0.02 s more a 24,000-bill cycle).
INSERT_SQL = """
INSERT INTO ledger_entries (id, account_id, entry_type, book, amount_cents, effective_on,
                            due_on, posted_at, actor, reason_code, comment, reverses_id,
                            reference)
SELECT p.entry_id, b.account_id, 'bill', 'receivable', b.total_cents, :bill_on, :due_on,
       :at, :actor, :reason,
       'Water service ' || b.period_start || ' to ' || b.period_end || ': ' || b.usage_hcf
       || ' HCF, ' || b.rate_class || ' rates',
       NULL, 'RUN ' || b.run_id || ' BILL ' || b.id
  FROM temp.bill_postings p CROSS JOIN bill_rows b ON b.id = p.bill_id
 ORDER BY p.entry_id
"""

# What the ledger_entries_totals trigger (migration 0001) adds entry by entry, added once for
# the entries of a bulk range.
BALANCES_SQL = """
INSERT INTO account_balances (account_id, balance_cents, deposit_cents)
SELECT account_id, SUM(CASE WHEN book = 'receivable' THEN amount_cents ELSE 0 END),
       SUM(CASE WHEN book = 'deposit' THEN amount_cents ELSE 0 END)
  FROM ledger_entries WHERE id BETWEEN :first AND :last GROUP BY account_id
ON CONFLICT (account_id) DO UPDATE SET
    balance_cents = balance_cents + excluded.balance_cents,
    deposit_cents = deposit_cents + excluded.deposit_cents
"""
CONTROL_SQL = """
INSERT INTO ledger_control (entry_type, book, total_cents, entry_count)
SELECT entry_type, book, SUM(amount_cents), COUNT(*)
  FROM ledger_entries WHERE id BETWEEN :first AND :last GROUP BY entry_type, book
ON CONFLICT (entry_type, book) DO UPDATE SET
    total_cents = total_cents + excluded.total_cents,
    entry_count = entry_count + excluded.entry_count
"""


def post_bills(conn: sqlite3.Connection, run_id: int, *, bill_on: date, due_on: date,
               actor: str, at: str) -> tuple[int, int]:
    """Post every billed bill of the run and link each bill to its entry; the caller owns
    the transaction. Returns (entries, cents) as the ledger now holds them."""
    # The ledger's rules that do not depend on the bill (actor, reason, comment, sign and
    # book) are checked once; the one that does (a bill is a positive charge) on every row.
    validate_posting(Posting(account_id=0, entry_type=EntryType.BILL, amount_cents=1,
                             effective_on=bill_on, actor=actor, reason_code=BILL_REASON,
                             comment="Water service", book=Book.RECEIVABLE, due_on=due_on))
    bad = conn.execute("SELECT COUNT(*) FROM bill_rows WHERE run_id = ?"
                       " AND outcome = 'billed' AND total_cents <= 0", (run_id,)).fetchone()[0]
    if bad:
        raise InputError(InputProblem(f"{bad} billed bills of run {run_id} are not a positive "
                                      "charge: draft again", field="--cycle"))
    first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM ledger_entries").fetchone()[0]
    conn.execute("DROP TABLE IF EXISTS temp.bill_postings")
    conn.execute("CREATE TEMP TABLE bill_postings (bill_id INTEGER PRIMARY KEY,"
                 " entry_id INTEGER NOT NULL UNIQUE)")
    billed = conn.execute("INSERT INTO temp.bill_postings SELECT id,"
                          " ? + row_number() OVER (ORDER BY account_id) - 1 FROM bill_rows"
                          " WHERE run_id = ? AND outcome = 'billed'", (first, run_id)).rowcount
    if billed > 0:
        _post_in_bulk(conn, first, first + billed - 1, {
            "bill_on": bill_on.isoformat(), "due_on": due_on.isoformat(), "at": at,
            "actor": actor, "reason": BILL_REASON})
    count, cents = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(e.amount_cents), 0) FROM bill_rows b"
        " JOIN bill_entries l ON l.bill_id = b.id"
        " JOIN ledger_entries e ON e.id = l.entry_id AND e.account_id = b.account_id"
        " AND e.entry_type = 'bill' WHERE b.run_id = ?", (run_id,)).fetchone()
    conn.execute("DROP TABLE temp.bill_postings")
    return int(count), int(cents)


def _post_in_bulk(conn: sqlite3.Connection, first: int, last: int,
                  values: dict[str, str]) -> None:
    """Insert the entries first..last of temp.bill_postings, link each bill to its entry and
    add the entries to the balances and control totals once, grouped."""
    # The range declares ids no entry has yet (migration 0013 refuses any other), so the
    # per-entry totals trigger skips exactly the entries inserted here, whose totals are added
    # below; the range is deleted before the caller's transaction commits, so no other
    # posting, now or later, ever skips the trigger.
    bounds = {"first": first, "last": last}
    conn.execute("INSERT INTO ledger_bulk_postings (first_id, last_id)"
                 " VALUES (:first, :last)", bounds)
    conn.execute(INSERT_SQL, values)
    conn.execute("INSERT INTO bill_entries (bill_id, entry_id)"
                 " SELECT bill_id, entry_id FROM temp.bill_postings ORDER BY bill_id")
    conn.execute(BALANCES_SQL, bounds)
    conn.execute(CONTROL_SQL, bounds)
    conn.execute("DELETE FROM ledger_bulk_postings WHERE first_id = :first"
                 " AND last_id = :last", bounds)
