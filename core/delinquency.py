"""Delinquency state of one account, derived from its ledger and the calendar each time.

Never a stored flag (issue 8, item 1): payments and credits pay the oldest charge first
(core.allocation), so what is left open, bill by bill, says how late the account is. Days past
due count from the oldest unpaid *due date*, never the bill date (RULES.md §1.7(1)). The step
reached and the next one come from the stored calendar dates of the cycle month whose due
date that bill carried; nothing here computes a calendar date.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from core.allocation import EntryLike, allocate
from core.money import Cents
from core.schedule import EventKind


@dataclass(frozen=True)
class PastDueBill:
    """A bill whose due date has passed and that is not fully paid."""

    entry_id: int
    due_on: date
    open_cents: Cents
    days_past_due: int


@dataclass(frozen=True)
class Delinquency:
    """What an account owes past its due dates on one day."""

    on: date
    bills: tuple[PastDueBill, ...]       # oldest due date first
    fees_open_cents: Cents               # late fees and other charges still open

    @property
    def oldest_due(self) -> date | None:
        return self.bills[0].due_on if self.bills else None

    @property
    def days_past_due(self) -> int:
        return self.bills[0].days_past_due if self.bills else 0

    @property
    def past_due_cents(self) -> Cents:
        return sum(b.open_cents for b in self.bills) + self.fees_open_cents

    @property
    def is_past_due(self) -> bool:
        return bool(self.bills)


def delinquency(entries: Iterable[EntryLike], due_dates: Mapping[int, date],
                on: date) -> Delinquency:
    """The account's delinquency on `on`; `due_dates` maps each bill entry id to its due date.

    Only entries effective on or before `on` count. A bill is past due the day after its due
    date; charges other than bills (late fees, fees) count in the past-due amount once charged.
    """
    allocation = allocate(e for e in entries if e.effective_on <= on)
    bills: list[PastDueBill] = []
    fees = 0
    for charge in allocation.charges:
        if charge.open_cents <= 0:
            continue
        due = due_dates.get(charge.entry_id)
        if due is None:
            fees += charge.open_cents if charge.kind != "bill" else 0
        elif due < on:
            bills.append(PastDueBill(charge.entry_id, due, charge.open_cents, (on - due).days))
    bills.sort(key=lambda b: (b.due_on, b.entry_id))
    return Delinquency(on, tuple(bills), fees if bills else 0)


# The delinquency ladder, in order, with the calendar event that dates each step.
RESIDENTIAL_LADDER: tuple[tuple[str, EventKind], ...] = (
    ("past-due reminder", EventKind.REMINDER),
    ("late fee", EventKind.LATE_FEE),
    ("SB 998 notice", EventKind.NOTICE),
    ("door hanger", EventKind.DOOR_HANGER),
    ("lock-off", EventKind.LOCKOFF),
)
COMMERCIAL_LADDER: tuple[tuple[str, EventKind], ...] = (
    ("past-due reminder", EventKind.REMINDER),
    ("late fee", EventKind.LATE_FEE),
    ("commercial notice", EventKind.COMMERCIAL_NOTICE),
    ("commercial lock-off", EventKind.COMMERCIAL_LOCKOFF),
)


@dataclass(frozen=True)
class LadderPosition:
    """The step reached on a day and the next step with its calendar date."""

    reached: str
    next_step: str
    next_on: date | None

    def words(self) -> str:
        nxt = (f"next: {self.next_step} on {self.next_on:%a %Y-%m-%d}" if self.next_on
               else "no step left on the calendar")
        return f"step reached: {self.reached}; {nxt}"


def ladder_position(dates: Mapping[EventKind, date], on: date, *,
                    residential: bool = True) -> LadderPosition:
    """Where an account stands on `on`, given the calendar dates of its oldest bill's month."""
    ladder = RESIDENTIAL_LADDER if residential else COMMERCIAL_LADDER
    reached = "past due"
    for step, event in ladder:
        when = dates.get(event)
        if when is None:
            continue
        if when <= on:
            reached = step
        else:
            return LadderPosition(reached, step, when)
    return LadderPosition(reached, "", None)
