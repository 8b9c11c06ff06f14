"""The one clock: every date in Meterline comes from a `today` handed in from the edge.

`meterline --today YYYY-MM-DD` (or MTL_TODAY) moves it for the whole console; training and
tests use this. Nothing in core/ reads the system clock.
"""
from __future__ import annotations

from datetime import date, datetime

from core.errors import InputError, InputProblem


def parse_date(text: str, *, field: str = "date", source: str = "") -> date:
    """Parse YYYY-MM-DD, refusing dates that do not exist (2026-02-30) with a located message."""
    raw = text.strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    if len(raw) == 10 and raw[4] == "-" and raw[7] == "-" and raw.replace("-", "").isdigit():
        message = f"{raw!r} is not a date on the calendar"
    else:
        message = f"{raw!r} is not a date in the form YYYY-MM-DD"
    raise InputError(InputProblem(message, source=source, field=field))


def resolve_today(override: str | None, system_today: date) -> date:
    """Today for this run: the override when one is given, else the system's date."""
    if override:
        return parse_date(override, field="--today")
    return system_today


def stamp(moment: datetime) -> str:
    """A timestamp as stored in the database: ISO 8601 to the second."""
    return moment.replace(microsecond=0).isoformat()
