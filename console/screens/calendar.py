"""Calendar: the month grid of every cycle's dates, this week's agenda, the schedule by cycle.

Keys move by day (arrows, hjkl), week (up/down) and month ([ and ], PgUp/PgDn); c switches
cycle, v the view; Enter explains the selected date; o, g and x are a supervisor's override,
generate and closure-list change. Everything shown comes from the stored schedule.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DataTable, Footer, Label, Static

from console.messages import CalendarLoaded, ScheduleChanged
from console.screens.calendar_modals import (
    ClosureModal,
    ClosureRequest,
    OverrideModal,
    OverrideRequest,
    TextModal,
)
from console.session import now_stamp
from console.widgets.month_grid import CELL, MonthGrid
from console.worker_errors import ReportsWorkerErrors
from core.agenda import agenda, agenda_text
from core.business_days import ClosureKind, weekday_words
from core.errors import PermissionDenied
from core.explain import render
from core.month_grid import month_cells, move
from core.schedule import ScheduledDate, explain_lines
from core.users import require_supervisor

if TYPE_CHECKING:
    from db.schedule_conflicts import CalendarMonth

VIEWS = ("calendar-month-view", "calendar-agenda-view", "calendar-cycles-view")
VIEW_NAMES = {"calendar-month-view": "month", "calendar-agenda-view": "agenda",
              "calendar-cycles-view": "by cycle"}
LEGEND = ("Marks = cycle number + R read opens, W read closes, B bill, D due, P past-due\n"
          "letter, F late fee, N notice, H door hanger, L lock-off, cN/cL commercial.")


class CalendarScreen(ReportsWorkerErrors, Screen[None]):
    """The billing calendar a supervisor checks every day."""

    CSS_PATH = "calendar.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="calendar.back", show=False),
        Binding("c", "next_cycle", "Cycle", id="calendar.cycle"),
        Binding("v", "next_view", "View", id="calendar.view"),
        Binding("o", "override", "Override", id="calendar.override"),
        Binding("g", "generate", "Generate", id="calendar.generate"),
        Binding("x", "closure", "Closure", id="calendar.closure", show=False),
        Binding("pageup,left_square_bracket", "month(-1)", "Month back",
                id="calendar.month_back", show=False),
        Binding("pagedown,right_square_bracket", "month(1)", "Month on",
                id="calendar.month_on", show=False),
        Binding("t", "today", "Today", id="calendar.today", show=False),
        Binding("r", "reload", "Refresh", id="calendar.refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.today: date = self.app.session.today  # type: ignore[attr-defined]
        self.selected = self.today
        self.month = self.today.replace(day=1)
        self.cycle: int | None = None
        self.data: CalendarMonth | None = None
        self.forecast: dict[int, tuple[int, int]] | None = None  # kept until r or a change

    def compose(self) -> ComposeResult:
        yield Label("Calendar", id="calendar-title", markup=False)
        yield Label("Loading the schedule…", id="calendar-status", markup=False)
        with ContentSwitcher(initial=VIEWS[0], id="calendar-views"):
            with Vertical(id=VIEWS[0]):
                yield MonthGrid(id="calendar-grid")
                yield Static("", id="calendar-day", markup=False)
            with VerticalScroll(id=VIEWS[1]):
                yield Static("", id="calendar-agenda", markup=False)
            yield DataTable(id=VIEWS[2], cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title, width in (("Cycle", 8), ("Date", 14), ("Event", 19), ("Status", 10),
                             ("Why", 90)):
            table.add_column(title, width=width)
        self.query_one(MonthGrid).focus()
        self.action_reload()

    # --- loading -------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.forecast = None
        self._load(self.month, None)

    @work(thread=True, exclusive=True, group="calendar", exit_on_error=False)
    def _load(self, month: date, forecast: dict[int, tuple[int, int]] | None) -> None:
        from db.schedule_conflicts import calendar_month

        with self.app.connect() as conn:  # type: ignore[attr-defined]
            view = calendar_month(conn, month, self.today, forecast)
        self.post_message(CalendarLoaded(view))

    @on(CalendarLoaded)
    def _loaded(self, event: CalendarLoaded) -> None:
        if event.view.month != self.month:
            return  # a newer month was asked for meanwhile
        self.data = event.view
        self.forecast = event.view.forecast
        self._show()

    # --- showing -------------------------------------------------------------------------

    def _rows(self, rows: list[ScheduledDate]) -> list[ScheduledDate]:
        return [r for r in rows if self.cycle in (None, r.cycle_id)]

    def _cycle_words(self) -> str:
        if self.cycle is None or self.data is None:
            return "all cycles"
        return next((r.cycle_name for r in self.data.month_rows
                     if r.cycle_id == self.cycle), f"cycle {self.cycle}")

    def _show(self) -> None:
        if self.data is None:
            return
        v = self.data
        switcher = self.query_one(ContentSwitcher)
        self.query_one("#calendar-title", Label).update(
            f"Calendar — {self.month:%B %Y} — {self._cycle_words()} — "
            f"view: {VIEW_NAMES[switcher.current or VIEWS[0]]}")
        conflicts = [c for c in v.conflicts if self.cycle in (None, c.cycle_id)]
        stored = f"{self.month:%Y-%m} " + ("STORED" if v.stored else "NOT GENERATED (g)")
        self.query_one("#calendar-status", Label).update(
            f"{stored} · {len(conflicts)} CONFLICT(S) · [ ] month · t today")
        self.query_one(MonthGrid).show(
            month_cells(self.month, self.today, self._rows(v.grid_rows), v.calendar, CELL),
            self.selected)
        self._show_day()
        self._show_agenda()
        self._show_cycles()

    def _day_rows(self) -> list[ScheduledDate]:
        if self.data is None:
            return []
        return [r for r in self._rows(self.data.grid_rows) if r.on == self.selected]

    def _day_head(self) -> str:
        assert self.data is not None
        off = self.data.calendar.day_off(self.selected)
        state = "office OPEN" if off is None else f"office CLOSED: {off.words()} ({off.source})"
        return f"{weekday_words(self.selected)}  {state}"

    def _show_day(self) -> None:
        if self.data is None:
            return
        lines = [self._day_head()]
        for row in self._day_rows():
            status = f" [{row.status}]" if row.status else ""
            lines.append(f"{row.cycle_name} {row.event.label}{status}: {render(row.explanation)}")
        lines += [f"CONFLICT: {c.message}" for c in self.data.conflicts
                  if c.on == self.selected and self.cycle in (None, c.cycle_id)]
        if len(lines) == 1:
            lines += ["Nothing scheduled on this day.", *LEGEND.splitlines()]
        width = max(self.size.width - 2, 40)
        self.query_one("#calendar-day", Static).update(
            "\n".join(line if len(line) <= width else line[:width - 1] + "…" for line in lines))

    def _show_agenda(self) -> None:
        assert self.data is not None
        v = self.data
        items = agenda(self.today, (), (), 7, self._rows(v.week_rows))
        lines = [f"CONFLICT {weekday_words(c.on)}: {c.message}" for c in v.conflicts
                 if self.today <= c.on and self.cycle in (None, c.cycle_id)]
        if items:
            lines.append(agenda_text(items, self.today, self.size.width - 4))
        self.query_one("#calendar-agenda", Static).update("\n".join(lines) if lines else (
            f"Nothing stored falls due from {weekday_words(self.today)} to "
            f"{weekday_words(move(self.today, days=7))}. A month not generated shows nothing "
            "here: move to it and press g."))

    def _show_cycles(self) -> None:
        assert self.data is not None
        table = self.query_one(DataTable)
        table.clear()
        status = "" if self.data.stored else "PREVIEW"
        for i, row in enumerate(self.data.month_rows):
            if self.cycle in (None, row.cycle_id):
                table.add_row(row.cycle_name, weekday_words(row.on), row.event.label,
                              status or row.status, Text(render(row.explanation)), key=str(i))

    # --- moving --------------------------------------------------------------------------

    def _select(self, day: date) -> None:
        self.selected = day
        if day.replace(day=1) != self.month:
            self.month = day.replace(day=1)
            self.query_one("#calendar-status", Label).update(f"Loading {self.month:%B %Y}…")
            self._load(self.month, self.forecast)
        elif self.data is not None:
            self.query_one(MonthGrid).selected = day  # within the month: repaint, no reload
            self._show_day()

    @on(MonthGrid.Moved)
    def _moved(self, event: MonthGrid.Moved) -> None:
        self._select(move(self.selected, days=event.days))

    def action_month(self, months: int) -> None:
        self._select(move(self.selected, months=months))

    def action_today(self) -> None:
        self._select(self.today)

    def action_next_cycle(self) -> None:
        if self.data is None:
            return
        ids = sorted({r.cycle_id for r in self.data.month_rows})
        choices: list[int | None] = [None, *ids]
        self.cycle = choices[(choices.index(self.cycle) + 1) % len(choices)]
        self._show()

    def action_next_view(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        switcher.current = VIEWS[(VIEWS.index(switcher.current or VIEWS[0]) + 1) % len(VIEWS)]
        if switcher.current == VIEWS[0]:
            self.query_one(MonthGrid).focus()
        else:
            self.query_one(f"#{switcher.current}").focus()
        self._show()

    # --- explaining ----------------------------------------------------------------------

    def _chosen_rows(self) -> list[ScheduledDate]:
        """The dates an action applies to: the selected day's, or the highlighted row."""
        if self.data is None:
            return []
        if self.query_one(ContentSwitcher).current == VIEWS[2]:
            table = self.query_one(DataTable)
            if table.row_count == 0 or not self.data.stored:
                return []
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            return [self.data.month_rows[int(key or 0)]]
        return self._day_rows()

    @on(MonthGrid.Chosen)
    def _explain_day(self) -> None:
        assert self.data is not None
        lines = [self._day_head()]
        for row in self._day_rows():
            lines += ["", *explain_lines(row)]
        lines += ["", *[f"CONFLICT: {c.message}" for c in self.data.conflicts
                        if c.on == self.selected]]
        self.app.push_screen(TextModal(f"Why — {weekday_words(self.selected)}", lines))

    @on(DataTable.RowSelected)
    def _explain_row(self) -> None:
        rows = self._chosen_rows()
        if rows and self.data is not None:
            self.app.push_screen(TextModal(
                f"Why — {rows[0].cycle_name} {rows[0].event.label}",
                explain_lines(rows[0], preview=not self.data.stored)))

    # --- supervisor actions --------------------------------------------------------------

    def _supervisor(self, action: str) -> bool:
        try:
            require_supervisor(self.app.session.user, action)  # type: ignore[attr-defined]
        except PermissionDenied as exc:
            self.app.show_error("Supervisors only", str(exc))  # type: ignore[attr-defined]
            return False
        return True

    def action_override(self) -> None:
        if not self._supervisor("override a schedule date") or self.data is None:
            return
        rows = self._chosen_rows()
        if not rows:
            self.app.show_error("Nothing to override", (  # type: ignore[attr-defined]
                "No stored date is chosen: move to a day with markers, or generate the "
                f"month first (g); {self.month:%Y-%m} is "
                f"{'stored' if self.data.stored else 'NOT GENERATED'}."))
            return
        self.app.push_screen(OverrideModal(rows), self._override)

    def _override(self, request: OverrideRequest | None) -> None:
        if request is not None:
            self._write_override(request)

    @work(thread=True, exclusive=True, group="calendar-write", exit_on_error=False)
    def _write_override(self, request: OverrideRequest) -> None:
        from db.schedule import override_date

        session = self.app.session  # type: ignore[attr-defined]
        row = request.row
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            report = override_date(conn, month=row.month, cycle_id=row.cycle_id,
                                   event=row.event, new_on=request.new_on,
                                   reason=request.reason, user=session.user,
                                   at=now_stamp(), today=self.today)
        self.post_message(ScheduleChanged("Override stored", report.lines()))

    def action_generate(self) -> None:
        if self._supervisor("generate the billing calendar"):
            self._write_generate(self.month)

    @work(thread=True, exclusive=True, group="calendar-write", exit_on_error=False)
    def _write_generate(self, month: date) -> None:
        from db.schedule import generate_months

        session = self.app.session  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            [report] = generate_months(conn, month, 1, user=session.user, at=now_stamp(),
                                       today=self.today)
        self.post_message(ScheduleChanged(f"Generated {month:%B %Y}", report.lines()))

    def action_closure(self) -> None:
        if not self._supervisor("change the district's closure list") or self.data is None:
            return
        calendar = self.data.calendar
        entry = calendar.closures.get(self.selected)
        holiday = calendar.seed_holiday(self.selected)
        if self.selected.weekday() >= 5:
            self.app.show_error("A weekend", "The office is never open at weekends; "  # type: ignore[attr-defined]
                                "nothing to change.")
            return
        if entry is not None:
            action, what = "clear", f"remove the district entry ({entry.kind.value.upper()}: " \
                                    f"{entry.name})"
        elif holiday:
            action, what = "open", f"open the office on {holiday} (board does not observe it)"
        else:
            action, what = "close", "close the office (a district closure)"
        self.app.push_screen(ClosureModal(self.selected, action, what), self._closure)

    def _closure(self, request: ClosureRequest | None) -> None:
        if request is not None:
            self._write_closure(request)

    @work(thread=True, exclusive=True, group="calendar-write", exit_on_error=False)
    def _write_closure(self, request: ClosureRequest) -> None:
        from db.closures import remove_closure, set_closure
        from db.schedule import schedule_between

        session = self.app.session  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            if request.action == "clear":
                remove_closure(conn, on=request.on, reason=request.reason, user=session.user,
                               at=now_stamp())
            else:
                kind = ClosureKind.CLOSED if request.action == "close" else ClosureKind.OPEN
                set_closure(conn, on=request.on, kind=kind,
                            name=request.name or "Office open", reason=request.reason,
                            user=session.user, at=now_stamp())
            touched = sorted({f"{r.month:%Y-%m}" for r in schedule_between(
                conn, request.on, request.on)})
        lines = [f"{weekday_words(request.on)}: {request.action} stored ({request.reason})."]
        if touched:
            lines.append("Stored dates fall on this day: regenerate " + ", ".join(touched)
                         + " (move to the month, press g).")
        self.post_message(ScheduleChanged("District closure list changed", lines))

    @on(ScheduleChanged)
    def _changed(self, event: ScheduleChanged) -> None:
        self.app.push_screen(TextModal(event.title, event.lines))
        self.action_reload()
