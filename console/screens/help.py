"""F1 help: every key binding of the screen underneath, with what it does."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label


def binding_rows(screen: Screen) -> list[tuple[str, str, str]]:
    """(keys, description, binding id) for every binding active on `screen`, app ones included.

    The screen's and the app's own bindings come first, then those of the focused widget.
    """
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    own = (screen, screen.app)
    ordered = sorted(screen.active_bindings.items(),
                     key=lambda item: 0 if item[1].node in own else 1)
    for key, active in ordered:
        binding = active.binding
        description = binding.description or binding.action
        if (binding.action, description) in seen:
            continue
        seen.add((binding.action, description))
        keys = screen.app.get_key_display(binding) or key
        rows.append((keys, description, binding.id or ""))
    return rows


class HelpScreen(ModalScreen[None]):
    """Lists every binding of the screen below; Esc closes."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 76; max-width: 100%; height: 20; border: thick $accent;
                            background: $surface; }
    HelpScreen DataTable { height: 1fr; }
    """
    BINDINGS = [Binding("escape,f1,q", "close", "Close help", id="help.close")]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f" Keys on {self.under.__class__.__name__.removesuffix('Screen')}"
                        "  (Esc closes; ctrl+p opens the command palette)")
            yield DataTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Does", Text("Binding id (for [keymap])"))
        for row in binding_rows(self.under):
            table.add_row(*(Text(cell) for cell in row))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
