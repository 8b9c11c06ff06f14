"""Ledger storage: posting entries and reversals, an account's entries, the balance check."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date

from core.errors import InputError, InputProblem
from core.ledger import Book, EntryType, LedgerEntry, Posting, reversal_for, validate_posting


def post(conn: sqlite3.Connection, posting: Posting, *, posted_at: str) -> int:
    """Write one validated entry; the caller owns the transaction. Returns the entry id."""
    validate_posting(posting)
    try:
        cur = conn.execute(
            "INSERT INTO ledger_entries (account_id, entry_type, book, amount_cents, effective_on,"
            " due_on, posted_at, actor, reason_code, comment, reverses_id, reference)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (posting.account_id, str(posting.entry_type), str(posting.book), posting.amount_cents,
             posting.effective_on.isoformat(),
             posting.due_on.isoformat() if posting.due_on else None, posted_at, posting.actor,
             posting.reason_code, posting.comment, posting.reverses_id, posting.reference))
    except sqlite3.IntegrityError as exc:
        if "reverses_id" in str(exc):
            raise InputError(InputProblem(
                f"entry {posting.reverses_id} has already been reversed", field="entry")) from exc
        if "FOREIGN KEY" in str(exc):
            raise InputError(InputProblem(
                f"account {posting.account_id} does not exist", field="account")) from exc
        raise
    return int(cur.lastrowid or 0)


def _entry(row: sqlite3.Row) -> LedgerEntry:
    return LedgerEntry(
        account_id=row["account_id"], entry_type=EntryType(row["entry_type"]),
        amount_cents=row["amount_cents"], effective_on=date.fromisoformat(row["effective_on"]),
        actor=row["actor"], reason_code=row["reason_code"], comment=row["comment"],
        book=Book(row["book"]),
        due_on=date.fromisoformat(row["due_on"]) if row["due_on"] else None,
        reverses_id=row["reverses_id"], reference=row["reference"], id=row["id"],
        posted_at=row["posted_at"])


def entry(conn: sqlite3.Connection, entry_id: int) -> LedgerEntry:
    row = conn.execute("SELECT * FROM ledger_entries WHERE id = ?", (entry_id,)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"ledger entry {entry_id} does not exist", field="entry"))
    return _entry(row)


def entries_for(conn: sqlite3.Connection, account_id: int) -> list[LedgerEntry]:
    """Every entry of one account, oldest first."""
    rows = conn.execute(
        "SELECT * FROM ledger_entries WHERE account_id = ? ORDER BY effective_on, id",
        (account_id,)).fetchall()
    return [_entry(r) for r in rows]


def reverse(conn: sqlite3.Connection, entry_id: int, *, actor: str, reason_code: str,
            comment: str, effective_on: date, posted_at: str,
            entry_type: EntryType | None = None) -> int:
    """Post the reversal of one entry; the caller owns the transaction."""
    posting = reversal_for(entry(conn, entry_id), actor=actor, reason_code=reason_code,
                           comment=comment, effective_on=effective_on, entry_type=entry_type)
    return post(conn, posting, posted_at=posted_at)


def balance_of(conn: sqlite3.Connection, account_id: int) -> tuple[int, int]:
    """(receivable balance, deposit held) in cents, from the trigger-kept totals."""
    row = conn.execute("SELECT balance_cents, deposit_cents FROM account_balances"
                       " WHERE account_id = ?", (account_id,)).fetchone()
    return (row[0], row[1]) if row else (0, 0)


@dataclass
class LedgerCheck:
    """The result of proving the ledger balances: empty `problems` means it does."""

    accounts_checked: int = 0
    entries_checked: int = 0
    receivable_cents: int = 0
    deposit_cents: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(conn: sqlite3.Connection) -> LedgerCheck:
    """Prove each account's balance equals its entries and the control totals agree."""
    result = LedgerCheck()
    mismatched = conn.execute(
        """
        WITH sums AS (
            SELECT account_id,
                   SUM(CASE WHEN book = 'receivable' THEN amount_cents ELSE 0 END) AS r,
                   SUM(CASE WHEN book = 'deposit' THEN amount_cents ELSE 0 END) AS d
              FROM ledger_entries GROUP BY account_id)
        SELECT a.number, COALESCE(s.r, 0) AS r, COALESCE(s.d, 0) AS d,
               COALESCE(b.balance_cents, 0) AS rb, COALESCE(b.deposit_cents, 0) AS db
          FROM accounts a
          LEFT JOIN sums s ON s.account_id = a.id
          LEFT JOIN account_balances b ON b.account_id = a.id
         WHERE COALESCE(s.r, 0) <> COALESCE(b.balance_cents, 0)
            OR COALESCE(s.d, 0) <> COALESCE(b.deposit_cents, 0)
         ORDER BY a.number
        """).fetchall()
    for row in mismatched:
        result.problems.append(
            f"account {row['number']}: balance {row['rb']} / deposit {row['db']} cents "
            f"but its entries sum to {row['r']} / {row['d']}")
    totals = conn.execute(
        "SELECT count(*), COALESCE(SUM(CASE WHEN book='receivable' THEN amount_cents END), 0),"
        " COALESCE(SUM(CASE WHEN book='deposit' THEN amount_cents END), 0) FROM ledger_entries"
    ).fetchone()
    result.entries_checked, result.receivable_cents, result.deposit_cents = totals
    result.accounts_checked = conn.execute("SELECT count(*) FROM accounts").fetchone()[0]
    balances = conn.execute("SELECT COALESCE(SUM(balance_cents), 0),"
                            " COALESCE(SUM(deposit_cents), 0)"
                            " FROM account_balances").fetchone()
    control = conn.execute(
        "SELECT COALESCE(SUM(CASE WHEN book='receivable' THEN total_cents END), 0),"
        " COALESCE(SUM(CASE WHEN book='deposit' THEN total_cents END), 0),"
        " COALESCE(SUM(entry_count), 0) FROM ledger_control").fetchone()
    if tuple(balances) != (result.receivable_cents, result.deposit_cents):
        result.problems.append(
            f"sum of account balances {tuple(balances)} differs from the sum of entries "
            f"{(result.receivable_cents, result.deposit_cents)}")
    if (control[0], control[1]) != (result.receivable_cents, result.deposit_cents) \
            or control[2] != result.entries_checked:
        result.problems.append(
            f"control totals {tuple(control)} differ from the entries "
            f"{(result.receivable_cents, result.deposit_cents, result.entries_checked)}")
    # A bulk posting's range lives only inside its own transaction (migration 0013).
    for first_id, last_id in conn.execute("SELECT first_id, last_id FROM ledger_bulk_postings"):
        result.problems.append(f"a bulk posting range {first_id}-{last_id} was left open: "
                               "entries posted in it skip the balance totals")
    return result
