"""Home: the district, who is signed in, today's date, and the work due today and this week."""
from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from console.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:  # loaded by the worker, after the first paint
    from console.messages import SummaryLoaded


class HomeScreen(ReportsWorkerErrors, Screen[None]):
    """The first screen: paints its frame at once, then fills in figures from a worker."""

    CSS_PATH = "home.tcss"
    BINDINGS = [Binding("r", "reload", "Refresh", id="home.refresh")]

    def compose(self) -> ComposeResult:
        session = self.app.session  # type: ignore[attr-defined]
        yield Label("Meterline", id="home-title")
        yield Label(
            f"{session.who}  role: {session.user.role.value.upper()}  "
            f"today: {session.today:%a %Y-%m-%d}", id="home-who", markup=False)
        yield Static("Loading the district…", id="home-district", markup=False)
        yield Label("Due today and this week", classes="home-heading")
        with VerticalScroll(id="home-body"):
            yield Static("", id="home-agenda", markup=False)
        yield Static(self.app.areas_text(), id="home-areas",  # type: ignore[attr-defined]
                     markup=False)
        yield Footer()

    def on_mount(self) -> None:
        # After the first frame is on the terminal: the worker's imports and queries would
        # otherwise compete with the first paint for the interpreter.
        self.call_after_refresh(self.action_reload)

    def on_screen_resume(self) -> None:
        # Back from another area (a calendar just generated, a payment posted): fresh figures.
        # Not when first shown (on_mount loads), and not after a failed load: closing its
        # error modal would only fail again (r retries).
        if not self._shown_once:
            self._shown_once = True
            return
        if self.is_mounted and self._last_load_ok:
            self.action_reload()

    _last_load_ok = True
    _shown_once = False

    def action_reload(self) -> None:
        self._last_load_ok = False
        self._load()

    @work(thread=True, exclusive=True, group="home", exit_on_error=False)
    def _load(self) -> None:
        # Imported here, on the worker thread, so the frame paints before they load.
        from datetime import timedelta

        from console.messages import SummaryLoaded
        from core.agenda import agenda
        from db.accounts import district_summary
        from db.schedule import schedule_between
        from db.settings import load_settings

        session = self.app.session  # type: ignore[attr-defined]
        today, horizon, margin = session.today, 7, timedelta(days=14)
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            settings = load_settings(conn)
            summary = district_summary(conn, today, settings.district_name, horizon)
            schedule = schedule_between(conn, today - margin,
                                        today + timedelta(days=horizon) + margin)
        items = agenda(today, [(name, day, n) for _, name, day, n in summary.cycles],
                       summary.expiring_flags, horizon, schedule)
        self.post_message(SummaryLoaded(summary, items))

    def on_summary_loaded(self, event: SummaryLoaded) -> None:
        from core.money import format_money

        self._last_load_ok = True
        s = event.summary
        status = ", ".join(f"{s.accounts_by_status.get(k, 0):,} {k}"
                           for k in ("active", "inactive", "closed"))
        self.query_one("#home-title", Label).update(f"Meterline — {s.district_name}")
        self.query_one("#home-district", Static).update(
            f"Accounts: {status}\n"
            f"Owed {format_money(s.receivable_cents)} · credits "
            f"{format_money(-s.credit_cents)} · deposits held {format_money(s.deposits_cents)}")
        from core.agenda import agenda_text  # loaded already by the worker: no first-paint cost

        today = self.app.session.today  # type: ignore[attr-defined]
        text = agenda_text(event.agenda, today, self.size.width - 4)
        self.query_one("#home-agenda", Static).update(
            text or "Nothing falls due today or this week.")
