"""A returned check (or ACH return) in one action: reverse, fee, note, CASH ONLY, autopay.

The reversal cancels the payment, so the charges it paid are open again with their own dates
(core/allocation.py): the account's delinquency is what it would have been without it.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from core.allocation import allocate
from core.errors import InputError, InputProblem
from core.ledger import EntryType, Posting, aging
from core.money import Cents, format_credit, format_money
from core.payments import PaymentMethod
from core.returns import ReturnDecision, ReturnReason, decide_return, return_reason
from db import audit
from db.ledger import entries_for, entry, post, reverse
from db.settings import load_settings
from db.transaction import write_transaction

RETURN_REASON_CODE = "RETURNED"
FEE_REASON_CODE = "RETURN-FEE"


@dataclass(frozen=True)
class ReturnPlan:
    """What returning one payment will do, shown before and reported after."""

    account_id: int
    account_number: str
    payment_entry_id: int
    amount_cents: Cents
    reference: str
    reason: ReturnReason
    decision: ReturnDecision
    balance_before_cents: Cents
    balance_after_cents: Cents
    past_due_after: str

    def lines(self) -> list[str]:
        return [f"Account {self.account_number}: payment {self.payment_entry_id} "
                f"{format_money(self.amount_cents)} {self.reference} returned: "
                f"{self.reason.meaning}",
                *self.decision.lines(),
                f"Balance {format_credit(self.balance_before_cents)} → "
                f"{format_credit(self.balance_after_cents)}; {self.past_due_after}"]


def payments_of(conn: sqlite3.Connection, account_number: str,
                check_number: str = "") -> list[sqlite3.Row]:
    """An account's payments that can still be returned, newest first (to pick the one)."""
    rows = conn.execute(
        "SELECT e.id, e.effective_on, -e.amount_cents AS cents, e.reference, a.number"
        " FROM ledger_entries e JOIN accounts a ON a.id = e.account_id"
        " WHERE a.number = ? AND e.entry_type = 'payment' AND e.reverses_id IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.reverses_id = e.id)"
        " ORDER BY e.effective_on DESC, e.id DESC LIMIT 50", (account_number.strip(),)).fetchall()
    if check_number:
        rows = [r for r in rows if r["reference"].endswith(f"#{check_number.lstrip('0')}")]
    return rows


def _earlier(conn: sqlite3.Connection, account_id: int) -> tuple[list[date], int]:
    """Dates of earlier returns that count, and how many of them carried a fee.

    Returns recorded before this module (the demo's history) are in the ledger only: they are
    counted as NSF returns, fee and point both.
    """
    dates: list[date] = []
    fees = 0
    for row in conn.execute(
            "SELECT e.effective_on, i.reason_code, i.fee_entry_id FROM ledger_entries e"
            " LEFT JOIN returned_items i ON i.reversal_entry_id = e.id"
            " WHERE e.account_id = ? AND e.entry_type = 'returned_payment'", (account_id,)):
        known = row["reason_code"]
        if known is None or return_reason(known).cash_only_point:
            dates.append(date.fromisoformat(row["effective_on"]))
        if known is None or row["fee_entry_id"] is not None:
            fees += 1
    return dates, fees


def plan_return(conn: sqlite3.Connection, payment_entry_id: int, reason_code: str, *,
                today: date) -> ReturnPlan:
    """Check the payment can be returned and work out the fee, CASH ONLY and the balance."""
    reason = return_reason(reason_code)
    original = entry(conn, payment_entry_id)
    if original.entry_type != EntryType.PAYMENT or original.reverses_id is not None:
        raise InputError(InputProblem(f"entry {payment_entry_id} is a {original.entry_type}, "
                                      "not a payment", field="payment"))
    if conn.execute("SELECT 1 FROM ledger_entries WHERE reverses_id = ?",
                    (payment_entry_id,)).fetchone():
        raise InputError(InputProblem(f"payment {payment_entry_id} was already voided or "
                                      "returned", field="payment"))
    method = conn.execute("SELECT method FROM payments WHERE ledger_entry_id = ?",
                          (payment_entry_id,)).fetchone()
    if method is not None and not PaymentMethod(method[0]).returnable:
        raise InputError(InputProblem(
            f"payment {payment_entry_id} was {method[0].replace('_', ' ')}: a bank cannot "
            "return it; correct it with an adjustment", field="payment"))
    settings = load_settings(conn)
    dates, fees = _earlier(conn, original.account_id)
    decision = decide_return(
        reason, returned_on=today, earlier_returns=dates, earlier_fees=fees,
        fee_first_cents=settings.returned_check_fee_first_cents,
        fee_later_cents=settings.returned_check_fee_later_cents,
        cash_only_after=settings.cash_only_after_returns,
        cash_only_months=settings.cash_only_months)
    entries = entries_for(conn, original.account_id)
    before = sum(e.amount_cents for e in entries if e.book == original.book)
    after_entries = [e for e in entries if e.id != payment_entry_id]
    ages = aging(after_entries, today)
    past_due = ages.d30 + ages.d60 + ages.d90
    words = (f"past due again: {format_money(past_due)} (30+ days)" if past_due
             else "nothing past due")
    number = conn.execute("SELECT number FROM accounts WHERE id = ?",
                          (original.account_id,)).fetchone()[0]
    return ReturnPlan(original.account_id, number, payment_entry_id, -original.amount_cents,
                      original.reference, reason, decision, before,
                      before - original.amount_cents + decision.fee_cents, words)


def return_payment(conn: sqlite3.Connection, payment_entry_id: int, reason_code: str, *,
                   actor: str, comment: str, at: str, today: date) -> ReturnPlan:
    """Do the whole returned-check action in one transaction; returns what it did."""
    text = " ".join(comment.split())
    with write_transaction(conn):
        plan = plan_return(conn, payment_entry_id, reason_code, today=today)
        reversal_id = reverse(
            conn, payment_entry_id, actor=actor, reason_code=RETURN_REASON_CODE,
            comment=f"Payment returned by the bank: {plan.reason.meaning}"
                    + (f". {text}" if text else ""),
            effective_on=today, posted_at=at, entry_type=EntryType.RETURNED_PAYMENT)
        fee_id = None
        if plan.decision.fee_cents:
            fee_id = post(conn, Posting(
                account_id=plan.account_id, entry_type=EntryType.FEE,
                amount_cents=plan.decision.fee_cents, effective_on=today, actor=actor,
                reason_code=FEE_REASON_CODE,
                comment=f"Returned check fee ({plan.decision.fee_words})",
                reference=plan.reference), posted_at=at)
        until = plan.decision.cash_only_until
        note = (f"Payment of {format_money(plan.amount_cents)} ({plan.reference or 'entry '}"
                f"{'' if plan.reference else plan.payment_entry_id}) returned: "
                f"{plan.reason.meaning}. " + " ".join(plan.decision.lines()[:1]) + "."
                + (f" CASH ONLY until {until}." if until else "")
                + (f" {text}" if text else ""))
        if until:
            _set_cash_only(conn, plan, until, actor=actor, today=today)
        if plan.reason.autopay:
            note += _stop_autopay(conn, plan, actor=actor, at=at)
        conn.execute("INSERT INTO notes (account_id, author, at, body) VALUES (?, ?, ?, ?)",
                     (plan.account_id, actor, at, note))
        conn.execute(
            "INSERT INTO returned_items (payment_entry_id, account_id, reversal_entry_id,"
            " fee_entry_id, reason_code, returned_on, cash_only_until, returned_by, returned_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (payment_entry_id, plan.account_id, reversal_id, fee_id, plan.reason.code,
             today.isoformat(), until.isoformat() if until else None, actor, at))
        audit.record(conn, at=at, actor=actor, action="payments.returned",
                     object_type="ledger_entry", object_id=payment_entry_id,
                     after={"reason": plan.reason.code, "reversal_entry_id": reversal_id,
                            "fee_entry_id": fee_id, "fee_cents": plan.decision.fee_cents,
                            "cash_only_until": until})
    return plan


def _set_cash_only(conn: sqlite3.Connection, plan: ReturnPlan, until: date, *, actor: str,
                   today: date) -> None:
    active = conn.execute(
        "SELECT 1 FROM account_flags WHERE account_id = ? AND flag = 'CASH ONLY'"
        " AND cleared_on IS NULL AND (expires_on IS NULL OR expires_on >= ?)",
        (plan.account_id, until.isoformat())).fetchone()
    if active:
        return
    conn.execute(
        "INSERT INTO account_flags (account_id, flag, reason, author, set_on, expires_on)"
        " VALUES (?, 'CASH ONLY', ?, ?, ?, ?)",
        (plan.account_id, f"{plan.decision.returns_in_window} returned payments in the window "
         "(RULES.md §8): cash, money order or card only", actor, today.isoformat(),
         until.isoformat()))


def _stop_autopay(conn: sqlite3.Connection, plan: ReturnPlan, *, actor: str, at: str) -> str:
    """RULES.md §8: suspend or revoke the bank draft; the clerk asks for new bank details."""
    cleared = conn.execute(
        "UPDATE account_flags SET cleared_on = ?, cleared_by = ? WHERE account_id = ?"
        " AND flag = 'AUTOPAY' AND cleared_on IS NULL", (at[:10], actor, plan.account_id))
    if not cleared.rowcount:
        return ""
    if plan.reason.autopay == "revoke":
        return " AUTOPAY revoked: never draft again without a new written authorization."
    return " AUTOPAY suspended: ask the customer for new bank details."


def open_after_return(conn: sqlite3.Connection, account_id: int) -> int:
    """Open charges on the account as allocation sees them (for tests and the preview)."""
    return allocate(entries_for(conn, account_id)).open_cents
