"""Cycle schedules: every billing date of one cycle in one month, each with its explanation.

The one place Meterline decides a billing date. The billing run, late fees, notices and the
lock-off list take their dates from the stored schedule this produces (db/schedule.py).
Rules follow RULES.md §1.2 (SB 998 gates), §2 (commercial), §3.1 (late fee) and §10 (days).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from core.business_days import DayOffKind, DistrictCalendar, weekday_words
from core.explain import Explanation, Step, StepOp, render, render_details
from core.settings import DistrictSettings


class EventKind(StrEnum):
    """The dates of a cycle's month, in the order they are decided."""

    READ_START = "read_start"
    READ_END = "read_end"
    BILL = "bill"
    DUE = "due"
    REMINDER = "reminder"
    LATE_FEE = "late_fee"
    LOCKOFF = "lockoff"
    NOTICE = "notice"
    DOOR_HANGER = "door_hanger"
    COMMERCIAL_LOCKOFF = "commercial_lockoff"
    COMMERCIAL_NOTICE = "commercial_notice"

    @property
    def label(self) -> str:
        return _WORDS[self][0]

    @property
    def code(self) -> str:
        """The month grid's marker: one letter, "c" before commercial ones."""
        return _WORDS[self][1]

    @property
    def work(self) -> str:
        """What happens on the day, for the agenda."""
        return _WORDS[self][2]


_WORDS: dict[EventKind, tuple[str, str, str]] = {
    EventKind.READ_START: ("read window opens", "R", "meter reading starts"),
    EventKind.READ_END: ("read window closes", "W", "last day of meter reading"),
    EventKind.BILL: ("bill", "B", "bills are dated and sent to print"),
    EventKind.DUE: ("due", "D", "payments are due"),
    EventKind.REMINDER: ("past-due reminder", "P", "past-due reminder letters are mailed"),
    EventKind.LATE_FEE: ("late fee", "F", "late fees are charged"),
    EventKind.LOCKOFF: ("lock-off", "L", "residential lock-offs"),
    EventKind.NOTICE: ("notice", "N", "SB 998 written lock-off notices are mailed"),
    EventKind.DOOR_HANGER: ("door hanger", "H", "48-hour door hangers are posted"),
    EventKind.COMMERCIAL_LOCKOFF: ("commercial lock-off", "cL", "commercial lock-offs"),
    EventKind.COMMERCIAL_NOTICE: ("commercial notice", "cN",
                                  "commercial lock-off notices are mailed"),
}

# Display order: the order a clerk meets the dates in a month.
EVENT_ORDER: tuple[EventKind, ...] = (
    EventKind.READ_START, EventKind.READ_END, EventKind.BILL, EventKind.DUE,
    EventKind.REMINDER, EventKind.LATE_FEE, EventKind.NOTICE, EventKind.DOOR_HANGER,
    EventKind.LOCKOFF, EventKind.COMMERCIAL_NOTICE, EventKind.COMMERCIAL_LOCKOFF)

# The rule behind each date, in words, for the explanation view and the docs.
RULE_WORDS: dict[EventKind, str] = {
    EventKind.READ_START: "The cycle's read day in the month, moved forward to a business day.",
    EventKind.READ_END: "read_window_business_days business days counted from the first "
                        "read day.",
    EventKind.BILL: "The read window's last day + bill_lag_days, moved forward to a "
                    "business day.",
    EventKind.DUE: "The bill date + due_days calendar days, moved forward to a business day.",
    EventKind.REMINDER: "The due date + reminder_days_after_due, moved forward to a "
                        "business day.",
    EventKind.LATE_FEE: "The due date + late_fee_grace_days (LPC date = due date + grace "
                        "days, RULES.md §3.1), moved forward to a business day.",
    EventKind.LOCKOFF: "No earlier than the due date + lockoff_min_days_delinquent (G1, SB "
                       "998 §116908(a)(1)(A): 60 days), on a business day (G10, Gov. Code "
                       "§60374), not the last business day before the office is closed.",
    EventKind.NOTICE: "lockoff_notice_business_days business days before the lock-off (G2, "
                      "SB 998: at least 7) and at least lockoff_notice_min_days before it "
                      "(G9, Gov. Code §60373: 10 days), on a business day.",
    EventKind.DOOR_HANGER: "door_hanger_lead_hours before the lock-off (G6a, district "
                           "policy: 48 h), moved back to a business day.",
    EventKind.COMMERCIAL_LOCKOFF: "The due date + commercial_lockoff_days_after_due (district "
                                  "policy, RULES.md §2), on a business day (G10), not the "
                                  "last business day before the office is closed.",
    EventKind.COMMERCIAL_NOTICE: "commercial_notice_business_days business days before the "
                                 "commercial lock-off (district policy).",
}


@dataclass(frozen=True)
class Pin:
    """A date that generation must keep: used by a process, overridden, or already past."""

    on: date
    reason: str


@dataclass(frozen=True)
class PlannedDate:
    """One event's date and why; `pinned` when it was kept rather than derived."""

    event: EventKind
    on: date
    explanation: Explanation
    pinned: bool = False


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first of the month `count` months after `month`."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


class _Planner:
    """Derives one cycle-month's dates in order; pins replace derived dates."""

    def __init__(self, calendar: DistrictCalendar, settings: DistrictSettings,
                 pins: Mapping[EventKind, Pin]) -> None:
        self.cal = calendar
        self.s = settings
        self.pins = pins
        self.dates: dict[EventKind, PlannedDate] = {}

    def on(self, event: EventKind) -> date:
        return self.dates[event].on

    def keep(self, event: EventKind, steps: list[Step]) -> None:
        pin = self.pins.get(event)
        if pin is None:
            self.dates[event] = PlannedDate(event, steps[-1].on, Explanation(event.label,
                                                                             tuple(steps)))
        else:
            step = Step(StepOp.PINNED, pin.on, reason=pin.reason)
            self.dates[event] = PlannedDate(event, pin.on, Explanation(event.label, (step,)),
                                            pinned=True)

    def start(self, event: EventKind) -> list[Step]:
        return [Step(StepOp.FROM, self.on(event), label=event.label, base=self.on(event))]

    def forward(self, steps: list[Step]) -> list[Step]:
        """Move the last date forward to a business day, noting each day skipped."""
        day = steps[-1].on
        moved = self.cal.next_business_day(day)
        if moved != day:
            offs = self.cal.skipped(day, moved)
            steps.append(Step(StepOp.FORWARD, moved, reason=offs[0].words(),
                              skipped=tuple(f"{weekday_words(o.on)} {o.words()}" for o in offs)))
        return steps

    def back(self, steps: list[Step]) -> list[Step]:
        day = steps[-1].on
        moved = self.cal.previous_business_day(day)
        if moved != day:
            offs = self.cal.skipped(day, moved)
            steps.append(Step(StepOp.BACK, moved, reason=offs[0].words(),
                              skipped=tuple(f"{weekday_words(o.on)} {o.words()}" for o in offs)))
        return steps

    def plus_days(self, steps: list[Step], days: int, setting: str, gate: str = "") -> list[Step]:
        steps.append(Step(StepOp.PLUS_DAYS, steps[-1].on + timedelta(days=days), days,
                          setting=setting, gate=gate))
        return steps

    def avoid_eve(self, steps: list[Step]) -> list[Step]:
        """No lock-off on the last business day before a closed day (setting, on by default)."""
        if not self.s.lockoff_skip_day_before_closure:
            return steps
        day = steps[-1].on
        while self.cal.is_eve_of_closed_day(day):
            closed = self.cal.day_off(day + timedelta(days=1))
            assert closed is not None
            day = self.cal.next_business_day(day + timedelta(days=1))
            what = "the weekend" if closed.kind == DayOffKind.WEEKEND else (
                f"{weekday_words(closed.on)} ({closed.words()})")
            steps.append(Step(StepOp.AVOID_EVE, day, reason=what,
                              setting="lockoff_skip_day_before_closure", amount=1))
        return steps

    def read_window(self, month: date, read_day: int) -> None:
        first = month.replace(day=read_day)
        self.keep(EventKind.READ_START, self.forward(
            [Step(StepOp.READ_DAY, first, read_day, base=first)]))
        count = self.s.read_window_business_days - 1
        steps = self.start(EventKind.READ_START)
        end = self.cal.add_business_days(self.on(EventKind.READ_START), count)
        if count:
            steps.append(Step(StepOp.PLUS_BUSINESS_DAYS, end, count,
                              setting="read_window_business_days"))
        self.keep(EventKind.READ_END, steps)

    def after(self, event: EventKind, base: EventKind, days: int, setting: str) -> None:
        """`event` = `base` + days, moved forward to a business day."""
        self.keep(event, self.forward(self.plus_days(self.start(base), days, setting)))

    def lockoff(self, event: EventKind, notice: EventKind, days: int, setting: str,
                gate: str, notice_days: int, notice_setting: str) -> None:
        """Earliest legal lock-off: due + days, after any notice already fixed, business day."""
        steps = self.plus_days(self.start(EventKind.DUE), days, setting, gate)
        notice_pin = self.pins.get(notice)
        if notice_pin is not None:
            earliest = self.cal.add_business_days(notice_pin.on, notice_days)
            if earliest > steps[-1].on:
                steps.append(Step(StepOp.NO_EARLIER, earliest, notice_days, label=notice.label,
                                  base=notice_pin.on, reason="business day",
                                  setting=notice_setting, gate="G2" if gate else ""))
        if event == EventKind.LOCKOFF:
            self._lockoff_after_fixed_notices(steps, notice_pin.on if notice_pin else None)
        steps = self.forward(steps)
        self.keep(event, self.avoid_eve(steps))

    def _lockoff_after_fixed_notices(self, steps: list[Step], notice_on: date | None) -> None:
        """A mailed notice or a posted door hanger holds the residential lock-off back."""
        floor = notice_on + timedelta(days=self.s.lockoff_notice_min_days) if notice_on else None
        if floor is not None and floor > steps[-1].on:
            steps.append(Step(StepOp.NO_EARLIER, floor, self.s.lockoff_notice_min_days,
                              label="notice", base=notice_on, reason="day",
                              setting="lockoff_notice_min_days", gate="G9"))
        hanger = self.pins.get(EventKind.DOOR_HANGER)
        if hanger is not None:
            lead = -(-self.s.door_hanger_lead_hours // 24)
            floor = hanger.on + timedelta(days=lead)
            if floor > steps[-1].on:
                steps.append(Step(StepOp.NO_EARLIER, floor, lead, label="door hanger",
                                  base=hanger.on, reason="day", gate="G6a"))

    def notice(self, event: EventKind, lockoff: EventKind, business_days: int, setting: str,
               gate: str) -> None:
        """The latest business day that still gives the notice period before the lock-off."""
        steps = self.start(lockoff)
        day = self.cal.add_business_days(self.on(lockoff), -business_days)
        steps.append(Step(StepOp.MINUS_BUSINESS_DAYS, day, business_days, setting=setting,
                          gate=gate))
        if event == EventKind.NOTICE:
            ceiling = self.on(lockoff) - timedelta(days=self.s.lockoff_notice_min_days)
            if ceiling < day:
                steps.append(Step(StepOp.NO_LATER, ceiling, self.s.lockoff_notice_min_days,
                                  label=lockoff.label, base=self.on(lockoff), reason="day",
                                  setting="lockoff_notice_min_days", gate="G9"))
        self.keep(event, self.back(steps))

    def door_hanger(self) -> None:
        hours = self.s.door_hanger_lead_hours
        steps = self.start(EventKind.LOCKOFF)
        steps.append(Step(StepOp.MINUS_HOURS, self.on(EventKind.LOCKOFF) - timedelta(
            days=-(-hours // 24)), hours, setting="door_hanger_lead_hours", gate="G6a"))
        self.keep(EventKind.DOOR_HANGER, self.back(steps))


def plan_cycle_month(month: date, read_day: int, calendar: DistrictCalendar,
                     settings: DistrictSettings, pins: Mapping[EventKind, Pin] | None = None
                     ) -> dict[EventKind, PlannedDate]:
    """Every date of one cycle in one month (the month of its read), each explained.

    Pinned dates are kept and the dates after them are derived from them: a due date already
    printed on bills fixes the lock-off's 60 days, a notice already mailed fixes its 7
    business days.
    """
    s = settings
    p = _Planner(calendar, s, pins or {})
    p.read_window(month_start(month), read_day)
    p.after(EventKind.BILL, EventKind.READ_END, s.bill_lag_days, "bill_lag_days")
    p.after(EventKind.DUE, EventKind.BILL, s.due_days, "due_days")
    p.after(EventKind.REMINDER, EventKind.DUE, s.reminder_days_after_due,
            "reminder_days_after_due")
    p.after(EventKind.LATE_FEE, EventKind.DUE, s.late_fee_grace_days, "late_fee_grace_days")
    p.lockoff(EventKind.LOCKOFF, EventKind.NOTICE, s.lockoff_min_days_delinquent,
              "lockoff_min_days_delinquent", "G1", s.lockoff_notice_business_days,
              "lockoff_notice_business_days")
    p.notice(EventKind.NOTICE, EventKind.LOCKOFF, s.lockoff_notice_business_days,
             "lockoff_notice_business_days", "G2")
    p.door_hanger()
    p.lockoff(EventKind.COMMERCIAL_LOCKOFF, EventKind.COMMERCIAL_NOTICE,
              s.commercial_lockoff_days_after_due, "commercial_lockoff_days_after_due", "",
              s.commercial_notice_business_days, "commercial_notice_business_days")
    p.notice(EventKind.COMMERCIAL_NOTICE, EventKind.COMMERCIAL_LOCKOFF,
             s.commercial_notice_business_days, "commercial_notice_business_days", "")
    return {event: p.dates[event] for event in EVENT_ORDER}


@dataclass(frozen=True)
class ScheduledDate:
    """A stored schedule date: what, when, why, and who overrode or used it."""

    id: int
    month: date
    cycle_id: int
    cycle_name: str
    event: EventKind
    on: date
    explanation: Explanation
    rule_on: date               # what the rules gave at the last generation
    rule_explanation: Explanation
    scheduled_at: str           # when this date was last set (generation or override)
    overridden_by: str | None = None
    override_reason: str | None = None
    used_by: str | None = None
    used_at: str | None = None

    @property
    def status(self) -> str:
        """In words, never colour: USED, OVERRIDDEN or blank."""
        if self.used_by:
            return "USED"
        return "OVERRIDDEN" if self.overridden_by else ""

    def pin(self, today: date) -> Pin | None:
        """Why regeneration must keep this date, or None when the rules may move it."""
        if self.used_by:
            return Pin(self.on, f"kept: used by {self.used_by} on {(self.used_at or '')[:10]}")
        if self.overridden_by:
            return Pin(self.on, f"override by {self.overridden_by}: {self.override_reason}")
        if self.on < today:
            return Pin(self.on, "kept: already past")
        return None


def explain_lines(row: ScheduledDate, preview: bool = False) -> list[str]:
    """A stored date's full explanation: the steps, the rule in words, override and use."""
    head = f"{row.cycle_name} {row.event.label}: {weekday_words(row.on)}"
    status = "PREVIEW, not stored" if preview else row.status
    lines = [head + (f"  [{status}]" if status else "")]
    lines += [f"  {line}" for line in render_details(row.explanation)]
    lines.append(f"  rule: {RULE_WORDS[row.event]}")
    if row.overridden_by:
        lines.append(f"  the rules give {weekday_words(row.rule_on)}: "
                     f"{render(row.rule_explanation)}")
    elif row.rule_on != row.on:
        lines.append(f"  the rules now give {weekday_words(row.rule_on)}: "
                     f"{render(row.rule_explanation)}")
    if row.used_by:
        lines.append(f"  USED by {row.used_by} on {(row.used_at or '')[:10]}: this date no "
                     "longer moves")
    return lines
