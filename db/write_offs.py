"""Write-off batches: a clerk proposes the day's write-off list as a batch; a supervisor approves
it (RULES.md §6: write-offs route to a supervisor), and only then each account's balance is
credited with a 'write_off' ledger entry carrying the approver, reason code and reason; or the
supervisor rejects it, which posts nothing and lets its accounts be proposed again.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from core.collections import findings
from core.errors import InputError, InputProblem
from core.ledger import EntryType, Posting
from core.money import format_money
from core.users import User, require_supervisor
from db import audit
from db.collections import locked_off
from db.ledger import balance_of, post
from db.settings import load_settings
from db.transaction import write_transaction

REASON = "WRITE-OFF"


@dataclass(frozen=True)
class Batch:
    """A proposed, approved or rejected batch and its totals."""

    id: int
    made_on: str
    made_by: str
    status: str
    approved_by: str | None
    accounts: int
    total_cents: int
    rejected_by: str | None = None
    rejected_reason: str | None = None

    def words(self) -> str:
        who = f", approved by {self.approved_by}" if self.approved_by else ""
        if self.rejected_by:
            who = f" by {self.rejected_by}: {self.rejected_reason}"
        return (f"Write-off batch {self.id} ({self.status.upper()}{who}): {self.accounts:,} "
                f"accounts, {format_money(self.total_cents)}, proposed {self.made_on} by "
                f"{self.made_by}.")


def batch(conn: sqlite3.Connection, batch_id: int) -> Batch:
    """One batch with its totals and decision."""
    row = conn.execute(
        "SELECT b.id, b.made_on, b.made_by, b.status, b.approved_by, count(i.id),"
        " COALESCE(sum(i.balance_cents), 0), b.rejected_by, b.rejected_reason"
        " FROM write_off_batches b LEFT JOIN write_off_items i ON i.batch_id = b.id"
        " WHERE b.id = ? GROUP BY b.id", (batch_id,)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"there is no write-off batch {batch_id}", field="batch"))
    return Batch(*row)


def propose_batch(conn: sqlite3.Connection, on: date, *, actor: str, at: str) -> Batch | None:
    """Put the day's write-off list, less lock-offs already in a batch that was not rejected,
    into a new batch."""
    with write_transaction(conn):
        taken = {r[0] for r in conn.execute(
            "SELECT i.shutoff_id FROM write_off_items i JOIN write_off_batches b"
            " ON b.id = i.batch_id WHERE b.status <> 'rejected'")}
        found = [f for f in findings(locked_off(conn, on), "write-offs", on, load_settings(conn))
                 if f.account.shutoff_id not in taken]
        if not found:
            return None
        batch_id = conn.execute(
            "INSERT INTO write_off_batches (made_on, made_by, made_at) VALUES (?, ?, ?)",
            (on.isoformat(), actor, at)).lastrowid
        conn.executemany(
            "INSERT INTO write_off_items (batch_id, shutoff_id, account_id, balance_cents,"
            " reason) VALUES (?, ?, ?, ?, ?)",
            [(batch_id, f.account.shutoff_id, f.account.account_id, f.account.balance_cents,
              f.reason) for f in found])
        audit.record(conn, at=at, actor=actor, action="collections.write_off_proposed",
                     object_type="write_off_batch", object_id=str(batch_id),
                     after={"accounts": len(found),
                            "cents": sum(f.account.balance_cents for f in found)})
    assert batch_id is not None
    return batch(conn, batch_id)


def _still_proposed(conn: sqlite3.Connection, batch_id: int) -> Batch:
    """The batch, refused unless still proposed; call inside the write transaction, so a batch
    another supervisor decided meanwhile is not decided twice."""
    found = batch(conn, batch_id)
    if found.status != "proposed":
        raise InputError(InputProblem(f"batch {batch_id} is already {found.status}",
                                      field="batch"))
    return found


@dataclass(frozen=True)
class Approval:
    """What approving a batch posted."""

    batch: Batch
    posted: int
    posted_cents: int
    skipped: list[str]

    def lines(self) -> list[str]:
        out = [f"Batch {self.batch.id} approved: {self.posted:,} write-offs posted, "
               f"{format_money(self.posted_cents)}."]
        return out + [f"NOT WRITTEN OFF {s}" for s in self.skipped]


def approve_batch(conn: sqlite3.Connection, batch_id: int, *, user: User, on: date, comment: str,
                  at: str) -> Approval:
    """A supervisor approves a proposed batch: each account's balance now (never more than the
    amount proposed) is credited; an account paid in the meantime is skipped and said."""
    require_supervisor(user, "approve a write-off batch")
    if not comment.strip():
        raise InputError(InputProblem("say why the batch is approved", field="comment"))
    with write_transaction(conn):
        _still_proposed(conn, batch_id)
        posted = posted_cents = 0
        skipped: list[str] = []
        items = conn.execute(
            "SELECT i.account_id, a.number, i.balance_cents, i.reason FROM write_off_items i"
            " JOIN accounts a ON a.id = i.account_id WHERE i.batch_id = ? ORDER BY a.number",
            (batch_id,)).fetchall()
        for account_id, number, proposed, reason in items:
            amount = min(proposed, balance_of(conn, account_id)[0])
            if amount <= 0:
                skipped.append(f"{number}: nothing owed any more")
                continue
            post(conn, Posting(account_id, EntryType.WRITE_OFF, -amount, on, user.login, REASON,
                               f"batch {batch_id}: {reason}; {comment.strip()}",
                               reference=f"write-off batch {batch_id}"), posted_at=at)
            posted += 1
            posted_cents += amount
        conn.execute("UPDATE write_off_batches SET status = 'approved', approved_by = ?,"
                     " approved_at = ?, approved_on = ? WHERE id = ?",
                     (user.login, at, on.isoformat(), batch_id))
        audit.record(conn, at=at, actor=user.login, action="collections.write_off_approved",
                     object_type="write_off_batch", object_id=str(batch_id),
                     after={"posted": posted, "cents": posted_cents, "skipped": skipped})
    return Approval(batch(conn, batch_id), posted, posted_cents, skipped)


def reject_batch(conn: sqlite3.Connection, batch_id: int, *, user: User, reason: str,
                 at: str) -> Batch:
    """A supervisor rejects a proposed batch: nothing is posted, and its accounts may be
    proposed again in a later batch."""
    require_supervisor(user, "reject a write-off batch")
    if not reason.strip():
        raise InputError(InputProblem("say why the batch is rejected", field="reason"))
    with write_transaction(conn):
        found = _still_proposed(conn, batch_id)
        conn.execute("UPDATE write_off_batches SET status = 'rejected', rejected_by = ?,"
                     " rejected_at = ?, rejected_reason = ? WHERE id = ?",
                     (user.login, at, reason.strip(), batch_id))
        audit.record(conn, at=at, actor=user.login, action="collections.write_off_rejected",
                     object_type="write_off_batch", object_id=str(batch_id),
                     before={"status": "proposed"},
                     after={"status": "rejected", "reason": reason.strip(),
                            "accounts": found.accounts, "cents": found.total_cents})
    return batch(conn, batch_id)


def batch_items(conn: sqlite3.Connection, batch_id: int) -> list[sqlite3.Row]:
    """The batch's accounts: (number, balance cents, reason), in account order."""
    return conn.execute(
        "SELECT a.number, i.balance_cents, i.reason FROM write_off_items i JOIN accounts a"
        " ON a.id = i.account_id WHERE i.batch_id = ? ORDER BY a.number",
        (batch_id,)).fetchall()
