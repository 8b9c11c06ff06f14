"""A one-line field for fast keyed entry, where typed-ahead keys land in the right field.

Textual queues each key to the widget focused when the key arrives, and an Input's Enter
binding runs later, in the app. A clerk (or a paste over SSH) typing "0100004-01⏎100⏎" faster
than the screen repaints would leave "100" in the account field. So an EntryInput handles Enter
itself, in its own turn, calls the screen's `field_entered(field)` (which moves the focus), and
at once hands the keys still queued to it over to the field that now has the focus, in order.
An Input's editing keys (backspace, ctrl+u, the arrows) are bindings that Textual runs only
once the key has bubbled up to the app, after the characters typed behind them were inserted;
an EntryInput runs its own editing bindings in its own turn, so "⏎^U25.00" leaves "25.00".
"""
from __future__ import annotations

from asyncio import Queue, QueueEmpty

from textual import events
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widget import Widget
from textual.widgets import Input


def hand_over_typed_ahead(source: MessagePump, target: Widget) -> None:
    """Move the keys queued at `source` (typed before the focus reached `target`) to `target`,
    keeping their order."""
    keys: list[events.Key] = []
    pending = source._pending_message
    if isinstance(pending, events.Key):
        keys.append(pending)
        source._pending_message = None
    kept: list[Message | None] = []
    queue: Queue[Message | None] = source._message_queue
    while True:
        try:
            message: Message | None = queue.get_nowait()
        except QueueEmpty:
            break
        queue.task_done()
        if isinstance(message, events.Key):
            keys.append(message)
        else:
            kept.append(message)
    for message in kept:
        queue.put_nowait(message)
    for key in keys:
        target.post_message(key)


# Keys held while a screen finds out where typing goes: characters and the editing keys.
# Everything else (Esc, the F-keys, ctrl+q) acts at once, as always.
HELD_KEYS = frozenset({"enter", "backspace", "delete", "ctrl+u", "left", "right", "home",
                       "end"})


class HeldKeys:
    """Keys typed while a screen is still loading what decides where they go (a form that
    opens only when there is nothing to key into, or the field that takes them): held in
    order, then handed to that field or form, so a clerk who types before the screen is
    ready loses nothing."""

    def __init__(self) -> None:
        self._keys: list[events.Key] | None = []

    def hold(self, event: events.Key) -> bool:
        """Keep the key if still holding (the caller stops it); False once released."""
        if self._keys is None or not (event.is_printable or event.key in HELD_KEYS):
            return False
        self._keys.append(events.Key(event.key, event.character))
        return True

    def release(self) -> list[events.Key]:
        """The keys held, in order; from now on none is held."""
        keys, self._keys = self._keys or [], None
        return keys


class EntryInput(Input):
    """An Input whose Enter calls `screen.field_entered(self)` before the next key is read."""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.screen.field_entered(self)  # type: ignore[attr-defined]
            focused = self.screen.focused
            if focused is not None and focused is not self:
                hand_over_typed_ahead(self, focused)
            return
        if not event.is_printable and await self._edit_now(event.key):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    async def _edit_now(self, key: str) -> bool:
        """Run this field's own binding for `key` (backspace, ctrl+u, an arrow) at once."""
        for binding in self._bindings.key_to_bindings.get(key, ()):
            if await self.app.run_action(binding.action, self):
                return True
        return False
