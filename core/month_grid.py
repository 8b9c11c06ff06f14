"""The calendar screen's month grid as plain data: weeks of days, each with its markers."""
from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from core.business_days import DayOffKind, DistrictCalendar
from core.schedule import ScheduledDate

WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


@dataclass(frozen=True)
class DayCell:
    """One day of the grid: its number and tag on the first line, event markers on the second."""

    on: date
    in_month: bool
    head: str
    marks: str


def month_weeks(month: date) -> list[list[date]]:
    """The weeks (Sunday first) that hold the month's days: 4 to 6 of them."""
    weeks = _calendar.Calendar(firstweekday=_calendar.SUNDAY).monthdatescalendar(
        month.year, month.month)
    return [list(week) for week in weeks]


def marks(rows: Iterable[ScheduledDate], width: int) -> str:
    """Markers like "1D 3cL" (cycle id, event code) fitted to `width`, "+n" for the rest."""
    tokens = [f"{r.cycle_id}{r.event.code}" for r in rows]
    shown: list[str] = []
    for i, token in enumerate(tokens):
        rest = len(tokens) - i - 1
        candidate = " ".join([*shown, token])
        tail = f" +{rest}" if rest else ""
        if len(candidate + tail) > width:
            return " ".join(shown) + f" +{len(tokens) - i}" if shown else f"+{len(tokens)}"
        shown.append(token)
    return " ".join(shown)


def day_head(day: date, today: date, calendar: DistrictCalendar, width: int) -> str:
    """"20 TODAY", "25 HOLIDAY", "24 CLOSED", or the number alone; words, never colour."""
    off = calendar.day_off(day)
    tag = ""
    if day == today:
        tag = "TODAY"
    elif off is not None and off.kind == DayOffKind.HOLIDAY:
        tag = "HOLIDAY"
    elif off is not None and off.kind == DayOffKind.CLOSURE:
        tag = "CLOSED"
    return f"{day.day:>2} {tag}"[:width].rstrip()


def month_cells(month: date, today: date, rows: Iterable[ScheduledDate],
                calendar: DistrictCalendar, width: int) -> list[list[DayCell]]:
    """Every cell of the month's grid; `rows` are the stored dates shown (already filtered)."""
    by_day: dict[date, list[ScheduledDate]] = {}
    for row in rows:
        by_day.setdefault(row.on, []).append(row)
    return [[DayCell(day, day.month == month.month,
                     day_head(day, today, calendar, width),
                     marks(by_day.get(day, []), width))
             for day in week] for week in month_weeks(month)]


def grid_range(month: date) -> tuple[date, date]:
    """The first and last date the month's grid shows."""
    weeks = month_weeks(month)
    return weeks[0][0], weeks[-1][-1]


def move(day: date, *, days: int = 0, months: int = 0) -> date:
    """The selected day moved by days or months (the day of month clamped to the month's end)."""
    if months:
        index = day.year * 12 + day.month - 1 + months
        year, month = index // 12, index % 12 + 1
        last = _calendar.monthrange(year, month)[1]
        return date(year, month, min(day.day, last))
    return day + timedelta(days=days)
