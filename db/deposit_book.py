"""Deposits on the ledger's deposit book: collect, hold, apply to a closing bill, refund.

A refund is not paid here: it goes to the refund register (0005) as a pending request for a
supervisor, and is paid when the register is exported to accounts payable (db/refunds.py).
"""
from __future__ import annotations

import sqlite3
from datetime import date

from core.errors import ConflictError, InputError, InputProblem
from core.ledger import Book, EntryType, Posting
from core.money import Cents, format_money
from db import audit
from db.ledger import balance_of, post
from db.payment_batches import account_for
from db.transaction import write_transaction

DEPOSIT_REASON = "DEPOSIT"
APPLY_REASON = "DEPOSIT-APPLY"


def _comment(text: str) -> str:
    found = " ".join(text.split())
    if len(found) < 3:
        raise InputError(InputProblem("a comment saying why is required", field="comment"))
    return found


def collect_deposit(conn: sqlite3.Connection, account_number: str, cents: Cents, *, actor: str,
                    comment: str, at: str, today: date, reference: str = "") -> int:
    """Record a deposit received and now held; sets DEPOSIT HELD. Returns the entry id."""
    text = _comment(comment)
    if cents <= 0:
        raise InputError(InputProblem("a deposit must be more than $0.00", field="amount"))
    with write_transaction(conn):
        account = account_for(conn, account_number)
        if account["status"] == "closed":
            raise ConflictError(f"account {account['number']} is closed")
        entry_id = post(conn, Posting(
            account_id=account["id"], entry_type=EntryType.DEPOSIT, amount_cents=cents,
            effective_on=today, actor=actor, reason_code=DEPOSIT_REASON, comment=text,
            book=Book.DEPOSIT, reference=reference), posted_at=at)
        held = conn.execute("SELECT 1 FROM account_flags WHERE account_id = ? AND flag ="
                            " 'DEPOSIT HELD' AND cleared_on IS NULL", (account["id"],)).fetchone()
        if not held:
            conn.execute("INSERT INTO account_flags (account_id, flag, reason, author, set_on)"
                         " VALUES (?, 'DEPOSIT HELD', ?, ?, ?)",
                         (account["id"], f"Deposit of {format_money(cents)} received: {text}",
                          actor, today.isoformat()))
        audit.record(conn, at=at, actor=actor, action="deposits.collect", object_type="account",
                     object_id=account["number"], after={"entry_id": entry_id, "cents": cents})
    return entry_id


def _held_deposit(conn: sqlite3.Connection, account: sqlite3.Row,
                  pending_words: str) -> tuple[Cents, Cents]:
    """(balance, deposit held); refuses an account with no deposit or one being refunded."""
    balance, held = balance_of(conn, account["id"])
    if held <= 0:
        raise InputError(InputProblem(f"account {account['number']} holds no deposit",
                                      field="account"))
    pending = conn.execute("SELECT id FROM refund_register WHERE account_id = ? AND book ="
                           " 'deposit' AND status IN ('pending', 'approved')",
                           (account["id"],)).fetchone()
    if pending:
        raise ConflictError(f"refund {pending[0]} of this deposit {pending_words}")
    return balance, held


def apply_deposit(conn: sqlite3.Connection, account_number: str, *, actor: str, comment: str,
                  at: str, today: date) -> tuple[Cents, Cents]:
    """Apply the whole held deposit to the account's bills (a closing bill); clears DEPOSIT HELD.

    Returns (applied, balance after). A balance below zero afterwards is a credit to refund.
    """
    text = _comment(comment)
    with write_transaction(conn):
        account = account_for(conn, account_number)
        balance, held = _held_deposit(conn, account, "waits in the refund register; cancel it"
                                      " before applying the deposit")
        for book in (Book.DEPOSIT, Book.RECEIVABLE):
            post(conn, Posting(
                account_id=account["id"], entry_type=EntryType.DEPOSIT_APPLIED,
                amount_cents=-held, effective_on=today, actor=actor, reason_code=APPLY_REASON,
                comment=text, book=book), posted_at=at)
        conn.execute("UPDATE account_flags SET cleared_on = ?, cleared_by = ? WHERE account_id = ?"
                     " AND flag = 'DEPOSIT HELD' AND cleared_on IS NULL",
                     (today.isoformat(), actor, account["id"]))
        audit.record(conn, at=at, actor=actor, action="deposits.apply", object_type="account",
                     object_id=account["number"], after={"applied_cents": held})
    return held, balance - held


def payee_of(conn: sqlite3.Connection, account_id: int) -> sqlite3.Row:
    return conn.execute(
        "SELECT c.name, a.mail_line1, a.mail_line2, a.mail_city, a.mail_state, a.mail_zip"
        " FROM accounts a JOIN customers c ON c.id = a.customer_id WHERE a.id = ?",
        (account_id,)).fetchone()


def add_register_row(conn: sqlite3.Connection, account_id: int, cents: Cents, *, source: str,
                     book: Book, comment: str, actor: str, at: str, today: date) -> int:
    """A pending refund in the register, payable to the customer at the mailing address."""
    payee = payee_of(conn, account_id)
    cur = conn.execute(
        "INSERT INTO refund_register (account_id, amount_cents, source, payee_name, payee_line1,"
        " payee_line2, payee_city, payee_state, payee_zip, comment, requested_by, requested_on,"
        " requested_at, book) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (account_id, cents, source, payee["name"], payee["mail_line1"], payee["mail_line2"],
         payee["mail_city"], payee["mail_state"], payee["mail_zip"], comment, actor,
         today.isoformat(), at, book.value))
    return int(cur.lastrowid or 0)


def request_deposit_refund(conn: sqlite3.Connection, account_number: str, *, actor: str,
                           comment: str, at: str, today: date) -> int:
    """Ask for the held deposit to be refunded: a pending row in the refund register."""
    text = _comment(comment)
    with write_transaction(conn):
        account = account_for(conn, account_number)
        _, held = _held_deposit(conn, account, "already waits")
        row_id = add_register_row(conn, account["id"], held, source="deposit_refund",
                                  book=Book.DEPOSIT, comment=text, actor=actor, at=at,
                                  today=today)
        audit.record(conn, at=at, actor=actor, action="refunds.request",
                     object_type="refund_register", object_id=row_id,
                     after={"account": account["number"], "cents": held, "book": "deposit"})
    return row_id
