"""District business days: weekends, the holiday seed and the district's own closure list.

A business day is not a Saturday or Sunday, not a holiday and not an office closure
(Gov. Code §60374, RULES.md §10). Holidays are seeded from the `holidays` package (US, CA,
observed dates) and adjusted by the district list: days the office closes that the package
lacks, and package holidays the board does not observe. This is the one place any Meterline
date asks "is the office open?".
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

HolidayLookup = Callable[[int], Mapping[date, str]]

# The seed's identity, shown wherever a holiday's source is listed.
PACKAGE_SOURCE = "holidays package (US-CA, observed)"


class ClosureKind(StrEnum):
    """What a district list entry does to a day."""

    CLOSED = "closed"  # the office is closed on a day the package does not list
    OPEN = "open"      # the office is open on a package holiday the board does not observe


class DayOffKind(StrEnum):
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    CLOSURE = "closure"


@dataclass(frozen=True)
class Closure:
    """One entry of the district's list, with who added it and why (a resolution, an MOU)."""

    on: date
    kind: ClosureKind
    name: str
    reason: str
    added_by: str = ""
    added_at: str = ""


@dataclass(frozen=True)
class DayOff:
    """A day the office is not open, with its name and where that came from."""

    on: date
    kind: DayOffKind
    name: str
    source: str
    added_at: str = ""  # for a district closure: when it was put on the list

    def words(self) -> str:
        """The day's reason as shown in an explanation: "Christmas Day", "Saturday"."""
        if self.kind == DayOffKind.CLOSURE:
            return f"{self.name}, district closure"
        return self.name


@lru_cache(maxsize=32)
def package_holidays(year: int) -> dict[date, str]:
    """The `holidays` package's California holidays of one year, observed days included."""
    import holidays  # ~125 ms: imported where used, off the console's first paint

    return dict(holidays.country_holidays("US", subdiv="CA", years=year, observed=True))


def weekday_words(day: date) -> str:
    """A date as explanations show it: "Fri 2026-12-25"."""
    return f"{day:%a} {day.isoformat()}"


class DistrictCalendar:
    """Answers, for any date, whether the office is open and if not, why."""

    def __init__(self, closures: Iterable[Closure] = (),
                 holidays: HolidayLookup = package_holidays) -> None:
        self.closures = {c.on: c for c in closures}
        self._holidays = holidays
        self._cache: dict[date, DayOff | None] = {}

    def day_off(self, day: date) -> DayOff | None:
        """Why the office is closed on `day`, or None on a business day."""
        if day in self._cache:
            return self._cache[day]
        found: DayOff | None = None
        entry = self.closures.get(day)
        holiday = self._holidays(day.year).get(day)
        if day.weekday() >= 5:
            found = DayOff(day, DayOffKind.WEEKEND, f"{day:%A}", "weekend")
        elif entry is not None and entry.kind == ClosureKind.CLOSED:
            found = DayOff(day, DayOffKind.CLOSURE, entry.name, f"district list: {entry.reason}",
                           entry.added_at)
        elif holiday and (entry is None or entry.kind != ClosureKind.OPEN):
            found = DayOff(day, DayOffKind.HOLIDAY, holiday, PACKAGE_SOURCE)
        self._cache[day] = found
        return found

    def seed_holiday(self, day: date) -> str | None:
        """The package holiday's name on `day`, whatever the district list says."""
        return self._holidays(day.year).get(day)

    def is_business_day(self, day: date) -> bool:
        return self.day_off(day) is None

    def next_business_day(self, day: date) -> date:
        """`day` itself when the office is open, else the first open day after it."""
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def previous_business_day(self, day: date) -> date:
        """`day` itself when the office is open, else the last open day before it."""
        while not self.is_business_day(day):
            day -= timedelta(days=1)
        return day

    def add_business_days(self, day: date, count: int) -> date:
        """The `count`-th business day after `day` (`day` itself does not count)."""
        step = timedelta(days=1 if count >= 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_business_day(day):
                remaining -= 1
        return day

    def business_days_between(self, start: date, end: date) -> int:
        """Business days after `start` up to and including `end` (0 when end <= start)."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_business_day(day):
                count += 1
        return count

    def skipped(self, start: date, end: date) -> list[DayOff]:
        """The days off from `start` up to, not including, `end` (either direction)."""
        step = timedelta(days=1 if end >= start else -1)
        found = []
        day = start
        while day != end:
            off = self.day_off(day)
            if off is not None:
                found.append(off)
            day += step
        return found

    def is_eve_of_closed_day(self, day: date) -> bool:
        """True when `day` is open but the office is closed the next day (a weekend or closure)."""
        return self.is_business_day(day) and not self.is_business_day(day + timedelta(days=1))

    def year_days_off(self, year: int) -> list[tuple[DayOff | None, date, str, str]]:
        """Every holiday and district entry of a year: (day off or None when open, date, name,
        source), in date order; weekends only where a holiday or closure falls on them."""
        rows: list[tuple[DayOff | None, date, str, str]] = []
        days = {d for d in self._holidays(year) if d.year == year}
        days |= {d for d in self.closures if d.year == year}
        for day in sorted(days):
            entry = self.closures.get(day)
            holiday = self._holidays(year).get(day)
            off = self.day_off(day)
            if entry is not None and entry.kind == ClosureKind.OPEN:
                source = f"{PACKAGE_SOURCE}; district list: office OPEN ({entry.reason})"
                rows.append((off, day, holiday or entry.name, source))
            elif entry is not None:
                source = f"district list: {entry.reason}"
                rows.append((off, day, entry.name, source))
            else:
                rows.append((off, day, holiday or "", PACKAGE_SOURCE))
        return rows


def closure_problem(calendar: DistrictCalendar, on: date, kind: ClosureKind) -> str | None:
    """Why a district-list entry would change nothing, or None when it is meaningful."""
    if on.weekday() >= 5:
        return f"{weekday_words(on)} is a {on:%A}: the office is never open at weekends"
    holiday = calendar.seed_holiday(on)
    if kind == ClosureKind.CLOSED and holiday:
        return f"{weekday_words(on)} is already a holiday in the seed ({holiday})"
    if kind == ClosureKind.OPEN and not holiday:
        return f"{weekday_words(on)} is not a holiday in the seed, so there is nothing to open"
    return None
