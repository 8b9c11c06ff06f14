"""Re-rating usage (RULES.md §6): the leak adjustment and the stuck-, slow- or fast-meter re-bill.

Both price each affected billing period twice with the rate engine, as billed and as it
should have been, and post the difference as one adjustment. Only usage differs between the
two pricings, so fixed charges cancel. Estimated usage is rounded to whole HCF, half-up, as
a meter registers it.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from core.adjustments import PreviewLine
from core.errors import InputError, InputProblem
from core.money import Cents, format_money, round_half_up
from core.returns import months_before

# (period start, end, usage in HCF) -> what the period's bill comes to, in cents.
Pricer = Callable[[date, date, int], Cents]


@dataclass(frozen=True)
class UsagePeriod:
    """One billing period of the premise: read to read, with the usage the meter registered."""

    start: date
    end: date
    usage: int
    estimated: bool = False

    @property
    def days(self) -> int:
        return max((self.end - self.start).days, 1)


def whole_hcf(value: Fraction | Decimal) -> int:
    """Round an estimate to whole HCF, half-up."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _span(period: UsagePeriod) -> str:
    """A period as the preview shows it: 2026-09-03→10-03 (HCF throughout)."""
    return f"{period.start.isoformat()}→{period.end:%m-%d}"


def periods_ending_in(periods: Sequence[UsagePeriod], start: date, end: date) -> list[UsagePeriod]:
    """The periods whose end read falls in (start, end]."""
    return [p for p in periods if start < p.end <= end]


@dataclass(frozen=True)
class Rerate:
    """A re-rate's result: the amount to post (+ charge, - credit) and each period explained."""

    amount_cents: Cents
    lines: tuple[PreviewLine, ...]
    first_period: date
    last_period: date


def leak_adjustment(periods: Sequence[UsagePeriod], *, leak_from: date, leak_to: date,
                    today: date, price: Pricer, tier1_rate: Callable[[date], Decimal],
                    service_since: date, earlier_leaks: Sequence[date], per_12_months: int,
                    max_periods: int, history_months: int, normal_periods: int) -> Rerate:
    """Credit the usage above normal, re-rated at the Tier 1 price, for the leak's periods.

    Normal is the average daily use of the `normal_periods` periods before the leak, times
    each leak period's days (Wilson Co.: credit against the average of the previous 3 months).
    Limits (FPUD): `per_12_months` leak adjustments in 12 months, at most `max_periods`
    periods, and `history_months` of service (the account open since `service_since`) before
    the leak.
    """
    chosen = periods_ending_in(periods, leak_from, leak_to)
    problems: list[InputProblem] = []
    if not chosen:
        raise InputError(InputProblem(
            f"no billing period of this account ends between {leak_from} and {leak_to}",
            field="period"))
    if len(chosen) > max_periods:
        problems.append(InputProblem(
            f"the leak covers {len(chosen)} billing periods; policy allows at most "
            f"{max_periods} (settings leak_max_periods)", field="period"))
    window = months_before(today, 12)
    recent = [d for d in earlier_leaks if d > window]
    if len(recent) >= per_12_months:
        problems.append(InputProblem(
            f"{len(recent)} leak adjustment(s) since {window} (on {', '.join(map(str, recent))});"
            f" policy allows {per_12_months} in 12 months (settings "
            "leak_adjustments_per_12_months)", field="kind"))
    first = chosen[0]
    before = [p for p in periods if p.end <= first.start]
    history_from = months_before(first.start, history_months)
    if service_since > history_from:
        problems.append(InputProblem(
            f"the account opened {service_since}; policy needs {history_months} months of "
            f"history before the leak (open by {history_from}; settings leak_history_months)",
            field="period"))
    basis = before[-normal_periods:]
    if not basis:
        problems.append(InputProblem("no earlier period to tell normal use from",
                                     field="period"))
    if problems:
        raise InputError(problems)
    daily = Fraction(sum(p.usage for p in basis), sum(p.days for p in basis))
    lines = [PreviewLine(f"Normal use {float(daily):.3f} HCF/day: the average of "
                         f"{len(basis)} periods {basis[0].start} to {basis[-1].end}; "
                         "usage in HCF")]
    total = 0
    for period in chosen:
        normal = whole_hcf(daily * period.days)
        excess = period.usage - normal
        if excess <= 0:
            lines.append(PreviewLine(f"{_span(period)}: used {period.usage}, normal {normal}: "
                                     "nothing above normal", 0))
            continue
        rate = tier1_rate(period.start)
        billed = price(period.start, period.end, period.usage)
        rebill = price(period.start, period.end, normal) + round_half_up(rate * excess)
        credit = max(billed - rebill, 0)
        total += credit
        lines.append(PreviewLine(
            f"{_span(period)}: used {period.usage}, normal {normal}, {excess} over at Tier 1 "
            f"${rate}: {format_money(billed)} → {format_money(rebill)}", -credit))
    if total == 0:
        raise InputError(InputProblem(
            "the re-rate gives no credit: use above normal already priced at Tier 1 or less",
            field="period"))
    return Rerate(-total, tuple(lines), chosen[0].start, chosen[-1].end)


class EstimateMethod(StrEnum):
    """How a stuck, slow or fast meter's true use is estimated (RULES.md §6, a named method)."""

    PRIOR_AVERAGE = "prior_average"  # average of the periods before (LaGrange: 6 months)
    LAST_YEAR = "last_year"  # the same period a year earlier (CVWD §3.05.150(C))
    PERCENT_SLOW = "percent_slow"  # meter tested slow by P%: registered ÷ (1 − P/100)
    PERCENT_FAST = "percent_fast"  # meter tested fast by P%: registered ÷ (1 + P/100)

    @property
    def words(self) -> str:
        return {"prior_average": "average of the periods before",
                "last_year": "same period last year",
                "percent_slow": "meter tested slow", "percent_fast": "meter tested fast"}[self]


def _estimate(method: EstimateMethod, period: UsagePeriod, periods: Sequence[UsagePeriod],
              prior_daily: Fraction | None, percent: Decimal | None) -> int | None:
    if method is EstimateMethod.PRIOR_AVERAGE:
        return whole_hcf(prior_daily * period.days) if prior_daily is not None else None
    if method is EstimateMethod.LAST_YEAR:
        ago = [p for p in periods if abs((p.end - months_before(period.end, 12)).days) <= 20]
        if not ago:
            return None
        return whole_hcf(Fraction(ago[0].usage * period.days, ago[0].days))
    assert percent is not None
    factor = (1 - percent / 100) if method is EstimateMethod.PERCENT_SLOW else (1 + percent / 100)
    return whole_hcf(Decimal(period.usage) / factor)


def meter_rebill(periods: Sequence[UsagePeriod], *, method: EstimateMethod, since: date,
                 until: date, today: date, price: Pricer, lookback_months: int,
                 average_periods: int, percent: Decimal | None = None) -> Rerate:
    """Back-bill a stuck or slow meter, or refund a fast one, over the capped look-back."""
    if method in (EstimateMethod.PERCENT_SLOW, EstimateMethod.PERCENT_FAST) and (
            percent is None or not Decimal(0) < percent < Decimal(50)):
        raise InputError(InputProblem("the meter test's error must be a percent between 0 "
                                      "and 50, e.g. 4.5", field="percent"))
    cap = months_before(today, lookback_months)
    chosen = periods_ending_in(periods, max(since, cap), until)
    lines: list[PreviewLine] = []
    outside = periods_ending_in(periods, since, min(cap, until))
    if outside:
        lines.append(PreviewLine(
            f"{len(outside)} period(s) ending before {cap} are outside the {lookback_months}-"
            "month look-back and are not re-billed"))
    if not chosen:
        raise InputError(InputProblem(
            f"no billing period ends between {max(since, cap)} and {until} (look-back "
            f"{lookback_months} months from {today})", field="period"))
    prior = [p for p in periods if p.end <= chosen[0].start][-average_periods:]
    prior_daily = (Fraction(sum(p.usage for p in prior), sum(p.days for p in prior))
                   if prior else None)
    lines.insert(0, PreviewLine(f"Estimate: {method.words}"
                                + (f" {percent}%" if percent is not None else "")
                                + (f" ({len(prior)} periods before, {float(prior_daily):.3f} "
                                   "HCF/day)" if method is EstimateMethod.PRIOR_AVERAGE
                                   and prior_daily is not None else "")))
    total = 0
    for period in chosen:
        estimate = _estimate(method, period, periods, prior_daily, percent)
        if estimate is None:
            raise InputError(InputProblem(
                f"no usage to estimate {period.start}–{period.end} by the {method.words}; "
                "choose another method", field="method"))
        billed = price(period.start, period.end, period.usage)
        should = price(period.start, period.end, estimate)
        total += should - billed
        lines.append(PreviewLine(f"{_span(period)}: registered {period.usage}, estimated "
                                 f"{estimate}: {format_money(billed)} → {format_money(should)}",
                                 should - billed))
    if total == 0 or (method is EstimateMethod.PERCENT_FAST) != (total < 0):
        raise InputError(InputProblem(
            f"the re-rate comes to {format_money(total)}: nothing to "
            f"{'refund' if method is EstimateMethod.PERCENT_FAST else 'back-bill'}",
            field="method"))
    return Rerate(total, tuple(lines), chosen[0].start, chosen[-1].end)
