"""Payment arrangements and the three-condition records the lock-off gates read.

A plan amortizes the past-due amount over up to 12 months (RULES.md §1.4, §116910(b)); its
kept or broken state is derived from payments each time (core.lockoff_gates.PlanRecord).
Each of the three conditions of §116910(a) (RULES.md §1.3) is a dated record with evidence
and an optional expiry. A plan ends (end_plan) with a date and a reason; nothing is posted.
All are written with an audit row in the same transaction.
"""
from __future__ import annotations

import sqlite3
from datetime import date

from core.errors import InputError, InputProblem
from core.lockoff_gates import add_months, installment_for
from core.money import format_money
from db import audit
from db.delinquency import account_delinquency
from db.transaction import write_transaction

PLAN_KINDS = ("amortization", "deferred", "reduced", "alternative")
CONDITIONS = ("medical", "financial", "willing")
# Why a plan ends, in the district's words. There is no "defaulted": SB 998 §116910(c)
# (RULES.md §1.4) default is worked out from the ledger each day (PlanRecord.default_on), and a
# plan in default already stops protecting the account; a clerk's "defaulted" could contradict
# that computation (a plan still KEPT, or a default dated differently), so it is not a reason.
END_REASONS = {"paid-in-full": "paid in full",
               "customer-cancelled": "cancelled at the customer's request",
               "replaced": "replaced by a new plan"}


def _account_id(conn: sqlite3.Connection, number: str) -> int:
    row = conn.execute("SELECT id FROM accounts WHERE number = ?", (number,)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"no account numbered {number}", field="number"))
    return int(row[0])


def create_plan(conn: sqlite3.Connection, number: str, *, months: int, on: date,
                kind: str = "amortization", first_due_on: date | None = None,
                total_cents: int | None = None, actor: str, at: str) -> str:
    """Put the account's past-due amount (or `total_cents`) on a plan of `months` installments."""
    account_id = _account_id(conn, number)
    if not 1 <= months <= 12:
        raise InputError(InputProblem("a plan runs 1 to 12 months (SB 998 §116910(b))",
                                      field="months"))
    if kind not in PLAN_KINDS:
        raise InputError(InputProblem(f"kind must be one of {', '.join(PLAN_KINDS)}",
                                      field="kind"))
    if total_cents is None:
        found = account_delinquency(conn, number, on)
        total_cents = found.state.past_due_cents if found else 0
    if total_cents <= 0:
        raise InputError(InputProblem(f"{number} has nothing past due to put on a plan",
                                      field="total"))
    first = first_due_on or add_months(on, 1)
    if first < on:
        raise InputError(InputProblem("the first installment cannot be due before the plan "
                                      "starts", field="first-due"))
    installment = installment_for(total_cents, months)
    with write_transaction(conn):
        plan_id = conn.execute(
            "INSERT INTO payment_plans (account_id, kind, starts_on, first_due_on, months,"
            " installment_cents, total_cents, created_by, created_at) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (account_id, kind, on.isoformat(), first.isoformat(), months, installment,
             total_cents, actor, at)).lastrowid
        audit.record(conn, at=at, actor=actor, action="lockoff.plan_created",
                     object_type="payment_plan", object_id=str(plan_id),
                     after={"account": number, "months": months, "total_cents": total_cents,
                            "installment_cents": installment, "first_due_on": first.isoformat()})
    return (f"Plan {plan_id} for {number}: {format_money(total_cents)} in {months} installments"
            f" of {format_money(installment)} from {first} (monthly).")


def record_condition(conn: sqlite3.Connection, number: str, *, condition: str, evidence: str,
                     received_on: date, expires_on: date | None, actor: str, at: str) -> str:
    """Record one of the three conditions of §116910(a) with its evidence and expiry."""
    account_id = _account_id(conn, number)
    if condition not in CONDITIONS:
        raise InputError(InputProblem(f"condition must be one of {', '.join(CONDITIONS)}",
                                      field="condition"))
    if not evidence.strip():
        raise InputError(InputProblem("name the evidence (certification, program card, signed"
                                      " request)", field="evidence"))
    if expires_on is not None and expires_on <= received_on:
        raise InputError(InputProblem("the expiry must come after the date received",
                                      field="expires"))
    with write_transaction(conn):
        record_id = conn.execute(
            "INSERT INTO protection_records (account_id, condition, evidence, received_on,"
            " expires_on, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (account_id, condition, evidence.strip(), received_on.isoformat(),
             expires_on.isoformat() if expires_on else None, actor, at)).lastrowid
        audit.record(conn, at=at, actor=actor, action="lockoff.condition_recorded",
                     object_type="protection_record", object_id=str(record_id),
                     after={"account": number, "condition": condition,
                            "evidence": evidence.strip()})
    until = f" until {expires_on}" if expires_on else ""
    return f"{number}: {condition} condition on file from {received_on}{until}."


def active_plans(conn: sqlite3.Connection, number: str) -> list[tuple[int, str, str, int]]:
    """The account's plans not ended: (id, starts on, kind, total cents), oldest first."""
    account_id = _account_id(conn, number)
    return [(int(row[0]), str(row[1]), str(row[2]), int(row[3])) for row in conn.execute(
        "SELECT id, starts_on, kind, total_cents FROM payment_plans WHERE account_id = ?"
        " AND ended_on IS NULL ORDER BY id", (account_id,))]


def end_plan(conn: sqlite3.Connection, number: str, *, on: date, reason: str, today: date,
             actor: str, at: str, comment: str = "", plan_id: int | None = None) -> str:
    """End the account's active plan on `on`; from that day the gates no longer see it."""
    _account_id(conn, number)  # an unknown account is refused before anything else
    if reason not in END_REASONS:
        raise InputError(InputProblem(f"the reason must be one of {', '.join(END_REASONS)}",
                                      field="reason"))
    if on > today:
        raise InputError(InputProblem(f"a plan cannot be ended after today ({today})",
                                      field="date"))
    with write_transaction(conn):
        # Read inside the write transaction, so the plan cannot end or change underneath.
        active = [plan for plan in active_plans(conn, number)
                  if plan_id is None or plan[0] == plan_id]
        if not active:
            which = f"plan {plan_id}" if plan_id is not None else "payment plan"
            raise InputError(InputProblem(f"{number} has no active {which} to end",
                                          field="number"))
        if len(active) > 1:
            ids = ", ".join(str(r[0]) for r in active)
            raise InputError(InputProblem(f"{number} has {len(active)} active plans ({ids}):"
                                          " name the one to end", field="plan"))
        found, starts_on, kind, total = active[0]
        if on < date.fromisoformat(starts_on):
            raise InputError(InputProblem(f"plan {found} started on {starts_on}; it cannot end"
                                          " before then", field="date"))
        conn.execute("UPDATE payment_plans SET ended_on = ?, end_reason = ? WHERE id = ?"
                     " AND ended_on IS NULL", (on.isoformat(), reason, found))
        audit.record(conn, at=at, actor=actor, action="lockoff.plan_ended",
                     object_type="payment_plan", object_id=str(found),
                     before={"ended_on": None, "end_reason": None},
                     after={"account": number, "ended_on": on.isoformat(),
                            "end_reason": reason, "comment": comment.strip()})
    return (f"Plan {found} for {number} ({kind}, {format_money(total)}) ended on {on}:"
            f" {END_REASONS[reason]}.")
