"""One path from a failed worker to the error modal.

Textual's Worker.StateChanged does not bubble, so every screen and widget that starts
workers mixes this in; the app then shows the one ErrorModal, never a traceback.
"""
from __future__ import annotations

from textual.worker import Worker, WorkerState


class ReportsWorkerErrors:
    """Mixin for screens and widgets: hand a failed worker to `MeterlineApp.worker_failed`."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.worker_failed(event.worker.error)  # type: ignore[attr-defined]
