"""Importing a lockbox file: checked whole first, then posted in one transaction, once.

The file's SHA-256 is the batch's identity: the same file again posts nothing and says when it
was posted. A payment for an account Meterline does not know, or one the bank flagged with an
exception code, goes to the suspense list, never dropped (docs/workflows/lockbox-posting.md).
"""
from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.errors import ConflictError, InputError, InputProblem
from core.ledger import EntryType, Posting
from core.lockbox import LockboxFile, LockboxItem, parse_lockbox
from core.money import Cents
from db import audit
from db.ledger import post
from db.transaction import write_transaction

LOCKBOX_REASON = "LOCKBOX"


@dataclass(frozen=True)
class LockboxResult:
    """What an import did: the batch, what posted, what went to suspense; or that it had before."""

    batch_id: int
    file_name: str
    sha256: str
    posted: int
    posted_cents: Cents
    suspense: int
    suspense_cents: Cents
    already_posted: bool = False
    posted_by: str = ""
    posted_at: str = ""
    batch_totals: tuple[tuple[str, str, int, Cents], ...] = ()

    @property
    def total_cents(self) -> Cents:
        return self.posted_cents + self.suspense_cents


def _earlier(conn: sqlite3.Connection, sha: str) -> sqlite3.Row | None:
    return conn.execute("SELECT id, file_name, opened_by, opened_at FROM payment_batches"
                        " WHERE file_sha256 = ?", (sha,)).fetchone()


def _already(row: sqlite3.Row, sha: str) -> LockboxResult:
    return LockboxResult(row["id"], row["file_name"], sha, 0, 0, 0, 0, already_posted=True,
                         posted_by=row["opened_by"], posted_at=row["opened_at"])


def _accounts(conn: sqlite3.Connection, numbers: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    wanted = sorted(n for n in numbers if n)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(conn.execute(f"SELECT number, id FROM accounts WHERE number IN ({marks})",
                                  chunk).fetchall())
    return found


def _payer(item: LockboxItem) -> str:
    return item.payer or f"acct:{item.account_number}"


def import_lockbox(conn: sqlite3.Connection, path: Path, *, actor: str, at: str, today: date,
                   control_total_cents: Cents | None = None) -> LockboxResult:
    """Check the whole file, then post it in one transaction; a second time, post nothing."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(InputProblem(f"cannot be read ({exc.strerror})",
                                      source=str(path))) from None
    sha = hashlib.sha256(data).hexdigest()
    earlier = _earlier(conn, sha)
    if earlier is not None:
        return _already(earlier, sha)
    parsed = parse_lockbox(data.splitlines(keepends=True), source=str(path), today=today,
                           control_total_cents=control_total_cents)
    with write_transaction(conn):
        earlier = _earlier(conn, sha)  # another clerk may have posted it a moment ago
        if earlier is not None:
            return _already(earlier, sha)
        return _post_file(conn, parsed, path.name, sha, actor=actor, at=at)


def _post_file(conn: sqlite3.Connection, parsed: LockboxFile, name: str, sha: str, *,
               actor: str, at: str) -> LockboxResult:
    accounts = _accounts(conn, {i.account_number for i in parsed.items})
    deposit = max(parsed.deposit_dates)
    cur = conn.execute(
        "INSERT INTO payment_batches (kind, status, control_total_cents, deposit_date, file_name,"
        " file_sha256, item_count, opened_by, opened_at, closed_by, closed_at)"
        " VALUES ('lockbox', 'closed', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (parsed.total_cents, deposit.isoformat(), name, sha, len(parsed.items), actor, at,
         actor, at))
    batch_id = int(cur.lastrowid or 0)
    posted = posted_cents = held = held_cents = 0
    payments: list[tuple[object, ...]] = []
    suspense: list[tuple[object, ...]] = []
    for item in parsed.items:
        account_id = accounts.get(item.account_number)
        if account_id is None or item.exception_code:
            reason = (f"bank exception code {item.exception_code}" if item.exception_code
                      else "no account number on the stub" if not item.account_number
                      else f"no account {item.account_number} in Meterline")
            suspense.append((batch_id, item.line, item.account_number, item.amount_cents,
                             item.check_number, _payer(item), item.payer_name,
                             item.deposit_date.isoformat(), reason))
            held, held_cents = held + 1, held_cents + item.amount_cents
            continue
        entry_id = post(conn, Posting(
            account_id=account_id, entry_type=EntryType.PAYMENT,
            amount_cents=-item.amount_cents, effective_on=item.deposit_date, actor=actor,
            reason_code=LOCKBOX_REASON,
            comment=f"{item.channel.lower()} payment, lockbox file {name} line {item.line}",
            reference=item.reference), posted_at=at)
        payments.append((batch_id, entry_id, account_id, item.amount_cents, "lockbox",
                         item.check_number, _payer(item), item.channel, item.line,
                         item.deposit_date.isoformat(), actor, at))
        posted, posted_cents = posted + 1, posted_cents + item.amount_cents
    try:
        conn.executemany(
            "INSERT INTO payments (batch_id, ledger_entry_id, account_id, amount_cents, method,"
            " check_number, payer, channel, source_line, received_on, posted_by, posted_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", payments)
    except sqlite3.IntegrityError as exc:  # pragma: no cover - the parser refuses duplicates
        raise ConflictError(f"a duplicate check number in {name}: {exc}") from None
    conn.executemany(
        "INSERT INTO payment_suspense (batch_id, source_line, account_text, amount_cents,"
        " check_number, payer, payer_name, received_on, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        suspense)
    totals = tuple((lb, b, n, c) for (lb, b), (n, c) in sorted(parsed.batch_totals.items()))
    audit.record(conn, at=at, actor=actor, action="payments.lockbox_import",
                 object_type="payment_batch", object_id=batch_id,
                 after={"file": name, "sha256": sha, "items": len(parsed.items),
                        "posted": posted, "posted_cents": posted_cents, "suspense": held,
                        "suspense_cents": held_cents})
    return LockboxResult(batch_id, name, sha, posted, posted_cents, held, held_cents,
                         batch_totals=totals)
