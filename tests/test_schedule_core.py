"""Cycle schedules in core: each date's rule, its explanation in words, and the gates."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.business_days import Closure, ClosureKind, DistrictCalendar
from core.explain import Explanation, render, render_details
from core.month_grid import month_cells, month_weeks
from core.schedule import EventKind, Pin, ScheduledDate, add_months, plan_cycle_month
from core.schedule_gates import breaches
from core.settings import DistrictSettings, settings_from_mapping

E = EventKind
CAL = DistrictCalendar()
RULES = DistrictSettings()


def plan(month: date, read_day: int, calendar: DistrictCalendar = CAL,
         rules: DistrictSettings = RULES, pins: dict[EventKind, Pin] | None = None):  # type: ignore[no-untyped-def]
    return plan_cycle_month(month, read_day, calendar, rules, pins)


def dates(planned) -> dict[EventKind, date]:  # type: ignore[no-untyped-def]
    return {e: p.on for e, p in planned.items()}


def test_due_on_christmas_then_a_weekend_moves_to_monday_and_says_why() -> None:
    # Read day 1: window Tue 1 – Thu 3 Dec, bill Fri 2026-12-04, + 21 days = Christmas Day.
    p = plan(date(2026, 12, 1), 1)
    assert p[E.BILL].on == date(2026, 12, 4)
    assert p[E.DUE].on == date(2026, 12, 28)
    assert render(p[E.DUE].explanation) == (
        "due = bill 2026-12-04 + 21 days = Fri 2026-12-25 (Christmas Day) → Mon 2026-12-28")
    details = render_details(p[E.DUE].explanation)
    assert "Sat 2026-12-26 Saturday" in details[1] and "due_days = 21" in details[-1]


def test_year_end_dates_cross_into_january_around_new_years_day() -> None:
    p = plan(date(2026, 11, 1), 24)
    assert p[E.READ_END].on == date(2026, 11, 30)   # Thanksgiving and the day after skipped
    assert p[E.LATE_FEE].on == date(2027, 1, 4)
    assert "(New Year's Day) → Mon 2027-01-04" in render(p[E.LATE_FEE].explanation)
    december = plan(date(2026, 12, 1), 24)
    assert december[E.DUE].on.year == 2027 and december[E.LOCKOFF].on.year == 2027


def test_29_february_is_a_due_date_and_counts_toward_the_60_days() -> None:
    p = plan(date(2028, 2, 1), 3)  # window Thu 3 – Mon 7, bill Tue 8
    assert p[E.DUE].on == date(2028, 2, 29)
    # 2028-02-29 + 60 days = Sat 2028-04-29 → Mon 2028-05-01.
    assert p[E.LOCKOFF].on == date(2028, 5, 1)
    pinned = plan(date(2027, 12, 1), 3, pins={E.DUE: Pin(date(2027, 12, 30), "kept: used")})
    assert pinned[E.LOCKOFF].on == date(2028, 2, 28)  # Dec 30 + 60 days, leap February
    assert "due 2027-12-30 + 60 days (G1) = Mon 2028-02-28" in render(
        pinned[E.LOCKOFF].explanation)


def test_a_month_with_five_fridays_shows_every_one_and_locks_off_on_none() -> None:
    month = date(2027, 1, 1)  # Fridays: 1, 8, 15, 22, 29
    weeks = month_weeks(month)
    fridays = [week[5] for week in weeks if week[5].month == 1]
    assert len(weeks) == 6 and [d.day for d in fridays] == [1, 8, 15, 22, 29]
    cells = month_cells(month, date(2027, 1, 8), [], CAL, 10)
    heads = [cell.head for week in cells for cell in week if cell.on in fridays]
    assert heads == [" 1 HOLIDAY", " 8 TODAY", "15", "22", "29"]
    lockoffs = [plan(add_months(month, k), day)[e].on for k in range(12)
                for day in (3, 10, 17, 24) for e in (E.LOCKOFF, E.COMMERCIAL_LOCKOFF)]
    assert all(day.weekday() != 4 for day in lockoffs)
    allowed = replace(RULES, lockoff_skip_day_before_closure=False)
    fridays_allowed = [plan(add_months(month, k), day, rules=allowed)[E.LOCKOFF].on
                       for k in range(12) for day in (3, 10, 17, 24)]
    assert any(day.weekday() == 4 for day in fridays_allowed)


def test_no_lockoff_on_the_last_business_day_before_a_closure() -> None:
    # 2026-11 cycle read 3: due Mon 11-30 + 60 = Fri 2027-01-29, the eve of a weekend.
    p = plan(date(2026, 11, 1), 3)
    assert p[E.LOCKOFF].on == date(2027, 2, 1)
    assert "last business day before the weekend → Mon 2027-02-01" in render(
        p[E.LOCKOFF].explanation)
    # The door hanger goes up at least 48 hours before, on a business day.
    assert p[E.DOOR_HANGER].on == date(2027, 1, 29)


def test_the_notice_gives_seven_business_days_and_ten_days() -> None:
    p = plan(date(2026, 11, 1), 3)
    lockoff, notice = p[E.LOCKOFF].on, p[E.NOTICE].on
    assert CAL.business_days_between(notice, lockoff) == 7
    assert (lockoff - notice).days >= 10
    assert "− 7 business days (G2)" in render(p[E.NOTICE].explanation)


def test_a_closure_on_the_bill_date_moves_the_bill_and_everything_after() -> None:
    eve = Closure(date(2026, 12, 4), ClosureKind.CLOSED, "Board retreat", "Res. 2026-20")
    closed = plan(date(2026, 12, 1), 1, calendar=DistrictCalendar([eve]))
    assert closed[E.BILL].on == date(2026, 12, 7)
    assert "(Board retreat, district closure) → Mon 2026-12-07" in render(
        closed[E.BILL].explanation)
    assert closed[E.DUE].on == date(2026, 12, 28)  # Dec 28 is Monday: no move needed


def test_pinned_dates_are_kept_and_later_dates_follow_them() -> None:
    month = date(2026, 11, 1)
    free = plan(month, 10)
    later_due = free[E.DUE].on.replace(day=free[E.DUE].on.day + 1)
    pinned = plan(month, 10, pins={E.DUE: Pin(later_due, "override by sup1: printer late")})
    assert pinned[E.DUE].pinned and pinned[E.DUE].on == later_due
    assert render(pinned[E.DUE].explanation).startswith(
        f"due = {later_due:%a} {later_due} (override by sup1: printer late)")
    assert (pinned[E.LOCKOFF].on - later_due).days >= 60
    # A notice already mailed holds the lock-off to 7 business days after it.
    mailed = CAL.add_business_days(free[E.LOCKOFF].on, -2)
    held = plan(month, 10, pins={E.NOTICE: Pin(mailed, "kept: used by notices")})
    assert CAL.business_days_between(mailed, held[E.LOCKOFF].on) >= 7
    assert "no earlier than notice" in render(held[E.LOCKOFF].explanation)
    assert breaches(dates(held), CAL, RULES) == []


def test_gates_name_what_a_moved_date_would_break() -> None:
    p = dates(plan(date(2026, 11, 1), 3))
    early = {**p, E.LOCKOFF: date(2027, 1, 28)}   # due Mon 11-30 + 59 days
    assert {b.gate for b in breaches(early, CAL, RULES)} >= {"G1"}
    late_notice = {**p, E.NOTICE: date(2027, 1, 26)}
    gates = {b.gate for b in breaches(late_notice, CAL, RULES)}
    assert {"G2", "G9"} <= gates
    weekend = {**p, E.LOCKOFF: date(2027, 2, 6)}
    assert next(b.gate for b in breaches(weekend, CAL, RULES)) == "G10"
    words = next(b.words() for b in breaches(early, CAL, RULES) if b.gate == "G1")
    assert words.startswith("G1 (SB 998, HSC §116908(a)(1)(A)): the lock-off Thu 2027-01-28 "
                            "is 59 days after the due date Mon 2026-11-30")


def test_explanations_round_trip_through_json() -> None:
    for planned in plan(date(2026, 12, 1), 1).values():
        again = Explanation.from_json(planned.explanation.to_json())
        assert again == planned.explanation and render(again) == render(planned.explanation)


def test_a_stored_date_pins_when_used_overridden_or_past() -> None:
    p = plan(date(2026, 12, 1), 1)[E.DUE]
    row = ScheduledDate(1, date(2026, 12, 1), 1, "Cycle 1", E.DUE, p.on, p.explanation, p.on,
                        p.explanation, "2026-11-01T09:00:00")
    assert row.pin(date(2026, 12, 1)) is None and row.status == ""
    assert row.pin(date(2026, 12, 29)) == Pin(p.on, "kept: already past")
    used = replace(row, used_by="billing run 2026-12", used_at="2026-12-04T10:00:00")
    assert used.status == "USED" and "used by billing run" in used.pin(date(2026, 12, 1)).reason  # type: ignore[union-attr]


calendar_settings = st.fixed_dictionaries({
    "due_days": st.integers(10, 45),
    "read_window_business_days": st.integers(1, 10),
    "bill_lag_days": st.integers(0, 15),
    "reminder_days_after_due": st.integers(1, 30),
    "late_fee_grace_days": st.integers(1, 60),
    "lockoff_min_days_delinquent": st.integers(60, 180),
    "lockoff_notice_business_days": st.integers(7, 30),
    "lockoff_notice_min_days": st.integers(10, 45),
    "door_hanger_lead_hours": st.integers(24, 120),
    "lockoff_skip_day_before_closure": st.booleans(),
    "commercial_notice_business_days": st.integers(1, 15),
    "commercial_lockoff_days_after_due": st.integers(40, 120),
})


@settings(max_examples=150, deadline=None)
@given(values=calendar_settings, month=st.dates(date(2025, 1, 1), date(2032, 12, 1)),
       read_day=st.integers(1, 28))
def test_every_generated_schedule_passes_every_gate(values: dict[str, object], month: date,
                                                    read_day: int) -> None:
    rules = settings_from_mapping(values)
    planned = plan(month.replace(day=1), read_day, rules=rules)
    assert breaches(dates(planned), CAL, rules) == []
    for p in planned.values():
        assert p.explanation.on == p.on


@pytest.mark.parametrize("event", list(EventKind))
def test_every_event_has_words_and_a_grid_code(event: EventKind) -> None:
    assert event.label and event.code and event.work
