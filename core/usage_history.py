"""A bill's usage history: the last 13 billed periods as text, carried from bill to bill.

Each bill stores its premise's periods up to and including its own, as
"YYYY-MM-DD:use;YYYY-MM-DD:use;..." (period end, use in register units, oldest first). The
next bill extends its predecessor's text by its own period instead of reading 13 months of
reads again; the print file's 13-period chart (FORMATS.md §4.2, U record) and the winter
average of winter-average wastewater (RULES.md, rates) are both read from it.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

HISTORY_PERIODS = 13
WINTER_MONTHS = (12, 1, 2)  # the winter average: periods ending December to February
_WINTER_KEYS = ("-12-", "-01-", "-02-")


def history_text(periods: Iterable[tuple[date, int]]) -> str:
    """(period end, use) pairs, oldest first, as stored: the last 13 only."""
    return ";".join(f"{end.isoformat()}:{use:d}"
                    for end, use in list(periods)[-HISTORY_PERIODS:])


def history_periods(text: str) -> list[tuple[date, int]]:
    """The stored text back as (period end, use) pairs, oldest first."""
    if not text:
        return []
    found = []
    for part in text.split(";"):
        end, _, use = part.partition(":")
        found.append((date.fromisoformat(end), int(use)))
    return found


def extend_history(text: str, end: date, use: int) -> str:
    """The predecessor's history with one more period at the end, still 13 at most."""
    added = f"{end.isoformat()}:{use:d}"
    if not text:
        return added
    if text.count(";") < HISTORY_PERIODS - 1:
        return f"{text};{added}"
    return f"{text[text.index(';') + 1:]};{added}"


def winter_average(periods: Sequence[tuple[date, int]], close_on: date) -> Decimal | None:
    """Average use of the periods ending in December to February within the year before
    `close_on` (register units, to 4 places); None without such a period."""
    year_ago = date.fromordinal(close_on.toordinal() - 365)
    winter = [use for end, use in periods
              if end.month in WINTER_MONTHS and year_ago <= end <= close_on]
    return (Decimal(sum(winter)) / len(winter)).quantize(Decimal("0.0001")) if winter else None


def text_winter_average(text: str, close_on: date) -> Decimal | None:
    """winter_average of a stored history, parsing only its winter periods."""
    if not any(key in text for key in _WINTER_KEYS):
        return None
    winter = []
    for part in text.split(";"):
        if part[4:8] in _WINTER_KEYS:
            end, _, use = part.partition(":")
            winter.append((date.fromisoformat(end), int(use)))
    return winter_average(winter, close_on)


def history_record(text: str) -> str:
    """The print file's U record for a stored history: 13 (end, use) pairs, blank-padded in
    front (FORMATS.md §4.2)."""
    count = text.count(";") + 1 if text else 0
    blank = "|" * (2 * (HISTORY_PERIODS - count))
    if not text:
        return "U" + blank
    return "U" + blank + "|" + text.replace(":", "|").replace(";", "|")
