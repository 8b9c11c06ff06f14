"""One account, everything at once: header with flags in words, balance and aging, and tabs for
the ledger (paged, running balance, newest first), bills with every line explained, 13 months
of usage, reads, work orders, notes, and Red Flag alerts with the address history.
"""
from __future__ import annotations

import sqlite3
import textwrap
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DataTable, Label, Static

from console.messages import AccountChanged, AccountHeaderLoaded, AccountViewLoaded
from console.widgets.key_line import KeyLine
from console.widgets.paged_table import Column, PagedRow, PagedTable
from console.widgets.usage_chart import UsageBar, UsageChart
from console.worker_errors import ReportsWorkerErrors
from core.money import format_credit, format_money

TABS = ("ledger", "bills", "usage", "reads", "orders", "notes", "flags")


class LedgerSource:
    """The account's receivable ledger for the paged table: newest first, running balance."""

    columns = (Column("Date", 10), Column("Type", 14), Column("Amount", 11, "right"),
               Column("Balance", 12, "right"), Column("Why", 27))

    def __init__(self, number: str) -> None:
        self.number = number
        self.account_id: int | None = None

    def _id(self, conn: sqlite3.Connection) -> int:
        if self.account_id is None:
            from db.accounts import account_id

            found = account_id(conn, self.number)
            self.account_id = found if found is not None else -1
        return self.account_id

    def count(self, conn: sqlite3.Connection) -> int:
        from db.account_view import ledger_count

        return ledger_count(conn, self._id(conn))

    def page(self, conn: sqlite3.Connection, *, after: str | None, offset: int,
             limit: int) -> list[PagedRow]:
        from db.account_view import ledger_page

        rows = []
        for r in ledger_page(conn, self._id(conn), offset=offset, limit=limit):
            kind = r["entry_type"].replace("_", " ") + (" (rev)" if r["reverses_id"] else "")
            rows.append(PagedRow(str(r["id"]), (
                r["effective_on"], kind, format_money(r["amount_cents"]),
                format_credit(r["running"]), f"{r['reason_code']}: {r['comment']}")))
        return rows


SHORT_LISTS: dict[str, tuple[tuple[str, int], ...]] = {
    "reads": (("Date", 10), ("Meter", 13), ("Reading", 9), ("Kind", 9), ("How", 10),
              ("By", 14)),
    "orders": (("#", 5), ("Type", 12), ("Status", 9), ("Reason", 28), ("Sched.", 10),
               ("Result", 7)),
    "notes": (("When", 16), ("By", 10), ("Note", 200)),
}


TAB_TITLES = ("Ledger", "Bills", "Usage", "Reads", "Orders", "Notes", "Red Flag")


def _tab_bar(active: str) -> Text:
    """ "1 Ledger  2 Bills …", the tab shown in reverse between ▸ ◂ (readable without colour)."""
    bar = Text(no_wrap=True, overflow="ellipsis")
    for index, (tab, title) in enumerate(zip(TABS, TAB_TITLES, strict=True), start=1):
        if tab == active:
            bar.append(f"▸{index} {title}◂", style="reverse bold")
        else:
            bar.append(f" {index} {title} ")
        bar.append(" ")
    return bar


def _short_table(table_id: str, columns: tuple[tuple[str, int], ...]) -> DataTable[Any]:
    table: DataTable[Any] = DataTable(id=table_id, cursor_type="row", zebra_stripes=True)
    for title, width in columns:
        table.add_column(title, width=width)
    return table


class AccountScreen(ReportsWorkerErrors, Screen[None]):
    """The account a clerk opened from search, the list or the command palette."""

    CSS_PATH = "account.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="account.back"),
        Binding("n", "note", "Note", id="account.note"),
        Binding("a", "address", "Address", id="account.address"),
        Binding("e", "customer", "Name/phone", id="account.customer"),
        Binding("m", "move_out", "Move-out", id="account.move_out"),
        Binding("i", "move_in", "Move-in here", id="account.move_in", show=False),
        Binding("slash", "app.search", "Search", id="account.search", show=False),
        Binding("r", "reload", "Refresh", id="account.refresh", show=False),
        *(Binding(str(i), f"tab('{tab}')", f"{tab.title()} tab", id=f"account.tab_{tab}",
                  show=False) for i, tab in enumerate(TABS, start=1)),
        Binding("right_square_bracket", "next_tab(1)", "Next tab", id="account.next_tab",
                show=False),
        Binding("left_square_bracket", "next_tab(-1)", "Previous tab",
                id="account.previous_tab", show=False),
    ]

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number.strip()
        self.version: int | None = None
        self.view: Any = None

    def compose(self) -> ComposeResult:
        yield Label(f"Account {self.number}", id="account-title", markup=False)
        yield Static("Loading…", id="account-header", markup=False)
        yield Static("", id="account-money", markup=False)
        # A one-line tab bar over a switcher (lighter to paint than TabbedContent: the
        # first paint is a budget, ≤ 150 ms). The short lists are built when their tab is
        # first opened; most calls never open them.
        yield Static(_tab_bar("ledger"), id="account-tabbar")
        with ContentSwitcher(initial="ledger", id="account-tabs"):
            yield PagedTable(LedgerSource(self.number),
                             self.app.connect,  # type: ignore[attr-defined]
                             page_size=100, id="ledger")
            with VerticalScroll(id="bills"):
                yield Static("", id="account-bills", markup=False)
            with Container(id="usage"):
                yield UsageChart(id="account-usage")
            for tab in SHORT_LISTS:
                yield Container(id=tab)
            with VerticalScroll(id="flags"):
                yield Static("", id="account-flags", markup=False)
        yield KeyLine(extra="1-7 tabs")

    def on_mount(self) -> None:
        self.query_one(PagedTable).focus()  # j/k and PgUp/PgDn move in the ledger at once
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="account", exit_on_error=False)
    def _load(self) -> None:
        # The header first, so the clerk sees the account at once; then the tabs' data.
        from core.ledger import aging
        from db.account_view import account_tabs
        from db.accounts import account_detail

        today = self.app.session.today  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            detail = account_detail(conn, self.number)
            ages = aging(detail.entries, today) if detail else None
            self.post_message(AccountHeaderLoaded(detail, ages, self.number))
            if detail is not None:
                self.post_message(AccountViewLoaded(account_tabs(conn, detail, today),
                                                    self.number))

    @on(AccountHeaderLoaded)
    def _show_header(self, event: AccountHeaderLoaded) -> None:
        d = event.detail
        if d is None or event.aging is None:
            self.query_one("#account-header", Static).update(
                f"There is no account {event.number}. Press / to search.")
            return
        self.show_header(d, event.aging)

    def show_header(self, d: Any, ages: Any) -> None:
        """Title, header lines with the flags in words, balance and aging."""
        self.version = d.version
        today = self.app.session.today  # type: ignore[attr-defined]
        flags = [f.kind.value for f in d.flags if f.active_on(today)]
        if d.deposit_cents > 0 and "DEPOSIT HELD" not in flags:
            flags.append("DEPOSIT HELD")
        closed = f"  closed {d.closed_on}" if d.closed_on else ""
        self.query_one("#account-title", Label).update(
            f"Account {d.number}  {d.status.upper()}  {d.service_class.upper()} "
            f"{d.premise_kind.replace('_', ' ')} · {d.service_type.replace('_', ' ')}")
        header = Text(no_wrap=True, overflow="ellipsis")
        header.append(f"{d.customer_name}   {d.phone}   opened {d.opened_on}{closed}\n")
        header.append(f"Service: {d.service_address}\n")
        header.append(f"Mail:    {d.mailing_address}\n")
        header.append(f"Meter:   {d.meter}" + (f"  route {d.route}" if d.route else "") + "\n")
        header.append("Flags:   ")
        header.append(" · ".join(flags) if flags else "none", style="bold" if flags else "")
        self.query_one("#account-header", Static).update(header)
        self.query_one("#account-money", Static).update(
            f"Balance {format_credit(d.balance_cents)}   Deposit held "
            f"{format_money(d.deposit_cents)}\nAging: current {format_money(ages.current)} · "
            f"30 days {format_money(ages.d30)} · 60 days {format_money(ages.d60)} · "
            f"90+ days {format_money(ages.d90)}")

    @on(AccountViewLoaded)
    def _show(self, event: AccountViewLoaded) -> None:
        self.view = event.view
        if event.view is not None:
            self._fill_tabs(event.view)

    def _fill_tabs(self, view: Any) -> None:
        bills = []
        for bill in view.bills:
            bills.append(f"{bill.on}  {bill.kind:<13}{format_money(bill.amount_cents):>11}")
            bills.append(textwrap.fill(bill.description, 76, initial_indent="    ",
                                       subsequent_indent="    "))
            bills.extend(textwrap.fill(line, 76, initial_indent="      • ",
                                       subsequent_indent="        ") for line in bill.lines)
        self.query_one("#account-bills", Static).update(
            "\n".join(bills) if bills else "No bills on this account yet.")
        self.query_one(UsageChart).show(
            [UsageBar(end, usage, estimated) for end, usage, estimated in view.usage],
            current="the latest read")
        for tab in SHORT_LISTS:
            self._fill_list(tab)
        def wrap(text: str) -> str:
            return textwrap.fill(text, 76, initial_indent="    ", subsequent_indent="    ")

        lines = []
        for on_, check, message, outcome, how in view.alerts:
            lines += [f"{on_}  RED FLAG: {check} — {outcome}", wrap(message),
                      wrap(f"verification: {how}")]
        if not view.alerts:
            lines.append("No Red Flag alerts on this account.")
        lines.append("")
        lines.append("Address history (newest first):" if view.addresses
                     else "No address changes recorded.")
        for on_, kind, old, new, how, who, reason in view.addresses:
            lines += [f"{on_}  {kind.upper()} address, by {who} ({how})",
                      wrap(f"was: {old}"), wrap(f"now: {new}"), wrap(f"why: {reason}")]
        self.query_one("#account-flags", Static).update("\n".join(lines))

    def _list_rows(self, tab: str) -> list[tuple[str, ...]]:
        if self.view is None:
            return []
        if tab == "notes":
            return [(at[:16].replace("T", " "), who, body) for at, who, body in self.view.notes]
        return list(getattr(self.view, tab))

    def _fill_list(self, tab: str) -> None:
        """Fill a short list's table, if its tab has been opened (else it fills on opening)."""
        found = self.query(f"#account-{tab}")
        if not found:
            return
        table = found.first(DataTable)
        table.clear()
        for row in self._list_rows(tab):
            table.add_row(*(Text(str(cell)) for cell in row))

    def action_tab(self, tab: str) -> None:
        """Show a tab; a short list's table is built the first time its tab is shown."""
        self.query_one(ContentSwitcher).current = tab
        self.query_one("#account-tabbar", Static).update(_tab_bar(tab))
        if tab in SHORT_LISTS and not self.query(f"#account-{tab}"):
            self.query_one(f"#{tab}", Container).mount(
                _short_table(f"account-{tab}", SHORT_LISTS[tab]))
            self.call_after_refresh(self._fill_list, tab)
        self.call_after_refresh(self._focus_tab, tab)

    def action_next_tab(self, step: int) -> None:
        current = self.query_one(ContentSwitcher).current or "ledger"
        self.action_tab(TABS[(TABS.index(current) + step) % len(TABS)])

    def _focus_tab(self, tab: str) -> None:
        pane = self.query_one(f"#{tab}")
        focusable = [w for w in (pane, *pane.query("*")) if w.can_focus]
        if focusable:
            focusable[0].focus()  # arrows and PgUp/PgDn move in the tab just shown

    @on(AccountChanged)
    def _changed(self, event: AccountChanged) -> None:
        self.notify(event.message, title=f"Account {event.number}", timeout=6)
        if event.number != self.number:
            self.app.open_account(event.number)  # type: ignore[attr-defined]
            return
        if event.tab:
            self.action_tab(event.tab)
        self.query_one(PagedTable).reload()
        self.action_reload()

    # -- changes: each is a guided flow in console/screens/account_forms.py ----------------
    def action_note(self) -> None:
        from console.screens.account_forms import add_note_flow

        add_note_flow(self)

    def action_address(self) -> None:
        from console.screens.account_forms import address_flow

        address_flow(self)

    def action_customer(self) -> None:
        from console.screens.account_forms import customer_flow

        customer_flow(self)

    def action_move_out(self) -> None:
        from console.screens.account_forms import move_out_flow

        move_out_flow(self)

    def action_move_in(self) -> None:
        from console.screens.move_in import start_move_in

        if self.view is None:
            return
        if self.view.detail.status == "active":
            self.app.show_error(  # type: ignore[attr-defined]
                "The premise is served", f"Account {self.number} is active at this premise: "
                "close it first (m, move-out), then press i to open the next account here.")
            return
        start_move_in(self, premise_id=self.view.detail.premise_id)
