"""Adjustments end to end: preview, post or queue for approval, approve, reject, reverse.

The preview is computed again inside the posting transaction, so what posts is what the
policy allows at that moment (another clerk's leak adjustment a second earlier counts).
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.adjustments import (
    AdjustmentPreview,
    PreviewLine,
    RequestKind,
    check_approver,
    check_comment,
    check_reason,
    needs_approval,
    role_limit,
)
from core.errors import ConflictError, InputError, InputProblem, PermissionDenied
from core.ledger import EntryType, Posting
from core.money import Cents, format_money
from core.money_policy import reason_codes
from core.payments import MAX_PAYMENT_CENTS
from core.rerate import EstimateMethod, leak_adjustment, meter_rebill
from core.users import SUPERVISOR_ROLES, User
from db import audit
from db.ledger import balance_of, entry, post, reverse
from db.payment_batches import account_for
from db.rerate_data import rerate_inputs
from db.settings import load_settings
from db.transaction import write_transaction

KIND_REASONS = {RequestKind.LEAK: "LEAK", RequestKind.BACKBILL: "BACKBILL",
                RequestKind.METER_REFUND: "METER-FAST"}


@dataclass(frozen=True)
class AdjustmentDraft:
    """What the clerk asked for, before the policy and the rates have had their say."""

    account_number: str
    kind: RequestKind
    reason_code: str = ""
    amount_cents: Cents = 0  # AMOUNT only: + charge, - credit
    period_from: date | None = None  # re-rates: periods whose end read falls in (from, to]
    period_to: date | None = None
    method: str = ""  # back-bill / refund estimate method
    percent: Decimal | None = None


def _periods(draft: AdjustmentDraft) -> tuple[date, date]:
    if draft.period_from is None or draft.period_to is None:
        raise InputError(InputProblem("give the first and last dates the re-rate covers",
                                      field="period"))
    if draft.period_to <= draft.period_from:
        raise InputError(InputProblem("the period must end after it starts", field="period"))
    return draft.period_from, draft.period_to


def _earlier_leaks(conn: sqlite3.Connection, account_id: int) -> list[date]:
    rows = conn.execute(
        "SELECT q.effective_on FROM adjustment_requests q WHERE q.account_id = ?"
        " AND q.kind = 'leak' AND q.status IN ('pending', 'posted') AND NOT EXISTS"
        " (SELECT 1 FROM ledger_entries r WHERE r.reverses_id = q.ledger_entry_id)",
        (account_id,)).fetchall()
    return [date.fromisoformat(r[0]) for r in rows]


def preview_adjustment(conn: sqlite3.Connection, draft: AdjustmentDraft, *, user: User,
                       today: date) -> AdjustmentPreview:
    """The ledger effect of the draft, and whether it posts now or waits for a supervisor."""
    settings = load_settings(conn)
    codes = reason_codes(settings.adjustment_reasons)
    account = account_for(conn, draft.account_number)
    lines: tuple[PreviewLine, ...] = ()
    if draft.kind is RequestKind.AMOUNT:
        reason = check_reason(draft.reason_code, codes)
        amount = draft.amount_cents
        if amount == 0 or abs(amount) > MAX_PAYMENT_CENTS:
            raise InputError(InputProblem("an adjustment is a non-zero amount up to "
                                          f"{format_money(MAX_PAYMENT_CENTS)}", field="amount"))
        lines = (PreviewLine(f"{codes[reason]}: {'charge' if amount > 0 else 'credit'} "
                             f"{format_money(abs(amount))}", amount),)
    elif draft.kind in KIND_REASONS:
        reason = KIND_REASONS[draft.kind]
        start, end = _periods(draft)
        data = rerate_inputs(conn, account["number"], today)
        if draft.kind is RequestKind.LEAK:
            rerate = leak_adjustment(
                data.periods, leak_from=start, leak_to=end, today=today, price=data.price,
                tier1_rate=data.tier1_rate, service_since=data.opened_on,
                earlier_leaks=_earlier_leaks(conn, account["id"]),
                per_12_months=settings.leak_adjustments_per_12_months,
                max_periods=settings.leak_max_periods,
                history_months=settings.leak_history_months,
                normal_periods=settings.leak_normal_periods)
        else:
            method = _method(draft)
            refund = draft.kind is RequestKind.METER_REFUND
            rerate = meter_rebill(
                data.periods, method=method, since=start, until=end, today=today,
                price=data.price, percent=draft.percent,
                lookback_months=(settings.meter_refund_lookback_months if refund
                                 else settings.backbill_lookback_months),
                average_periods=settings.backbill_average_periods)
        amount, lines = rerate.amount_cents, rerate.lines
    else:
        raise InputError(InputProblem(f"{draft.kind.words} is not an adjustment", field="kind"))
    balance, _ = balance_of(conn, account["id"])
    return AdjustmentPreview(
        account["number"], draft.kind, reason, amount, balance,
        needs_approval(user, amount, clerk_cents=settings.approval_threshold_clerk_cents,
                       supervisor_cents=settings.approval_threshold_supervisor_cents), lines)


def _method(draft: AdjustmentDraft) -> EstimateMethod:
    allowed = ((EstimateMethod.PERCENT_FAST,) if draft.kind is RequestKind.METER_REFUND
               else (EstimateMethod.PRIOR_AVERAGE, EstimateMethod.LAST_YEAR,
                     EstimateMethod.PERCENT_SLOW))
    method = next((m for m in allowed
                   if m.value == (draft.method.strip().lower() or allowed[0].value)), None)
    if method is None:
        raise InputError(InputProblem(
            f"{draft.method!r} is not an estimate method here "
            f"({', '.join(m.value for m in allowed)})", field="method"))
    return method


@dataclass(frozen=True)
class SubmitResult:
    request_id: int
    status: str
    entry_id: int | None
    preview: AdjustmentPreview


def submit_adjustment(conn: sqlite3.Connection, draft: AdjustmentDraft, *, user: User,
                      comment: str, at: str, today: date) -> SubmitResult:
    """Post the adjustment now if the user's role allows the amount, else queue it."""
    text = check_comment(comment)
    with write_transaction(conn):
        shown = preview_adjustment(conn, draft, user=user, today=today)
        account_id = account_for(conn, draft.account_number)["id"]
        status = "pending" if shown.needs_approval else "posted"
        entry_id = None
        if status == "posted":
            entry_id = _post(conn, account_id, shown.amount_cents, shown.reason_code,
                             f"{shown.kind.words.capitalize()}: {text}", actor=user.login,
                             at=at, today=today)
        cur = conn.execute(
            "INSERT INTO adjustment_requests (account_id, kind, reason_code, amount_cents,"
            " effective_on, period_start, period_end, method, comment, preview, status,"
            " requested_by, requested_at, decided_by, decided_at, ledger_entry_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (account_id, draft.kind.value, shown.reason_code, shown.amount_cents,
             today.isoformat(), _iso(draft.period_from), _iso(draft.period_to),
             draft.method + (f" {draft.percent}%" if draft.percent is not None else ""), text,
             json.dumps([[line.text, line.cents] for line in shown.lines]), status, user.login,
             at, user.login if entry_id else None, at if entry_id else None, entry_id))
        request_id = int(cur.lastrowid or 0)
        audit.record(conn, at=at, actor=user.login, action=f"adjustments.{status}",
                     object_type="adjustment_request", object_id=request_id,
                     after={"account": shown.account_number, "kind": draft.kind.value,
                            "amount_cents": shown.amount_cents, "comment": text})
    return SubmitResult(request_id, status, entry_id, shown)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _post(conn: sqlite3.Connection, account_id: int, cents: Cents, reason: str, comment: str,
          *, actor: str, at: str, today: date) -> int:
    return post(conn, Posting(account_id=account_id, entry_type=EntryType.ADJUSTMENT,
                              amount_cents=cents, effective_on=today, actor=actor,
                              reason_code=reason, comment=comment), posted_at=at)


def _pending(conn: sqlite3.Connection, request_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM adjustment_requests WHERE id = ?",
                       (request_id,)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"there is no adjustment request {request_id}",
                                      field="request"))
    if row["status"] != "pending":
        raise ConflictError(f"request {request_id} was already {row['status']} by "
                            f"{row['decided_by']} at {row['decided_at']}")
    return row


def approve_adjustment(conn: sqlite3.Connection, request_id: int, *, approver: User,
                       comment: str, at: str, today: date) -> int:
    """A supervisor within their limit approves: the adjustment posts. Returns the entry id."""
    text = check_comment(comment)
    settings = load_settings(conn)
    with write_transaction(conn):
        row = _pending(conn, request_id)
        check_approver(approver, requested_by=row["requested_by"],
                       amount_cents=row["amount_cents"],
                       clerk_cents=settings.approval_threshold_clerk_cents,
                       supervisor_cents=settings.approval_threshold_supervisor_cents)
        kind = RequestKind(row["kind"])
        entry_id = _post(conn, row["account_id"], row["amount_cents"], row["reason_code"],
                         f"{kind.words.capitalize()} asked by {row['requested_by']}: "
                         f"{row['comment']} / approved: {text}", actor=approver.login, at=at,
                         today=today)
        conn.execute("UPDATE adjustment_requests SET status = 'posted', ledger_entry_id = ?,"
                     " decided_by = ?, decided_at = ?, decision_comment = ?,"
                     " version = version + 1 WHERE id = ? AND version = ?",
                     (entry_id, approver.login, at, text, request_id, row["version"]))
        audit.record(conn, at=at, actor=approver.login, action="adjustments.approve",
                     object_type="adjustment_request", object_id=request_id,
                     after={"entry_id": entry_id, "comment": text})
    return entry_id


def reject_adjustment(conn: sqlite3.Connection, request_id: int, *, user: User, comment: str,
                      at: str) -> None:
    """A supervisor rejects a waiting request (or its clerk withdraws it), with a comment."""
    text = check_comment(comment)
    with write_transaction(conn):
        row = _pending(conn, request_id)
        if user.role not in SUPERVISOR_ROLES and user.login != row["requested_by"]:
            raise PermissionDenied(f"only a supervisor can reject; {user.login} is a "
                                   f"{user.role.value}")
        conn.execute("UPDATE adjustment_requests SET status = 'rejected', decided_by = ?,"
                     " decided_at = ?, decision_comment = ?, version = version + 1"
                     " WHERE id = ? AND version = ?",
                     (user.login, at, text, request_id, row["version"]))
        audit.record(conn, at=at, actor=user.login, action="adjustments.reject",
                     object_type="adjustment_request", object_id=request_id,
                     after={"comment": text})


def reverse_adjustment(conn: sqlite3.Connection, entry_id: int, *, user: User, comment: str,
                       at: str, today: date) -> int:
    """Reverse a posted adjustment; the amount must be within the user's own limit."""
    text = check_comment(comment)
    settings = load_settings(conn)
    with write_transaction(conn):
        original = entry(conn, entry_id)
        if original.entry_type != EntryType.ADJUSTMENT:
            raise InputError(InputProblem(f"entry {entry_id} is a {original.entry_type}, not an "
                                          "adjustment", field="entry"))
        limit = role_limit(user.role, clerk_cents=settings.approval_threshold_clerk_cents,
                           supervisor_cents=settings.approval_threshold_supervisor_cents)
        if limit is not None and abs(original.amount_cents) > limit:
            raise PermissionDenied(
                f"{format_money(abs(original.amount_cents))} is above the {user.role.value} "
                f"limit of {format_money(limit)}; a supervisor must reverse it")
        reversal = reverse(conn, entry_id, actor=user.login, reason_code=original.reason_code,
                           comment=f"Reversal of adjustment {entry_id}: {text}",
                           effective_on=today, posted_at=at)
        audit.record(conn, at=at, actor=user.login, action="adjustments.reverse",
                     object_type="ledger_entry", object_id=entry_id,
                     after={"reversal_entry_id": reversal, "comment": text})
    return reversal


@dataclass(frozen=True)
class RequestRow:
    """A request as the queue shows it."""

    id: int
    account_number: str
    kind: str
    reason_code: str
    amount_cents: Cents
    status: str
    requested_by: str
    requested_at: str
    comment: str
    entry_id: int | None
    reversed: bool
    preview: tuple[tuple[str, int | None], ...]


def requests(conn: sqlite3.Connection, *, status: str | None = "pending",
             limit: int = 500) -> list[RequestRow]:
    """Requests, oldest waiting first (or every status, newest first)."""
    where, args, order = (("WHERE q.status = ?", [status], "q.id") if status
                          else ("", [], "q.id DESC"))
    rows = conn.execute(
        f"SELECT q.*, a.number, EXISTS (SELECT 1 FROM ledger_entries r"
        f" WHERE r.reverses_id = q.ledger_entry_id) AS reversed FROM adjustment_requests q"
        f" JOIN accounts a ON a.id = q.account_id {where} ORDER BY {order} LIMIT ?",
        (*args, limit)).fetchall()
    return [RequestRow(r["id"], r["number"], r["kind"], r["reason_code"], r["amount_cents"],
                       r["status"], r["requested_by"], r["requested_at"], r["comment"],
                       r["ledger_entry_id"], bool(r["reversed"]),
                       tuple((t, c) for t, c in json.loads(r["preview"]))) for r in rows]
