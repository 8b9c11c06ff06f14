"""The one error modal: a plain sentence, never a traceback."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label


class ErrorModal(ModalScreen[None]):
    """Shows what went wrong and what to do; Esc or Enter closes it."""

    DEFAULT_CSS = """
    ErrorModal { align: center middle; }
    ErrorModal > Vertical { width: 70; max-width: 95%; height: auto; max-height: 100%;
                            border: thick $error; background: $surface; padding: 1 2; }
    ErrorModal VerticalScroll { height: auto; max-height: 14; }
    ErrorModal #error-title { text-style: bold; color: $error; }
    ErrorModal #error-message { width: 100%; }
    """
    BINDINGS = [Binding("escape,enter", "dismiss", "Close", id="error.close")]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"ERROR: {self.title_text}", id="error-title", markup=False)
            # A long message (every problem of a refused file) scrolls: arrows, PgUp/PgDn.
            with VerticalScroll():
                yield Label(self.message, id="error-message", markup=False)
            yield Label("Press Enter or Esc to close; arrows scroll a long message.")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
