"""Rate arithmetic that must always hold: tier splits, proration and rate-change splits."""
from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from core.bill_lines import Period, PricedBill, Service
from core.money import round_half_up, round_ratio_half_up
from core.rate_book import RateBook
from core.rate_engine import price
from tests.rates_support import book_of, simple_schedule

rates = st.decimals(min_value=0, max_value=Decimal("12"), places=4)
usages = st.decimals(min_value=0, max_value=Decimal("400"), places=2)
starts = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))


@st.composite
def tier_lists(draw: st.DrawFn) -> tuple[tuple[str | None, str], ...]:
    """1 to 4 tiers with rising bounds (up to two decimals) and any rates."""
    count = draw(st.integers(1, 4))
    bounds = sorted(draw(st.sets(st.decimals(min_value=Decimal("0.5"), max_value=60, places=2),
                                 min_size=count - 1, max_size=count - 1)))
    tier_rates = [draw(rates) for _ in range(count)]
    return tuple((str(b) if i < count - 1 else None, str(r))
                 for i, (b, r) in enumerate(zip([*bounds, None], tier_rates, strict=True)))


@st.composite
def schedules(draw: st.DrawFn, effective: str = "2025-01-01") -> str:
    return simple_schedule(
        effective=effective, tiers=draw(tier_lists()),
        pricing=draw(st.sampled_from(("cumulative", "single_level"))),
        widths=draw(st.sampled_from(("per_account", "per_dwelling_unit"))),
        fixed=str(draw(rates)),
        extra='[[surcharges]]\nlabel = "Drought"\nper_hcf = "0.25"\n')


def bill(book: RateBook, usage: Decimal, period: Period, units: int = 1) -> PricedBill:
    return price(book, Service("residential", dwelling_units=units), period, usage)


def usage_total(priced: PricedBill) -> Fraction:
    return sum((line.quantity for line in priced.lines if line.component == "usage"),
               Fraction(0))


@settings(max_examples=150, deadline=None)
@given(text=schedules(), usage=usages, start=starts, days=st.integers(1, 40),
       prorated=st.booleans(), units=st.integers(1, 6))
def test_tier_quantities_always_sum_to_the_usage(text: str, usage: Decimal, start: date,
                                                 days: int, prorated: bool, units: int) -> None:
    period = Period(start, start + timedelta(days=days), prorated)
    assert usage_total(bill(book_of(text), usage, period, units)) == usage


@settings(max_examples=100, deadline=None)
@given(old=schedules(), new=schedules(effective="2026-06-01"), usage=usages,
       offset=st.integers(-30, 29), days=st.integers(2, 40), prorated=st.booleans())
def test_tier_quantities_sum_to_usage_across_a_rate_change(old: str, new: str, usage: Decimal,
                                                          offset: int, days: int,
                                                          prorated: bool) -> None:
    start = date(2026, 6, 1) + timedelta(days=offset)
    period = Period(start, start + timedelta(days=days), prorated)
    assert usage_total(bill(book_of(old, new), usage, period)) == usage


@settings(max_examples=150, deadline=None)
@given(text=schedules(), usage=usages, start=starts, units=st.integers(1, 6))
def test_a_full_period_prorated_equals_the_unprorated_bill(text: str, usage: Decimal,
                                                           start: date, units: int) -> None:
    # RULES.md §5.1: days/30 with 30 days is a factor of 1.
    book = book_of(text)
    end = start + timedelta(days=30)
    prorated = bill(book, usage, Period(start, end, prorated=True), units)
    regular = bill(book, usage, Period(start, end, prorated=False), units)
    assert prorated.total_cents == regular.total_cents
    assert [line.amount_cents for line in prorated.lines] == [
        line.amount_cents for line in regular.lines]


@settings(max_examples=150, deadline=None)
@given(text=schedules(), usage=usages, offset=st.integers(1, 39), days=st.integers(2, 40),
       prorated=st.booleans(), units=st.integers(1, 6))
def test_a_rate_change_with_equal_rates_equals_the_unsplit_bill(
        text: str, usage: Decimal, offset: int, days: int, prorated: bool, units: int) -> None:
    start = date(2026, 5, 1)
    change = start + timedelta(days=min(offset, days - 1))
    again = text.replace("effective = 2025-01-01", f"effective = {change.isoformat()}")
    period = Period(start, start + timedelta(days=days), prorated)
    split = bill(book_of(text, again), usage, period, units)
    whole = bill(book_of(text), usage, period, units)
    assert len(split.segments) == 2 and len(whole.segments) == 1
    assert split.total_cents == whole.total_cents
    assert [(line.label, line.amount_cents) for line in split.lines] == [
        (line.label, line.amount_cents) for line in whole.lines]


@settings(max_examples=150, deadline=None)
@given(tiers=tier_lists(), usage=usages, units=st.integers(1, 6))
def test_cumulative_tier_amounts_match_a_plain_calculation(
        tiers: tuple[tuple[str | None, str], ...], usage: Decimal, units: int) -> None:
    text = simple_schedule(tiers=tiers, widths="per_dwelling_unit", fixed="0")
    period = Period(date(2026, 3, 1), date(2026, 3, 31))
    priced = bill(book_of(text), usage, period, units)
    expected, lower, left = [], Decimal(0), usage
    for up_to, rate in tiers:
        width = None if up_to is None else Decimal(up_to) * units - lower
        quantity = left if width is None else min(left, width)
        if quantity > 0:
            expected.append((quantity, round_half_up(Decimal(rate) * quantity)))
        left -= quantity
        lower += width or 0
    got = [(Decimal(line.quantity.numerator) / line.quantity.denominator, line.amount_cents)
           for line in priced.lines if line.component == "usage"]
    assert got == expected


@given(numerator=st.integers(-10**12, 10**12), denominator=st.integers(1, 10**9))
def test_ratio_rounding_is_the_same_half_up_rule(numerator: int, denominator: int) -> None:
    with localcontext() as context:
        context.prec = 60
        dollars = Decimal(numerator) / Decimal(denominator) / 100
        assert round_ratio_half_up(numerator, denominator) == round_half_up(dollars)
    assert round_ratio_half_up(5, 10) == 1 and round_ratio_half_up(-5, 10) == -1
    assert math.isclose(round_ratio_half_up(numerator, denominator), numerator / denominator,
                        abs_tol=0.5 + 1e-6)
