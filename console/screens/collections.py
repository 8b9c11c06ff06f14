"""Collections: the four after-lock-off lists (final notices, lien candidates, the collection
agency, write-off proposals) for the session's date, read-only, each account with its reason
from db.collections.after_lockoff_list, as `meterline collections <list>` prints them.

Sending the notices, referring to the agency and the write-off batches stay in the CLI
(docs/workflows/collections.md).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from textual import on, work
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Label, Static

from console.screens.register_screen import RegisterScreen, Row, StatusFilters
from console.widgets.paged_table import Column, PagedRow
from core.money import format_money
from core.settings import DistrictSettings

# What `f` cycles through, in the order the steps come after a lock-off (core.collections.LISTS).
COLLECTION_LISTS: StatusFilters = (
    ("final notices", ("final-notices",)), ("lien candidates", ("liens",)),
    ("collection agency", ("agency",)), ("write-off proposals", ("write-offs",)))
# The district settings that put an account on each list (docs/workflows/collections.md).
LIST_SETTINGS = {
    "final-notices": ("collections_final_notice_days",),
    "liens": ("collections_lien_days", "collections_lien_min_cents"),
    "agency": ("collections_agency_days", "collections_agency_min_cents"),
    "write-offs": ("collections_write_off_days",)}
# What else puts an account on each list, said when the list is empty (core/collections.py).
LIST_RULE = {
    "final-notices": "",
    "liens": "; the property owner is the customer of record and owes at least the minimum",
    "agency": "; owes at least the minimum and is not a lien candidate",
    "write-offs": "; not a lien candidate (the lien secures it)"}


@dataclass
class CollectionSettingsLoaded(Message):
    """The district's collections settings were read."""

    settings: DistrictSettings


class CollectionListSource:
    """One after-lock-off list on a day, by account number; each row carries the account and
    its reason. The lists hold locked-off accounts only, so each page reads the whole list."""

    columns = (Column("Account", 11), Column("Name", 30), Column("Locked off", 10),
               Column("Days off", 8, "right"), Column("Balance", 12, "right"))

    def __init__(self, which: str, on: date) -> None:
        self.which = which
        self.on = on

    def count(self, conn: sqlite3.Connection) -> int:
        from db.collections import after_lockoff_list

        return len(after_lockoff_list(conn, self.which, self.on))

    def page(self, conn: sqlite3.Connection, *, after: str | None, offset: int,
             limit: int) -> list[PagedRow]:
        from db.collections import after_lockoff_list

        found = after_lockoff_list(conn, self.which, self.on)[offset:offset + limit]
        return [PagedRow(f.account.number,
                         (f.account.number, f.account.name, f.account.locked_on.isoformat(),
                          str(f.account.days_off(self.on)),
                          format_money(f.account.balance_cents)),
                         {"account_number": f.account.number, "name": f.account.name,
                          "address": f.account.service_address,
                          "service_class": f.account.service_class,
                          "days_off": f.account.days_off(self.on),
                          "balance_cents": f.account.balance_cents, "reason": f.reason,
                          "which": self.which})
                for f in found]


class CollectionsScreen(RegisterScreen):
    """A supervisor reads who is on each after-lock-off list today, and why."""

    CSS_PATH = ["register_screen.tcss", "collections.tcss"]
    BINDINGS = [
        Binding("f", "next_filter", "Next list", id="collections.next_list"),
        Binding("ctrl+r", "reload", "Refresh", id="collections.refresh", show=False),
        Binding("escape", "app.pop_screen", "Back", id="collections.back"),
    ]
    NAME = "Collections"
    PREFIX = "collections"
    FILTERS = COLLECTION_LISTS
    PANE = ("head", "reason", "where", "setting")
    LOADING = "Loading the list…"
    EMPTY = "No account is on this list on this date; f: next list."
    HINT = ("f the next list · Enter opens the account · F1 every key. Sending, referring and"
            " write-off batches: meterline collections (CLI).")
    NONE_SELECTED = "No account is selected."

    def __init__(self) -> None:
        super().__init__()
        self.settings: DistrictSettings | None = None

    @property
    def today(self) -> date:
        return self.app.session.today  # type: ignore[attr-defined,no-any-return]

    @property
    def which(self) -> str:
        return self.FILTERS[self.filter_index][1][0]

    def page_source(self, statuses: tuple[str, ...]) -> CollectionListSource:
        return CollectionListSource(statuses[0], self.today)

    def pane_lines(self, row: Row) -> list[str]:
        return account_lines(row, self.settings)

    def on_mount(self) -> None:
        self.load_settings()

    def on_screen_resume(self) -> None:
        if self.is_mounted:  # a supervisor may have changed a threshold from the CLI
            self.load_settings()

    def action_reload(self) -> None:
        self.load_settings()
        self.table.reload()

    @work(thread=True, exclusive=True, group="collections-settings", exit_on_error=False)
    def load_settings(self) -> None:
        from db.settings import load_settings

        with self.app.connect() as conn:  # type: ignore[attr-defined]
            settings = load_settings(conn)
        self.post_message(CollectionSettingsLoaded(settings))

    @on(CollectionSettingsLoaded)
    def _settings_loaded(self, event: CollectionSettingsLoaded) -> None:
        self.settings = event.settings
        self.show_detail()

    def show_title(self) -> None:
        count = self.table.row_count
        counted = "… accounts" if count < 0 else f"{count:,} account{'' if count == 1 else 's'}"
        words = self.FILTERS[self.filter_index][0].upper()
        self.query_one("#collections-title", Label).update(
            f"Collections — {words} ({self.filter_index + 1} of {len(self.FILTERS)}) on"
            f" {self.today} — {counted}")

    def show_detail(self) -> None:
        super().show_detail()
        if self.selected() is None and self.table.row_count == 0:  # what would put one on it
            self.query_one("#collections-head", Static).update(
                f"No account is on the {self.FILTERS[self.filter_index][0]} list on"
                f" {self.today}; f: next list.")
            self.query_one("#collections-reason", Static).update(
                "On it: off since its latest lock-off (not reconnected) at least the days"
                f" below, owing, on no payment plan{LIST_RULE[self.which]}.")
            self.query_one("#collections-setting", Static).update(
                setting_line(self.which, self.settings))


def setting_line(which: str, settings: DistrictSettings | None) -> str:
    """The settings that put an account on the list, with the district's values."""
    names = LIST_SETTINGS[which]
    said = ", ".join(names)
    if settings is not None:
        said = ", ".join(f"{name} = " + (format_money(getattr(settings, name))
                                         if name.endswith("_cents")
                                         else str(getattr(settings, name)))
                         for name in names)
    return f"Setting{'s' if len(names) > 1 else ''}: {said}"


def account_lines(row: Row, settings: DistrictSettings | None) -> list[str]:
    """Four lines for the chosen account: who and what it owes, why it is on the list, where
    the service is, and the settings that put it there."""
    head = (f"{row['account_number']} {row['service_class'][:3].upper()} · off"
            f" {row['days_off']} days · {format_money(row['balance_cents'])} unpaid ·"
            f" {row['name']}")
    return [head, f"Why: {row['reason']}", f"Service address: {row['address']}",
            setting_line(row["which"], settings)]
