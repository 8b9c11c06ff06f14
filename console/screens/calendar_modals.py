"""The calendar screen's dialogs: a date's explanation, an override, a closure-list change."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from core.clock import parse_date
from core.errors import InputError
from core.schedule import ScheduledDate

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 78; max-width: 100%; height: auto; max-height: 22;
                     border: thick $accent; background: $surface; padding: 0 1; }}
{name} .modal-title {{ text-style: bold; }}
{name} VerticalScroll {{ height: auto; max-height: 16; }}
{name} OptionList {{ height: auto; max-height: 6; }}
{name} Input {{ margin: 0; }}
{name} #modal-problem {{ color: $error; }}
"""


class TextModal(ModalScreen[None]):
    """A title and lines of words (an explanation, a generation report); Esc or Enter closes."""

    DEFAULT_CSS = MODAL_CSS.format(name="TextModal")
    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="calendar.close_text")]

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="modal-title", markup=False)
            with VerticalScroll():
                yield Static("\n".join(self.lines), id="modal-text", markup=False)
            yield Label("Esc closes; arrows scroll.", markup=False)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class OverrideRequest:
    """What the supervisor asked for: which stored date, to when, and why."""

    row: ScheduledDate
    new_on: date
    reason: str


class OverrideModal(ModalScreen[OverrideRequest | None]):
    """Pick one of the day's dates, type the new date and the reason; Enter submits."""

    DEFAULT_CSS = MODAL_CSS.format(name="OverrideModal")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="calendar.cancel_override")]

    def __init__(self, rows: list[ScheduledDate]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Override one date (a supervisor's decision, audited)",
                        classes="modal-title")
            yield OptionList(*[Option(f"{r.cycle_name} {r.event.label} {r.on:%a} {r.on}",
                                      id=str(i)) for i, r in enumerate(self.rows)],
                             id="override-which")
            yield Input(placeholder="new date YYYY-MM-DD", id="override-date")
            yield Input(placeholder="reason (required)", id="override-reason")
            yield Label("", id="modal-problem", markup=False)
            yield Label("Tab moves between fields; Enter in the reason submits; Esc cancels.")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        (options if len(self.rows) > 1 else self.query_one("#override-date", Input)).focus()

    @on(OptionList.OptionSelected)
    def _picked(self) -> None:
        self.query_one("#override-date", Input).focus()

    @on(Input.Submitted, "#override-date")
    def _date_given(self) -> None:
        self.query_one("#override-reason", Input).focus()

    @on(Input.Submitted, "#override-reason")
    def _submit(self) -> None:
        problem = self.query_one("#modal-problem", Label)
        index = self.query_one(OptionList).highlighted or 0
        reason = self.query_one("#override-reason", Input).value.strip()
        try:
            new_on = parse_date(self.query_one("#override-date", Input).value, field="date")
        except InputError as exc:
            problem.update(str(exc))
            self.query_one("#override-date", Input).focus()
            return
        if not reason:
            problem.update("reason: give the reason for the override")
            return
        self.dismiss(OverrideRequest(self.rows[index], new_on, reason))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class ClosureRequest:
    """A change to the district's list for one day: close, open, or remove the entry."""

    on: date
    action: str  # "close", "open" or "clear"
    name: str
    reason: str


class ClosureModal(ModalScreen[ClosureRequest | None]):
    """Offers the one change that makes sense for the day, with a name and a reason."""

    DEFAULT_CSS = MODAL_CSS.format(name="ClosureModal")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="calendar.cancel_closure")]

    def __init__(self, on: date, action: str, what: str) -> None:
        super().__init__()
        self.on, self.action, self.what = on, action, what

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"{self.on:%a} {self.on}: {self.what}", classes="modal-title",
                        markup=False)
            if self.action == "close":
                yield Input(placeholder="name, e.g. Christmas Eve", id="closure-name")
            yield Input(placeholder="reason: resolution, MOU, emergency (required)",
                        id="closure-reason")
            yield Label("", id="modal-problem", markup=False)
            yield Label("Enter in the reason saves (audited); Esc cancels. Regenerate the "
                        "months whose dates fall on this day.")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    @on(Input.Submitted, "#closure-name")
    def _named(self) -> None:
        self.query_one("#closure-reason", Input).focus()

    @on(Input.Submitted, "#closure-reason")
    def _submit(self) -> None:
        name = self.query_one("#closure-name", Input).value.strip() if self.action == "close" \
            else ""
        reason = self.query_one("#closure-reason", Input).value.strip()
        if (self.action == "close" and not name) or not reason:
            self.query_one("#modal-problem", Label).update("give a name and a reason")
            return
        self.dismiss(ClosureRequest(self.on, self.action, name, reason))

    def action_cancel(self) -> None:
        self.dismiss(None)
