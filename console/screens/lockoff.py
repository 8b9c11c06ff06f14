"""Lock-off list (F8): the stored list for a lock-off date, ON LIST first, and for the account
under the cursor every SB 998 gate with pass or fail and why (RULES.md §1.7). `m` makes the
list from the calendar, `p` checks every gate again and prints it, Enter shows the full
explanation, `d` picks another date, `s` runs a delinquency step or opens the field orders
(console/screens/lockoff_steps), `a` puts the account on a payment plan and `e` ends it
(console/screens/lockoff_plans); `o` records the crew's result, `r` reconnects and `c` records
an SB 998 condition (console/screens/lockoff_field).
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Label, Static

from console.screens.lockoff_field import LockoffField
from console.screens.lockoff_plans import LockoffPlans
from console.screens.lockoff_steps import LockoffSteps
from console.session import now_stamp
from console.widgets.paged_table import Column, PagedRow, PagedTable
from console.worker_errors import ReportsWorkerErrors
from core.money import format_money


@dataclass(frozen=True)
class EntryDetail:
    """What the explanation pane shows for one row."""

    number: str
    name: str
    address: str
    past_due_cents: int
    days_past_due: int
    eligible: bool
    gates: list[dict[str, str]]

    def lines(self, *, full: bool = False) -> list[str]:
        """The account and one line per gate; `full` adds the address and each gate's name."""
        status = "ON LIST" if self.eligible else "OFF the list"
        head = (f"{status} · {self.number} {self.name} · past due "
                f"{format_money(self.past_due_cents)}, {self.days_past_due} days")
        if not full:
            return [head] + [f"{g['status']:<4} {g['code']:<4} {g['why']}" for g in self.gates]
        return [head, f"service address: {self.address}", ""] + [
            f"{g['status']:<4} {g['code']:<4} {g['name']}: {g['why']}" for g in self.gates]


class LockoffEntrySource:
    """A stored list's entries for the paged table; each row carries its gates."""

    columns = (Column("Account", 11), Column("Customer", 20), Column("Past due", 10, "right"),
               Column("Days", 4, "right"), Column("Status", 7), Column("Blocked by", 18))

    def __init__(self, list_id: int | None) -> None:
        self.list_id = list_id

    def count(self, conn: sqlite3.Connection) -> int:
        from db.lockoff import count_entries

        return 0 if self.list_id is None else count_entries(conn, self.list_id)

    def page(self, conn: sqlite3.Connection, *, after: str | None, offset: int,
             limit: int) -> list[PagedRow]:
        from db.lockoff import entry_page

        if self.list_id is None:
            return []
        rows = []
        for r in entry_page(conn, self.list_id, after=after, offset=offset, limit=limit):
            detail = EntryDetail(r["number"], r["name"], r["address"], r["past_due_cents"],
                                 r["days_past_due"], bool(r["eligible"]), json.loads(r["gates"]))
            rows.append(PagedRow(r["sort_key"], (
                r["number"], r["name"], format_money(r["past_due_cents"]),
                str(r["days_past_due"]), "ON LIST" if r["eligible"] else "OFF",
                r["blocked_by"] or "-"), detail))
        return rows


@dataclass
class LockoffListLoaded(Message):
    on: date | None
    list_id: int | None
    summary: str


@dataclass
class LockoffListPrinted(Message):
    path: str
    lines: list[str]


class ExplanationModal(ModalScreen[None]):
    """Every gate of one account, in full; Esc or Enter closes."""

    DEFAULT_CSS = """
    ExplanationModal { align: center middle; }
    ExplanationModal > VerticalScroll { width: 78; max-width: 100%; height: 22;
        border: thick $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,enter", "dismiss", "Close", id="lockoff.close_explanation")]

    def __init__(self, detail: EntryDetail) -> None:
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("\n".join(self.detail.lines(full=True)), id="lockoff-explanation",
                         markup=False)
            yield Label("Esc closes. Gates: RULES.md §1.7; N/A = does not apply.", markup=False)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)


class LockoffScreen(LockoffField, LockoffPlans, LockoffSteps, ReportsWorkerErrors,
                    Screen[None]):
    """The lock-off list for one date, with every account's gates."""

    CSS_PATH = "lockoff.tcss"
    BINDINGS = [
        Binding("m", "make", "Make list", id="lockoff.make"),
        Binding("p", "print_list", "Print", id="lockoff.print"),
        Binding("d", "pick_date", "Date", id="lockoff.date"),
        Binding("s", "steps", "Steps", id="lockoff.steps"),
        Binding("a", "plan", "Plan", id="lockoff.plan"),
        Binding("e", "end_plan", "End plan", id="lockoff.plan_end"),
        Binding("o", "order_result", "Crew result", id="lockoff.order_result", show=False),
        Binding("r", "reconnect", "Reconnect", id="lockoff.reconnect", show=False),
        Binding("c", "condition", "SB 998 condition", id="lockoff.condition", show=False),
        Binding("t", "phone_contact", "Phone contact", id="lockoff.phone", show=False),
        Binding("ctrl+r", "reload", "Refresh", id="lockoff.refresh", show=False),
        Binding("escape", "app.pop_screen", "Back", id="lockoff.back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.on_date: date | None = None
        self.list_id: int | None = None
        self.cursor_after_load = 0     # the row to show after the next load (a plan's account)

    def compose(self) -> ComposeResult:
        yield Label("Lock-off list — loading…", id="lockoff-title", markup=False)
        yield PagedTable(LockoffEntrySource(None), self.app.connect,  # type: ignore[attr-defined]
                         id="lockoff-table")
        yield Static("", id="lockoff-detail", markup=False)
        yield Static("m make the list · p print (checks again) · d date · s steps · Enter explains",
                     id="lockoff-status", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    @property
    def table(self) -> PagedTable:
        return self.query_one("#lockoff-table", PagedTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.watch(self.table, "cursor", lambda _c: self._show_detail(), init=False)
        self._load(None)

    # -- workers -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="lockoff", exit_on_error=False)
    def _load(self, on: date | None) -> None:
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            self.post_message(self._state(conn, on))

    @work(thread=True, exclusive=True, group="lockoff", exit_on_error=False)
    def _make(self, on: date) -> None:
        from db.lockoff import make_list

        login = self.app.session.user.login  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            make_list(conn, on, actor=login, at=now_stamp())
            self.post_message(self._state(conn, on))

    def _state(self, conn: sqlite3.Connection, on: date | None) -> LockoffListLoaded:
        """The date's stored list, in words (runs on a worker thread)."""
        from db.lockoff import latest_list, lockoff_dates, next_lockoff_date

        today = self.app.session.today  # type: ignore[attr-defined]
        on = on or next_lockoff_date(conn, today) or today
        stored = latest_list(conn, on)
        cycles = ", ".join(f"{d.cycle_name} {d.event.label}" for d in lockoff_dates(conn, on))
        if stored is None:
            where = cycles or "no cycle locks off that day"
            summary = f"{on:%a %Y-%m-%d} ({where}): no list made yet — press m to make it"
        else:
            printed = (f", printed {stored.printed_count:,} by {stored.printed_by}"
                       if stored.printed_by else "")
            summary = (f"{on:%a %Y-%m-%d}: {stored.eligible:,} ON LIST of {stored.candidates:,}"
                       f" (list {stored.id} by {stored.made_by}{printed})")
        return LockoffListLoaded(on, stored.id if stored else None, summary)

    @work(thread=True, exclusive=True, group="lockoff", exit_on_error=False)
    def _print(self, on: date) -> None:
        from db.lockoff import latest_list, print_list

        session = self.app.session  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            stored = latest_list(conn, on)
            if stored is None:
                self.post_message(LockoffListPrinted("", ["No list to print: press m first."]))
                return
            out = Path(session.db_path).parent / "print" / f"lockoff-{on}-list{stored.id}.csv"
            checked = print_list(conn, stored, out, actor=session.user.login, at=now_stamp())
        self.post_message(LockoffListPrinted(str(out), checked.lines()))

    # -- handlers ----------------------------------------------------------------------------
    @on(LockoffListLoaded)
    def _loaded(self, event: LockoffListLoaded) -> None:
        changed = event.list_id != self.list_id
        self.on_date, self.list_id = event.on, event.list_id
        self.query_one("#lockoff-title", Label).update(f"Lock-off — {event.summary}")
        if event.list_id is not None and changed:  # a print's result stays on the status line
            self.query_one("#lockoff-status", Static).update(
                "Enter explains · a plan · p print (re-checks) · d date · s steps (field"
                " orders too) · m remake · o crew result · r reconnect · c SB 998 condition ·"
                " t phone call")
        self.table.source = LockoffEntrySource(event.list_id)
        self.table.cursor, self.cursor_after_load = self.cursor_after_load, 0
        self.table.reload()
        self._show_detail()

    @on(LockoffListPrinted)
    def _printed(self, event: LockoffListPrinted) -> None:
        where = f" Wrote {event.path}." if event.path else ""
        self.query_one("#lockoff-status", Static).update(" ".join(event.lines) + where)
        if event.path:
            self._load(self.on_date)

    @on(PagedTable.PageLoaded)
    @on(PagedTable.CountLoaded)
    def _rows_arrived(self) -> None:
        self._show_detail()

    @on(PagedTable.RowChosen)
    def _chosen(self) -> None:
        detail = self._current()
        if detail is not None:
            self.app.push_screen(ExplanationModal(detail))

    def _current(self) -> EntryDetail | None:
        if self.table.row_count <= 0:
            return None
        row = self.table.row_at(self.table.cursor)
        return row.detail if row is not None else None

    def _show_detail(self) -> None:
        pane = self.query_one("#lockoff-detail", Static)
        detail = self._current()
        if detail is None:
            pane.update("" if self.list_id is None else "The list has no past-due accounts.")
            return
        lines = detail.lines()
        pane.update("\n".join(line if len(line) <= 78 else line[:77] + "…" for line in lines))

    # -- actions -----------------------------------------------------------------------------
    def action_make(self) -> None:
        if self.on_date is not None:
            self.query_one("#lockoff-status", Static).update(
                f"Making the list for {self.on_date}: checking every gate…")
            self._make(self.on_date)

    def action_print_list(self) -> None:
        if self.on_date is not None:
            self.query_one("#lockoff-status", Static).update("Checking every gate again…")
            self._print(self.on_date)

    def action_reload(self) -> None:
        self._load(self.on_date)

    def action_pick_date(self) -> None:
        from console.widgets.forms import FormField, FormModal
        from core.clock import parse_date

        def parse(values: dict[str, str]) -> date:
            return parse_date(values["date"], field="date")

        def chosen(on: Any) -> None:
            if on is not None:
                self._load(on)

        self.app.push_screen(FormModal("Lock-off date", [FormField(
            "date", "Date (YYYY-MM-DD)", str(self.on_date or ""))], parse), chosen)
