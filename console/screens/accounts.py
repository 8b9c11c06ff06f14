"""Accounts: every account in number order, paged from SQLite; Enter opens one."""
from __future__ import annotations

import sqlite3

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Label

from console.widgets.paged_table import Column, PagedRow, PagedTable
from console.worker_errors import ReportsWorkerErrors
from core.money import format_money
from db.accounts import account_page, count_accounts


class AccountListSource:
    """The account list for the paged table."""

    columns = (Column("Account", 11), Column("Customer", 22), Column("Service address", 20),
               Column("Status", 8), Column("Balance", 12, "right"))

    def count(self, conn: sqlite3.Connection) -> int:
        return count_accounts(conn)

    def page(self, conn: sqlite3.Connection, *, after: str | None, offset: int,
             limit: int) -> list[PagedRow]:
        return [PagedRow(r["number"], (r["number"], r["name"], r["line1"], r["status"].upper(),
                                       format_money(r["balance_cents"])))
                for r in account_page(conn, after=after, offset=offset, limit=limit)]


class AccountsScreen(ReportsWorkerErrors, Screen[None]):
    """Browse all accounts; the list never holds more than a few pages."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="accounts.back"),
                Binding("slash", "app.search", "Search", id="accounts.search"),
                Binding("o", "move_in", "Open acct (move-in)", id="accounts.move_in"),
                Binding("r", "reload", "Refresh", id="accounts.refresh", show=False)]
    DEFAULT_CSS = ("#accounts-title { text-style: bold; padding: 0 1; background: $primary;"
                   " width: 100%; }")

    def compose(self) -> ComposeResult:
        yield Label("Accounts — Enter opens, j/k or arrows move, PgUp/PgDn page",
                    id="accounts-title")
        yield PagedTable(AccountListSource(), self.app.connect,  # type: ignore[attr-defined]
                         id="accounts-table")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(PagedTable).focus()

    def action_reload(self) -> None:
        self.query_one(PagedTable).reload()

    def action_move_in(self) -> None:
        from console.screens.move_in import start_move_in

        start_move_in(self)

    def on_screen_resume(self) -> None:
        if self.is_mounted:  # an account opened or closed meanwhile
            self.query_one(PagedTable).reload()

    @on(PagedTable.RowChosen)
    def _open(self, event: PagedTable.RowChosen) -> None:
        self.app.open_account(event.key)  # type: ignore[attr-defined]
