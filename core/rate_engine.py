"""The rate engine: a service, a period and its usage in; explained bill lines out.

Rounding rule (RULES.md §5.1, PRODUCT.md): every quantity stays an exact fraction (usage
shares, prorated tier widths, budgets) and each line's amount, rate × quantity (× proration
factor), is rounded once, half-up, to whole cents by core.money.round_ratio_half_up. Nothing
is rounded before that, except a water budget where its schedule says (indoor_decimals).

Mid-period rate changes: the period is split at each effective date; usage and tier widths
are shared out by days, monthly charges by days (RULES.md §5.1). Where both schedules price a
line alike, the parts are added before rounding, so an unchanged rate gives an unchanged bill.

Speed: a plan holds everything that does not depend on usage (segments, fixed lines already
in cents, tier bounds as integers over one common denominator); the engine caches plans by
service shape and period, so pricing one account of a billing run is a few integer
operations per tier.
"""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import partial

from core.bill_lines import (
    BillLine,
    LineInfo,
    Period,
    PricedBill,
    PricedSegment,
    Service,
    WaterBudget,
    hcf,
)
from core.errors import InputError, InputProblem
from core.money import round_ratio_half_up
from core.rate_book import RateBook, Segment
from core.rate_schedule import Schedule
from core.rate_segments import (
    BudgetOf,
    LineCollector,
    MonthlyPart,
    UsagePart,
    WinterPart,
    add_segment,
    factor_text,
    water_budget,
)

MICRO = 10**6  # rates are held as whole millionths of a dollar (rate files allow 6 decimals)
CENTS_PER_MICRO = MICRO // 100
PLAN_CACHE_SIZE = 20_000


class RateEngine:
    """Prices services against one rate book, keeping a plan for each service shape seen."""

    def __init__(self, book: RateBook) -> None:
        self.book = book
        self._plans: dict[tuple[object, ...], _Plan] = {}
        self._segments: dict[tuple[str, date, date], _Segments] = {}
        self._budgets: dict[tuple[object, ...], WaterBudget] = {}  # kept schedules: ids stay

    def price(self, service: Service, period: Period, usage_hcf: Decimal | int) -> PricedBill:
        """The service's bill for the period: explained lines, each rounded once, and a total."""
        where = (service.rate_class, period.start, period.end)
        found = self._segments.get(where)
        if found is None:
            period.check()
            if len(self._segments) >= PLAN_CACHE_SIZE:
                self._segments.clear()
            found = self._segments[where] = _Segments(self.book.segments(*where))
        # A water budget depends on the household and the landscape only through the budget
        # itself (RULES.md §5.2, rounded as the schedule says), so services whose budgets come
        # out equal share a plan: one plan per budget, not one per irrigated area.
        shape = (service.household_size, service.landscape_sqft) if not found.budgeted else \
            tuple(self._budget(s.schedule, service, period) for s in found.segments
                  if s.schedule.budget is not None)
        key = (service.rate_class, service.meter_size, service.dwelling_units, service.edus,
               shape, period.prorated, found.key,
               (period.start, period.end, service.rental_started_on) if found.dated else None)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= PLAN_CACHE_SIZE:
                self._plans.clear()
            plan = self._plans[key] = _Plan(found.segments, service, period, self._budget)
        return plan.price(service, period, found.priced, usage_hcf)

    def _budget(self, schedule: Schedule, service: Service, period: Period) -> WaterBudget:
        """water_budget, kept by what it reads: many bills of a run share a household and a
        landscape area over the same dates."""
        key = (id(schedule), service.household_size, service.dwelling_units,
               service.landscape_sqft, period.start, period.end)
        found = self._budgets.get(key)
        if found is None:
            if len(self._budgets) >= PLAN_CACHE_SIZE:
                self._budgets.clear()
            found = self._budgets[key] = water_budget(schedule, service, period)
        return found


class _Segments:
    """A period's split by rate file, and what of it a plan's cache key needs."""

    __slots__ = ("budgeted", "dated", "key", "priced", "segments")

    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments
        self.priced = tuple(PricedSegment(s.schedule.ref, s.start, s.end, s.days)
                            for s in segments)
        self.key = tuple((id(s.schedule), s.days) for s in segments)
        # Budgets (ETo) and rentals (first day) depend on the dates themselves; the rest only
        # on each segment's schedule and days, so most plans serve many read dates.
        self.dated = any(s.schedule.budget is not None or s.schedule.rental is not None
                         for s in segments)
        self.budgeted = any(s.schedule.budget is not None for s in segments)


def price(book: RateBook, service: Service, period: Period,
          usage_hcf: Decimal | int) -> PricedBill:
    """Price one bill (a quote); a billing run keeps one RateEngine for all its accounts."""
    period.check()
    found = _Segments(book.segments(service.rate_class, period.start, period.end))
    return _Plan(found.segments, service, period).price(service, period, found.priced,
                                                         usage_hcf)


class _Plan:
    """Everything about one service shape and period that does not depend on usage."""

    def __init__(self, segments: list[Segment], service: Service, period: Period,
                 budget_of: BudgetOf | None = None) -> None:
        service.check()
        collector = LineCollector()
        budgets: list[WaterBudget] = []
        for index, segment in enumerate(segments):
            budget = add_segment(collector, index, segment, service, period, budget_of)
            if budget is not None and budget not in budgets:
                budgets.append(budget)
        self.budgets = tuple(budgets)
        shares = [Fraction(s.days, period.days) for s in segments]
        bases = tuple(dict.fromkeys([s.schedule.proration_days for s in segments]
                                    + [period.days]))
        denominators = [s.denominator for s in shares]
        for part in collector.parts.values():
            if isinstance(part, UsagePart):
                for _, lower, width in part.parts:
                    denominators.append(lower.denominator)
                    denominators.append(1 if width is None else width.denominator)
        self.common = math.lcm(*denominators)  # every tier bound is a whole number over this
        self.segment_scale = tuple(int(share * self.common) for share in shares)
        self.slots: list[BillLine | _UsageSlot | _WinterSlot | _MinimumSlot] = []
        self.water_fixed_cents = 0  # fixed and rental lines, which count towards a minimum
        for part in collector.in_order():
            text = factor_text(part.factor, bases)
            if isinstance(part, MonthlyPart):
                line = _monthly_line(part, text)
                if part.component in ("fixed", "rental"):
                    self.water_fixed_cents += line.amount_cents
                self.slots.append(line)
            elif isinstance(part, UsagePart):
                self.slots.append(_UsageSlot(part, self.common, text))
            elif isinstance(part, WinterPart):
                self.slots.append(_WinterSlot(part))
            else:
                floor_cents = round_ratio_half_up(part.amount.numerator * 100,
                                                  part.amount.denominator)
                self.slots.append(_MinimumSlot(LineInfo(
                    "minimum", "minimum", part.label, "account", part.rate, part.days,
                    part.factor, text, tuple(part.files)), floor_cents))

    def price(self, service: Service, period: Period, segments: tuple[PricedSegment, ...],
              usage: Decimal | int) -> PricedBill:
        numerator, denominator = usage.as_integer_ratio()
        if numerator < 0:
            raise InputError(InputProblem(f"{usage} HCF: usage must not be negative",
                                          field="usage"))
        xs = [numerator * scale for scale in self.segment_scale]
        lines: list[BillLine] = []
        water = self.water_fixed_cents
        total = 0
        for slot in self.slots:
            if isinstance(slot, BillLine):
                line: BillLine | None = slot
            elif isinstance(slot, _UsageSlot):
                line = slot.line(xs, numerator, denominator)
                if line is not None and line.component == "usage":
                    water += line.amount_cents
            elif isinstance(slot, _WinterSlot):
                line = slot.line(service.winter_average_hcf)
            else:
                line = slot.line(water)
            if line is not None:
                lines.append(line)
                total += line.amount_cents
        return PricedBill(service, period, Decimal(numerator) / denominator, tuple(lines),
                          total, segments, self.budgets)


def _monthly_line(part: MonthlyPart, text: str) -> BillLine:
    """Monthly: rate × quantity × factor; daily: rate × days. Rounded once, half-up."""
    monthly = part.kind == "monthly"
    exact = Fraction(part.rate) * part.quantity * (part.factor if monthly else 1)
    cents = round_ratio_half_up(exact.numerator * 100, exact.denominator)
    info = LineInfo(part.component, part.kind, part.label, part.unit, part.rate, part.days,
                    part.factor if monthly else Fraction(1), text if monthly else "1",
                    tuple(part.files))
    return BillLine(info, part.quantity.numerator, part.quantity.denominator, cents)


class _WinterSlot:
    """Winter-average sewer: rate × average HCF × factor; the schedule's figure if no history."""

    __slots__ = ("factor", "info", "no_history", "rate_micro")

    def __init__(self, part: WinterPart) -> None:
        self.factor = part.factor
        self.rate_micro = int(part.rate * MICRO)
        text = factor_text(part.factor, (30,))
        self.info = LineInfo("wastewater", "monthly", part.label, "HCF of winter use", part.rate,
                             part.days, part.factor, text, tuple(part.files))
        exact = sum((Fraction(use or 0) * factor for factor, use in part.parts), Fraction(0))
        average = exact / part.factor if part.factor else Fraction(0)
        cents = round_ratio_half_up(self.rate_micro * exact.numerator,
                                    exact.denominator * CENTS_PER_MICRO)
        no_history = replace(self.info, label=part.label + " (no winter history)")
        self.no_history = BillLine(no_history, average.numerator, average.denominator, cents)

    def line(self, winter_average: Decimal | None) -> BillLine:
        if winter_average is None:
            return self.no_history
        numerator, denominator = winter_average.as_integer_ratio()
        factor = self.factor
        cents = round_ratio_half_up(self.rate_micro * numerator * factor.numerator,
                                    denominator * factor.denominator * CENTS_PER_MICRO)
        return BillLine(self.info, numerator, denominator, cents)


class _MinimumSlot:
    """RULES.md §9 / district minimums: the difference up to the minimum, when water is less."""

    __slots__ = ("floor_cents", "info")

    def __init__(self, info: LineInfo, floor_cents: int) -> None:
        self.info = info
        self.floor_cents = floor_cents

    def line(self, water_cents: int) -> BillLine | None:
        if self.floor_cents <= water_cents:
            return None
        return BillLine(self.info, 1, 1, self.floor_cents - water_cents)


class _UsageSlot:
    """A usage line ready to price: bounds as integers over the plan's common denominator."""

    __slots__ = ("common", "info", "parts", "rate_micro", "share", "single_level")

    def __init__(self, part: UsagePart, common: int, text: str) -> None:
        self.common = common
        self.rate_micro = int(part.rate * MICRO)
        self.single_level = part.single_level
        self.parts = tuple((segment, int(lower * common),
                            None if width is None else int(width * common))
                           for segment, lower, width in part.parts)
        self.share = part.per_hcf_share
        self.info = LineInfo(part.component, "usage", part.label, "HCF", part.rate, part.days,
                             part.factor, text, tuple(part.files),
                             partial(_range_text, part) if part.parts else None)

    def line(self, xs: list[int], numerator: int, denominator: int) -> BillLine | None:
        if self.share is not None:  # a per-HCF surcharge: usage × its share of the period
            total = numerator * self.share.numerator
            scale = denominator * self.share.denominator
        else:
            total = 0
            for segment, lower, width in self.parts:
                x = xs[segment]  # this segment's share of the usage, over common × denominator
                if denominator != 1:
                    lower *= denominator
                    width = None if width is None else width * denominator
                if x <= lower:
                    continue
                if self.single_level:  # the whole use, when it ends inside this tier
                    if width is None or x <= lower + width:
                        total += x
                else:  # cumulative: only the use that falls inside this tier
                    over = x - lower
                    total += over if width is None or over < width else width
            scale = self.common * denominator
        if total == 0:
            return None
        cents = round_ratio_half_up(self.rate_micro * total, scale * CENTS_PER_MICRO)
        return BillLine(self.info, total, scale, cents)


def _range_text(part: UsagePart) -> str:
    """The tier's bounds for this bill, e.g. "over 4 up to 12 HCF", and how they were scaled."""
    lower = sum((p[1] for p in part.parts), Fraction(0))
    widths = [p[2] for p in part.parts]
    if lower == 0 and any(w is None for w in widths):
        text = "all use"
    elif any(w is None for w in widths):
        text = f"over {hcf(lower)} HCF"
    else:
        upper = lower + sum((w for w in widths if w is not None), Fraction(0))
        text = f"first {hcf(upper)} HCF" if lower == 0 else \
            f"over {hcf(lower)} up to {hcf(upper)} HCF"
    note = part.scale_note()
    return text + (f"; {note}" if note else "")
