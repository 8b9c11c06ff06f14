"""The home screen's work list: what falls due today and this week, each with its reason."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


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


def agenda(today: date, cycles: Iterable[tuple[str, int, int]],
           expiring_flags: Iterable[tuple[str, str, str]], horizon_days: int = 7
           ) -> list[AgendaItem]:
    """Work due from today to the horizon, soonest first.

    cycles: (name, read_day, premises); expiring_flags: (flag, account number, expires_on).
    """
    until = today + timedelta(days=horizon_days)
    items: list[AgendaItem] = []
    for name, read_day, premises in cycles:
        due = next_read_day(today, read_day)
        if due <= until:
            items.append(AgendaItem(
                due, f"{name}: meter reading starts ({premises:,} premises)",
                f"read day {read_day} of each month, from the cycle's settings"))
    by_day: dict[tuple[date, str], list[str]] = {}
    for flag, number, expires_on in expiring_flags:
        by_day.setdefault((date.fromisoformat(expires_on), flag), []).append(number)
    for (expires, flag), numbers in by_day.items():
        shown = ", ".join(numbers[:3]) + (f" and {len(numbers) - 3} more" if len(numbers) > 3 else "")
        items.append(AgendaItem(
            expires, f"{flag} expires on {len(numbers)} account(s): {shown}",
            "the flag's expiry date, set when it was recorded; renew or let it lapse"))
    return sorted(items, key=lambda item: (item.due_on, item.what))
