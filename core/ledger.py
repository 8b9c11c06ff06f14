"""Ledger rules: entry types and signs, reversals, balances, running balances and aging.

The ledger is append-only (the database refuses UPDATE and DELETE). A correction is a
reversal, which nets the original to zero, plus a new entry. Amounts are integer cents:
positive means the customer owes more, negative means a credit to the customer.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from core.errors import InputError, InputProblem
from core.money import Cents


class EntryType(StrEnum):
    """What a ledger entry records."""

    BILL = "bill"
    PAYMENT = "payment"
    ADJUSTMENT = "adjustment"
    LATE_FEE = "late_fee"
    DEPOSIT = "deposit"
    DEPOSIT_APPLIED = "deposit_applied"
    REFUND = "refund"
    TRANSFER = "transfer"
    RETURNED_PAYMENT = "returned_payment"
    FEE = "fee"
    WRITE_OFF = "write_off"


class Book(StrEnum):
    """Which balance an entry moves: what the customer owes, or the deposit the district holds."""

    RECEIVABLE = "receivable"
    DEPOSIT = "deposit"


# Allowed signs for an original (non-reversal) entry, by type and book. +1: the customer owes
# more (or the district holds more deposit); -1: a credit (or less deposit held).
SIGNS: dict[tuple[EntryType, Book], frozenset[int]] = {
    (EntryType.BILL, Book.RECEIVABLE): frozenset({1}),
    (EntryType.PAYMENT, Book.RECEIVABLE): frozenset({-1}),
    (EntryType.ADJUSTMENT, Book.RECEIVABLE): frozenset({1, -1}),
    (EntryType.LATE_FEE, Book.RECEIVABLE): frozenset({1}),
    (EntryType.FEE, Book.RECEIVABLE): frozenset({1}),
    (EntryType.DEPOSIT, Book.RECEIVABLE): frozenset({1}),  # a deposit billed to the customer
    (EntryType.DEPOSIT, Book.DEPOSIT): frozenset({1}),  # a deposit received and held
    (EntryType.DEPOSIT_APPLIED, Book.DEPOSIT): frozenset({-1}),
    (EntryType.DEPOSIT_APPLIED, Book.RECEIVABLE): frozenset({-1}),
    (EntryType.REFUND, Book.RECEIVABLE): frozenset({1}),  # a credit paid out to the customer
    (EntryType.REFUND, Book.DEPOSIT): frozenset({-1}),  # a held deposit paid back
    (EntryType.TRANSFER, Book.RECEIVABLE): frozenset({1, -1}),
    (EntryType.RETURNED_PAYMENT, Book.RECEIVABLE): frozenset({1}),
    (EntryType.WRITE_OFF, Book.RECEIVABLE): frozenset({-1}),
}

# Which entry types may reverse an entry of a given type (besides the same type).
REVERSAL_TYPES: dict[EntryType, frozenset[EntryType]] = {
    EntryType.PAYMENT: frozenset({EntryType.PAYMENT, EntryType.RETURNED_PAYMENT}),
}


@dataclass(frozen=True)
class Posting:
    """A money movement about to be written: who, why and a comment always travel with it."""

    account_id: int
    entry_type: EntryType
    amount_cents: Cents
    effective_on: date
    actor: str
    reason_code: str
    comment: str
    book: Book = Book.RECEIVABLE
    due_on: date | None = None
    reverses_id: int | None = None
    reference: str = ""


@dataclass(frozen=True)
class LedgerEntry(Posting):
    """A posting as stored, with its id and when it was written."""

    id: int = 0
    posted_at: str = ""


def validate_posting(posting: Posting) -> None:
    """Refuse a posting that breaks a ledger rule, naming the field."""
    problems: list[InputProblem] = []
    if not isinstance(posting.amount_cents, int) or isinstance(posting.amount_cents, bool):
        problems.append(InputProblem("amount must be whole cents", field="amount"))
    elif posting.amount_cents == 0:
        problems.append(InputProblem("amount must not be zero", field="amount"))
    for name in ("actor", "reason_code", "comment"):
        if not str(getattr(posting, name)).strip():
            problems.append(InputProblem(f"{name.replace('_', ' ')} is required", field=name))
    allowed = SIGNS.get((EntryType(posting.entry_type), Book(posting.book)))
    if allowed is None:
        problems.append(
            InputProblem(f"a {posting.entry_type} entry cannot post to the {posting.book} book",
                         field="book"))
    elif posting.reverses_id is None and not problems:
        sign = 1 if posting.amount_cents > 0 else -1
        if sign not in allowed:
            word = "a charge" if sign > 0 else "a credit"
            problems.append(InputProblem(
                f"a {posting.entry_type} on the {posting.book} book cannot be {word}",
                field="amount"))
    if problems:
        raise InputError(problems)


def reversal_for(
    original: LedgerEntry,
    *,
    actor: str,
    reason_code: str,
    comment: str,
    effective_on: date,
    entry_type: EntryType | None = None,
) -> Posting:
    """The posting that nets `original` to zero; it points back at what it reverses."""
    if original.reverses_id is not None:
        raise InputError(InputProblem(
            f"entry {original.id} is itself a reversal; post a new entry instead",
            field="entry"))
    kind = entry_type or original.entry_type
    allowed = REVERSAL_TYPES.get(original.entry_type, frozenset({original.entry_type}))
    if kind not in allowed:
        raise InputError(InputProblem(
            f"a {original.entry_type} cannot be reversed by a {kind}", field="entry_type"))
    posting = Posting(
        account_id=original.account_id,
        entry_type=kind,
        amount_cents=-original.amount_cents,
        effective_on=effective_on,
        actor=actor,
        reason_code=reason_code,
        comment=comment,
        book=original.book,
        reverses_id=original.id,
        reference=original.reference,
    )
    validate_posting(posting)
    return posting


def balance(entries: Iterable[Posting], book: Book = Book.RECEIVABLE) -> Cents:
    """An account's balance on a book: the sum of its entries, nothing else."""
    return sum(e.amount_cents for e in entries if e.book == book)


def running_balances(entries: Sequence[LedgerEntry]) -> list[tuple[LedgerEntry, Cents]]:
    """Each receivable entry, oldest first, with the balance after it."""
    total = 0
    rows: list[tuple[LedgerEntry, Cents]] = []
    for entry in sorted(entries, key=lambda e: (e.effective_on, e.id)):
        if entry.book != Book.RECEIVABLE:
            continue
        total += entry.amount_cents
        rows.append((entry, total))
    return rows


AGING_BUCKETS = ("current", "30", "60", "90+")


@dataclass(frozen=True)
class Aging:
    """What is owed, by the age of the charge since its date; credits paid oldest charge first.

    Buckets: current is 0-29 days old, 30 is 30-59, 60 is 60-89, 90+ is 90 days or more.
    `credit` is a credit balance left after every charge is paid (zero or negative).
    """

    current: Cents = 0
    d30: Cents = 0
    d60: Cents = 0
    d90: Cents = 0
    credit: Cents = 0

    @property
    def total(self) -> Cents:
        return self.current + self.d30 + self.d60 + self.d90 + self.credit

    def as_dict(self) -> dict[str, Cents]:
        return {"current": self.current, "30": self.d30, "60": self.d60, "90+": self.d90,
                "credit": self.credit}


def aging(entries: Iterable[Posting], today: date) -> Aging:
    """Age an account's receivable: credits settle the oldest open charge first.

    The allocation rule is core.allocation's: a reversal and its original cancel, so a
    returned check reopens the charges its payment paid with their own dates.
    """
    from core.allocation import allocate

    allocation = allocate(e for e in entries if e.book == Book.RECEIVABLE)
    buckets = [0, 0, 0, 0]
    for charge in allocation.charges:
        age = (today - charge.charged_on).days
        buckets[0 if age < 30 else 1 if age < 60 else 2 if age < 90 else 3] += charge.open_cents
    return Aging(current=buckets[0], d30=buckets[1], d60=buckets[2], d90=buckets[3],
                 credit=allocation.credit_cents)


def with_id(posting: Posting, entry_id: int, posted_at: str) -> LedgerEntry:
    """The stored form of a posting."""
    return LedgerEntry(**{**posting.__dict__, "id": entry_id, "posted_at": posted_at})


__all__ = [
    "AGING_BUCKETS", "Aging", "Book", "EntryType", "LedgerEntry", "Posting", "aging", "balance",
    "reversal_for", "running_balances", "validate_posting", "with_id",
]
