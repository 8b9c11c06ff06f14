"""The refund register worked: closed-account credits proposed, decided, exported to A/P.

Anyone signed in may ask for a refund; it is pending until a supervisor approves it (never
one they asked for by hand) or cancels it. A supervisor may still cancel an approved refund
before it is paid: nothing was posted, so nothing is reversed. A supervisor pays: the export
writes the approved rows as one CSV for accounts payable and, in the same transaction, posts
the refund entry that takes each credit (or held deposit) off the customer's account
(docs/formats/refund-register.md). A paid refund is never cancelled (RULES.md §6: corrections
are reversals plus new entries, never edits).
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from core.adjustments import check_comment
from core.errors import ConflictError, InputError, InputProblem, PermissionDenied
from core.ledger import Book, EntryType, Posting
from core.money import Cents, format_money
from core.users import User, require_supervisor
from db import audit
from db.deposit_book import add_register_row
from db.ledger import balance_of, post
from db.transaction import write_transaction

REFUND_REASON = "REFUND"
EXPORT_COLUMNS = ("register_id", "account_number", "payee_name", "payee_line1", "payee_line2",
                  "payee_city", "payee_state", "payee_zip", "amount_cents", "amount", "source",
                  "approved_by", "ledger_entry_id")


def propose_closed_credits(conn: sqlite3.Connection, *, actor: str, at: str,
                           today: date) -> list[tuple[str, Cents, int]]:
    """A pending refund for every closed account with a credit and no refund waiting."""
    with write_transaction(conn):
        rows = conn.execute(
            "SELECT a.id, a.number, -b.balance_cents FROM accounts a"
            " JOIN account_balances b ON b.account_id = a.id"
            " WHERE a.status = 'closed' AND b.balance_cents < 0 AND NOT EXISTS"
            " (SELECT 1 FROM refund_register g WHERE g.account_id = a.id AND g.book = 'receivable'"
            "  AND g.status IN ('pending', 'approved')) ORDER BY a.number").fetchall()
        made = []
        for account_id, number, cents in rows:
            row_id = add_register_row(conn, account_id, cents, source="closed_credit",
                                      book=Book.RECEIVABLE,
                                      comment="Credit balance on a closed account",
                                      actor=actor, at=at, today=today)
            made.append((number, cents, row_id))
        if made:
            audit.record(conn, at=at, actor=actor, action="refunds.closed_credits",
                         object_type="refund_register", object_id=today.isoformat(),
                         after=[m[2] for m in made])
    return made


PAY_ACTION = "pay the approved refunds to A/P"


def check_decision(row: Mapping[str, Any], user: User, *, approve: bool) -> None:
    """Refuse, in one sentence, a decision `user` may not make on this register row now: only a
    supervisor decides; approve a PENDING refund someone else asked for; cancel one not paid."""
    require_supervisor(user, f"{'approve' if approve else 'cancel'} a refund")
    refund, status = row["id"], row["status"]
    if approve and status != "pending":
        raise ConflictError(f"refund {refund} is {status.upper()}: only a PENDING refund can "
                            "be approved")
    if not approve and status == "cancelled":
        raise ConflictError(f"refund {refund} is already CANCELLED")
    if not approve and status == "paid":
        raise ConflictError(
            f"refund {refund} is PAID: its refund entry {row['paid_entry_id']} is posted and "
            "A/P has the file, so it cannot be cancelled; if A/P voids the check, put the "
            "credit back with an adjustment")
    refused = own_request(row, user) if approve else None
    if refused:  # two people for every refund: a matter of who, not of timing
        raise PermissionDenied(refused)


def decide_refund(conn: sqlite3.Connection, register_id: int, *, approver: User, approve: bool,
                  comment: str, at: str) -> str:
    """A supervisor approves a pending refund, or cancels one not yet paid; others are refused.

    Cancelling an approved refund moves no money (nothing is posted until it is paid); the
    audit row keeps who approved it, when and why, beside who cancelled it and why."""
    verb = "approve" if approve else "cancel"
    require_supervisor(approver, f"{verb} a refund")
    text = check_comment(comment)
    with write_transaction(conn):
        row = conn.execute("SELECT * FROM refund_register WHERE id = ?",
                           (register_id,)).fetchone()
        if row is None:
            raise InputError(InputProblem(f"there is no refund {register_id}", field="refund"))
        check_decision(row, approver, approve=approve)
        status = "approved" if approve else "cancelled"
        before: Any = row["status"] if row["status"] == "pending" else {
            "status": row["status"], "approved_by": row["decided_by"],
            "approved_at": row["decided_at"], "comment": row["decision_comment"]}
        conn.execute("UPDATE refund_register SET status = ?, decided_by = ?, decided_at = ?,"
                     " decision_comment = ?, version = version + 1 WHERE id = ? AND version = ?",
                     (status, approver.login, at, text, register_id, row["version"]))
        audit.record(conn, at=at, actor=approver.login, action=f"refunds.{verb}",
                     object_type="refund_register", object_id=register_id,
                     before=before, after={"status": status, "comment": text})
    return status


def own_request(row: Mapping[str, Any], approver: User) -> str | None:
    """Why `approver` may not approve the refund they asked for by hand (the sweep's rule asked
    for its rows, so whoever ran it may approve them); None when they may."""
    if row["requested_by"] == approver.login and row["source"] != "deposit_sweep":
        return (f"{approver.login} asked for refund {row['id']}; another supervisor must "
                "approve it")
    return None


@dataclass(frozen=True)
class RegisterRow:
    id: int
    account_number: str
    payee_name: str
    amount_cents: Cents
    source: str
    book: str
    status: str
    requested_by: str
    requested_on: str
    comment: str


def register_rows(conn: sqlite3.Connection, *, status: str | None = None,
                  limit: int = 2000) -> list[RegisterRow]:
    where, args = ("WHERE g.status = ?", [status]) if status else ("", [])
    rows = conn.execute(
        f"SELECT g.*, a.number FROM refund_register g JOIN accounts a ON a.id = g.account_id"
        f" {where} ORDER BY g.id LIMIT ?", (*args, limit)).fetchall()
    return [RegisterRow(r["id"], r["number"], r["payee_name"], r["amount_cents"], r["source"],
                        r["book"], r["status"], r["requested_by"], r["requested_on"],
                        r["comment"]) for r in rows]


PAGE_SQL = """
SELECT g.id, g.status, g.source, g.book, g.amount_cents, g.payee_name, g.payee_line1,
       g.payee_line2, g.payee_city, g.payee_state, g.payee_zip, g.comment, g.requested_by,
       g.requested_on, g.requested_at, g.decided_by, g.decided_at, g.decision_comment,
       g.paid_entry_id, a.number AS account_number, a.status AS account_status,
       b.balance_cents, b.deposit_cents, x.file_name AS export_file, x.exported_on,
       CASE WHEN g.status = 'cancelled' THEN
            (SELECT l.actor || ' ' || l.at FROM audit_log l
              WHERE l.object_type = 'refund_register' AND l.object_id = CAST(g.id AS TEXT)
                AND l.action = 'refunds.approve' ORDER BY l.id DESC LIMIT 1) END AS approved
  FROM refund_register g
  JOIN accounts a ON a.id = g.account_id
  LEFT JOIN account_balances b ON b.account_id = g.account_id
  LEFT JOIN refund_exports x ON x.id = g.export_id
"""


def _statuses_clause(statuses: tuple[str, ...]) -> str:
    return f"g.status IN ({', '.join('?' * len(statuses))})" if statuses else "1"


def count_refunds(conn: sqlite3.Connection, statuses: tuple[str, ...] = ()) -> int:
    """How many register rows have one of `statuses` (every row when none are given)."""
    return int(conn.execute("SELECT count(*) FROM refund_register g WHERE "
                            + _statuses_clause(statuses), statuses).fetchone()[0])


def refund_page(conn: sqlite3.Connection, statuses: tuple[str, ...] = (), *,
                after: int | None = None, offset: int = 0,
                limit: int = 200) -> list[sqlite3.Row]:
    """One page of the register, newest first, by keyset after row `after` (else by offset)."""
    where = _statuses_clause(statuses)
    if after is None:
        return conn.execute(f"{PAGE_SQL} WHERE {where} ORDER BY g.id DESC LIMIT ? OFFSET ?",
                            (*statuses, limit, offset)).fetchall()
    return conn.execute(f"{PAGE_SQL} WHERE {where} AND g.id < ? ORDER BY g.id DESC LIMIT ?",
                        (*statuses, after, limit)).fetchall()


def export_refunds(conn: sqlite3.Connection, out: Path, *, user: User, at: str,
                   today: date) -> tuple[int, Cents]:
    """A supervisor pays every approved refund: post its refund entry and write the A/P CSV,
    all or nothing (money leaves the district, as a billing run's freeze is a supervisor's)."""
    require_supervisor(user, PAY_ACTION)
    actor = user.login
    if out.exists():
        raise InputError(InputProblem("already exists; choose a new file name", source=str(out)))
    partial = out.with_name(out.name + ".partial")
    with write_transaction(conn):
        rows = conn.execute(
            "SELECT g.*, a.number FROM refund_register g JOIN accounts a ON a.id = g.account_id"
            " WHERE g.status = 'approved' ORDER BY g.id").fetchall()
        if not rows:
            raise InputError(InputProblem("no approved refunds are waiting for A/P",
                                          field="refunds"))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        total = 0
        entries: list[tuple[int, int]] = []
        for row in rows:
            entry_id = _pay(conn, row, actor=actor, at=at, today=today)
            entries.append((row["id"], entry_id))
            total += row["amount_cents"]
            writer.writerow((row["id"], row["number"], row["payee_name"], row["payee_line1"],
                             row["payee_line2"], row["payee_city"], row["payee_state"],
                             row["payee_zip"], row["amount_cents"],
                             f"{row['amount_cents'] // 100}.{row['amount_cents'] % 100:02d}",
                             row["source"], row["decided_by"], entry_id))
        data = buffer.getvalue().encode("utf-8")
        cur = conn.execute(
            "INSERT INTO refund_exports (file_name, file_sha256, rows, total_cents, exported_by,"
            " exported_on, exported_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (out.name, hashlib.sha256(data).hexdigest(), len(rows), total, actor,
             today.isoformat(), at))
        export_id = int(cur.lastrowid or 0)
        conn.executemany("UPDATE refund_register SET status = 'paid', paid_entry_id = ?,"
                         " export_id = ?, version = version + 1 WHERE id = ?",
                         [(entry_id, export_id, row_id) for row_id, entry_id in entries])
        audit.record(conn, at=at, actor=actor, action="refunds.export",
                     object_type="refund_export", object_id=export_id,
                     after={"file": out.name, "rows": len(rows), "total_cents": total})
        partial.write_bytes(data)  # written before COMMIT: a failed write rolls the posts back
    os.replace(partial, out)
    return len(rows), total


def _pay(conn: sqlite3.Connection, row: sqlite3.Row, *, actor: str, at: str,
         today: date) -> int:
    balance, held = balance_of(conn, row["account_id"])
    cents = row["amount_cents"]
    book = Book(row["book"])
    if book is Book.DEPOSIT and held < cents:
        raise ConflictError(f"refund {row['id']}: account {row['number']} now holds "
                            f"{format_money(held)} of deposit, less than "
                            f"{format_money(cents)}; cancel the refund and ask again")
    if book is Book.RECEIVABLE and -balance < cents:
        raise ConflictError(f"refund {row['id']}: account {row['number']}'s credit is now "
                            f"{format_money(max(-balance, 0))}, less than "
                            f"{format_money(cents)}; cancel the refund and ask again")
    return post(conn, Posting(
        account_id=row["account_id"], entry_type=EntryType.REFUND,
        amount_cents=cents if book is Book.RECEIVABLE else -cents, effective_on=today,
        actor=actor, reason_code=REFUND_REASON,
        comment=f"Refund {row['id']} ({row['source'].replace('_', ' ')}) sent to A/P",
        book=book, reference=f"REFUND {row['id']}"), posted_at=at)
