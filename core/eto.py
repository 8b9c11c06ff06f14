"""Reference evapotranspiration (ETo) values for water budgets, read from a small CSV file.

Layout (docs/rates.md): a header `period,eto_inches`, then one row per period: `MM` for a
normal-year month (used every year), `YYYY-MM` for an actual month, `YYYY-MM-DD` for one
day (as CIMIS reports daily ETo). For each day a daily row wins over an actual month, which
wins over the normal year; a month's inches are spread evenly over its days.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from core.errors import InputError, InputProblem

HEADER = ("period", "eto_inches")
MAX_MONTHLY_INCHES = Decimal("20")  # no climate in California exceeds this; catches typos


@dataclass(frozen=True, eq=False)
class EtoTable:
    """ETo inches by day, actual month and normal-year month, from one file."""

    source: str
    daily: dict[date, Decimal] = field(default_factory=dict)
    monthly: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    normal: dict[int, Decimal] = field(default_factory=dict)
    _sums: dict[tuple[date, date], Fraction] = field(default_factory=dict, repr=False)

    def inches(self, start: date, end: date) -> Fraction:
        """Total ETo over the days from `start` up to (not including) `end`, exactly."""
        cached = self._sums.get((start, end))
        if cached is not None:
            return cached
        total = Fraction(0)
        day = start
        while day < end:
            days_in_month = calendar.monthrange(day.year, day.month)[1]
            month_end = min(end, day.replace(day=1) + timedelta(days=days_in_month))
            month_value = self._month_value(day.year, day.month)
            for offset in range((month_end - day).days):
                current = day + timedelta(days=offset)
                daily = self.daily.get(current)
                if daily is not None:
                    total += Fraction(daily)
                elif month_value is None:
                    raise InputError(InputProblem(
                        f"has no ETo for {current:%Y-%m} (add a row {current:%Y-%m} or a "
                        f"normal-year row {current:%m})", source=self.source, field="period"))
                else:
                    total += Fraction(month_value) / days_in_month
            day = month_end
        if len(self._sums) > 4096:
            self._sums.clear()
        self._sums[(start, end)] = total
        return total

    def values_text(self) -> str:
        """Every value the table holds, in one order: equal texts price every budget alike
        (the billing draft's inputs mark compares it, db.billing_inputs)."""
        return ";".join([*(f"{d}={v}" for d, v in sorted(self.daily.items())),
                         *(f"{y}-{m:02d}={v}" for (y, m), v in sorted(self.monthly.items())),
                         *(f"{m:02d}={v}" for m, v in sorted(self.normal.items()))])

    def _month_value(self, year: int, month: int) -> Decimal | None:
        actual = self.monthly.get((year, month))
        return actual if actual is not None else self.normal.get(month)


def parse_eto(text: str, *, source: str) -> EtoTable:
    """Parse an ETo file; every problem names the file, the line and the column."""
    table = EtoTable(source=source)
    problems: list[InputProblem] = []
    seen_header = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split(",")]
        if not seen_header:
            if tuple(c.lower() for c in cells) != HEADER:
                problems.append(InputProblem("the first line must be the header period,eto_inches",
                                             source=source, line=number, field="header"))
                break
            seen_header = True
            continue
        if len(cells) != 2:
            problems.append(InputProblem(f"expected 2 values (period, eto_inches), found "
                                         f"{len(cells)}", source=source, line=number))
            continue
        period, value_text = cells
        try:
            value = Decimal(value_text)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or value < 0:
            problems.append(InputProblem(f"{value_text!r} is not a number of inches >= 0",
                                         source=source, line=number, field="eto_inches"))
            continue
        problem = _store(table, period, value)
        if problem:
            problems.append(InputProblem(problem, source=source, line=number, field="period"))
    if not seen_header and not problems:
        problems.append(InputProblem("has no header line period,eto_inches", source=source))
    if problems:
        raise InputError(problems)
    return table


def _store(table: EtoTable, period: str, value: Decimal) -> str:
    """File one row; returns a problem sentence, or "" when the row is good."""
    parts = period.split("-")
    try:
        if len(parts) == 1 and len(period) == 2:
            month = int(period)
            if not 1 <= month <= 12:
                return f"{period!r} is not a month 01-12"
            if value > MAX_MONTHLY_INCHES:
                return f"{value} inches in a month is more than any California station reports"
            if month in table.normal:
                return f"normal-year month {period} appears twice"
            table.normal[month] = value
        elif len(parts) == 2:
            key = (int(parts[0]), int(parts[1]))
            date(key[0], key[1], 1)
            if value > MAX_MONTHLY_INCHES:
                return f"{value} inches in a month is more than any California station reports"
            if key in table.monthly:
                return f"month {period} appears twice"
            table.monthly[key] = value
        elif len(parts) == 3:
            day = date.fromisoformat(period)
            if day in table.daily:
                return f"day {period} appears twice"
            table.daily[day] = value
        else:
            raise ValueError(period)
    except ValueError:
        return f"{period!r} is not a period (use MM, YYYY-MM or YYYY-MM-DD)"
    return ""
