"""A rate schedule as adopted by the board: one rate class, one effective date, its charges.

Built from a rate file (core/rate_file.py, documented in docs/rates.md). Amounts are Decimal
dollars exactly as written in the file; tier bounds are HCF (1 HCF = 748 gallons).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.eto import EtoTable

PRICING_MODES = ("cumulative", "single_level")
TIER_WIDTHS = ("per_account", "per_dwelling_unit")
CHARGE_PER = ("account", "dwelling_unit")
WASTEWATER_BASES = ("dwelling_unit", "edu", "winter_average")


@dataclass(frozen=True)
class ScheduleRef:
    """Which rate file priced a bill: file, class, effective date, adopting act and content hash."""

    file: str
    path: str
    rate_class: str
    effective: date
    adopted: str
    sha256: str

    @property
    def version(self) -> str:
        """The identity a bill records: file name, effective date, the start of its hash."""
        return f"{self.file}@{self.effective.isoformat()}#{self.sha256[:12]}"


@dataclass(frozen=True)
class MonthlyCharge:
    """A charge per month: one amount, or one per meter size; per account or dwelling unit."""

    label: str
    amount: Decimal | None
    by_meter_size: tuple[tuple[str, Decimal], ...]
    per: str = "account"

    def amount_for(self, meter_size: str | None) -> Decimal | None:
        """The monthly amount for a meter size, or None when the table has no such size."""
        if self.amount is not None:
            return self.amount
        return dict(self.by_meter_size).get(meter_size or "")


@dataclass(frozen=True)
class Tier:
    """One block of usage and its rate; the last tier has no upper bound."""

    name: str
    rate: Decimal
    up_to: Decimal | None = None  # HCF (per dwelling unit when widths scale)
    up_to_indoor: bool = False  # water budget: up to the indoor allowance
    up_to_percent: Decimal | None = None  # water budget: up to this percent of the budget


@dataclass(frozen=True)
class Commodity:
    """Usage charges: tiers, cumulative or single-level, widths per account or dwelling unit."""

    label: str
    pricing: str
    widths: str
    prorate_tiers: bool
    tiers: tuple[Tier, ...]


@dataclass(frozen=True)
class BudgetRule:
    """Water-budget allowance (RULES.md §5.2): indoor by household, outdoor from ETo."""

    eto: EtoTable
    eto_file: str
    indoor_gpcd: Decimal
    household_default: int
    etaf: Decimal
    indoor_decimals: int | None
    outdoor_decimals: int | None


@dataclass(frozen=True)
class Wastewater:
    """Sewer: flat per dwelling unit or EDU, or a base plus a rate on winter-average use."""

    label: str
    basis: str
    charge: Decimal  # per unit or EDU per month; the monthly base for winter_average
    rate: Decimal | None = None  # $/HCF of winter average
    no_history_hcf: Decimal | None = None  # winter average used when an account has none


@dataclass(frozen=True)
class Surcharge:
    """A surcharge: per HCF of usage, or a monthly amount (flat or by meter size)."""

    label: str
    per_hcf: Decimal | None
    monthly: MonthlyCharge | None


@dataclass(frozen=True)
class MinimumCharge:
    """The least a month's water charges (fixed, usage, rental) may come to."""

    label: str
    amount: Decimal


@dataclass(frozen=True)
class Rental:
    """Hydrant or construction meter rental (RULES.md §9): first day, then each later day."""

    label: str
    first_day: Decimal
    per_day: Decimal


@dataclass(frozen=True)
class Schedule:
    """Everything one rate file says."""

    ref: ScheduleRef
    name: str
    premise_kinds: tuple[str, ...]
    service_types: tuple[str, ...]
    proration_days: int
    fixed: MonthlyCharge | None
    commodity: Commodity | None
    budget: BudgetRule | None
    wastewater: Wastewater | None
    surcharges: tuple[Surcharge, ...]
    minimum: MinimumCharge | None
    rental: Rental | None

    @property
    def rate_class(self) -> str:
        return self.ref.rate_class

    @property
    def needs_meter_size(self) -> bool:
        """True when some charge is looked up by meter size."""
        charges = [self.fixed] + [s.monthly for s in self.surcharges]
        return any(c is not None and c.amount is None for c in charges)

    def matches(self, premise_kind: str, service_type: str) -> bool:
        """Whether an account with this premise kind and service type bills on this class."""
        return ((not self.premise_kinds or premise_kind in self.premise_kinds)
                and (not self.service_types or service_type in self.service_types))
