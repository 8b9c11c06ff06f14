"""One account: who and where, flags in words, balance and aging, and the ledger."""
from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from console.messages import AccountLoaded
from core.ledger import aging, running_balances
from core.money import format_credit, format_money
from db.accounts import account_detail


class AccountScreen(Screen[None]):
    """The account a clerk opened from the list or the command palette."""

    CSS_PATH = "account.tcss"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="account.back"),
                Binding("r", "reload", "Refresh", id="account.refresh")]

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number

    def compose(self) -> ComposeResult:
        yield Label(f"Account {self.number}", id="account-title", markup=False)
        yield Static("Loading…", id="account-header", markup=False)
        yield DataTable(id="account-ledger", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Date", width=10)
        table.add_column("Type", width=16)
        table.add_column("Amount", width=11)
        table.add_column("Balance", width=11)
        table.add_column("Reason / comment", width=40)
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="account", exit_on_error=False)
    def _load(self) -> None:
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            detail = account_detail(conn, self.number)
        self.post_message(AccountLoaded(detail, self.number))

    @on(AccountLoaded)
    def _show(self, event: AccountLoaded) -> None:
        d = event.detail
        if d is None:
            self.query_one("#account-header", Static).update(
                f"There is no account {event.number}.")
            return
        today = self.app.session.today  # type: ignore[attr-defined]
        flags = [f.kind.value for f in d.flags if f.active_on(today)]
        ages = aging(d.entries, today)
        self.query_one("#account-title", Label).update(
            f"Account {d.number}  {d.status.upper()}  {d.service_class.upper()}  "
            f"{d.premise_kind.replace('_', ' ')}  {d.service_type.replace('_', ' ')}")
        self.query_one("#account-header", Static).update(
            f"{d.customer_name}   {d.phone}\n"
            f"Service: {d.service_address}\n"
            f"Mail:    {d.mailing_address}\n"
            f"Meter: {d.meter}   Opened {d.opened_on}"
            f"{'   Closed ' + d.closed_on if d.closed_on else ''}\n"
            f"Flags: {', '.join(flags) if flags else 'none'}\n"
            f"Balance {format_credit(d.balance_cents)}   Deposit held "
            f"{format_money(d.deposit_cents)}\n"
            f"Aging  current {format_money(ages.current)}   30 days {format_money(ages.d30)}"
            f"   60 days {format_money(ages.d60)}   90+ days {format_money(ages.d90)}")
        table = self.query_one(DataTable)
        table.clear()
        for entry, running in reversed(running_balances(list(d.entries))):
            kind = entry.entry_type.value.replace("_", " ")
            if entry.reverses_id:
                kind += " (rev)"
            table.add_row(
                entry.effective_on.isoformat(), kind,
                Text(format_money(entry.amount_cents), justify="right"),
                Text(format_credit(running), justify="right"),
                Text(f"{entry.reason_code}: {entry.comment}"),
                key=str(entry.id))
        table.focus()
