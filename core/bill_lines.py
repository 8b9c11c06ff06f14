"""What the rate engine is given (a service, a period) and what it returns (explained lines)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

from core.errors import InputError, InputProblem
from core.money import Cents, format_money
from core.rate_schedule import ScheduleRef

COMPONENT_ORDER = ("fixed", "rental", "usage", "wastewater", "surcharge", "minimum")


@dataclass(frozen=True)
class Service:
    """What about an account decides its price, apart from its usage."""

    rate_class: str
    meter_size: str | None = None
    dwelling_units: int = 1
    edus: Decimal | None = None  # equivalent dwelling units; defaults to dwelling units
    household_size: int | None = None  # people per dwelling unit (water budget)
    landscape_sqft: int = 0  # irrigated area (water budget)
    winter_average_hcf: Decimal | None = None  # Dec-Feb average use (winter-average sewer)
    rental_started_on: date | None = None  # hydrant/bulk meter rental start

    def check(self) -> None:
        problems = []
        if self.dwelling_units < 1:
            problems.append(InputProblem("must be at least 1", field="dwelling units"))
        if self.edus is not None and self.edus <= 0:
            problems.append(InputProblem("must be more than 0", field="EDUs"))
        if self.household_size is not None and self.household_size < 0:
            problems.append(InputProblem("must not be negative", field="household size"))
        if self.landscape_sqft < 0:
            problems.append(InputProblem("must not be negative", field="landscape area"))
        if self.winter_average_hcf is not None and self.winter_average_hcf < 0:
            problems.append(InputProblem("must not be negative", field="winter average"))
        if problems:
            raise InputError(problems)


@dataclass(frozen=True)
class Period:
    """Service days from `start` (a read date) up to, not including, `end` (the next read).

    `prorated` marks an opening or closing bill: monthly charges and tier widths are scaled
    by days/30 (RULES.md §5.1). A regular cycle bill is a whole month whatever its days.
    """

    start: date
    end: date
    prorated: bool = False

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def check(self) -> None:
        if self.end <= self.start:
            raise InputError(InputProblem(
                f"the period must end after it starts ({self.start} to {self.end})",
                field="period"))


@dataclass(frozen=True)
class LineInfo:
    """What a line is, shared by every bill priced from one plan: label, rate, days, factor."""

    component: str  # one of COMPONENT_ORDER
    kind: str  # monthly (× factor), usage (HCF × rate), daily (days × rate) or minimum
    label: str
    unit: str  # HCF, account, dwelling unit, EDU, day, "HCF of winter use"
    rate: Decimal  # dollars per unit (per month for monthly charges)
    days: int
    factor: Fraction  # proration: 1 for a whole regular month, days/30 opening or closing
    factor_text: str  # the factor as written on the bill: "1", "12/30", "16/31"
    rate_files: tuple[str, ...]
    describe_range: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    @cached_property
    def tier_range(self) -> str:
        """The tier's bounds on this bill, e.g. "over 4 up to 12 HCF"; "" for other lines."""
        return self.describe_range() if self.describe_range is not None else ""


@dataclass(frozen=True, slots=True)
class BillLine:
    """One priced line: what it is, its exact quantity (numerator/denominator) and amount."""

    info: LineInfo
    numerator: int
    denominator: int
    amount_cents: Cents

    @property
    def quantity(self) -> Fraction | int:
        if self.denominator == 1:
            return self.numerator
        return Fraction(self.numerator, self.denominator)

    @property
    def component(self) -> str:
        return self.info.component

    @property
    def kind(self) -> str:
        return self.info.kind

    @property
    def label(self) -> str:
        return self.info.label

    @property
    def unit(self) -> str:
        return self.info.unit

    @property
    def rate(self) -> Decimal:
        return self.info.rate

    @property
    def days(self) -> int:
        return self.info.days

    @property
    def factor(self) -> Fraction:
        return self.info.factor

    @property
    def factor_text(self) -> str:
        return self.info.factor_text

    @property
    def rate_files(self) -> tuple[str, ...]:
        return self.info.rate_files

    @property
    def tier_range(self) -> str:
        return self.info.tier_range

    def explain(self) -> str:
        """The line as one sentence: quantity × rate (× factor) = amount, and its rate file."""
        info = self.info
        what = info.label + (f" ({info.tier_range})" if info.tier_range else "")
        quantity = f"{hcf(self.quantity)} {plural(info.unit, self.quantity)}"
        if info.kind == "usage":
            work = f"{quantity} × ${info.rate}/HCF"
        elif info.kind == "daily":
            work = f"{quantity} × ${info.rate} a day"
        elif info.kind == "minimum":
            work = (f"the minimum is ${info.rate} a month × {info.factor_text}; the water "
                    "charges came to less, so the difference is added")
        elif self.quantity == 1 and info.unit == "account":
            work = f"${info.rate} a month × {info.factor_text}"
        else:
            work = f"{quantity} × ${info.rate} a month × {info.factor_text}"
        return (f"{what}: {work} = {format_money(self.amount_cents)} "
                f"({info.days} {'day' if info.days == 1 else 'days'}; "
                f"{', '.join(info.rate_files)})")


@dataclass(frozen=True)
class WaterBudget:
    """A period's water budget in HCF (RULES.md §5.2), by the schedule that set it."""

    ref: ScheduleRef
    indoor_hcf: Fraction
    outdoor_hcf: Fraction
    eto_inches: Fraction

    @property
    def total_hcf(self) -> Fraction:
        return self.indoor_hcf + self.outdoor_hcf


@dataclass(frozen=True)
class PricedSegment:
    """Which schedule priced which days of the period."""

    ref: ScheduleRef
    start: date
    end: date
    days: int


@dataclass(frozen=True)
class PricedBill:
    """A bill's lines, its total, and the rate files and budgets behind them."""

    service: Service
    period: Period
    usage_hcf: Decimal
    lines: tuple[BillLine, ...]
    total_cents: Cents
    segments: tuple[PricedSegment, ...]
    budgets: tuple[WaterBudget, ...] = ()


# Register units on the meters (settings.read_unit, FORMATS.md §6.1) in HCF (748 gallons).
REGISTER_UNIT_HCF = {"CCF": Decimal(1), "CF": Decimal("0.01"), "GAL": Decimal(1) / Decimal(748),
                     "KGAL": Decimal(1000) / Decimal(748)}


def register_hcf(units: int | Decimal, read_unit: str) -> Decimal:
    """Register units in HCF, as every bill prices them: CCF is HCF already, so exact; the
    other units to 4 places."""
    per = REGISTER_UNIT_HCF.get(read_unit)
    if per is None:
        raise InputError(InputProblem(f"read_unit {read_unit!r} cannot be turned into HCF",
                                      field="read_unit"))
    if per == 1:
        return Decimal(units)
    return (Decimal(units) * per).quantize(Decimal("0.0001"))


def hcf(value: Fraction | Decimal | int) -> str:
    """A quantity for display: whole numbers bare, otherwise rounded to four decimals."""
    exact = Fraction(value)
    if exact.denominator == 1:
        return f"{exact.numerator:,}"
    return f"{float(exact):,.4f}".rstrip("0").rstrip(".")


def plural(unit: str, quantity: Fraction | Decimal | int) -> str:
    """`dwelling units`, `days`, `EDUs`; HCF and singular quantities as they are."""
    if quantity == 1 or unit.startswith("HCF"):
        return unit
    return unit + "s"
