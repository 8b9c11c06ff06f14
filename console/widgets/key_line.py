"""A one-line key guide: the screen's shown bindings, as keyed (keymap included), and F1.

Textual's Footer rebuilds a widget per key on every focus change; measured on the district
server class of machine it costs 100-200 ms each time a screen opens, most of the account
screen's paint budget (bench/bench_search.py). This line is written once, when the screen
is mounted, and again only if the keymap changes the keys.
"""
from __future__ import annotations

from textual.widgets import Static


class KeyLine(Static):
    """The keys of the screen it sits on, shown in words: "esc Back  n Note  …  f1 Help"."""

    DEFAULT_CSS = """
    KeyLine { dock: bottom; height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def __init__(self, *, extra: str = "", id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.extra = extra  # keys shown in one word, e.g. "1-7 tabs"

    def on_mount(self) -> None:
        self.call_after_refresh(self.write_keys)

    def write_keys(self) -> None:
        screen, app = self.screen, self.app
        parts = []
        seen: set[str] = set()
        for _key, binding in screen._bindings:  # the screen's own, after any [keymap]
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            parts.append(f"{app.get_key_display(binding)} {binding.description}")
        if self.extra:
            parts.append(self.extra)
        parts.append("f1 Help")
        self.update("  ".join(parts))
