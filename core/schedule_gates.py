"""The gates a cycle-month's dates must pass, each named, and the refusal that names them.

Gate ids are RULES.md's (§1.2): G1 60 days, G2 7 business days, G6a door hanger lead time,
G9 §60373 10-day notice, G10 §60374 no shutoff when the office is closed. The rest are the
district calendar's own rules: every date on a business day, dates in order, the day-before-
closure setting and the commercial settings.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from core.business_days import DistrictCalendar, weekday_words
from core.errors import InputError, InputProblem
from core.schedule import EventKind
from core.settings import DistrictSettings

GATE_SOURCES: dict[str, str] = {
    "G1": "SB 998, HSC §116908(a)(1)(A)",
    "G2": "SB 998, HSC §116908(a)(1)(A)",
    "G6a": "district policy, door_hanger_lead_hours",
    "G9": "Gov. Code §60373(a)",
    "G10": "Gov. Code §60374",
    "EVE": "district policy, lockoff_skip_day_before_closure",
    "BUSINESS DAY": "district calendar",
    "ORDER": "district calendar",
    "C1": "district policy, commercial_lockoff_days_after_due",
    "C2": "district policy, commercial_notice_business_days",
}

E = EventKind

# (earlier, later, may be the same day): the order a month's dates must keep.
_ORDER: tuple[tuple[EventKind, EventKind, bool], ...] = (
    (E.READ_START, E.READ_END, True), (E.READ_END, E.BILL, True), (E.BILL, E.DUE, False),
    (E.DUE, E.REMINDER, False), (E.DUE, E.LATE_FEE, False), (E.DUE, E.NOTICE, False),
    (E.NOTICE, E.DOOR_HANGER, True), (E.DOOR_HANGER, E.LOCKOFF, False),
    (E.DUE, E.COMMERCIAL_NOTICE, False), (E.COMMERCIAL_NOTICE, E.COMMERCIAL_LOCKOFF, False),
)


@dataclass(frozen=True)
class Breach:
    """One gate a date fails, in words."""

    gate: str
    event: EventKind
    message: str

    def words(self) -> str:
        return f"{self.gate} ({GATE_SOURCES[self.gate]}): {self.message}"


class GateRefused(InputError):
    """A change was refused because the dates would fail a gate; nothing was written."""

    def __init__(self, action: str, breaches: list[Breach]) -> None:
        self.breaches = breaches
        super().__init__([InputProblem(f"{action} refused: {b.words()}")
                          for b in breaches])


def _w(day: date) -> str:
    return weekday_words(day)


def breaches(dates: Mapping[EventKind, date], calendar: DistrictCalendar,
             settings: DistrictSettings) -> list[Breach]:
    """Every gate the dates fail; events missing from `dates` are not checked."""
    s = settings
    found: list[Breach] = []
    for event, day in dates.items():
        off = calendar.day_off(day)
        if off is None:
            continue
        if event in (E.LOCKOFF, E.COMMERCIAL_LOCKOFF):
            found.append(Breach("G10", event, f"no lock-off on {_w(day)}: the office is "
                                              f"closed ({off.words()})"))
        else:
            found.append(Breach("BUSINESS DAY", event, f"the {event.label} date {_w(day)} is "
                                                       f"not a business day ({off.words()})"))
    for first, then, same_day in _ORDER:
        if first in dates and then in dates:
            a, b = dates[first], dates[then]
            if b < a or (b == a and not same_day):
                found.append(Breach("ORDER", then, f"the {then.label} date {_w(b)} must come "
                                                   f"after the {first.label} date {_w(a)}"))
    due = dates.get(E.DUE)
    lockoff = dates.get(E.LOCKOFF)
    if due and lockoff:
        earliest = due + timedelta(days=s.lockoff_min_days_delinquent)
        if lockoff < earliest:
            found.append(Breach("G1", E.LOCKOFF, (
                f"the lock-off {_w(lockoff)} is {(lockoff - due).days} days after the due date "
                f"{_w(due)}; it must be at least {s.lockoff_min_days_delinquent} "
                f"(no earlier than {_w(earliest)})")))
    notice = dates.get(E.NOTICE)
    if notice and lockoff:
        given = calendar.business_days_between(notice, lockoff)
        if given < s.lockoff_notice_business_days:
            latest = calendar.add_business_days(lockoff, -s.lockoff_notice_business_days)
            found.append(Breach("G2", E.NOTICE, (
                f"the notice {_w(notice)} is {given} business days before the lock-off "
                f"{_w(lockoff)}; it must be at least {s.lockoff_notice_business_days} "
                f"(notice no later than {_w(latest)})")))
        if (lockoff - notice).days < s.lockoff_notice_min_days:
            found.append(Breach("G9", E.NOTICE, (
                f"the notice {_w(notice)} is {(lockoff - notice).days} days before the "
                f"lock-off {_w(lockoff)}; it must be at least {s.lockoff_notice_min_days}")))
    hanger = dates.get(E.DOOR_HANGER)
    if hanger and lockoff and (lockoff - hanger) < timedelta(hours=s.door_hanger_lead_hours):
        found.append(Breach("G6a", E.DOOR_HANGER, (
            f"the door hanger {_w(hanger)} is less than {s.door_hanger_lead_hours} hours "
            f"before the lock-off {_w(lockoff)}")))
    if s.lockoff_skip_day_before_closure:
        for event in (E.LOCKOFF, E.COMMERCIAL_LOCKOFF):
            eve = dates.get(event)
            if eve and calendar.is_eve_of_closed_day(eve):
                closed = calendar.day_off(eve + timedelta(days=1))
                assert closed is not None
                found.append(Breach("EVE", event, (
                    f"the {event.label} {_w(eve)} is the last business day before the office "
                    f"is closed ({_w(closed.on)}, {closed.words()}): no reconnection the "
                    f"next day")))
    c_lockoff = dates.get(E.COMMERCIAL_LOCKOFF)
    if due and c_lockoff and (c_lockoff - due).days < s.commercial_lockoff_days_after_due:
        found.append(Breach("C1", E.COMMERCIAL_LOCKOFF, (
            f"the commercial lock-off {_w(c_lockoff)} is {(c_lockoff - due).days} days after "
            f"the due date; the district's policy is at least "
            f"{s.commercial_lockoff_days_after_due}")))
    c_notice = dates.get(E.COMMERCIAL_NOTICE)
    if c_notice and c_lockoff:
        given = calendar.business_days_between(c_notice, c_lockoff)
        if given < s.commercial_notice_business_days:
            found.append(Breach("C2", E.COMMERCIAL_NOTICE, (
                f"the commercial notice {_w(c_notice)} is {given} business days before the "
                f"commercial lock-off; the district's policy is at least "
                f"{s.commercial_notice_business_days}")))
    return found
