"""A one-line field for fast keyed entry, where typed-ahead keys land in the right field.

Textual queues each key to the widget focused when the key arrives, and an Input's Enter
binding runs later, in the app. A clerk (or a paste over SSH) typing "0100004-01⏎100⏎" faster
than the screen repaints would leave "100" in the account field. So an EntryInput handles Enter
itself, in its own turn, calls the screen's `field_entered(field)` (which moves the focus), and
at once hands the keys still queued to it over to the field that now has the focus, in order.
"""
from __future__ import annotations

from asyncio import Queue, QueueEmpty

from textual import events
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input


class EntryInput(Input):
    """An Input whose Enter calls `screen.field_entered(self)` before the next key is read."""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.screen.field_entered(self)  # type: ignore[attr-defined]
            focused = self.screen.focused
            if focused is not None and focused is not self:
                self._hand_over_typed_ahead(focused)
            return
        await super()._on_key(event)

    def _hand_over_typed_ahead(self, target: Widget) -> None:
        """Move the keys queued here (typed after Enter) to `target`, keeping their order."""
        keys: list[events.Key] = []
        pending = self._pending_message
        if isinstance(pending, events.Key):
            keys.append(pending)
            self._pending_message = None
        kept: list[Message | None] = []
        queue: Queue[Message | None] = self._message_queue
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
