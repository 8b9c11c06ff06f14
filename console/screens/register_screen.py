"""The register-style list screen that Work orders and Refunds share: a paged list with a status
filter, a pane that explains the chosen row, keys that act on it through a dialog, and a status
line that says what was done or why nothing was.

A screen built on it names its words, its pane's lines and its source, lists its own keys
before `register_keys(area)`, and loads `register_screen.tcss` before its own .tcss.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from console.widgets.paged_table import PagedTable, PageSource
from console.worker_errors import ReportsWorkerErrors

Row = dict[str, Any]
# (the filter's words in the title, the statuses it shows); `f` cycles them, the first on opening.
StatusFilters = tuple[tuple[str, tuple[str, ...]], ...]


def register_keys(area: str) -> list[Binding]:
    """The keys every register has, after the screen's own: filter, refresh, back."""
    return [Binding("f", "next_filter", "Status filter", id=f"{area}.filter"),
            Binding("ctrl+r", "reload", "Refresh", id=f"{area}.refresh", show=False),
            Binding("escape", "app.pop_screen", "Back", id=f"{area}.back")]


def short_stamp(stamp: str | None) -> str:
    """A stored time as the pane shows it: "2026-11-20 10:05"."""
    return (stamp or "")[:16].replace("T", " ")


class RegisterScreen(ReportsWorkerErrors, Screen[None]):
    """A register paged from SQLite, newest first; Enter opens the chosen row's account."""

    NAME: ClassVar[str]  # the title's first words: "Work orders"
    PREFIX: ClassVar[str]  # the widgets' ids: "#orders-title", "#orders-list", … "#orders-status"
    FILTERS: ClassVar[StatusFilters]
    ORDER_WORDS: ClassVar[str] = "newest first"  # the title's last words: the list's order
    PANE: ClassVar[tuple[str, ...]]  # the pane's lines, "head" first: "#orders-head", …
    LOADING: ClassVar[str]  # the pane's head until the first page arrives
    EMPTY: ClassVar[str]  # the pane's head when the filter shows no rows
    HINT: ClassVar[str]  # the status line until something is done
    NONE_SELECTED: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self.filter_index = 0

    def page_source(self, statuses: tuple[str, ...]) -> PageSource:
        """The rows with these statuses (all when empty)."""
        raise NotImplementedError

    def pane_lines(self, row: Row) -> list[str]:
        """One line for each name in PANE, for the selected row."""
        raise NotImplementedError

    def changed(self, said: str) -> Message:
        """The fact a stored action posts; the screen's handler passes its text to `stored`."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        name = self.PREFIX
        yield Label(self.NAME, id=f"{name}-title", classes="register-title", markup=False)
        yield PagedTable(self.page_source(self.FILTERS[0][1]),
                         self.app.connect,  # type: ignore[attr-defined]
                         id=f"{name}-list")
        with Vertical(id=f"{name}-detail", classes="register-detail"):
            for line in self.PANE:
                yield Static(self.LOADING if line == "head" else "", id=f"{name}-{line}",
                             classes=f"register-{line}", markup=False)
        yield Static(self.HINT, id=f"{name}-status", classes="register-status", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    @property
    def table(self) -> PagedTable:
        return self.query_one(f"#{self.PREFIX}-list", PagedTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.watch(self.table, "cursor", lambda _cursor: self.show_detail(), init=False)
        self.show_title()

    def on_screen_resume(self) -> None:
        if self.is_mounted:  # the CLI, another screen or another clerk may have changed a row
            self.table.reload()

    def say(self, text: str) -> None:
        self.query_one(f"#{self.PREFIX}-status", Static).update(text)

    # -- the list and the pane -------------------------------------------------------------
    def show_title(self) -> None:
        count = self.table.row_count
        counted = "…" if count < 0 else f"{count:,}"
        self.query_one(f"#{self.PREFIX}-title", Label).update(
            f"{self.NAME} — {counted} {self.FILTERS[self.filter_index][0].upper()}"
            f" — {self.ORDER_WORDS}")

    @on(PagedTable.CountLoaded)
    @on(PagedTable.PageLoaded)
    def _rows_arrived(self) -> None:
        self.show_title()
        self.show_detail()

    def selected(self) -> Row | None:
        return self.table.cursor_detail  # type: ignore[no-any-return]

    def show_detail(self) -> None:
        row = self.selected()
        if row is not None:
            lines = self.pane_lines(row)
        else:
            lines = [self.EMPTY if self.table.row_count == 0 else "Loading…"]
            lines += [""] * (len(self.PANE) - 1)
        for name, line in zip(self.PANE, lines, strict=True):
            self.query_one(f"#{self.PREFIX}-{name}", Static).update(line)

    # -- acting on the selected row ----------------------------------------------------------
    def act_on_selected(self, refusal: Callable[[Row], str | None],
                        form: Callable[[Row], Screen[Any]],
                        write: Callable[[sqlite3.Connection, Row, Any], str]) -> None:
        """Open `form` for the selected row unless `refusal` says why not (nothing changes)."""
        row = self.selected()
        if row is None:
            self.say(self.NONE_SELECTED)
            return
        refused = refusal(row)
        if refused is not None:
            self.say(refused)
            return
        self.open_form(form(row), lambda conn, answer: write(conn, row, answer))

    def open_form(self, form: Screen[Any],
                  write: Callable[[sqlite3.Connection, Any], str]) -> None:
        """Push `form`; what it returns (None: the clerk pressed Esc) is stored in a worker."""
        def chosen(answer: Any) -> None:
            if answer is not None:
                self.store(lambda conn: write(conn, answer))

        self.app.push_screen(form, chosen)

    @work(thread=True, exclusive=True, group="register-store", exit_on_error=False)
    def store(self, write: Callable[[sqlite3.Connection], str]) -> None:
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            said = write(conn)
        self.post_message(self.changed(said))

    def stored(self, said: str) -> None:
        """Say what the stored action did and re-read the list."""
        self.say(said)
        self.table.reload()

    # -- filter, refresh, open ---------------------------------------------------------------
    def action_next_filter(self) -> None:
        self.filter_index = (self.filter_index + 1) % len(self.FILTERS)
        self.table.show_source(self.page_source(self.FILTERS[self.filter_index][1]))
        self.show_title()

    def action_reload(self) -> None:
        self.table.reload()

    @on(PagedTable.RowChosen)
    def _open_account(self) -> None:
        row = self.selected()
        if row is not None and row["account_number"]:  # a vacant premise's order has none
            self.app.open_account(row["account_number"])  # type: ignore[attr-defined]
