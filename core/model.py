"""The district's records as plain dataclasses: customer, premise, account, meter, cycle, user."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from core.users import Role, User


class AccountStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    CLOSED = "closed"


class ServiceClass(StrEnum):
    """SB 998 applies to residential service only (RULES.md §1.1); the class is explicit."""

    RESIDENTIAL = "residential"
    COMMERCIAL = "commercial"


class PremiseKind(StrEnum):
    SINGLE_FAMILY = "single_family"
    MULTI_UNIT = "multi_unit"
    COMMERCIAL = "commercial"
    LANDSCAPE = "landscape"
    HYDRANT = "hydrant"


class ServiceType(StrEnum):
    """How an account is billed."""

    METERED = "metered"
    WATER_BUDGET = "water_budget"
    BULK = "bulk"
    FLAT = "flat"


class AccountFlagKind(StrEnum):
    """Flags shown in words on every account screen, never by colour alone."""

    AUTOPAY = "AUTOPAY"
    PAYMENT_PLAN = "PAYMENT PLAN"
    MEDICAL_CERT = "MEDICAL CERT"
    CASH_ONLY = "CASH ONLY"
    DEPOSIT_HELD = "DEPOSIT HELD"
    RED_FLAG = "RED FLAG"
    APPEAL = "APPEAL"
    RETURNED_MAIL = "RETURNED MAIL"


METER_SIZES = ("5/8", "3/4", "1", "1.5", "2", "3", "4")


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    state: str = "CA"
    zip: str = ""
    line2: str = ""

    def one_line(self) -> str:
        parts = [self.line1, self.line2, self.city]
        head = ", ".join(p for p in parts if p)
        return f"{head}, {self.state} {self.zip}".strip()


@dataclass(frozen=True)
class Customer:
    id: int
    name: str
    phone: str = ""
    email: str = ""
    tax_id_last4: str = ""


@dataclass(frozen=True)
class Premise:
    id: int
    address: Address
    service_class: ServiceClass
    kind: PremiseKind
    dwelling_units: int = 1
    owner_customer_id: int | None = None
    route_id: int | None = None
    walk_order: int = 0
    landscape_sqft: int = 0


@dataclass(frozen=True)
class AccountFlag:
    kind: AccountFlagKind
    reason: str
    author: str
    set_on: date
    expires_on: date | None = None

    def active_on(self, today: date) -> bool:
        return self.set_on <= today and (self.expires_on is None or today <= self.expires_on)


@dataclass(frozen=True)
class Account:
    id: int
    number: str
    customer_id: int
    premise_id: int
    status: AccountStatus
    service_type: ServiceType
    mailing: Address
    opened_on: date
    closed_on: date | None = None
    version: int = 1
    flags: tuple[AccountFlag, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Meter:
    id: int
    serial: str
    size: str
    dials: int
    premise_id: int | None
    location: str
    installed_on: date
    install_read: int = 0
    removed_on: date | None = None
    removal_read: int | None = None

    @property
    def register_wrap(self) -> int:
        """A dial register rolls over at 10^dials (RULES.md §4, rollover)."""
        return 10 ** self.dials


@dataclass(frozen=True)
class Cycle:
    id: int
    name: str
    read_day: int
    routes: tuple[str, ...] = ()


__all__ = ["Role", "User"]
