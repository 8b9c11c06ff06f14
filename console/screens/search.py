"""F2 search from anywhere: results as you type; Enter opens the account, Esc goes back.

Each keystroke starts one search worker; answers to older keystrokes are dropped by
generation, so the list always matches the text in the box.
"""
from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label

from console.messages import AccountsFound
from console.worker_errors import ReportsWorkerErrors
from core.money import format_credit


class SearchInput(Input):
    """The search box: Down moves into the results, Enter opens the best match."""

    BINDINGS = [Binding("down", "screen.focus_results", "Results", id="search.results",
                        show=False)]


class SearchScreen(ReportsWorkerErrors, ModalScreen[None]):
    """Find an account by number, name, service or mailing address, meter serial or phone."""

    CSS_PATH = "search.tcss"
    BINDINGS = [
        Binding("escape", "close", "Back", id="search.close"),
        Binding("slash,f2", "focus_box", "Type", id="search.type", show=False),
    ]

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.initial = text
        self.generation = 0
        self.numbers: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box"):
            yield Label("Search accounts — number, name, address, meter or phone",
                        id="search-title")
            yield SearchInput(self.initial, placeholder="e.g. 0100295, Nunez, 9800 la cont, "
                              "NP08-000, 555-8026", id="search-text")
            yield Label("Type at least 2 characters.", id="search-status", markup=False)
            yield DataTable(id="search-results", cursor_type="row", zebra_stripes=True)
            yield Label("Enter: open · Down: the list · Up at its top: the box · Esc: back",
                        id="search-help")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Account", width=10)
        table.add_column("Status", width=8)
        table.add_column("Customer", width=20)
        table.add_column("Service address", width=18)
        table.add_column("Matched", width=10)
        self.query_one(SearchInput).focus()
        if self.initial:
            self._search(self.initial)

    @on(Input.Changed, "#search-text")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    def _search(self, text: str) -> None:
        self.generation += 1
        self._run(text, self.generation)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _run(self, text: str, generation: int) -> None:
        from db.account_search import search_accounts

        with self.app.connect() as conn:  # type: ignore[attr-defined]
            result = search_accounts(conn, text, limit=50)
        self.post_message(AccountsFound(result, generation))

    @on(AccountsFound)
    def _show(self, event: AccountsFound) -> None:
        if event.generation != self.generation:
            return  # an older keystroke's answer
        result = event.result
        table = self.query_one(DataTable)
        table.clear()
        self.numbers = [hit.number for hit in result.hits]
        for hit in result.hits:
            table.add_row(hit.number, hit.status.upper(), Text(hit.customer),
                          Text(hit.service_address), Text(hit.matched), key=hit.number)
        status = self.query_one("#search-status", Label)
        if len(result.text.replace(" ", "")) < 2 and not result.hits:
            status.update("Type at least 2 characters.")
        elif not result.hits:
            status.update(f"No account matches {result.text!r}.")
        else:
            more = f", showing the best {len(result.hits)} — keep typing to narrow" \
                if result.more else ""
            first = result.hits[0]
            matches = "account matches" if result.total == 1 else "accounts match"
            status.update(f"{result.total:,} {matches}{more}. Enter opens {first.number} "
                          f"({first.customer}, balance {format_credit(first.balance_cents)}).")

    def action_focus_results(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            table.focus()
            table.move_cursor(row=0)

    def action_focus_box(self) -> None:
        self.query_one(SearchInput).focus()

    def on_key(self, event: object) -> None:
        table = self.query_one(DataTable)
        if getattr(event, "key", "") == "up" and table.has_focus and table.cursor_row == 0:
            self.query_one(SearchInput).focus()

    @on(Input.Submitted, "#search-text")
    def _open_first(self) -> None:
        if self.numbers:
            self._open(self.numbers[0])

    @on(DataTable.RowSelected, "#search-results")
    def _open_row(self, event: DataTable.RowSelected) -> None:
        self._open(str(event.row_key.value))

    def _open(self, number: str) -> None:
        self.app.pop_screen()
        self.app.open_account(number)  # type: ignore[attr-defined]

    def action_close(self) -> None:
        self.app.pop_screen()
