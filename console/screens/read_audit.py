"""Read audit: the queue of read exceptions, errors first then route order, one key per
disposition, and a detail pane with the rule's sentence, expected against actual and the
13-period usage chart. Pages of the queue carry their details, so moving never waits.
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

from console.messages import ReadExceptionWorked, ReadsImported
from console.screens.read_queue_forms import (
    change_out_form,
    edit_form,
    filter_form,
    import_form,
)
from console.session import now_stamp
from console.widgets.forms import ChoiceModal
from console.widgets.paged_table import Column, PagedRow, PagedTable
from console.widgets.usage_chart import UsageBar, UsageChart
from console.worker_errors import ReportsWorkerErrors
from db.read_exceptions import ExceptionView, QueueFilter, count_queue, queue_views


class ExceptionQueueSource:
    """The exception queue for the paged table; each row carries its ExceptionView."""

    columns = (Column("Sev", 5), Column("Rule", 10), Column("Verdict", 16), Column("Route", 7),
               Column("Seq", 4, "right"), Column("Account", 10), Column("Actual", 6, "right"),
               Column("Expect", 6, "right"))

    def __init__(self, queue: QueueFilter) -> None:
        self.queue = queue

    def count(self, conn: sqlite3.Connection) -> int:
        return count_queue(conn, self.queue)

    def page(self, conn: sqlite3.Connection, *, after: str | None, offset: int,
             limit: int) -> list[PagedRow]:
        def num(value: int | None) -> str:
            return "" if value is None else str(value)

        return [PagedRow(str(v.id), ("ERROR" if v.severity == "error" else "WARN", v.rule_id,
                                     v.verdict, v.route_code, str(v.walk_order),
                                     v.account_number or "(vacant)", num(v.actual),
                                     num(v.expected)), v)
                for v in queue_views(conn, self.queue, offset=offset, limit=limit)]


class ReadAuditScreen(ReportsWorkerErrors, Screen[None]):
    """The clerk's triage queue of read exceptions."""

    CSS_PATH = "read_audit.tcss"
    BINDINGS = [
        Binding("a", "accept", "Accept", id="reads.accept"),
        Binding("e", "edit", "Edit", id="reads.edit"),
        Binding("s", "estimate", "Estimate", id="reads.estimate"),
        Binding("r", "order", "Re-read", id="reads.reread"),
        Binding("m", "meter_change", "Meter change", id="reads.meter_change"),
        Binding("l", "leak_letter", "Leak letter", id="reads.leak_letter"),
        Binding("w", "work_orders", "Work orders", id="reads.work_orders", show=False),
        Binding("slash,f", "filter", "Filter", id="reads.filter", show=False),
        Binding("i", "import_file", "Import file", id="reads.import", show=False),
        Binding("ctrl+r", "reload", "Refresh", id="reads.refresh", show=False),
        Binding("escape", "app.pop_screen", "Back", id="reads.back", show=False),
    ]

    def __init__(self, queue: QueueFilter | None = None) -> None:
        super().__init__()
        self.queue = queue or QueueFilter()

    def compose(self) -> ComposeResult:
        yield Label("Read audit", id="reads-title", markup=False)
        yield PagedTable(ExceptionQueueSource(self.queue), self.app.connect,  # type: ignore[attr-defined]
                         id="reads-queue")
        with Vertical(id="reads-detail"):
            yield Static("Loading the queue…", id="reads-head", markup=False)
            yield Static("", id="reads-explain", markup=False)
            yield Static("", id="reads-numbers", markup=False)
            yield UsageChart(id="reads-chart")
        yield Static("/ filter · i import · w work orders · Enter opens the account · F1 keys",
                     id="reads-status", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    @property
    def table(self) -> PagedTable:
        return self.query_one("#reads-queue", PagedTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.watch(self.table, "cursor", self._cursor_moved, init=False)
        self._show_title()

    # -- the queue and the detail pane -------------------------------------------------------
    def _show_title(self) -> None:
        count = self.table.row_count
        counted = "…" if count < 0 else f"{count:,}"
        self.query_one("#reads-title", Label).update(
            f"Read audit — {counted} {self.queue.text()} — errors first, then route order")

    @on(PagedTable.CountLoaded)
    def _counted(self) -> None:
        self._show_title()
        self._show_detail()

    @on(PagedTable.PageLoaded)
    def _page_arrived(self) -> None:
        self._show_detail()

    def _cursor_moved(self, _cursor: int) -> None:
        self._show_detail()

    def current(self) -> ExceptionView | None:
        table = self.table
        if table.row_count <= 0:
            return None
        row = table.row_at(table.cursor)
        return row.detail if row is not None else None

    def _show_detail(self) -> None:
        view = self.current()
        head = self.query_one("#reads-head", Static)
        explain = self.query_one("#reads-explain", Static)
        numbers = self.query_one("#reads-numbers", Static)
        chart = self.query_one("#reads-chart", UsageChart)
        if view is None:
            empty = self.table.row_count == 0
            head.update("The queue is empty: no exceptions match." if empty else "Loading…")
            explain.update("")
            numbers.update("")
            chart.update("")
            return
        who = view.account_number or "vacant premise (no account)"
        name = f" {view.customer_name}" if view.customer_name else ""
        state = "" if view.status == "open" else f" {view.status.upper()}"
        head.update(f"#{view.id} {view.rule_id} {view.severity.upper()}{state} · {who}{name}"
                    f" · {view.address}")
        explain.update(view.explanation)
        numbers.update(_numbers_line(view))
        chart.show(_bars(view), current="this read", unit=view.unit)

    # -- dispositions ------------------------------------------------------------------------
    def _who(self) -> dict[str, str]:
        return {"actor": self.app.session.user.login, "at": now_stamp()}  # type: ignore[attr-defined]

    def _selected(self) -> ExceptionView | None:
        view = self.current()
        if view is None:
            self.query_one("#reads-status", Static).update("No exception is selected.")
        return view

    @work(thread=True, exclusive=True, group="reads-dispose", exit_on_error=False)
    def _dispose(self, action: Callable[[sqlite3.Connection], Any]) -> None:
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            done = action(conn)
        self.post_message(ReadExceptionWorked(done.summary()))

    @on(ReadExceptionWorked)
    def _worked(self, event: ReadExceptionWorked) -> None:
        self.query_one("#reads-status", Static).update(event.message)
        self.table.reload()

    def action_accept(self) -> None:
        from db.read_dispositions import accept

        if view := self._selected():
            self._dispose(lambda conn: accept(conn, view.id, version=view.version,
                                              **self._who()))

    def action_leak_letter(self) -> None:
        from db.read_dispositions import leak_letter

        if view := self._selected():
            self._dispose(lambda conn: leak_letter(conn, view.id, version=view.version,
                                                   **self._who()))

    def action_edit(self) -> None:
        from db.read_dispositions import edit_reading

        view = self._selected()
        if view is None:
            return

        def chosen(result: tuple[int, str] | None) -> None:
            if result is not None:
                self._dispose(lambda conn: edit_reading(
                    conn, view.id, reading=result[0], reason=result[1], version=view.version,
                    **self._who()))

        self.app.push_screen(edit_form(view), chosen)

    def action_estimate(self) -> None:
        from core.reads import EstimateMethod
        from db.read_dispositions import estimate

        view = self._selected()
        if view is None:
            return

        def chosen(method: str | None) -> None:
            if method is not None:
                self._dispose(lambda conn: estimate(
                    conn, view.id, method=EstimateMethod(method), version=view.version,
                    **self._who()))

        self.app.push_screen(ChoiceModal(
            f"Estimate exception #{view.id} — the bill will say ESTIMATED",
            [("last3", "Average of the last 3 actual periods"),
             ("last_year", "Same period last year")]), chosen)

    def action_order(self) -> None:
        from core.work_orders import WorkOrderType
        from db.read_dispositions import order_work

        view = self._selected()
        if view is None:
            return

        def chosen(kind: str | None) -> None:
            if kind is not None:
                self._dispose(lambda conn: order_work(
                    conn, view.id, WorkOrderType(kind), version=view.version, **self._who()))

        self.app.push_screen(ChoiceModal(
            f"Work order for exception #{view.id} (the account stays held until it is done)",
            [("reread", "Re-read the meter"), ("meter_check", "Check the meter")]), chosen)

    def action_meter_change(self) -> None:
        from db.meter_changes import record_change_out

        view = self._selected()
        if view is None:
            return

        def chosen(entry: Any) -> None:
            if entry is not None:
                self._dispose(lambda conn: record_change_out(
                    conn, view.id, entry, version=view.version, **self._who()))

        self.app.push_screen(change_out_form(view), chosen)

    # -- filter, import, open ----------------------------------------------------------------
    def action_filter(self) -> None:
        def chosen(queue: QueueFilter | None) -> None:
            if queue is not None:
                self.queue = queue
                self.table.source = ExceptionQueueSource(queue)
                self.table.cursor = 0
                self.table.row_count = -1
                self._show_title()
                self.table.reload()

        self.app.push_screen(filter_form(self.queue), chosen)

    def action_import_file(self) -> None:
        def chosen(request: Any) -> None:
            if request is not None:
                self._import(*request)

        self.app.push_screen(import_form(), chosen)

    @work(thread=True, exclusive=True, group="reads-import", exit_on_error=False)
    def _import(self, path: Any, cycle: int | None, encoding: str) -> None:
        from db.read_import import import_reads

        session = self.app.session  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            result = import_reads(conn, path, today=session.today, cycle_id=cycle,
                                  encoding=encoding, name=str(path), **self._who())
            self.post_message(ReadsImported(result.headline()))

    @on(ReadsImported)
    def _imported(self, event: ReadsImported) -> None:
        self.query_one("#reads-status", Static).update(event.summary)
        self.table.reload()

    def action_reload(self) -> None:
        self.table.reload()

    def action_work_orders(self) -> None:
        """Over the queue, so Esc comes back to it (an order's result changes the queue)."""
        from console.screens.work_orders import WorkOrdersScreen

        self.app.push_screen(WorkOrdersScreen())

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.table.reload()

    @on(PagedTable.RowChosen)
    def _open_account(self, event: PagedTable.RowChosen) -> None:
        view = self.current()
        if view is not None and view.account_number:
            self.app.open_account(view.account_number)  # type: ignore[attr-defined]


def _numbers_line(view: ExceptionView) -> str:
    if view.read_id is None:
        read = f"Not read (skip {view.skip_code})" if view.skip_code else "Not read"
    else:
        method = f" {view.read_method}" if view.read_method else ""
        kind = " ESTIMATED" if view.kind == "estimated" else ""
        read = f"Read {view.reading}{kind}{method} {view.read_on.isoformat()}"
    parts = [read]
    if view.expected is not None:
        parts.append(f"expected {view.expected}")
    if view.actual is not None:
        parts.append(f"actual {view.actual}")
    if view.threshold:
        parts.append(f"limit {view.threshold}")
    parts.append(view.serial)
    if view.source_line:
        parts.append(f"file line {view.source_line}")
    return " · ".join(parts)


def _bars(view: ExceptionView) -> list[UsageBar]:
    bars = [UsageBar(end, usage, estimated) for end, usage, estimated in view.history]
    if view.read_id is None or (view.rule_id == "NEGATIVE" and view.verdict != "rollover"):
        # This period's usage is not known: no read, or a reading that went down.
        if bars and bars[-1].end == view.read_on:
            bars[-1] = UsageBar(view.read_on, None)
        else:
            bars.append(UsageBar(view.read_on, None))
    return bars[-13:]
