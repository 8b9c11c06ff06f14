"""Work orders: create, list, schedule, complete with a result reading, cancel.

Completing a re-read or meter check with a reading puts that reading on the read it was
ordered for (the original kept in the edit history) and audits it again; without a reading,
or on cancel, the exception goes back to the queue for a clerk to decide.
"""
from __future__ import annotations

import sqlite3
from datetime import date

from core.errors import InputError, InputProblem
from core.work_orders import WorkOrderStatus, WorkOrderType, check_transition
from db import audit
from db.read_dispositions import (
    Disposed,
    change_read,
    claim,
    close_value_exceptions,
    reaudit,
    set_status,
)
from db.transaction import write_transaction

LIST_SQL = """
SELECT w.id, w.order_type, w.status, w.reason, w.scheduled_on, w.result_reading, w.result_note,
       w.created_by, w.created_at, w.updated_by, w.updated_at, w.done_by, w.done_at,
       w.exception_id, w.meter_id, w.account_id, a.number AS account_number,
       m.serial, COALESCE(r.code, '') AS route_code, p.line1 AS address
  FROM work_orders w
  LEFT JOIN accounts a ON a.id = w.account_id
  LEFT JOIN meters m ON m.id = w.meter_id
  LEFT JOIN premises p ON p.id = m.premise_id
  LEFT JOIN routes r ON r.id = p.route_id
"""


def create_work_order(conn: sqlite3.Connection, order_type: WorkOrderType, *,
                      account_id: int | None, meter_id: int | None, exception_id: int | None,
                      reason: str, actor: str, at: str) -> int:
    """A new open order; the caller owns the transaction."""
    order_id = int(conn.execute(
        "INSERT INTO work_orders (order_type, account_id, meter_id, exception_id, reason,"
        " created_by, created_at, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (order_type.value, account_id, meter_id, exception_id, reason, actor, at, actor,
         at)).lastrowid or 0)
    audit.record(conn, at=at, actor=actor, action="work_order.create", object_type="work_order",
                 object_id=order_id, after={"type": order_type.value, "reason": reason,
                                            "exception": exception_id})
    return order_id


def list_work_orders(conn: sqlite3.Connection, status: str | None = None,
                     limit: int = 2000) -> list[sqlite3.Row]:
    """Orders, newest first; by status when given."""
    if status:
        return conn.execute(f"{LIST_SQL} WHERE w.status = ? ORDER BY w.id DESC LIMIT ?",
                            (status, limit)).fetchall()
    return conn.execute(f"{LIST_SQL} ORDER BY w.id DESC LIMIT ?", (limit,)).fetchall()


PAGE_SQL = """
SELECT w.id, w.order_type, w.status, w.reason, w.scheduled_on, w.result_reading, w.result_note,
       w.created_by, w.created_at, w.updated_by, w.updated_at, w.done_by, w.done_at,
       w.exception_id, a.number AS account_number, m.serial, m.dials, p.line1 AS address,
       e.rule_id AS exception_rule, e.status AS exception_status
  FROM work_orders w
  LEFT JOIN accounts a ON a.id = w.account_id
  LEFT JOIN meters m ON m.id = w.meter_id
  LEFT JOIN premises p ON p.id = m.premise_id
  LEFT JOIN read_exceptions e ON e.id = w.exception_id
"""


def _status_clause(statuses: tuple[str, ...]) -> str:
    return f"w.status IN ({', '.join('?' * len(statuses))})" if statuses else "1"


def count_work_orders(conn: sqlite3.Connection, statuses: tuple[str, ...] = ()) -> int:
    """How many orders have one of `statuses` (all orders when none are given)."""
    return int(conn.execute(f"SELECT count(*) FROM work_orders w WHERE {_status_clause(statuses)}",
                            statuses).fetchone()[0])


def work_order_page(conn: sqlite3.Connection, statuses: tuple[str, ...] = (), *,
                    after: int | None = None, offset: int = 0,
                    limit: int = 200) -> list[sqlite3.Row]:
    """One page of orders, newest first, by keyset after order `after` (else by offset)."""
    where = _status_clause(statuses)
    if after is not None:
        return conn.execute(f"{PAGE_SQL} WHERE {where} AND w.id < ? ORDER BY w.id DESC LIMIT ?",
                            (*statuses, after, limit)).fetchall()
    return conn.execute(f"{PAGE_SQL} WHERE {where} ORDER BY w.id DESC LIMIT ? OFFSET ?",
                        (*statuses, limit, offset)).fetchall()


def _order(conn: sqlite3.Connection, order_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM work_orders WHERE id = ?", (order_id,)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"there is no work order {order_id}", field="order"))
    return row


def _move(conn: sqlite3.Connection, row: sqlite3.Row, status: WorkOrderStatus, *, actor: str,
          at: str, **columns: object) -> None:
    check_transition(row["id"], row["status"], status)
    sets = ", ".join(f"{name} = ?" for name in columns)
    conn.execute(
        f"UPDATE work_orders SET status = ?, updated_by = ?, updated_at = ?,"
        f" version = version + 1{', ' + sets if sets else ''} WHERE id = ?",
        (status.value, actor, at, *columns.values(), row["id"]))
    audit.record(conn, at=at, actor=actor, action=f"work_order.{status.value}",
                 object_type="work_order", object_id=row["id"],
                 before={"status": row["status"]}, after={"status": status.value, **columns})


def schedule(conn: sqlite3.Connection, order_id: int, on: date, *, actor: str, at: str) -> None:
    with write_transaction(conn):
        _move(conn, _order(conn, order_id), WorkOrderStatus.SCHEDULED, actor=actor, at=at,
              scheduled_on=on.isoformat())


def cancel(conn: sqlite3.Connection, order_id: int, *, reason: str, actor: str,
           at: str) -> Disposed:
    """Cancel an order; an exception waiting on it goes back to the queue."""
    if not reason.strip():
        raise InputError(InputProblem("a reason is required to cancel a work order",
                                      field="reason"))
    with write_transaction(conn):
        row = _order(conn, order_id)
        _move(conn, row, WorkOrderStatus.CANCELLED, actor=actor, at=at, result_note=reason)
        reopened = _reopen(conn, row, "order_cancelled", reason, actor, at)
    return Disposed(f"Work order {order_id} cancelled."
                    + (" Its exception is back in the queue." if reopened else ""))


def _reopen(conn: sqlite3.Connection, order: sqlite3.Row, disposition: str, comment: str,
            actor: str, at: str) -> bool:
    if order["exception_id"] is None:
        return False
    exception = conn.execute("SELECT * FROM read_exceptions WHERE id = ?",
                             (order["exception_id"],)).fetchone()
    if exception["status"] != "waiting":
        return False
    set_status(conn, exception, "open", disposition, actor=actor, at=at, comment=comment,
               work_order_id=order["id"])
    return True


def complete(conn: sqlite3.Connection, order_id: int, *, done_on: date, actor: str, at: str,
             reading: int | None = None, note: str = "") -> Disposed:
    """Mark an order done; a reading from a re-read or check replaces the disputed one."""
    with write_transaction(conn):
        order = _order(conn, order_id)
        _move(conn, order, WorkOrderStatus.DONE, actor=actor, at=at, result_reading=reading,
              result_note=note, done_by=actor, done_at=at)
        waiting = None
        if order["exception_id"] is not None:
            waiting = conn.execute("SELECT * FROM read_exceptions WHERE id = ?",
                                   (order["exception_id"],)).fetchone()
        if waiting is None or waiting["status"] != "waiting":
            return Disposed(f"Work order {order_id} done.")
        if reading is None:
            _reopen(conn, order, "order_done", note or "done without a reading", actor, at)
            return Disposed(f"Work order {order_id} done without a reading; exception "
                            f"{waiting['id']} is back in the queue.")
        return _apply_result(conn, order, claim(conn, waiting["id"], statuses=("waiting",)),
                             reading, done_on, note, actor, at)


def _apply_result(conn: sqlite3.Connection, order: sqlite3.Row, exception: sqlite3.Row,
                  reading: int, done_on: date, note: str, actor: str, at: str) -> Disposed:
    dials = conn.execute("SELECT dials FROM meters WHERE id = ?",
                         (exception["meter_id"],)).fetchone()[0]
    if not 0 <= reading < 10 ** dials:
        raise InputError(InputProblem(f"{reading} does not fit the meter's {dials} dials",
                                      field="reading"))
    reason = f"{order['order_type']} by work order {order['id']}" + (f": {note}" if note else "")
    if exception["read_id"] is not None:
        read_id = int(exception["read_id"])
        change_read(conn, read_id, reading=reading, reason=reason, actor=actor, at=at,
                    exception_id=exception["id"], read_on=done_on, kind="actual",
                    estimate_method="")
    else:
        read_id = int(conn.execute(
            "INSERT INTO meter_reads (meter_id, account_id, read_on, reading, kind, source,"
            " created_by, created_at, read_method) VALUES (?, ?, ?, ?, 'actual', ?, ?, ?,"
            " 'MANUAL')", (exception["meter_id"], exception["account_id"], done_on.isoformat(),
                           reading, f"work order {order['id']}", actor, at)).lastrowid or 0)
    set_status(conn, exception, "resolved", "order_done", actor=actor, at=at, comment=reason,
               details={"read_id": read_id, "reading": reading}, work_order_id=order["id"])
    close_value_exceptions(conn, read_id, "order_done", actor=actor, at=at, comment=reason,
                           skip=exception["id"])
    found = reaudit(conn, read_id, actor=actor, at=at)
    return Disposed(f"Work order {order['id']} done: reading {reading} on "
                    f"{done_on.isoformat()} replaces the disputed read.", found, order["id"],
                    read_id)
