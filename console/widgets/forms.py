"""The console's one set of dialogs: a one-line-per-field form, a pick-one list, a confirmation.

A form checks its values with a parse function; a problem is shown in the dialog in words and
the clerk fixes it there, so nothing reaches the database until the values make sense.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from console.widgets.entry_input import EntryInput, HeldKeys, hand_over_typed_ahead
from core.errors import InputError

T = TypeVar("T")

FORM_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 78; max-width: 100%; height: auto; max-height: 22;
                     border: thick $accent; background: $surface; padding: 0 1; }}
{name} .form-title {{ text-style: bold; }}
{name} Horizontal {{ height: 1; }}
{name} .form-label {{ width: 30; }}
{name} Input {{ height: 1; border: none; padding: 0 1; width: 1fr; }}
{name} Input:focus {{ border: none; background: $boost; }}
{name} OptionList {{ height: auto; max-height: 8; }}
{name} #form-problem {{ color: $error; }}
"""


class FormInput(EntryInput):
    """A form field whose Enter moves to the next field (or submits on the last) before the
    next key is read, so typed-ahead keys (a fast clerk, a paste over SSH) land in the right
    field; EntryInput hands over the keys already queued and edits in its own turn."""


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    value: str = ""
    placeholder: str = ""


class FormModal(ModalScreen[T | None], Generic[T]):
    """Fields one per line; Enter moves to the next field and submits on the last; Esc cancels."""

    DEFAULT_CSS = FORM_CSS.format(name="FormModal")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel")]
    AUTO_FOCUS = ""  # on_mount focuses the first field and hands it the keys typed meanwhile

    def __init__(self, title: str, fields: Sequence[FormField],
                 parse: Callable[[dict[str, str]], T], note: str = "",
                 typed: HeldKeys | None = None) -> None:
        """`typed`: the keys held for this form (the clerk typed them before it opened), its
        first field's once it is mounted, before any typed while it opens."""
        super().__init__()
        self.title_text = title
        self.fields = tuple(fields)
        self.parse = parse
        self.note = note
        self.typed = typed

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="form-title", markup=False)
            if self.note:
                yield Label(self.note, markup=False)
            for field in self.fields:
                with Horizontal():
                    yield Label(field.label, classes="form-label", markup=False)
                    yield FormInput(field.value, placeholder=field.placeholder,
                                    id=f"form-{field.name}")
            yield Label("", id="form-problem", markup=False)
            yield Label("Enter: next field, then save · Esc: cancel, nothing changes",
                        markup=False)

    def on_mount(self) -> None:
        """Until a field has the focus, keys typed as the form opens queue at the form itself;
        the first field gets them, in order, as it gets the focus."""
        for first in self.query(FormInput).results():
            self.set_focus(first)
            for key in self.typed.release() if self.typed is not None else ():
                first.post_message(key)
            hand_over_typed_ahead(self, first)
            break

    def field_entered(self, field: Input) -> None:
        """Enter in a field: on to the next one, or check and save on the last."""
        if not self.is_active:
            return  # an Enter typed ahead after the save: the form is already closed
        inputs: list[Input] = list(self.query(FormInput))
        if field is not inputs[-1]:
            self.set_focus(inputs[inputs.index(field) + 1])
        else:
            self._submit()

    def values(self) -> dict[str, str]:
        return {f.name: self.query_one(f"#form-{f.name}", Input).value.strip()
                for f in self.fields}

    def _submit(self) -> None:
        try:
            result = self.parse(self.values())
        except InputError as error:
            self.query_one("#form-problem", Label).update(
                "; ".join(p.message if not p.field else f"{p.field}: {p.message}"
                          for p in error.problems))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceModal(ModalScreen[str | None]):
    """Pick one option with the arrows and Enter (or its number); Esc cancels."""

    DEFAULT_CSS = FORM_CSS.format(name="ChoiceModal")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(self, title: str, options: Sequence[tuple[str, str]], note: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.options = tuple(options)
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="form-title", markup=False)
            if self.note:
                yield Label(self.note, markup=False)
            yield OptionList(*[Option(f"{i}  {text}", id=key)
                               for i, (key, text) in enumerate(self.options, start=1)])
            yield Label("Arrows and Enter, or the number · Esc: cancel", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_key(self, event: object) -> None:
        key = getattr(event, "key", "")
        if key.isdigit() and 1 <= int(key) <= len(self.options) and self.is_active:
            self.dismiss(self.options[int(key) - 1][0])

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if self.is_active:  # a second pick typed ahead: the list is already closed
            self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmModal(ModalScreen[bool]):
    """What is about to happen, in full; Enter or y does it, Esc or n changes nothing."""

    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical { width: 80; max-width: 100%; height: auto; max-height: 24;
                              border: thick $accent; background: $surface; padding: 0 1; }
    ConfirmModal #confirm-title { text-style: bold; }
    ConfirmModal VerticalScroll { height: auto; max-height: 18; }
    """
    BINDINGS = [Binding("enter,y", "answer(True)", "Yes", id="confirm.yes"),
                Binding("escape,n", "answer(False)", "No", id="confirm.no")]

    def __init__(self, title: str, lines: Sequence[str], question: str) -> None:
        super().__init__()
        self.title_text, self.lines, self.question = title, list(lines), question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, id="confirm-title", markup=False)
            with VerticalScroll():
                yield Static("\n".join(self.lines), markup=False)
            yield Label(f"{self.question}  Enter/y: yes · Esc/n: no, nothing changes",
                        markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
