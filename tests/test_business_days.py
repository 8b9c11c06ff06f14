"""District business days: weekends, the holiday seed with observed days, the district list."""
from __future__ import annotations

from datetime import date

import pytest

from core.business_days import (
    PACKAGE_SOURCE,
    Closure,
    ClosureKind,
    DayOffKind,
    DistrictCalendar,
    closure_problem,
    package_holidays,
)

CHRISTMAS_EVE = Closure(date(2026, 12, 24), ClosureKind.CLOSED, "Christmas Eve",
                        "Resolution 2026-14", "sup1", "2026-11-01T09:00:00")


@pytest.fixture(scope="module")
def calendar() -> DistrictCalendar:
    return DistrictCalendar()


@pytest.mark.parametrize(("day", "name"), [
    (date(2026, 7, 3), "Independence Day (observed)"),    # Jul 4 2026 is a Saturday
    (date(2027, 7, 5), "Independence Day (observed)"),    # Jul 4 2027 is a Sunday
    (date(2027, 12, 24), "Christmas Day (observed)"),     # Dec 25 2027 is a Saturday
    (date(2027, 12, 31), "New Year's Day (observed)"),    # Jan 1 2028 is a Saturday
    (date(2027, 6, 18), "Juneteenth National Independence Day (observed)"),
])
def test_holidays_on_weekends_close_the_observed_weekday(calendar: DistrictCalendar,
                                                         day: date, name: str) -> None:
    off = calendar.day_off(day)
    assert off is not None and off.kind == DayOffKind.HOLIDAY
    assert off.name == name and off.source == PACKAGE_SOURCE


def test_the_weekend_holiday_itself_reads_as_weekend(calendar: DistrictCalendar) -> None:
    off = calendar.day_off(date(2026, 7, 4))
    assert off is not None and off.kind == DayOffKind.WEEKEND and off.name == "Saturday"


def test_the_observed_day_belongs_to_the_year_it_falls_in() -> None:
    # New Year's Day 2028 (a Saturday) is observed on Fri 2027-12-31: the 2027 seed has it.
    assert date(2027, 12, 31) in package_holidays(2027)


def test_district_list_adds_closures_and_opens_unobserved_holidays() -> None:
    susan_b = Closure(date(2028, 2, 15), ClosureKind.OPEN, "Office open",
                      "board does not observe it")
    diwali = Closure(date(2027, 10, 29), ClosureKind.OPEN, "Office open", "not observed")
    cal = DistrictCalendar([CHRISTMAS_EVE, susan_b, diwali])
    eve = cal.day_off(date(2026, 12, 24))
    assert eve is not None and eve.kind == DayOffKind.CLOSURE
    assert eve.words() == "Christmas Eve, district closure"
    assert "Resolution 2026-14" in eve.source
    assert not DistrictCalendar().is_business_day(date(2028, 2, 15))  # Susan B. Anthony Day
    assert cal.is_business_day(date(2028, 2, 15))
    assert cal.is_business_day(date(2027, 10, 29))


def test_business_day_arithmetic_across_the_year_end(calendar: DistrictCalendar) -> None:
    # Thu 2026-12-24 → Mon 12-28 (Christmas Fri, weekend) → Tue 12-29.
    assert calendar.add_business_days(date(2026, 12, 24), 1) == date(2026, 12, 28)
    assert calendar.add_business_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert calendar.add_business_days(date(2027, 1, 4), -1) == date(2026, 12, 31)
    assert calendar.next_business_day(date(2027, 1, 1)) == date(2027, 1, 4)
    assert calendar.previous_business_day(date(2027, 1, 3)) == date(2026, 12, 31)
    assert calendar.business_days_between(date(2026, 12, 24), date(2027, 1, 4)) == 5


def test_29_february_is_an_ordinary_business_day_in_a_leap_year(
        calendar: DistrictCalendar) -> None:
    assert calendar.is_business_day(date(2028, 2, 29))
    assert calendar.add_business_days(date(2028, 2, 28), 1) == date(2028, 2, 29)
    assert calendar.add_business_days(date(2028, 2, 25), 2) == date(2028, 2, 29)
    assert calendar.business_days_between(date(2028, 2, 25), date(2028, 3, 1)) == 3


def test_eve_of_a_closed_day(calendar: DistrictCalendar) -> None:
    assert calendar.is_eve_of_closed_day(date(2026, 11, 25))   # before Thanksgiving
    assert calendar.is_eve_of_closed_day(date(2026, 12, 4))    # a Friday
    assert not calendar.is_eve_of_closed_day(date(2026, 12, 3))
    assert not calendar.is_eve_of_closed_day(date(2026, 12, 5))  # not itself open


def test_pointless_district_entries_are_named() -> None:
    cal = DistrictCalendar()
    assert "weekends" in (closure_problem(cal, date(2026, 12, 26), ClosureKind.CLOSED) or "")
    assert "Christmas Day" in (closure_problem(cal, date(2026, 12, 25), ClosureKind.CLOSED)
                               or "")
    assert "nothing to open" in (closure_problem(cal, date(2026, 12, 24), ClosureKind.OPEN)
                                 or "")
    assert closure_problem(cal, date(2026, 12, 24), ClosureKind.CLOSED) is None


def test_year_listing_names_where_each_day_came_from() -> None:
    cal = DistrictCalendar([CHRISTMAS_EVE, Closure(date(2026, 11, 8), ClosureKind.OPEN,
                                                   "Office open", "not observed")])
    rows = {day: (off, name, source) for off, day, name, source in cal.year_days_off(2026)}
    assert rows[date(2026, 12, 24)][1:] == ("Christmas Eve", "district list: Resolution 2026-14")
    assert rows[date(2026, 12, 25)][2] == PACKAGE_SOURCE
    assert "office OPEN" in rows[date(2026, 11, 8)][2]
    assert all(day.year == 2026 for day in rows)


def test_the_holidays_package_stays_off_the_first_paint_import_path() -> None:
    import subprocess
    import sys
    from pathlib import Path

    script = ("import sys, console.app, core.agenda, db.schedule, db.schedule_conflicts; "
              "print('holidays' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
