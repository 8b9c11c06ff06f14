"""Work orders: re-reads, meter checks, change-outs and leak letters, paged from SQLite, with
one key each to schedule, complete (with the field's reading) and cancel, through the same
`db.work_orders` functions as `meterline workorders`.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from textual import on
from textual.binding import Binding
from textual.screen import Screen

from console.messages import WorkOrderChanged
from console.screens.register_screen import (
    RegisterScreen,
    Row,
    StatusFilters,
    register_keys,
    short_stamp,
)
from console.session import now_stamp
from console.widgets.paged_table import Column, PagedRow
from core.work_orders import NEXT_STATUSES, WorkOrderStatus
from db.work_orders import count_work_orders, work_order_page

TYPE_WORDS = {"reread": "RE-READ", "meter_check": "METER CHECK", "meter_change": "CHANGE-OUT",
              "leak_letter": "LEAK LETTER"}
# The status filter `f` cycles through: what is still to do first.
STATUS_FILTERS: StatusFilters = (
    ("open and scheduled", ("open", "scheduled")), ("all", ()), ("done", ("done",)),
    ("cancelled", ("cancelled",)))


def status_day(order: Any) -> str:
    """The day that goes with the order's status: scheduled for, done, cancelled or created."""
    if order["status"] == "scheduled" and order["scheduled_on"]:
        return str(order["scheduled_on"])
    if order["status"] == "done" and order["done_at"]:
        return str(order["done_at"])[:10]
    if order["status"] == "cancelled":
        return str(order["updated_at"])[:10]
    return str(order["created_at"])[:10]


class WorkOrderSource:
    """Work orders with the chosen statuses, newest first; each row carries its order."""

    columns = (Column("Order", 5, "right"), Column("Type", 11), Column("Status", 9),
               Column("Account", 10), Column("Meter", 12), Column("Reason", 14),
               Column("Date", 10))

    def __init__(self, statuses: tuple[str, ...]) -> None:
        self.statuses = statuses

    def count(self, conn: sqlite3.Connection) -> int:
        return count_work_orders(conn, self.statuses)

    def page(self, conn: sqlite3.Connection, *, after: str | None, offset: int,
             limit: int) -> list[PagedRow]:
        rows = work_order_page(conn, self.statuses, after=None if after is None else int(after),
                               offset=offset, limit=limit)
        return [PagedRow(str(r["id"]), (str(r["id"]), TYPE_WORDS[r["order_type"]],
                                        r["status"].upper(), r["account_number"] or "(vacant)",
                                        r["serial"] or "", r["reason"], status_day(r)), dict(r))
                for r in rows]


class WorkOrdersScreen(RegisterScreen):
    """The office's list of field work: find an order, schedule it, record what was found."""

    CSS_PATH = ["register_screen.tcss", "work_orders.tcss"]
    BINDINGS = [
        Binding("s", "schedule", "Schedule", id="workorders.schedule"),
        Binding("d", "done", "Done", id="workorders.done"),
        Binding("c", "cancel_order", "Cancel order", id="workorders.cancel"),
        *register_keys("workorders"),
    ]
    NAME = "Work orders"
    PREFIX = "orders"
    FILTERS = STATUS_FILTERS
    PANE = ("head", "reason", "history", "exception")
    LOADING = "Loading the work orders…"
    EMPTY = "No work orders match this filter; f shows another."
    HINT = "f status filter · Enter opens the account · F1 every key"
    NONE_SELECTED = "No work order is selected."

    def page_source(self, statuses: tuple[str, ...]) -> WorkOrderSource:
        return WorkOrderSource(statuses)

    def pane_lines(self, row: Row) -> list[str]:
        return detail_lines(row)

    def changed(self, said: str) -> WorkOrderChanged:
        return WorkOrderChanged(said)

    @on(WorkOrderChanged)
    def _changed(self, event: WorkOrderChanged) -> None:
        self.stored(event.message)

    # -- schedule, done, cancel --------------------------------------------------------------
    def _who(self) -> dict[str, str]:
        return {"actor": self.app.session.user.login, "at": now_stamp()}  # type: ignore[attr-defined]

    def _ask(self, wanted: WorkOrderStatus, form: Callable[[Row], Screen[Any]],
             store: Callable[[sqlite3.Connection, int, Any, dict[str, str]], str]) -> None:
        """Open the order's dialog; what it returns is stored by `store` in a worker."""
        self.act_on_selected(lambda order: _final(order, wanted), form,
                             lambda conn, order, answer: store(conn, order["id"], answer,
                                                               self._who()))

    def action_schedule(self) -> None:
        from console.screens.work_order_forms import schedule_form

        self._ask(WorkOrderStatus.SCHEDULED, lambda order: schedule_form(order, self._today()),
                  _schedule)

    def action_done(self) -> None:
        from console.screens.work_order_forms import done_form

        self._ask(WorkOrderStatus.DONE, lambda order: done_form(order, self._today()),
                  _complete)

    def action_cancel_order(self) -> None:
        from console.screens.work_order_forms import cancel_form

        self._ask(WorkOrderStatus.CANCELLED, cancel_form, _cancel)

    def _today(self) -> Any:
        return self.app.session.today  # type: ignore[attr-defined]


def _final(order: Row, wanted: WorkOrderStatus) -> str | None:
    """Why the order may not become `wanted` (done and cancelled are final), or None."""
    if wanted in NEXT_STATUSES[WorkOrderStatus(order["status"])]:
        return None
    return (f"Work order {order['id']} is {order['status'].upper()}: done and cancelled orders"
            " are final. Nothing was changed.")


def _schedule(conn: sqlite3.Connection, order_id: int, on_day: Any, who: dict[str, str]) -> str:
    from db.work_orders import schedule

    schedule(conn, order_id, on_day, **who)
    return f"Work order {order_id} scheduled for {on_day.isoformat()}."


def _complete(conn: sqlite3.Connection, order_id: int, result: Any, who: dict[str, str]) -> str:
    from db.work_orders import complete

    return complete(conn, order_id, done_on=result.done_on, reading=result.reading,
                    note=result.note, **who).summary()


def _cancel(conn: sqlite3.Connection, order_id: int, reason: str, who: dict[str, str]) -> str:
    from db.work_orders import cancel

    return cancel(conn, order_id, reason=reason, **who).summary()


def detail_lines(order: dict[str, Any]) -> list[str]:
    """Four lines for the current order: what and where, why, who and when, its exception."""
    where = " · ".join(part for part in (
        f"account {order['account_number']}" if order["account_number"] else "vacant premise",
        f"meter {order['serial']}" if order["serial"] else "", order["address"] or "") if part)
    state = order["status"].upper()
    if order["status"] == "scheduled":
        state += f" for {order['scheduled_on']}"
    head = f"#{order['id']} {TYPE_WORDS[order['order_type']]} {state} · {where}"
    history = f"Created by {order['created_by']} {short_stamp(order['created_at'])}"
    if order["status"] == "done":
        reading = ("no reading" if order["result_reading"] is None
                   else f"reading {order['result_reading']}")
        history += f" · DONE by {order['done_by']} {short_stamp(order['done_at'])}: {reading}"
    elif order["status"] == "cancelled":
        history += f" · CANCELLED by {order['updated_by']} {short_stamp(order['updated_at'])}"
    if order["result_note"]:
        history += f" · {order['result_note']}"
    if order["exception_id"] is None:
        exception = "Not linked to a read exception."
    else:
        waits = {"waiting": "WAITING on this order (account held)",
                 "open": "OPEN, back in the read audit queue (F5)",
                 "resolved": "RESOLVED"}.get(order["exception_status"] or "", "")
        exception = f"Read exception #{order['exception_id']} {order['exception_rule']}: {waits}"
    return [head, f"Reason: {order['reason']}", history, exception]
