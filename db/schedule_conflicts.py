"""What is wrong with the stored schedule, in words: gates now failed, closures added after a
date was scheduled, and days with more lock-offs than the crew can do."""
from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from core.business_days import DayOffKind, DistrictCalendar, weekday_words
from core.schedule import EventKind, ScheduledDate
from core.schedule_gates import breaches
from core.settings import DistrictSettings
from db.schedule import schedule_between, schedule_for_month

_LOCKOFFS = (EventKind.LOCKOFF, EventKind.COMMERCIAL_LOCKOFF)
Forecast = dict[int, tuple[int, int]]  # cycle id -> (residential, commercial) lock-offs


@dataclass(frozen=True)
class Conflict:
    """One problem on one day, said in words."""

    on: date
    message: str
    cycle_id: int | None = None


def lockoff_forecast(conn: sqlite3.Connection, today: date, settings: DistrictSettings
                     ) -> Forecast:
    """Per cycle, (residential, commercial) accounts that would be on a lock-off list today.

    The forecast for a coming lock-off day until the lock-off list records its own count: an
    active account whose balance, less the bills not yet past due by the lock-off wait (60
    days residential, the commercial setting), is still at least lockoff_min_past_due_cents
    (payments settle the oldest bills first).
    """
    rows = conn.execute(
        """
        WITH owing AS (
            SELECT a.id, p.service_class, r.cycle_id, b.balance_cents
              FROM account_balances b
              JOIN accounts a ON a.id = b.account_id
              JOIN premises p ON p.id = a.premise_id
              JOIN routes r ON r.id = p.route_id
             WHERE b.balance_cents >= :least AND a.status = 'active')
        SELECT o.cycle_id, o.service_class, count(*)
          FROM owing o
         WHERE o.balance_cents - COALESCE((
                   SELECT SUM(e.amount_cents) FROM ledger_entries e
                    WHERE e.account_id = o.id AND e.effective_on > :issued
                      AND e.entry_type = 'bill'
                      AND e.due_on > CASE o.service_class WHEN 'residential' THEN :res
                                                         ELSE :com END), 0) >= :least
         GROUP BY o.cycle_id, o.service_class
        """, {"res": (today - timedelta(days=settings.lockoff_min_days_delinquent)).isoformat(),
              # A bill due after either cut-off was dated at most due_days (<= 90) before
              # its due date: the index on (account_id, effective_on) reads only those.
              "issued": (today - timedelta(days=max(settings.lockoff_min_days_delinquent,
                                                    settings.commercial_lockoff_days_after_due)
                                             + 91)).isoformat(),
              "com": (today - timedelta(days=settings.commercial_lockoff_days_after_due)
                      ).isoformat(),
              "least": settings.lockoff_min_past_due_cents})
    found: Forecast = {}
    for cycle_id, service_class, count in rows:
        residential, commercial = found.get(cycle_id, (0, 0))
        found[cycle_id] = ((count, commercial) if service_class == "residential"
                           else (residential, count))
    return found


def _gate_conflicts(conn: sqlite3.Connection, rows: list[ScheduledDate], start: date,
                    end: date, calendar: DistrictCalendar, settings: DistrictSettings
                    ) -> list[Conflict]:
    found = []
    for month, cycle_id in sorted({(r.month, r.cycle_id) for r in rows}):
        whole = {r.event: r for r in schedule_for_month(conn, month, cycle_id)}
        for breach in breaches({e: r.on for e, r in whole.items()}, calendar, settings):
            row = whole[breach.event]
            if not start <= row.on <= end:
                continue
            message = f"{row.cycle_name} ({month:%Y-%m}): {breach.words()}"
            off = calendar.day_off(row.on)
            if (off is not None and off.kind == DayOffKind.CLOSURE
                    and off.added_at > row.scheduled_at):
                message += (f"; the closure was added {off.added_at[:10]}, after this date was "
                            f"scheduled {row.scheduled_at[:10]}: regenerate the month"
                            + (" or override the date" if not row.used_by else
                               f" (USED by {row.used_by}: a supervisor decides)"))
            found.append(Conflict(row.on, message, cycle_id))
    return found


def _crew_conflicts(rows: list[ScheduledDate], workloads: dict[int, int],
                    forecast: dict[int, tuple[int, int]], capacity: int, today: date
                    ) -> list[Conflict]:
    """Days from today on with more lock-offs (recorded, else forecast) than the crew can do."""
    per_day: dict[date, list[tuple[ScheduledDate, int]]] = defaultdict(list)
    for row in rows:
        if row.event in _LOCKOFFS and row.on >= today:
            residential, commercial = forecast.get(row.cycle_id, (0, 0))
            count = workloads.get(row.id, residential if row.event == EventKind.LOCKOFF
                                  else commercial)
            per_day[row.on].append((row, count))
    found = []
    for day, items in sorted(per_day.items()):
        total = sum(count for _, count in items)
        if total > capacity:
            parts = ", ".join(f"{r.cycle_name} {r.event.label} {count}" for r, count in items)
            found.append(Conflict(day, (
                f"{weekday_words(day)}: {total} lock-offs planned ({parts}), more than the crew "
                f"capacity of {capacity} a day (crew_capacity_per_day); override one cycle's "
                "lock-off to another day")))
    return found


def schedule_conflicts(conn: sqlite3.Connection, start: date, end: date, today: date,
                       calendar: DistrictCalendar, settings: DistrictSettings,
                       forecast: Forecast | None = None) -> list[Conflict]:
    """Every conflict on a stored date from `start` to `end`, in date order.

    `forecast` (lockoff_forecast's answer for today) is computed when not given.
    """
    rows = schedule_between(conn, start, end)
    if not rows:
        return []
    workloads = {r[0]: r[1] for r in conn.execute(
        "SELECT id, workload FROM schedule_dates WHERE workload IS NOT NULL"
        " AND on_date BETWEEN ? AND ?", (start.isoformat(), end.isoformat()))}
    if forecast is None and any(r.event in _LOCKOFFS and r.on >= today for r in rows):
        forecast = lockoff_forecast(conn, today, settings)
    found = _gate_conflicts(conn, rows, start, end, calendar, settings)
    found += _crew_conflicts(rows, workloads, forecast or {}, settings.crew_capacity_per_day,
                             today)
    return sorted(found, key=lambda c: c.on)


@dataclass(frozen=True)
class CalendarMonth:
    """Everything the calendar screen shows for one month, read in one worker."""

    month: date
    calendar: DistrictCalendar
    settings: DistrictSettings
    grid_rows: list[ScheduledDate]   # stored dates on the days the month's grid shows
    month_rows: list[ScheduledDate]  # the month's schedule by cycle (stored, or a preview)
    stored: bool
    week_rows: list[ScheduledDate]   # stored dates from two weeks before today to three after
    conflicts: list[Conflict]        # on the grid's days and in the coming week
    forecast: Forecast               # today's lock-off forecast, reused while today lasts


def calendar_month(conn: sqlite3.Connection, month: date, today: date,
                   forecast: Forecast | None = None) -> CalendarMonth:
    """The month's grid, its schedule by cycle, this week's dates and every conflict.

    The lock-off forecast reads every owing account (~0.3 s at 100,000): pass the one a
    previous call returned to move between months without reading it again.
    """
    from core.month_grid import grid_range
    from db.closures import load_calendar
    from db.schedule import preview_month
    from db.settings import load_settings

    settings = load_settings(conn)
    calendar = load_calendar(conn)
    first, last = grid_range(month)
    stored = schedule_for_month(conn, month)
    week_end = today + timedelta(days=7)
    start, end = min(first, today), max(last, week_end)
    if forecast is None:
        forecast = lockoff_forecast(conn, today, settings)
    return CalendarMonth(
        month=month, calendar=calendar, settings=settings,
        grid_rows=schedule_between(conn, first, last),
        month_rows=stored or preview_month(conn, month), stored=bool(stored),
        week_rows=schedule_between(conn, today - timedelta(days=14),
                                   week_end + timedelta(days=14)),
        conflicts=[c for c in schedule_conflicts(conn, start, end, today, calendar, settings,
                                                 forecast)
                   if first <= c.on <= last or today <= c.on <= week_end],
        forecast=forecast)
