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
    found = periods_winter_use(periods, close_on)
    return None if found is None else average_use(*found)


def periods_winter_use(periods: Sequence[tuple[date, int]], close_on: date
                       ) -> tuple[int, int] | None:
    """(total use, periods) of the winter periods winter_average averages; None without one."""
    year_ago = date.fromordinal(close_on.toordinal() - 365)
    winter = [use for end, use in periods
              if end.month in WINTER_MONTHS and year_ago <= end <= close_on]
    return (sum(winter), len(winter)) if winter else None


def average_use(total: int, count: int) -> Decimal:
    """A winter average from its periods' total use and their count (to 4 places)."""
    return (Decimal(total) / count).quantize(Decimal("0.0001"))


def text_winter_average(text: str, close_on: date) -> Decimal | None:
    """winter_average of a stored history."""
    found = winter_use(text, close_on)
    return None if found is None else average_use(*found)


def winter_use(text: str, close_on: date) -> tuple[int, int] | None:
    """(total use, periods) of a stored history's winter periods within the year before
    `close_on`, the parts of its winter_average; None without one. Compares the ISO dates as
    text, so a billing run pays no date parsing for it."""
    if "-12-" not in text and "-01-" not in text and "-02-" not in text:
        return None
    until = close_on.isoformat()
    since = date.fromordinal(close_on.toordinal() - 365).isoformat()
    total = count = 0
    for part in text.split(";"):
        if part[4:8] in _WINTER_KEYS and since <= part[:10] <= until:
            total += int(part[11:])
            count += 1
    return (total, count) if count else None


def history_record(text: str) -> str:
    """The print file's U record for a stored history: 13 (end, use) pairs, blank-padded in
    front (FORMATS.md §4.2)."""
    count = text.count(";") + 1 if text else 0
    blank = "|" * (2 * (HISTORY_PERIODS - count))
    if not text:
        return "U" + blank
    return "U" + blank + "|" + text.replace(":", "|").replace(";", "|")
