"""An account's Service for the rate engine, built one way for the billing draft, the closing
bill and the re-rate (docs/rates.md, "Where a bill's service comes from")."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TypeVar

from core.bill_lines import Period, Service
from core.model import ServiceType

Day = TypeVar("Day", date, str)

BULK = ServiceType.BULK.value


def rental_start(service_type: str, meter_installed_on: Day | None) -> Day | None:
    """The day a bulk account's meter rental started: the install day of its meter in service
    (RULES.md §9: a hydrant meter is rented from the day it is set); no other service rents."""
    return meter_installed_on if service_type == BULK else None


def account_service(rate_class: str, *, service_type: str, meter_size: str | None,
                    meter_installed_on: date | None, dwelling_units: int, landscape_sqft: int,
                    winter_average_hcf: Decimal | None) -> Service:
    """The Service an account is priced with, from its stored facts: `meter_size` of the
    premise's meter in service, else of its latest removed one; `winter_average_hcf` None
    unless the class bills sewer on winter use. Household size and EDUs are not stored, so
    the rate file's defaults apply."""
    return Service(rate_class=rate_class, meter_size=meter_size,
                   # A premise stored with 0 dwelling units is still one service (RULES.md §5.1
                   # multiplies tier widths and charges by units).
                   dwelling_units=max(1, dwelling_units),
                   landscape_sqft=landscape_sqft,
                   winter_average_hcf=winter_average_hcf,
                   rental_started_on=rental_start(service_type, meter_installed_on))


def billed_period(start: date, end: date, opened_on: date) -> Period:
    """The period an account is billed for between two reads: from the later of the start
    read and the day the account opened, prorated by days when it opened inside the period
    (an opening bill, RULES.md §5.1)."""
    if opened_on > start:
        return Period(opened_on, end, prorated=True)
    return Period(start, end)
