"""Keys a clerk types ahead in a form (no pause after Enter, a paste over SSH) reach the right
fields, in order, and the form saves once."""
from __future__ import annotations

from textual import events
from textual.app import App
from textual.screen import Screen

from console.widgets.forms import FormField, FormModal

FIELDS = [FormField("months", "Months", "12"), FormField("down", "Down payment", "0.00"),
          FormField("start", "Start date", "2026-11-30")]


class FormHost(App[None]):
    """An app under which one plan-like form opens; it keeps what each save returned."""

    def __init__(self) -> None:
        super().__init__()
        self.results: list[dict[str, str] | None] = []

    def on_mount(self) -> None:
        self.push_screen(Screen())  # the screen the form opens over, as F8 is

    def open_form(self) -> None:
        self.push_screen(FormModal("Payment plan", FIELDS, dict), self.results.append)


def typed_at_once(app: App[None], keys: list[str]) -> None:
    """The keys as one terminal read delivers them: all queued before the first is handled."""
    for key in keys:
        character = " " if key == "space" else key if len(key) == 1 else None
        app.post_message(events.Key(key, character))


async def test_text_typed_ahead_across_fields_reaches_the_result() -> None:
    app = FormHost()
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_form()
        await pilot.pause()
        await pilot.press(*"6", "enter", *"25.00", "enter", *"2026-11-29", "enter")
        await pilot.pause()
        assert app.results == [{"months": "6", "down": "25.00", "start": "2026-11-29"}]


async def test_editing_keys_typed_ahead_after_enter_apply_in_order() -> None:
    app = FormHost()
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_form()
        await pilot.pause()
        await pilot.press("6")
        typed_at_once(app, ["enter", "ctrl+u", *"25.00", "enter",
                            "end", "backspace", "backspace", *"29", "enter"])
        await pilot.pause(0.2)
        assert app.results == [{"months": "6", "down": "25.00", "start": "2026-11-29"}]


async def test_a_burst_clearing_the_next_field_keeps_what_follows() -> None:
    app = FormHost()
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_form()
        await pilot.pause()
        typed_at_once(app, ["enter", "ctrl+u", *"25.00"])
        await pilot.pause(0.2)
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert app.results == [{"months": "12", "down": "25.00", "start": "2026-11-30"}]


async def test_keys_typed_as_the_form_opens_reach_the_first_field() -> None:
    app = FormHost()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_form()
        typed_at_once(app, [*"7", "enter", "enter", "enter"])
        await pilot.pause(0.2)
        assert app.results == [{"months": "7", "down": "0.00", "start": "2026-11-30"}]


async def test_enter_typed_twice_on_the_last_field_saves_once() -> None:
    app = FormHost()
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_form()
        await pilot.pause()
        typed_at_once(app, ["enter", "enter", "enter", "enter", "enter"])
        await pilot.pause(0.2)
        assert app.results == [{"months": "12", "down": "0.00", "start": "2026-11-30"}]
        assert len(app.screen_stack) == 2  # the screen the form opened over is still there


async def test_a_choice_typed_twice_picks_once() -> None:
    from console.widgets.forms import ChoiceModal

    app = FormHost()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(ChoiceModal("Crew result", [("locked", "Locked"), ("no", "No access")]),
                        app.results.append)  # type: ignore[arg-type]
        await pilot.pause()
        typed_at_once(app, ["1", "1", "enter"])
        await pilot.pause(0.2)
        assert app.results == ["locked"]
        assert len(app.screen_stack) == 2
