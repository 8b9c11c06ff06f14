"""Working a read exception: accept, edit the reading, estimate, order a re-read or meter check,
flag a leak letter. Each is one transaction with its disposition row and an audit row.

A change to a read's value closes every value-rule exception on that read and audits the new
value again, so a corrected read that still fails a rule comes back to the queue.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.errors import ConflictError, InputError, InputProblem
from core.read_audit import VALUE_RULES, audit_value
from core.read_bands import read_audit_policy
from core.read_rules import Finding
from core.reads import EstimateMethod, estimated_reading, read_facts
from core.work_orders import WorkOrderType
from db import audit
from db.read_exceptions import ExceptionPlace, insert_exceptions
from db.read_history import audit_case, stored_read_case
from db.settings import load_settings
from db.transaction import write_transaction


@dataclass(frozen=True)
class Disposed:
    """What a disposition did, in a sentence, and what the new value still fails."""

    message: str
    reopened: tuple[Finding, ...] = ()
    work_order_id: int | None = None
    read_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """The whole result, with each rule the new value still fails and its sentence."""
        if not self.reopened:
            return self.message
        still = "; ".join(f"{f.rule_id}: {f.explanation}" for f in self.reopened)
        return f"{self.message} The new value still fails a rule and is back in the queue: {still}"

    def summary(self) -> str:
        """Two lines' worth for the screen's status line: the queue shows the sentences."""
        if not self.reopened:
            return self.message
        rules = ", ".join(f.rule_id for f in self.reopened)
        return f"{self.message} Back in the queue: {rules}."


def claim(conn: sqlite3.Connection, exception_id: int, version: int | None = None,
          statuses: tuple[str, ...] = ("open",)) -> sqlite3.Row:
    """The exception, if it may still be worked; refuses stale or finished work in a sentence."""
    row = conn.execute("SELECT * FROM read_exceptions WHERE id = ?", (exception_id,)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"there is no read exception {exception_id}",
                                      field="exception"))
    if row["status"] not in statuses:
        if row["status"] == "resolved":
            raise ConflictError(
                f"exception {exception_id} was already worked ({row['disposition']}) by "
                f"{row['resolved_by']} at {row['resolved_at']}; nothing was changed")
        raise ConflictError(f"exception {exception_id} is waiting on a work order; complete or "
                            "cancel the order first")
    if version is not None and row["version"] != version:
        raise ConflictError(f"exception {exception_id} was changed by someone else since it was "
                            "shown; reload and look again")
    return row


def set_status(conn: sqlite3.Connection, row: sqlite3.Row, status: str, disposition: str, *,
               actor: str, at: str, comment: str = "", details: dict[str, Any] | None = None,
               work_order_id: int | None = None) -> None:
    """Move an exception on, record the disposition and audit it, in the caller's transaction."""
    resolved = status == "resolved"
    cur = conn.execute(
        "UPDATE read_exceptions SET status = ?, disposition = ?, resolved_by = ?,"
        " resolved_at = ?, version = version + 1 WHERE id = ? AND version = ?",
        (status, disposition if resolved else row["disposition"], actor if resolved else None,
         at if resolved else None, row["id"], row["version"]))
    if cur.rowcount != 1:
        raise ConflictError(f"exception {row['id']} was changed by someone else; nothing was "
                            "changed")
    details = details or {}
    conn.execute(
        "INSERT INTO read_dispositions (exception_id, disposition, actor, at, comment, details,"
        " work_order_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (row["id"], disposition, actor, at, comment, json.dumps(details, default=str),
         work_order_id))
    audit.record(conn, at=at, actor=actor, action=f"read_exception.{disposition}",
                 object_type="read_exception", object_id=row["id"],
                 before={"status": row["status"], "rule": row["rule_id"]},
                 after={"status": status, "comment": comment, **details,
                        "work_order": work_order_id})


def place_of(conn: sqlite3.Connection, meter_id: int, account_id: int | None, day: date,
             read_id: int | None, import_id: int | None = None) -> ExceptionPlace:
    """Where a new exception for this meter belongs in the queue."""
    row = conn.execute(
        "SELECT r.cycle_id, COALESCE(r.code, ''), COALESCE(p.walk_order, 0) FROM meters m"
        " LEFT JOIN premises p ON p.id = m.premise_id LEFT JOIN routes r ON r.id = p.route_id"
        " WHERE m.id = ?", (meter_id,)).fetchone()
    return ExceptionPlace(read_id, meter_id, account_id, row[0] or 0, row[1], row[2], day,
                          import_id=import_id)


def close_value_exceptions(conn: sqlite3.Connection, read_id: int, disposition: str, *,
                           actor: str, at: str, comment: str, skip: int | None = None) -> None:
    """Resolve the other unresolved value-rule exceptions of a read whose value changed."""
    for row in conn.execute("SELECT * FROM read_exceptions WHERE read_id = ? AND status IN"
                            " ('open', 'waiting') AND id IS NOT ?", (read_id, skip)).fetchall():
        if row["rule_id"] in VALUE_RULES:
            set_status(conn, row, "resolved", disposition, actor=actor, at=at,
                       comment=f"{comment} (read changed)")


def reaudit(conn: sqlite3.Connection, read_id: int, *, actor: str, at: str,
            ignore: frozenset[str] = frozenset()) -> tuple[Finding, ...]:
    """Audit a read's value again and queue what it still fails (minus `ignore`)."""
    policy = read_audit_policy(load_settings(conn))
    case = stored_read_case(conn, read_id)
    found = tuple(f for f in audit_value(case, policy) if f.rule_id not in ignore)
    read = conn.execute("SELECT meter_id, account_id, import_id FROM meter_reads WHERE id = ?",
                        (read_id,)).fetchone()
    place = place_of(conn, read["meter_id"], read["account_id"], case.day, read_id,
                     read["import_id"])
    insert_exceptions(conn, [(place, f) for f in found], actor=actor, at=at)
    return found


def change_read(conn: sqlite3.Connection, read_id: int, *, reading: int, reason: str,
                actor: str, at: str, exception_id: int | None, read_on: date | None = None,
                kind: str | None = None, meter_id: int | None = None,
                estimate_method: str | None = None) -> dict[str, Any]:
    """Change a stored read, keeping the value before in read_edits and the audit log."""
    old = conn.execute("SELECT * FROM meter_reads WHERE id = ?", (read_id,)).fetchone()
    new = {"reading": reading, "read_on": (read_on.isoformat() if read_on else old["read_on"]),
           "kind": kind or old["kind"], "meter_id": meter_id or old["meter_id"]}
    conn.execute(
        "UPDATE meter_reads SET reading = ?, read_on = ?, kind = ?, meter_id = ?,"
        " estimate_method = ? WHERE id = ?",
        (new["reading"], new["read_on"], new["kind"], new["meter_id"],
         estimate_method if estimate_method is not None else old["estimate_method"], read_id))
    conn.execute(
        "INSERT INTO read_edits (read_id, exception_id, old_reading, new_reading, old_read_on,"
        " new_read_on, old_kind, new_kind, old_meter_id, new_meter_id, reason, actor, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (read_id, exception_id, old["reading"], new["reading"], old["read_on"], new["read_on"],
         old["kind"], new["kind"], old["meter_id"], new["meter_id"], reason, actor, at))
    before = {k: old[k] for k in new}
    audit.record(conn, at=at, actor=actor, action="meter_read.edit", object_type="meter_read",
                 object_id=read_id, before=before, after={**new, "reason": reason})
    return {"read_id": read_id, "before": before, "after": new}


def _dials(conn: sqlite3.Connection, meter_id: int) -> int:
    return int(conn.execute("SELECT dials FROM meters WHERE id = ?", (meter_id,)).fetchone()[0])


def accept(conn: sqlite3.Connection, exception_id: int, *, actor: str, at: str,
           comment: str = "", version: int | None = None) -> Disposed:
    """The read stands as it is: bill it."""
    with write_transaction(conn):
        row = claim(conn, exception_id, version)
        set_status(conn, row, "resolved", "accept", actor=actor, at=at, comment=comment)
    return Disposed(f"Exception {exception_id} ({row['rule_id']}) accepted: the read stands.")


def edit_reading(conn: sqlite3.Connection, exception_id: int, *, reading: int, reason: str,
                 actor: str, at: str, version: int | None = None) -> Disposed:
    """Correct the reading (a reason is required; the original is kept), then audit it again."""
    if not reason.strip():
        raise InputError(InputProblem("a reason is required to edit a reading", field="reason"))
    with write_transaction(conn):
        row = claim(conn, exception_id, version)
        if row["read_id"] is None:
            raise InputError(InputProblem(
                f"exception {exception_id} has no read to edit (the meter was not read); "
                "estimate it or order a re-read", field="exception"))
        dials = _dials(conn, row["meter_id"])
        if not 0 <= reading < 10 ** dials:
            raise InputError(InputProblem(f"{reading} does not fit the meter's {dials} dials",
                                          field="reading"))
        change = change_read(conn, row["read_id"], reading=reading, reason=reason, actor=actor,
                             at=at, exception_id=exception_id)
        set_status(conn, row, "resolved", "edit", actor=actor, at=at, comment=reason,
                   details=change)
        close_value_exceptions(conn, row["read_id"], "edit", actor=actor, at=at, comment=reason,
                               skip=exception_id)
        found = reaudit(conn, row["read_id"], actor=actor, at=at)
    return Disposed(f"Reading changed from {change['before']['reading']} to {reading} "
                    f"(original kept in the edit history).", found, read_id=row["read_id"])


def estimate(conn: sqlite3.Connection, exception_id: int, *, method: EstimateMethod,
             actor: str, at: str, comment: str = "", version: int | None = None) -> Disposed:
    """Put an estimate on the read (or the missing read), by a named method; bills say ESTIMATED."""
    with write_transaction(conn):
        row = claim(conn, exception_id, version)
        policy = read_audit_policy(load_settings(conn))
        day = date.fromisoformat(row["read_on"])
        case = audit_case(conn, meter_id=row["meter_id"], account_id=row["account_id"], day=day,
                          reading=None)
        made = estimated_reading(read_facts(case), method, policy.expected_periods)
        if made is None:
            raise InputError(InputProblem(
                f"there is no history to estimate from by the {method.describe()}; order a "
                "re-read instead", field="method"))
        value, expected = made
        reason = f"estimated: {method.describe()} ({expected.basis})"
        if row["read_id"] is not None:
            change_read(conn, row["read_id"], reading=value, reason=reason, actor=actor, at=at,
                        exception_id=exception_id, kind="estimated",
                        estimate_method=method.value)
            read_id = int(row["read_id"])
        else:
            read_id = int(conn.execute(
                "INSERT INTO meter_reads (meter_id, account_id, read_on, reading, kind, source,"
                " created_by, created_at, read_method, estimate_method) VALUES"
                " (?, ?, ?, ?, 'estimated', ?, ?, ?, 'ESTIMATE', ?)",
                (row["meter_id"], row["account_id"], row["read_on"], value,
                 f"estimate for exception {exception_id}", actor, at, method.value)).lastrowid
                or 0)
        details = {"read_id": read_id, "reading": value, "method": method.value,
                   "expected_usage": expected.usage, "basis": expected.basis}
        set_status(conn, row, "resolved", "estimate", actor=actor, at=at,
                   comment=comment or reason, details=details)
        close_value_exceptions(conn, read_id, "estimate", actor=actor, at=at, comment=reason,
                               skip=exception_id)
        # The clerk chose the usage: only the estimate count can still fail.
        found = reaudit(conn, read_id, actor=actor, at=at,
                        ignore=frozenset({"HIGH", "LOW", "ZERO", "STUCK"}))
    return Disposed(f"Estimated reading {value} ({method.describe()}: usage "
                    f"{expected.usage}); the bill will say ESTIMATED.", found, read_id=read_id,
                    details=details)


def order_work(conn: sqlite3.Connection, exception_id: int, order_type: WorkOrderType, *,
               actor: str, at: str, reason: str = "", version: int | None = None) -> Disposed:
    """Send someone to re-read or check the meter; the exception waits for the order."""
    if order_type not in (WorkOrderType.REREAD, WorkOrderType.METER_CHECK):
        raise InputError(InputProblem(f"{order_type.value} is not a field order",
                                      field="order"))
    from db.work_orders import create_work_order

    with write_transaction(conn):
        row = claim(conn, exception_id, version)
        why = reason.strip() or f"{row['rule_id']}: {row['explanation']}"
        order_id = create_work_order(conn, order_type, account_id=row["account_id"],
                                     meter_id=row["meter_id"], exception_id=exception_id,
                                     reason=why, actor=actor, at=at)
        set_status(conn, row, "waiting", order_type.value, actor=actor, at=at, comment=why,
                   work_order_id=order_id)
    return Disposed(f"Work order {order_id} ({order_type.describe()}) created; the account stays "
                    "held until it is done.", work_order_id=order_id)


def leak_letter(conn: sqlite3.Connection, exception_id: int, *, actor: str, at: str,
                comment: str = "", version: int | None = None) -> Disposed:
    """Bill the read as it is and queue a leak letter to the customer."""
    from db.work_orders import create_work_order

    with write_transaction(conn):
        row = claim(conn, exception_id, version)
        if row["account_id"] is None:
            raise InputError(InputProblem("a vacant premise has no customer to write to",
                                          field="exception"))
        why = comment.strip() or f"{row['rule_id']}: {row['explanation']}"
        order_id = create_work_order(conn, WorkOrderType.LEAK_LETTER,
                                     account_id=row["account_id"], meter_id=row["meter_id"],
                                     exception_id=exception_id, reason=why, actor=actor, at=at)
        set_status(conn, row, "resolved", "leak_letter", actor=actor, at=at, comment=why,
                   work_order_id=order_id)
    return Disposed(f"Leak letter queued as work order {order_id}; the read stands.",
                    work_order_id=order_id)
