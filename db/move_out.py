"""Move-out: final read (read-audited) → closing bill → deposit applied → refund or transfer →
closed.

`closing_preview` works everything out without writing; `close_account` does it again inside
one write transaction (so what is written is what the rules say at that moment), posting
every money movement with actor, reason code and comment, and auditing each step.
"""
from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from core.addresses import StandardAddress, standardize
from core.errors import InputError, InputProblem
from core.final_read import FinalReadAudit, audit_final_read
from core.ledger import Book, EntryType, Posting
from core.model import Address
from core.move_out import LastRead, Settlement, check_final_read, settle
from core.users import User
from db import audit
from db.account_edits import AccountRef, account_ref, claim_version, record_address
from db.closing_bill import (
    ClosingBill,
    ServiceFacts,
    bill_comment,
    last_read,
    price_closing_bill,
    service_facts,
    store_closing_bill,
)
from db.ledger import balance_of, post
from db.read_history import audit_case
from db.transaction import write_transaction


@dataclass(frozen=True)
class ClosingPreview:
    """What closing the account will do, for the clerk to confirm."""

    account: AccountRef
    customer: str
    status: str
    facts: ServiceFacts
    last_read: LastRead | None
    closing: ClosingBill
    settlement: Settlement
    transfer_to: AccountRef | None
    payee: Address
    forwarding: StandardAddress | None
    read_audit: FinalReadAudit | None = None  # None: no meter to read


@dataclass(frozen=True)
class Closed:
    """What close_account wrote."""

    preview: ClosingPreview
    bill_id: int
    refund_id: int | None
    due_on: date


def final_read_audit(conn: sqlite3.Connection, facts: ServiceFacts, *, final_reading: int,
                     close_on: date, accept_read: str | None = None,
                     accepted_by: User | None = None) -> FinalReadAudit | None:
    """The read-audit rules on the final read against the premise's history before the
    closing day, as a stored read is audited (raises FinalReadRefused on an error not
    accepted, PermissionDenied when `accepted_by` is not a supervisor); None when the service
    has no meter."""
    from core.read_bands import read_audit_policy
    from db.settings import load_settings

    if facts.meter_id is None:
        return None
    case = audit_case(conn, meter_id=facts.meter_id, account_id=facts.account_id, day=close_on,
                      reading=final_reading)
    return audit_final_read(case, read_audit_policy(load_settings(conn)),
                            accept_reason=accept_read, accepted_by=accepted_by)


def closing_preview(conn: sqlite3.Connection, number: str, *, final_reading: int,
                    close_on: date, today: date, transfer_to: str | None = None,
                    forwarding: Address | None = None, accept_read: str | None = None,
                    accepted_by: User | None = None) -> ClosingPreview:
    """Everything move-out will do, worked out and checked; nothing is written.

    `accept_read` is the reason for closing on a final read the read-audit rules call an
    error, given by `accepted_by`, who must be a supervisor; without it such a read is
    refused (FinalReadRefused), and anyone else is refused (PermissionDenied)."""
    ref = account_ref(conn, number)
    row = conn.execute("SELECT a.status, a.opened_on, c.name, a.mail_line1, a.mail_line2,"
                       " a.mail_city, a.mail_state, a.mail_zip FROM accounts a"
                       " JOIN customers c ON c.id = a.customer_id WHERE a.id = ?",
                       (ref.id,)).fetchone()
    if row["status"] == "closed":
        raise InputError(InputProblem(f"account {ref.number} is already closed",
                                      field="account"))
    facts = service_facts(conn, ref.id)
    previous = last_read(conn, facts, close_on)
    check_final_read(previous, final_reading=final_reading, close_on=close_on,
                     opened_on=facts.opened_on, today=today, dials=facts.dials)
    if facts.meter_id is not None:
        same_day = conn.execute("SELECT reading FROM meter_reads WHERE meter_id = ?"
                                " AND read_on = ?", (facts.meter_id,
                                                     close_on.isoformat())).fetchone()
        if same_day is not None and same_day[0] != final_reading:
            raise InputError(InputProblem(
                f"meter {facts.meter_serial} already has a reading of {same_day[0]} on "
                f"{close_on}; use it, or correct it in Read audit", field="final read"))
    read_audit = final_read_audit(conn, facts, final_reading=final_reading, close_on=close_on,
                                  accept_read=accept_read, accepted_by=accepted_by)
    closing = price_closing_bill(conn, facts, final_reading=final_reading, close_on=close_on)
    target = None
    if transfer_to:
        target = account_ref(conn, transfer_to)
        status = conn.execute("SELECT status FROM accounts WHERE id = ?",
                              (target.id,)).fetchone()[0]
        if target.id == ref.id:
            raise InputError(InputProblem("cannot transfer a credit to the account being "
                                          "closed", field="transfer to"))
        if status != "active":
            raise InputError(InputProblem(f"account {target.number} is {status}; a credit "
                                          "goes to an active account", field="transfer to"))
    balance, deposit = balance_of(conn, ref.id)
    settlement = settle(balance_cents=balance, deposit_cents=deposit,
                        closing_bill_cents=closing.bill.total_cents,
                        transfer=target is not None)
    clean = standardize(forwarding) if forwarding is not None else None
    payee = clean.address if clean else Address(line1=row[3], line2=row[4], city=row[5],
                                                 state=row[6], zip=row[7])
    return ClosingPreview(ref, row["name"], row["status"], facts, previous, closing, settlement,
                          target, payee, clean, read_audit)


def _posting(account_id: int, entry_type: EntryType, amount: int, on: date, actor: str,
             reason: str, comment: str, *, book: Book = Book.RECEIVABLE,
             due_on: date | None = None, reference: str = "") -> Posting:
    return Posting(account_id=account_id, entry_type=entry_type, amount_cents=amount,
                   effective_on=on, actor=actor, reason_code=reason, comment=comment,
                   book=book, due_on=due_on, reference=reference)


def close_account(conn: sqlite3.Connection, number: str, *, final_reading: int, close_on: date,
                  today: date, actor: str, at: str, read_version: int | None = None,
                  transfer_to: str | None = None, forwarding: Address | None = None,
                  comment: str = "", accept_read: str | None = None,
                  accepted_by: User | None = None) -> Closed:
    """Close the account: every step in one transaction, every step audited (a read-audit
    error accepted by a supervisor, `accepted_by`, with who, when, the rules and the
    reason)."""
    from db.closures import load_calendar
    from db.settings import load_settings

    note = comment.strip() or "Customer moved out"
    with write_transaction(conn):
        p = closing_preview(conn, number, final_reading=final_reading, close_on=close_on,
                            today=today, transfer_to=transfer_to, forwarding=forwarding,
                            accept_read=accept_read, accepted_by=accepted_by)
        ref, s = p.account, p.settlement
        claim_version(conn, ref.id, ref.version if read_version is None else read_version,
                      actor=actor, at=at)
        read_id = None
        if p.facts.meter_id is not None:
            exists = conn.execute("SELECT id FROM meter_reads WHERE meter_id = ? AND read_on = ?",
                                  (p.facts.meter_id, close_on.isoformat())).fetchone()
            read_id = exists[0] if exists else int(conn.execute(
                "INSERT INTO meter_reads (meter_id, account_id, read_on, reading, kind, source,"
                " read_method, created_by, created_at) VALUES (?, ?, ?, ?, 'actual', 'move-out',"
                " 'MANUAL', ?, ?)", (p.facts.meter_id, ref.id, close_on.isoformat(),
                                     final_reading, actor, at)).lastrowid or 0)
        checked = p.read_audit
        if checked is not None and checked.accepted_reason:
            audit.record(conn, at=at, actor=actor, action="account.final_read_accepted",
                         object_type="account", object_id=ref.number,
                         after={"final_reading": final_reading, "read_id": read_id,
                                "read_on": close_on,
                                "rules": [f.rule_id for f in checked.errors],
                                "findings": checked.as_record(errors_only=True),
                                "reason": checked.accepted_reason,
                                "accepted_by": checked.accepted_by})
        due_on = load_calendar(conn).next_business_day(
            close_on + timedelta(days=load_settings(conn).due_days))
        entry_id = None
        if s.closing_bill_cents:
            entry_id = post(conn, _posting(
                ref.id, EntryType.BILL, s.closing_bill_cents, close_on, actor, "CLOSING-BILL",
                bill_comment(p.closing), due_on=due_on,
                reference=f"CLOSING BILL {ref.number}"), posted_at=at)
        bill_id = store_closing_bill(conn, p.closing, account_id=ref.id, read_id=read_id,
                                     entry_id=entry_id, actor=actor, at=at)
        if s.deposit_applied_cents:
            for book in (Book.DEPOSIT, Book.RECEIVABLE):
                post(conn, _posting(ref.id, EntryType.DEPOSIT_APPLIED, -s.deposit_applied_cents,
                                    close_on, actor, "MOVE-OUT",
                                    "Deposit applied to the closing bill at move-out",
                                    book=book), posted_at=at)
        if s.transfer_cents and p.transfer_to is not None:
            post(conn, _posting(ref.id, EntryType.TRANSFER, s.transfer_cents, close_on, actor,
                                "MOVE-OUT-TRANSFER", f"Credit transferred to account "
                                f"{p.transfer_to.number} at move-out",
                                reference=p.transfer_to.number), posted_at=at)
            post(conn, _posting(p.transfer_to.id, EntryType.TRANSFER, -s.transfer_cents,
                                close_on, actor, "MOVE-OUT-TRANSFER",
                                f"Credit transferred from closed account {ref.number}",
                                reference=ref.number), posted_at=at)
        refund_id = None
        if s.refund_cents:
            refund_id = int(conn.execute(
                "INSERT INTO refund_register (account_id, amount_cents, source, payee_name,"
                " payee_line1, payee_line2, payee_city, payee_state, payee_zip, comment,"
                " requested_by, requested_on, requested_at)"
                " VALUES (?, ?, 'move_out', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ref.id, s.refund_cents, p.customer, p.payee.line1, p.payee.line2, p.payee.city,
                 p.payee.state, p.payee.zip, f"Credit left at move-out on {close_on}", actor,
                 today.isoformat(), at)).lastrowid or 0)
            audit.record(conn, at=at, actor=actor, action="refund.request",
                         object_type="refund", object_id=refund_id,
                         after={"account": ref.number, "amount_cents": s.refund_cents,
                                "payee": p.customer, "address": p.payee.one_line()})
        if p.forwarding is not None:
            old = conn.execute("SELECT mail_line1, mail_line2, mail_city, mail_state, mail_zip"
                               " FROM accounts WHERE id = ?", (ref.id,)).fetchone()
            before = Address(line1=old[0], line2=old[1], city=old[2], state=old[3], zip=old[4])
            new = p.forwarding.address
            conn.execute("UPDATE accounts SET mail_line1 = ?, mail_line2 = ?, mail_city = ?,"
                         " mail_state = ?, mail_zip = ? WHERE id = ?",
                         (new.line1, new.line2, new.city, new.state, new.zip, ref.id))
            record_address(conn, account_id=ref.id, premise_id=None, kind="mailing", old=before,
                           new=p.forwarding, typed=forwarding or new,
                           reason="forwarding address at move-out", actor=actor, at=at,
                           today=today)
            audit.record(conn, at=at, actor=actor, action="account.mailing_address",
                         object_type="account", object_id=ref.number, before=asdict(before),
                         after={**asdict(new), "reason": "forwarding address at move-out"})
        conn.execute("UPDATE accounts SET status = 'closed', closed_on = ? WHERE id = ?",
                     (close_on.isoformat(), ref.id))
        conn.execute("UPDATE account_flags SET cleared_on = ?, cleared_by = ? WHERE account_id = ?"
                     " AND cleared_on IS NULL AND flag IN ('DEPOSIT HELD', 'AUTOPAY')",
                     (today.isoformat(), actor, ref.id))
        audit.record(conn, at=at, actor=actor, action="account.close", object_type="account",
                     object_id=ref.number, before={"status": p.status},
                     after={"status": "closed", "closed_on": close_on, "comment": note,
                            "final_reading": final_reading, "closing_bill": bill_id,
                            "due_on": due_on, "settlement": asdict(s),
                            "transfer_to": p.transfer_to.number if p.transfer_to else None,
                            "refund": refund_id,
                            "read_audit": checked.as_record() if checked else [],
                            "read_accepted": checked.accepted_reason if checked else None})
    return Closed(p, bill_id, refund_id, due_on)
