"""Work orders: re-reads, meter checks, change-outs and leak letters, paged from SQLite, with
one key each to schedule, complete (with the field's reading) and cancel, through the same
`db.work_orders` functions as `meterline workorders`.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from console.messages import WorkOrderChanged
from console.session import now_stamp
from console.widgets.paged_table import Column, PagedRow, PagedTable
from console.worker_errors import ReportsWorkerErrors
from core.work_orders import NEXT_STATUSES, WorkOrderStatus
from db.work_orders import count_work_orders, work_order_page

TYPE_WORDS = {"reread": "RE-READ", "meter_check": "METER CHECK", "meter_change": "CHANGE-OUT",
              "leak_letter": "LEAK LETTER"}
# The status filter `f` cycles through: what is still to do first.
STATUS_FILTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
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


class WorkOrdersScreen(ReportsWorkerErrors, Screen[None]):
    """The office's list of field work: find an order, schedule it, record what was found."""

    CSS_PATH = "work_orders.tcss"
    BINDINGS = [
        Binding("s", "schedule", "Schedule", id="workorders.schedule"),
        Binding("d", "done", "Done", id="workorders.done"),
        Binding("c", "cancel_order", "Cancel order", id="workorders.cancel"),
        Binding("f", "next_filter", "Status filter", id="workorders.filter"),
        Binding("ctrl+r", "reload", "Refresh", id="workorders.refresh", show=False),
        Binding("escape", "app.pop_screen", "Back", id="workorders.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter_index = 0

    def compose(self) -> ComposeResult:
        yield Label("Work orders", id="orders-title", markup=False)
        yield PagedTable(WorkOrderSource(STATUS_FILTERS[0][1]),
                         self.app.connect,  # type: ignore[attr-defined]
                         id="orders-list")
        with Vertical(id="orders-detail"):
            yield Static("Loading the work orders…", id="orders-head", markup=False)
            yield Static("", id="orders-reason", markup=False)
            yield Static("", id="orders-history", markup=False)
            yield Static("", id="orders-exception", markup=False)
        yield Static("f status filter · Enter opens the account · F1 every key",
                     id="orders-status", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    @property
    def table(self) -> PagedTable:
        return self.query_one("#orders-list", PagedTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.watch(self.table, "cursor", lambda _cursor: self._show_detail(), init=False)
        self._show_title()

    def on_screen_resume(self) -> None:
        if self.is_mounted:  # an order may have been worked from the CLI or another screen
            self.table.reload()

    # -- the list and the detail -----------------------------------------------------------
    def _show_title(self) -> None:
        count = self.table.row_count
        counted = "…" if count < 0 else f"{count:,}"
        self.query_one("#orders-title", Label).update(
            f"Work orders — {counted} {STATUS_FILTERS[self.filter_index][0].upper()}"
            " — newest first")

    @on(PagedTable.CountLoaded)
    @on(PagedTable.PageLoaded)
    def _rows_arrived(self) -> None:
        self._show_title()
        self._show_detail()

    def current(self) -> dict[str, Any] | None:
        if self.table.row_count <= 0:
            return None
        row = self.table.row_at(self.table.cursor)
        return row.detail if row is not None else None

    def _show_detail(self) -> None:
        order = self.current()
        lines = detail_lines(order) if order else [
            "No work orders match this filter; f shows another."
            if self.table.row_count == 0 else "Loading…", "", "", ""]
        for name, line in zip(("head", "reason", "history", "exception"), lines, strict=True):
            self.query_one(f"#orders-{name}", Static).update(line)

    # -- schedule, done, cancel --------------------------------------------------------------
    def _who(self) -> dict[str, str]:
        return {"actor": self.app.session.user.login, "at": now_stamp()}  # type: ignore[attr-defined]

    def _workable(self, wanted: WorkOrderStatus) -> dict[str, Any] | None:
        """The current order if it may become `wanted` (done and cancelled are final)."""
        order = self.current()
        status = self.query_one("#orders-status", Static)
        if order is None:
            status.update("No work order is selected.")
            return None
        if wanted not in NEXT_STATUSES[WorkOrderStatus(order["status"])]:
            status.update(f"Work order {order['id']} is {order['status'].upper()}: done and "
                          "cancelled orders are final. Nothing was changed.")
            return None
        return order

    @work(thread=True, exclusive=True, group="workorders-change", exit_on_error=False)
    def _change(self, action: Callable[[sqlite3.Connection], str]) -> None:
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            message = action(conn)
        self.post_message(WorkOrderChanged(message))

    @on(WorkOrderChanged)
    def _changed(self, event: WorkOrderChanged) -> None:
        self.query_one("#orders-status", Static).update(event.message)
        self.table.reload()

    def _ask(self, wanted: WorkOrderStatus, form: Callable[[dict[str, Any]], Any],
             store: Callable[[sqlite3.Connection, int, Any, dict[str, str]], str]) -> None:
        """Open the order's dialog; what it returns is stored by `store` in a worker."""
        order = self._workable(wanted)
        if order is None:
            return

        def chosen(answer: Any) -> None:
            if answer is not None:
                self._change(lambda conn: store(conn, order["id"], answer, self._who()))

        self.app.push_screen(form(order), chosen)

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

    # -- filter, refresh, open ---------------------------------------------------------------
    def action_next_filter(self) -> None:
        self.filter_index = (self.filter_index + 1) % len(STATUS_FILTERS)
        self.table.source = WorkOrderSource(STATUS_FILTERS[self.filter_index][1])
        self.table.cursor = 0
        self.table.row_count = -1
        self._show_title()
        self.table.reload()

    def action_reload(self) -> None:
        self.table.reload()

    @on(PagedTable.RowChosen)
    def _open_account(self) -> None:
        order = self.current()
        if order is not None and order["account_number"]:
            self.app.open_account(order["account_number"])  # type: ignore[attr-defined]


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
    history = f"Created by {order['created_by']} {_when(order['created_at'])}"
    if order["status"] == "done":
        reading = ("no reading" if order["result_reading"] is None
                   else f"reading {order['result_reading']}")
        history += f" · DONE by {order['done_by']} {_when(order['done_at'])}: {reading}"
    elif order["status"] == "cancelled":
        history += f" · CANCELLED by {order['updated_by']} {_when(order['updated_at'])}"
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


def _when(stamp: str | None) -> str:
    return (stamp or "")[:16].replace("T", " ")
