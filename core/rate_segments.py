"""Gathering a period's bill lines, segment by segment, before anything is rounded.

Each schedule in force during the period adds its parts: monthly charges × their proration
factor, tier bounds scaled by dwelling units and days, the water budget, the minimum. Parts
priced alike in two segments (same label, rate and bounds) are gathered into one line.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from core.bill_lines import COMPONENT_ORDER, Period, Service, WaterBudget, hcf
from core.errors import InputError, InputProblem
from core.rate_book import Segment
from core.rate_schedule import MonthlyCharge, Schedule, Tier

# A service's water budget for a period under a schedule (water_budget, or a memo of it).
BudgetOf = Callable[[Schedule, Service, Period], WaterBudget]

GALLONS_PER_HCF = 748  # RULES.md §5.1 (const): 1 HCF = 100 cu ft = 748 gallons
GALLONS_PER_SQFT_INCH = Fraction(62, 100)  # RULES.md §5.2: ETo inches × sq ft × 0.62 = gallons


@dataclass
class MonthlyPart:
    """A usage-independent line: monthly (× factor), daily (days × rate)."""

    component: str
    kind: str
    label: str
    unit: str
    quantity: Fraction
    rate: Decimal
    factor: Fraction = Fraction(0)
    days: int = 0
    files: list[str] = field(default_factory=list)


@dataclass
class UsagePart:
    """A usage line: tier parts (segment, lower, width; None = no top) or a per-HCF share."""

    component: str
    label: str
    rate: Decimal
    single_level: bool = False
    per_hcf_share: Fraction | None = None
    parts: list[tuple[int, Fraction, Fraction | None]] = field(default_factory=list)
    scale: tuple[str, int, tuple[int, int], bool] | None = None  # spec, units, bases, budget
    factor: Fraction = Fraction(0)
    days: int = 0
    files: list[str] = field(default_factory=list)

    def scale_note(self) -> str:
        """How the tier's bounds were scaled, e.g. "4-12 HCF × 2 dwelling units × 12/30"."""
        if self.scale is None:
            return ""
        spec, units, bases, budgeted = self.scale
        return _scale_note(spec, units, factor_text(self.factor, bases), budgeted)


@dataclass
class WinterPart:
    """Sewer on winter-average use: (monthly factor, no-history HCF) for each segment."""

    label: str
    rate: Decimal
    parts: list[tuple[Fraction, Decimal | None]] = field(default_factory=list)
    factor: Fraction = Fraction(0)
    days: int = 0
    files: list[str] = field(default_factory=list)


@dataclass
class MinimumPart:
    """The minimum charge: each segment's monthly minimum × its factor, in dollars."""

    label: str
    rate: Decimal
    amount: Fraction = Fraction(0)
    factor: Fraction = Fraction(0)
    days: int = 0
    files: list[str] = field(default_factory=list)


Part = MonthlyPart | UsagePart | WinterPart | MinimumPart


class LineCollector:
    """A period's parts by merge key, kept in bill order (component, tier, first seen)."""

    def __init__(self) -> None:
        self.parts: dict[tuple[object, ...], Part] = {}
        self.order: dict[tuple[object, ...], tuple[int, int, int]] = {}

    def part(self, key: tuple[object, ...], component: str, position: int, new: Part) -> Part:
        if key not in self.parts:
            self.parts[key] = new
            self.order[key] = (COMPONENT_ORDER.index(component), position, len(self.order))
        return self.parts[key]

    def in_order(self) -> Iterator[Part]:
        for key in sorted(self.parts, key=lambda k: self.order[k]):
            yield self.parts[key]


def _note(part: Part, days: int, file: str, factor: Fraction) -> None:
    part.days += days
    part.factor += factor
    if file not in part.files:
        part.files.append(file)


def add_segment(lines: LineCollector, index: int, segment: Segment, service: Service,
                period: Period, budget_of: BudgetOf | None = None) -> WaterBudget | None:
    """Add one segment's parts; returns the water budget it priced against, if any
    (`budget_of`'s: water_budget, or the caller's memo of it)."""
    schedule = segment.schedule
    file, days = schedule.ref.file, segment.days
    share = Fraction(days, period.days)
    # RULES.md §5.1: opening/closing bills × days/30; a regular bill shares its month by days.
    monthly = Fraction(days, schedule.proration_days) if period.prorated else share
    if schedule.fixed is not None:
        _add_monthly(lines, "fixed", schedule.fixed, schedule, service, "fixed", monthly, days)
    if schedule.rental is not None:
        _add_rental(lines, segment, service)
    budget = None
    if schedule.commodity is not None:
        budget = _add_tiers(lines, index, segment, service, period, share, monthly,
                            budget_of or water_budget)
    if schedule.wastewater is not None:
        _add_wastewater(lines, schedule, service, monthly, days)
    for position, surcharge in enumerate(schedule.surcharges):
        if surcharge.monthly is not None:
            _add_monthly(lines, "surcharge", surcharge.monthly, schedule, service,
                         f"surcharges[{position + 1}]", monthly, days, position)
        elif surcharge.per_hcf is not None:
            part = lines.part(("surcharge", surcharge.label, surcharge.per_hcf, "HCF"),
                              "surcharge", position,
                              UsagePart("surcharge", surcharge.label, surcharge.per_hcf,
                                        per_hcf_share=Fraction(0)))
            assert isinstance(part, UsagePart) and part.per_hcf_share is not None
            part.per_hcf_share += share
            _note(part, days, file, share)
    if schedule.minimum is not None:
        minimum = schedule.minimum
        part = lines.part(("minimum", minimum.label), "minimum", 0,
                          MinimumPart(minimum.label, minimum.amount))
        assert isinstance(part, MinimumPart)
        part.amount += Fraction(minimum.amount) * monthly
        _note(part, days, file, monthly)
    return budget


def monthly_amount(charge: MonthlyCharge, schedule: Schedule, service: Service,
                   where: str) -> Decimal:
    """The monthly amount for the service's meter size, or a located refusal."""
    amount = charge.amount_for(service.meter_size)
    if amount is not None:
        return amount
    sizes = ", ".join(size for size, _ in charge.by_meter_size)
    if not service.meter_size:
        raise InputError(InputProblem(
            f"{schedule.rate_class} rates charge by meter size; give the meter size "
            f"(one of {sizes})", field="meter size"))
    raise InputError(InputProblem(
        f"has no charge for a {service.meter_size}\" meter (sizes: {sizes})",
        source=schedule.ref.path, field=f"{where}.by_meter_size"))


def _add_monthly(lines: LineCollector, component: str, charge: MonthlyCharge,
                 schedule: Schedule, service: Service, where: str, monthly: Fraction,
                 days: int, position: int = 0) -> None:
    amount = monthly_amount(charge, schedule, service, where)
    if charge.per == "dwelling_unit":
        quantity, unit = Fraction(service.dwelling_units), "dwelling unit"
    else:
        quantity, unit = Fraction(1), "account"
    label = charge.label + (f", {service.meter_size}\" meter" if charge.amount is None else "")
    part = lines.part((component, label, amount, unit, quantity), component, position,
                      MonthlyPart(component, "monthly", label, unit, quantity, amount))
    _note(part, days, schedule.ref.file, monthly)


def _add_rental(lines: LineCollector, segment: Segment, service: Service) -> None:
    """RULES.md §9: a first-day charge when the rental starts in this segment, then per day."""
    rental = segment.schedule.rental
    assert rental is not None
    file = segment.schedule.ref.file
    started = service.rental_started_on
    later_days = segment.days
    if started is not None and segment.start <= started < segment.end:
        label = f"{rental.label}, first day"
        part = lines.part(("rental", label, rental.first_day), "rental", 0,
                          MonthlyPart("rental", "daily", label, "day", Fraction(0),
                                      rental.first_day))
        assert isinstance(part, MonthlyPart)
        part.quantity += 1
        _note(part, 1, file, Fraction(0))
        later_days -= 1
    if later_days:
        part = lines.part(("rental", rental.label, rental.per_day), "rental", 1,
                          MonthlyPart("rental", "daily", rental.label, "day", Fraction(0),
                                      rental.per_day))
        assert isinstance(part, MonthlyPart)
        part.quantity += later_days
        _note(part, later_days, file, Fraction(0))


def _add_wastewater(lines: LineCollector, schedule: Schedule, service: Service,
                    monthly: Fraction, days: int) -> None:
    sewer = schedule.wastewater
    assert sewer is not None
    file = schedule.ref.file
    if sewer.basis == "winter_average":
        if sewer.charge:
            label = f"{sewer.label}, base"
            part = lines.part(("wastewater", label, sewer.charge), "wastewater", 0,
                              MonthlyPart("wastewater", "monthly", label, "account",
                                          Fraction(1), sewer.charge))
            _note(part, days, file, monthly)
        assert sewer.rate is not None
        label = f"{sewer.label}, winter average use"
        winter = lines.part(("wastewater-winter", label, sewer.rate), "wastewater", 1,
                            WinterPart(label, sewer.rate))
        assert isinstance(winter, WinterPart)
        winter.parts.append((monthly, sewer.no_history_hcf))
        _note(winter, days, file, monthly)
        return
    if sewer.basis == "edu":
        quantity = Fraction(service.edus if service.edus is not None else service.dwelling_units)
        unit = "EDU"
    else:
        quantity, unit = Fraction(service.dwelling_units), "dwelling unit"
    part = lines.part(("wastewater", sewer.label, sewer.charge, unit, quantity), "wastewater",
                      0, MonthlyPart("wastewater", "monthly", sewer.label, unit, quantity,
                                     sewer.charge))
    _note(part, days, file, monthly)


def water_budget(schedule: Schedule, service: Service, period: Period) -> WaterBudget:
    """RULES.md §5.2: indoor gpcd × people × days / 748; outdoor ETo × ETAF × area × 0.62 / 748."""
    rule = schedule.budget
    assert rule is not None
    people = rule.household_default if service.household_size is None else service.household_size
    indoor = (Fraction(rule.indoor_gpcd) * people * service.dwelling_units * period.days
              / GALLONS_PER_HCF)
    eto = rule.eto.inches(period.start, period.end)
    outdoor = (eto * Fraction(rule.etaf) * service.landscape_sqft * GALLONS_PER_SQFT_INCH
               / GALLONS_PER_HCF)
    return WaterBudget(schedule.ref, _round_to(indoor, rule.indoor_decimals),
                       _round_to(outdoor, rule.outdoor_decimals), eto)


def _round_to(value: Fraction, places: int | None) -> Fraction:
    """Round half-up to `places` decimals (a budget rounded as its schedule says), or keep."""
    if places is None:
        return value
    scale = 10**places
    return Fraction(math.floor(value * scale + Fraction(1, 2)), scale)


def _add_tiers(lines: LineCollector, index: int, segment: Segment, service: Service,
               period: Period, share: Fraction, monthly: Fraction,
               budget_of: BudgetOf) -> WaterBudget | None:
    schedule = segment.schedule
    commodity = schedule.commodity
    assert commodity is not None
    budget = None
    if schedule.budget is not None:
        budget = budget_of(schedule, service, period)
        bounds = _budget_bounds(commodity.tiers, budget)
        width_factor, units = share, 1  # the budget already counts days and dwelling units
    else:
        bounds = _hcf_bounds(commodity.tiers)
        units = service.dwelling_units if commodity.widths == "per_dwelling_unit" else 1
        width_factor = monthly if commodity.prorate_tiers else share
    for position, (tier, (lower, width), spec) in enumerate(
            zip(commodity.tiers, bounds, _tier_specs(commodity.tiers), strict=True)):
        key = ("usage", commodity.label, tier.name, tier.rate, commodity.pricing, spec, units)
        part = lines.part(key, "usage", position, UsagePart(
            "usage", f"{commodity.label}, {tier.name}", tier.rate,
            single_level=commodity.pricing == "single_level"))
        assert isinstance(part, UsagePart)
        scale = width_factor * units
        part.parts.append((index, lower * scale, None if width is None else width * scale))
        _note(part, segment.days, schedule.ref.file, width_factor)
        part.scale = (spec, units, (schedule.proration_days, period.days), budget is not None)
    return budget


@lru_cache(maxsize=256)
def _hcf_bounds(tiers: tuple[Tier, ...]) -> list[tuple[Fraction, Fraction | None]]:
    bounds: list[tuple[Fraction, Fraction | None]] = []
    lower = Fraction(0)
    for tier in tiers:
        if tier.up_to is None:
            bounds.append((lower, None))
        else:
            upper = max(Fraction(tier.up_to), lower)
            bounds.append((lower, upper - lower))
            lower = upper
    return bounds


def _budget_bounds(tiers: tuple[Tier, ...],
                   budget: WaterBudget) -> list[tuple[Fraction, Fraction | None]]:
    """Tier bounds from the budget; a bound below the one before it is raised to it."""
    bounds: list[tuple[Fraction, Fraction | None]] = []
    lower = Fraction(0)
    for tier in tiers:
        if tier.up_to_indoor:
            upper: Fraction | None = budget.indoor_hcf
        elif tier.up_to_percent is not None:
            upper = budget.total_hcf * Fraction(tier.up_to_percent) / 100
        else:
            upper = None
        if upper is None:
            bounds.append((lower, None))
        else:
            upper = max(upper, lower)
            bounds.append((lower, upper - lower))
            lower = upper
    return bounds


@lru_cache(maxsize=256)
def _tier_specs(tiers: tuple[Tier, ...]) -> list[str]:
    """Each tier's bounds as written in the file, e.g. "4-12 HCF" or "indoor-100%"."""
    specs: list[str] = []
    previous = "0"
    for tier in tiers:
        if tier.up_to_indoor:
            upper = "indoor"
        elif tier.up_to_percent is not None:
            upper = f"{tier.up_to_percent}%"
        elif tier.up_to is not None:
            upper = hcf(tier.up_to)
        else:
            upper = ""
        specs.append(f"{previous}-{upper}")
        previous = upper
    return specs


def _scale_note(spec: str, units: int, factor: str, budgeted: bool) -> str:
    """How the tier's bounds were scaled, e.g. "4-12 HCF × 2 dwelling units × 12/30"."""
    lower, upper = spec.split("-", 1)
    if budgeted:
        def word(bound: str) -> str:
            return "the indoor allowance" if bound == "indoor" else f"{bound} of budget"
        if lower == "0":
            return word(upper) if upper == "indoor" else f"up to {word(upper)}"
        return f"over {word(lower)}" if not upper else f"{word(lower)} to {word(upper)}"
    if units == 1 and factor == "1":
        return ""
    text = f"{lower}-{upper or 'more'} HCF"
    if units != 1:
        text += f" × {units} dwelling units"
    if factor != "1":
        text += f" × {factor}"
    return text


def factor_text(factor: Fraction, bases: tuple[int, ...]) -> str:
    """A proration factor as a bill shows it: "1", or days over a base, "12/30", "16/31"."""
    if factor == 1:
        return "1"
    for base in bases:
        scaled = factor * base
        if scaled.denominator == 1:
            return f"{scaled.numerator}/{base}"
    return str(factor)
