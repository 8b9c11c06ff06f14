"""Posting a frozen run's bills to the ledger in one statement, each ledger trigger still
running for every entry (balances, control totals, the append-only rules)."""
from __future__ import annotations

import sqlite3
from datetime import date

from core.errors import InputError, InputProblem
from core.ledger import Book, EntryType, Posting, validate_posting

BILL_REASON = "BILL"

# Each billed bill is one 'bill' entry on the receivable book, ids given in account order.
INSERT_SQL = """
INSERT INTO ledger_entries (id, account_id, entry_type, book, amount_cents, effective_on,
                            due_on, posted_at, actor, reason_code, comment, reverses_id,
                            reference)
SELECT p.entry_id, b.account_id, 'bill', 'receivable', b.total_cents, :bill_on, :due_on,
       :at, :actor, :reason,
       'Water service ' || b.period_start || ' to ' || b.period_end || ': ' || b.usage_hcf
       || ' HCF, ' || b.rate_class || ' rates',
       NULL, 'RUN ' || b.run_id || ' BILL ' || b.id
  FROM temp.bill_postings p JOIN bills b ON b.id = p.bill_id
 ORDER BY p.entry_id
"""


def post_bills(conn: sqlite3.Connection, run_id: int, *, bill_on: date, due_on: date,
               actor: str, at: str) -> tuple[int, int]:
    """Post every billed bill of the run and point each bill at its entry; the caller owns
    the transaction. Returns (entries, cents) as the ledger now holds them."""
    # The ledger's rules that do not depend on the bill (actor, reason, comment, sign and
    # book) are checked once; the one that does (a bill is a positive charge) on every row.
    validate_posting(Posting(account_id=0, entry_type=EntryType.BILL, amount_cents=1,
                             effective_on=bill_on, actor=actor, reason_code=BILL_REASON,
                             comment="Water service", book=Book.RECEIVABLE, due_on=due_on))
    bad = conn.execute("SELECT COUNT(*) FROM bills WHERE run_id = ? AND outcome = 'billed'"
                       " AND total_cents <= 0", (run_id,)).fetchone()[0]
    if bad:
        raise InputError(InputProblem(f"{bad} billed bills of run {run_id} are not a positive "
                                      "charge: draft again", field="--cycle"))
    first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM ledger_entries").fetchone()[0]
    conn.execute("DROP TABLE IF EXISTS temp.bill_postings")
    conn.execute("CREATE TEMP TABLE bill_postings (bill_id INTEGER PRIMARY KEY,"
                 " entry_id INTEGER NOT NULL UNIQUE)")
    conn.execute("INSERT INTO temp.bill_postings SELECT id,"
                 " ? + row_number() OVER (ORDER BY account_id) - 1 FROM bills"
                 " WHERE run_id = ? AND outcome = 'billed'", (first, run_id))
    conn.execute(INSERT_SQL, {"bill_on": bill_on.isoformat(), "due_on": due_on.isoformat(),
                              "at": at, "actor": actor, "reason": BILL_REASON})
    conn.execute("UPDATE bills SET ledger_entry_id = (SELECT p.entry_id FROM"
                 " temp.bill_postings p WHERE p.bill_id = bills.id)"
                 " WHERE run_id = ? AND outcome = 'billed'", (run_id,))
    count, cents = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(e.amount_cents), 0) FROM bills b"
        " JOIN ledger_entries e ON e.id = b.ledger_entry_id AND e.account_id = b.account_id"
        " AND e.entry_type = 'bill' WHERE b.run_id = ?", (run_id,)).fetchone()
    conn.execute("DROP TABLE temp.bill_postings")
    return int(count), int(cents)
