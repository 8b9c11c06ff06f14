"""The suspense list: lockbox payments held until a clerk names the account they belong to."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from core.errors import ConflictError, InputError, InputProblem
from core.ledger import EntryType, Posting
from core.money import Cents
from db import audit
from db.ledger import post
from db.payment_batches import account_for, allocation_words
from db.transaction import write_transaction

SUSPENSE_REASON = "SUSPENSE"


@dataclass(frozen=True)
class SuspenseItem:
    id: int
    batch_id: int
    source_line: int
    account_text: str
    amount_cents: Cents
    check_number: str
    payer_name: str
    received_on: str
    reason: str
    status: str
    version: int


def _item(row: sqlite3.Row) -> SuspenseItem:
    return SuspenseItem(row["id"], row["batch_id"], row["source_line"], row["account_text"],
                        row["amount_cents"], row["check_number"], row["payer_name"],
                        row["received_on"], row["reason"], row["status"], row["version"])


def suspense_items(conn: sqlite3.Connection, *, status: str = "open",
                   limit: int = 2000) -> list[SuspenseItem]:
    rows = conn.execute("SELECT * FROM payment_suspense WHERE status = ? ORDER BY id LIMIT ?",
                        (status, limit)).fetchall()
    return [_item(r) for r in rows]


def resolve_suspense(conn: sqlite3.Connection, item_id: int, account_number: str, *,
                     actor: str, comment: str, at: str, today: date) -> tuple[int, str]:
    """Post a held payment to the account it belongs to; returns (entry id, allocation words)."""
    if len(comment.strip()) < 3:
        raise InputError(InputProblem("say how the account was found", field="comment"))
    with write_transaction(conn):
        row = conn.execute("SELECT * FROM payment_suspense WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise InputError(InputProblem(f"there is no suspense item {item_id}", field="item"))
        item = _item(row)
        if item.status != "open":
            raise ConflictError(f"suspense item {item_id} was already posted by "
                                f"{row['resolved_by']} at {row['resolved_at']}")
        account = account_for(conn, account_number)
        words = allocation_words(conn, account["id"], item.amount_cents)
        entry_id = post(conn, Posting(
            account_id=account["id"], entry_type=EntryType.PAYMENT,
            amount_cents=-item.amount_cents, effective_on=date.fromisoformat(item.received_on),
            actor=actor, reason_code=SUSPENSE_REASON,
            comment=f"From suspense item {item_id} (file line {item.source_line}): "
                    f"{comment.strip()}",
            reference=f"SUSPENSE {item_id}"
                      + (f" CHECK #{item.check_number}" if item.check_number else "")),
            posted_at=at)
        try:
            cur = conn.execute(
                "INSERT INTO payments (batch_id, ledger_entry_id, account_id, amount_cents, method,"
                " check_number, payer, channel, source_line, received_on, posted_by, posted_at)"
                " VALUES (?, ?, ?, ?, 'lockbox', ?, ?, 'LOCKBOX', ?, ?, ?, ?)",
                (item.batch_id, entry_id, account["id"], item.amount_cents, item.check_number,
                 row["payer"] or f"acct:{account['number']}", item.source_line,
                 item.received_on, actor, at))
        except sqlite3.IntegrityError:
            raise InputError(InputProblem(
                f"check #{item.check_number} from this payer is already posted in batch "
                f"{item.batch_id}", field="check_number")) from None
        updated = conn.execute(
            "UPDATE payment_suspense SET status = 'resolved', resolved_payment_id = ?,"
            " resolved_by = ?, resolved_at = ?, version = version + 1"
            " WHERE id = ? AND version = ?", (cur.lastrowid, actor, at, item_id, item.version))
        if updated.rowcount != 1:  # pragma: no cover - BEGIN IMMEDIATE serialises writers
            raise ConflictError(f"suspense item {item_id} changed; look again")
        audit.record(conn, at=at, actor=actor, action="payments.suspense_resolve",
                     object_type="payment_suspense", object_id=item_id,
                     after={"account": account["number"], "entry_id": entry_id,
                            "comment": comment.strip()})
    return entry_id, words
