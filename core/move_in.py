"""Move-in: what opening an account needs, and the new-service charges billed with it.

New-service charges (installation, materials, labor) are miscellaneous invoices: each is one
'fee' on the ledger with its own description, due like a bill (PRODUCT.md: "invoices for
installation, materials and labor").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.errors import InputError, InputProblem
from core.model import Address, ServiceType
from core.money import Cents, MoneyError, parse_money
from core.red_flags import IdDocument, phone_digits, tax_id_digits

CHARGE_KINDS = ("installation", "materials", "labor", "other")


@dataclass(frozen=True)
class ServiceCharge:
    """One new-service charge: what kind, what for, how much."""

    charge: str
    description: str
    amount_cents: Cents


def parse_charge(kind: str, description: str, amount: str) -> ServiceCharge:
    """A charge as the clerk types it ("labor", "Set meter box", "85.00")."""
    problems = []
    if kind not in CHARGE_KINDS:
        problems.append(InputProblem(f"{kind!r} is not one of {', '.join(CHARGE_KINDS)}",
                                     field="charge"))
    if not description.strip():
        problems.append(InputProblem("say what the charge is for", field="charge description"))
    cents = 0
    try:
        cents = parse_money(amount)
        if cents <= 0:
            problems.append(InputProblem("must be more than $0.00", field="charge amount"))
    except MoneyError as exc:
        problems.append(InputProblem(str(exc), field="charge amount"))
    if problems:
        raise InputError(problems)
    return ServiceCharge(kind, " ".join(description.split()), cents)


@dataclass(frozen=True)
class MoveInRequest:
    """An application for service at a premise, as the clerk took it."""

    premise_id: int
    start_on: date
    start_reading: int | None  # None: the premise has no meter (flat service)
    name: str
    phone: str = ""
    email: str = ""
    tax_id: str = ""  # as typed; only its hash and last four digits are kept
    customer_id: int | None = None  # a returning customer's record, reused
    mailing: Address | None = None  # None: bills go to the service address
    service_type: str = ServiceType.METERED.value
    document: IdDocument = IdDocument.NONE
    id_matches: bool = True
    disconnected_recently: bool = False
    deposit_paid_now: bool = False  # received at the counter (held) rather than billed
    charges: tuple[ServiceCharge, ...] = ()


def check_request(request: MoveInRequest, today: date) -> None:
    """Refuse an application that is incomplete, naming each field."""
    problems = []
    if not request.name.strip() and request.customer_id is None:
        problems.append(InputProblem("the customer's name is required", field="name"))
    if request.start_on > today:
        problems.append(InputProblem(f"{request.start_on} is after today ({today}): open the "
                                     "account on the day of the start read", field="start date"))
    if request.start_reading is not None and request.start_reading < 0:
        problems.append(InputProblem("must be 0 or more", field="start read"))
    if request.phone.strip() and len(phone_digits(request.phone)) != 10:
        problems.append(InputProblem(f"{request.phone!r} is not a 10-digit phone number",
                                     field="phone"))
    if request.tax_id.strip():
        try:
            tax_id_digits(request.tax_id)
        except InputError as exc:
            problems.extend(exc.problems)
    if request.service_type not in {t.value for t in ServiceType}:
        problems.append(InputProblem(f"{request.service_type!r} is not a service type",
                                     field="service type"))
    if problems:
        raise InputError(problems)


def next_account_number(premise_numbers: list[str], highest_prefix: int) -> str:
    """The district's numbering: premise part and occupancy sequence, "0100295-02".

    A premise keeps its part and the sequence goes up by one; a premise never served takes
    the next premise part after the highest in use.
    """
    sequences = []
    prefix = ""
    for number in premise_numbers:
        head, _, tail = number.partition("-")
        if tail.isdigit():
            prefix = head
            sequences.append(int(tail))
    if prefix:
        return f"{prefix}-{max(sequences) + 1:02d}"
    return f"{highest_prefix + 1:07d}-01"
