"""The home screen's work list: what falls due today and this week, each with its reason."""
from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from core.explain import render
from core.schedule import EventKind, ScheduledDate


@dataclass(frozen=True)
class AgendaItem:
    """One piece of work: when it is due, what to do, and which setting or record put it there."""

    due_on: date
    what: str
    why: str


def next_read_day(today: date, read_day: int) -> date:
    """The next date (today included) whose day of the month is the cycle's read day."""
    if today.day <= read_day:
        return today.replace(day=read_day)
    first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_next.replace(day=read_day)


def schedule_item(row: ScheduledDate) -> AgendaItem:
    """A stored schedule date as work: what happens, and the rule (or override) behind it."""
    status = f" [{row.status}]" if row.status else ""
    return AgendaItem(row.on, f"{row.cycle_name}: {row.event.work}{status}",
                      render(row.explanation))


def agenda(today: date, cycles: Iterable[tuple[str, int, int]],
           expiring_flags: Iterable[tuple[str, str, str]], horizon_days: int = 7,
           schedule: Iterable[ScheduledDate] = ()) -> list[AgendaItem]:
    """Work due from today to the horizon, soonest first.

    cycles: (name, read_day, premises); expiring_flags: (flag, account number, expires_on);
    schedule: the stored billing calendar's dates (db.schedule), from two weeks before today
    to two weeks after the horizon, so a read day the calendar moved is still recognised: a
    cycle's read day is listed from its settings only for a month not generated.
    """
    until = today + timedelta(days=horizon_days)
    items: list[AgendaItem] = []
    scheduled_reads: set[tuple[str, int, int]] = set()
    for row in schedule:
        if today <= row.on <= until:
            items.append(schedule_item(row))
        if row.event == EventKind.READ_START:
            scheduled_reads.add((row.cycle_name, row.month.year, row.month.month))
    for name, read_day, premises in cycles:
        due = next_read_day(today, read_day)
        if (name, due.year, due.month) in scheduled_reads:
            continue
        if due <= until:
            items.append(AgendaItem(
                due, f"{name}: meter reading starts ({premises:,} premises)",
                f"read day {read_day} of each month, from the cycle's settings"))
    by_day: dict[tuple[date, str], list[str]] = {}
    for flag, number, expires_on in expiring_flags:
        by_day.setdefault((date.fromisoformat(expires_on), flag), []).append(number)
    for (expires, flag), numbers in by_day.items():
        more = f" and {len(numbers) - 3} more" if len(numbers) > 3 else ""
        shown = ", ".join(numbers[:3]) + more
        items.append(AgendaItem(
            expires, f"{flag} expires on {len(numbers)} account(s): {shown}",
            "the flag's expiry date, set when it was recorded; renew or let it lapse"))
    return sorted(items, key=lambda item: (item.due_on, item.what))


def agenda_text(items: Iterable[AgendaItem], today: date, width: int) -> str:
    """The agenda as the home and calendar screens show it: when, what, and why beneath."""
    lines = []
    for item in items:
        when = "TODAY" if item.due_on == today else f"{item.due_on:%a %m-%d}"
        lines.append(f"{when:>9}  {item.what}")
        # The calendar's reasons are long: wrap them under "why:", not at the margin.
        lines.append(textwrap.fill(f"why: {item.why}", max(width, 40), initial_indent=" " * 11,
                                   subsequent_indent=" " * 16))
    return "\n".join(lines)
