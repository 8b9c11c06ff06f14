"""Payment batches: open one with a control total, post payments as keyed, void, balance, close.

Every write is one short BEGIN IMMEDIATE transaction, so two clerks posting at once never wait
long on each other and never overwrite each other's work.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from core.allocation import allocate, apply_payment
from core.errors import ConflictError, InputError, InputProblem
from core.ledger import EntryType, Posting
from core.money import Cents, format_money
from core.payments import BatchTotals, PaymentLine, PaymentMethod
from db import audit
from db.ledger import entries_for, post, reverse
from db.transaction import write_transaction

PAYMENT_REASON = "PAYMENT"
KEY_ERROR_REASON = "KEY-ERROR"


@dataclass(frozen=True)
class Batch:
    id: int
    kind: str
    status: str
    control_total_cents: Cents
    deposit_date: date
    opened_by: str
    file_name: str
    version: int


@dataclass(frozen=True)
class PostedPayment:
    """What the clerk sees after a payment posts: whose account, and where the money went."""

    payment_id: int
    entry_id: int
    account_number: str
    customer_name: str
    amount_cents: Cents
    allocation: str


def _batch(row: sqlite3.Row) -> Batch:
    return Batch(row["id"], row["kind"], row["status"], row["control_total_cents"],
                 date.fromisoformat(row["deposit_date"]), row["opened_by"], row["file_name"],
                 row["version"])


def get_batch(conn: sqlite3.Connection, batch_id: int) -> Batch:
    row = conn.execute("SELECT * FROM payment_batches WHERE id = ?", (batch_id,)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"there is no payment batch {batch_id}", field="batch"))
    return _batch(row)


def open_batch(conn: sqlite3.Connection, *, control_total_cents: Cents, deposit_date: date,
               actor: str, at: str) -> Batch:
    """Start a manual batch for the stack of payments whose adding-machine total is given."""
    if control_total_cents <= 0:
        raise InputError(InputProblem("the control total must be more than $0.00",
                                      field="control_total"))
    with write_transaction(conn):
        cur = conn.execute(
            "INSERT INTO payment_batches (kind, control_total_cents, deposit_date, opened_by,"
            " opened_at) VALUES ('manual', ?, ?, ?, ?)",
            (control_total_cents, deposit_date.isoformat(), actor, at))
        batch_id = int(cur.lastrowid or 0)
        audit.record(conn, at=at, actor=actor, action="payments.batch_open",
                     object_type="payment_batch", object_id=batch_id,
                     after={"control_total_cents": control_total_cents,
                            "deposit_date": deposit_date.isoformat()})
    return get_batch(conn, batch_id)


def open_batch_of(conn: sqlite3.Connection, actor: str) -> Batch | None:
    """The clerk's newest open manual batch, to carry on with."""
    row = conn.execute("SELECT * FROM payment_batches WHERE status = 'open' AND kind = 'manual'"
                       " AND opened_by = ? ORDER BY id DESC LIMIT 1", (actor,)).fetchone()
    return _batch(row) if row else None


VOIDED = ("EXISTS (SELECT 1 FROM ledger_entries r WHERE r.reverses_id = p.ledger_entry_id"
          " AND r.entry_type = 'payment')")


def batch_totals(conn: sqlite3.Connection, batch_id: int) -> BatchTotals:
    """Posted (less voided) payments and the open suspense items against the control total."""
    batch = get_batch(conn, batch_id)
    posted, count = conn.execute(
        f"SELECT COALESCE(SUM(p.amount_cents), 0), count(*) FROM payments p"
        f" WHERE p.batch_id = ? AND NOT {VOIDED}", (batch_id,)).fetchone()
    held = conn.execute("SELECT COALESCE(SUM(amount_cents), 0), count(*) FROM payment_suspense"
                        " WHERE batch_id = ? AND status = 'open'", (batch_id,)).fetchone()
    return BatchTotals(batch.control_total_cents, posted + held[0], count + held[1])


def account_for(conn: sqlite3.Connection, number: str) -> sqlite3.Row:
    row = conn.execute("SELECT a.id, a.number, a.status, c.name FROM accounts a"
                       " JOIN customers c ON c.id = a.customer_id WHERE a.number = ?",
                       (number.strip(),)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"there is no account {number.strip()!r}; check the "
                                      "stub or look the customer up (F3)", field="account"))
    return row


def cash_only_until(conn: sqlite3.Connection, account_id: int, today: date) -> str | None:
    row = conn.execute(
        "SELECT COALESCE(MAX(COALESCE(expires_on, '9999-12-31')), '') FROM account_flags"
        " WHERE account_id = ? AND flag = 'CASH ONLY' AND cleared_on IS NULL AND set_on <= ?"
        " AND (expires_on IS NULL OR expires_on >= ?)",
        (account_id, today.isoformat(), today.isoformat())).fetchone()
    return row[0] or None


def allocation_words(conn: sqlite3.Connection, account_id: int, cents: Cents) -> str:
    """Where a payment of `cents` goes on this account: oldest charge first, rest a credit."""
    charges = allocate(entries_for(conn, account_id)).charges
    return apply_payment([c for c in charges if c.open_cents > 0], cents).summary()


def post_payment(conn: sqlite3.Connection, batch_id: int, line: PaymentLine, *, actor: str,
                 at: str, today: date) -> PostedPayment:
    """Post one keyed payment to its account in an open manual batch (one short transaction)."""
    with write_transaction(conn):
        batch = get_batch(conn, batch_id)
        if batch.status != "open" or batch.kind != "manual":
            raise ConflictError(f"batch {batch_id} is {batch.status}; open a new batch")
        account = account_for(conn, line.account_number)
        until = cash_only_until(conn, account["id"], today)
        if until and line.method is PaymentMethod.CHECK:
            raise InputError(InputProblem(
                f"account {account['number']} is CASH ONLY until {until} (returned payments): "
                "take cash, a money order or a card, not a check", field="method"))
        words = allocation_words(conn, account["id"], line.amount_cents)
        comment = (f"{line.method.value.replace('_', ' ')} payment"
                   f"{' #' + line.check_number if line.check_number else ''} in batch {batch_id}")
        entry_id = post(conn, Posting(
            account_id=account["id"], entry_type=EntryType.PAYMENT,
            amount_cents=-line.amount_cents, effective_on=batch.deposit_date, actor=actor,
            reason_code=PAYMENT_REASON, comment=comment, reference=line.reference), posted_at=at)
        try:
            cur = conn.execute(
                "INSERT INTO payments (batch_id, ledger_entry_id, account_id, amount_cents,"
                " method, check_number, payer, received_on, posted_by, posted_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (batch_id, entry_id, account["id"], line.amount_cents, line.method.value,
                 line.check_number, f"acct:{account['number']}", batch.deposit_date.isoformat(),
                 actor, at))
        except sqlite3.IntegrityError as exc:
            if "payments.batch_id" not in str(exc):
                raise
            raise InputError(InputProblem(
                f"check #{line.check_number} from account {account['number']} is already in "
                f"batch {batch_id}: a duplicate check number", field="check_number")) from None
    return PostedPayment(int(cur.lastrowid or 0), entry_id, account["number"], account["name"],
                         line.amount_cents, words)


def void_payment(conn: sqlite3.Connection, payment_id: int, *, actor: str, comment: str,
                 at: str, today: date) -> int:
    """Reverse a payment keyed in error while its batch is open; returns the reversal's id."""
    text = comment.strip() or "keyed in error"
    with write_transaction(conn):
        row = conn.execute("SELECT * FROM payments WHERE id = ?", (payment_id,)).fetchone()
        if row is None:
            raise InputError(InputProblem(f"there is no payment {payment_id}", field="payment"))
        batch = get_batch(conn, row["batch_id"])
        if batch.status != "open":
            raise ConflictError(f"batch {batch.id} is closed; a payment that came back is a "
                                "returned check, a mistake after closing is an adjustment")
        entry_id = reverse(conn, row["ledger_entry_id"], actor=actor,
                           reason_code=KEY_ERROR_REASON, comment=f"Voided: {text}",
                           effective_on=batch.deposit_date, posted_at=at)
        audit.record(conn, at=at, actor=actor, action="payments.void", object_type="payment",
                     object_id=payment_id, after={"reversal_entry_id": entry_id, "comment": text})
    return entry_id


def set_control_total(conn: sqlite3.Connection, batch_id: int, cents: Cents, *, actor: str,
                      at: str) -> Batch:
    """Correct an open batch's control total (a mis-added tape), audited."""
    if cents <= 0:
        raise InputError(InputProblem("the control total must be more than $0.00",
                                      field="control_total"))
    with write_transaction(conn):
        batch = get_batch(conn, batch_id)
        if batch.status != "open":
            raise ConflictError(f"batch {batch_id} is closed")
        conn.execute("UPDATE payment_batches SET control_total_cents = ?, version = version + 1"
                     " WHERE id = ?", (cents, batch_id))
        audit.record(conn, at=at, actor=actor, action="payments.control_total",
                     object_type="payment_batch", object_id=batch_id,
                     before=batch.control_total_cents, after=cents)
    return get_batch(conn, batch_id)


def close_batch(conn: sqlite3.Connection, batch_id: int, *, actor: str, at: str) -> BatchTotals:
    """Close a batch that balances to its control total; refuse, saying by how much, if not."""
    with write_transaction(conn):
        batch = get_batch(conn, batch_id)
        if batch.status != "open":
            raise ConflictError(f"batch {batch_id} is already closed")
        totals = batch_totals(conn, batch_id)
        totals.refuse_close_unless_balanced(batch_id)
        conn.execute("UPDATE payment_batches SET status = 'closed', closed_by = ?, closed_at = ?,"
                     " version = version + 1 WHERE id = ? AND version = ?",
                     (actor, at, batch_id, batch.version))
        audit.record(conn, at=at, actor=actor, action="payments.batch_close",
                     object_type="payment_batch", object_id=batch_id,
                     after={"posted_cents": totals.posted_cents, "count": totals.posted_count})
    return totals


@dataclass(frozen=True)
class BatchLine:
    """One payment of a batch as the batch list shows it."""

    payment_id: int
    entry_id: int
    account_number: str
    customer_name: str
    amount_cents: Cents
    method: str
    check_number: str
    status: str  # POSTED, VOIDED or RETURNED


def batch_lines(conn: sqlite3.Connection, batch_id: int, limit: int = 2000) -> list[BatchLine]:
    """The batch's payments, newest first (a batch is a short list: one stack of paper)."""
    rows = conn.execute(
        "SELECT p.id, p.ledger_entry_id, a.number, c.name, p.amount_cents, p.method,"
        " p.check_number, (SELECT r.entry_type FROM ledger_entries r"
        "                  WHERE r.reverses_id = p.ledger_entry_id) AS undone"
        " FROM payments p JOIN accounts a ON a.id = p.account_id"
        " JOIN customers c ON c.id = a.customer_id WHERE p.batch_id = ?"
        " ORDER BY p.id DESC LIMIT ?", (batch_id, limit)).fetchall()
    status = {None: "POSTED", "payment": "VOIDED", "returned_payment": "RETURNED"}
    return [BatchLine(r[0], r[1], r[2], r[3], r[4], r[5], r[6], status.get(r[7], "REVERSED"))
            for r in rows]


def list_batches(conn: sqlite3.Connection, *, status: str | None = None,
                 limit: int = 200) -> list[tuple[Batch, BatchTotals]]:
    where, args = ("WHERE status = ?", [status]) if status else ("", [])
    rows = conn.execute(f"SELECT * FROM payment_batches {where} ORDER BY id DESC LIMIT ?",
                        (*args, limit)).fetchall()
    return [(_batch(r), batch_totals(conn, r["id"])) for r in rows]


def describe_totals(totals: BatchTotals) -> str:
    return (f"control {format_money(totals.control_cents)}, posted "
            f"{format_money(totals.posted_cents)} in {totals.posted_count}: {totals.status()}")
