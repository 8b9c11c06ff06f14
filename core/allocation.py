"""Payment allocation: credits pay the oldest open charge first; what is left is a credit.

The rule (docs/workflows/lockbox-posting.md, "Where a payment goes"):

1. A reversal and the entry it reverses cancel each other and are left out: a returned check
   (a `returned_payment` reversing its payment) reopens exactly the charges the payment had
   paid, with their own dates, so the account's delinquency is as it would have been had the
   payment never come.
2. Of the rest, every charge (a positive receivable entry) is ordered by date, then by entry
   id; every credit (payment, credit adjustment, deposit applied) goes into one pool.
3. The pool pays the charges oldest first, each fully before the next.
4. A pool larger than every charge leaves a credit balance (an overpayment).

Allocation is not stored: it is derived from the ledger whenever it is asked for, so it can
never disagree with the entries. Aging (core.ledger.aging) and the returned-check preview use it.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from core.money import Cents


class EntryLike(Protocol):
    """What allocation reads from a ledger entry or posting."""

    @property
    def amount_cents(self) -> int: ...

    @property
    def effective_on(self) -> date: ...

    @property
    def reverses_id(self) -> int | None: ...


@dataclass(frozen=True)
class OpenCharge:
    """A charge and the part of it still unpaid after allocation."""

    entry_id: int
    charged_on: date
    amount_cents: Cents
    open_cents: Cents
    kind: str = ""

    @property
    def paid_cents(self) -> Cents:
        return self.amount_cents - self.open_cents


@dataclass(frozen=True)
class Allocation:
    """Every remaining charge, oldest first, with what is open; and the credit left over."""

    charges: tuple[OpenCharge, ...]
    credit_cents: Cents  # zero or negative: a credit balance after every charge is paid

    @property
    def open_cents(self) -> Cents:
        return sum(c.open_cents for c in self.charges)

    @property
    def balance_cents(self) -> Cents:
        return self.open_cents + self.credit_cents


def _receivable(entries: Iterable[EntryLike]) -> list[EntryLike]:
    return [e for e in entries if str(getattr(e, "book", "receivable")) == "receivable"]


def net_reversals(entries: Iterable[EntryLike]) -> list[EntryLike]:
    """The entries left when every reversal and the entry it reverses are taken out together."""
    found = list(entries)
    reversed_ids = {e.reverses_id for e in found if e.reverses_id is not None}
    present = {getattr(e, "id", None) for e in found}
    return [e for e in found
            if getattr(e, "id", None) not in reversed_ids
            and not (e.reverses_id is not None and e.reverses_id in present)]


def allocate(entries: Iterable[EntryLike]) -> Allocation:
    """Apply an account's receivable credits to its charges, oldest charge first."""
    kept = net_reversals(_receivable(entries))
    charges = sorted((e for e in kept if e.amount_cents > 0),
                     key=lambda e: (e.effective_on, getattr(e, "id", 0)))
    pool = -sum(e.amount_cents for e in kept if e.amount_cents < 0)
    opened: list[OpenCharge] = []
    for charge in charges:
        paid = min(pool, charge.amount_cents)
        pool -= paid
        opened.append(OpenCharge(getattr(charge, "id", 0), charge.effective_on,
                                 charge.amount_cents, charge.amount_cents - paid,
                                 str(getattr(charge, "entry_type", ""))))
    return Allocation(tuple(opened), -pool)


@dataclass(frozen=True)
class PaymentApplied:
    """What one new payment pays: (charge, cents) oldest first, and the overpayment credit."""

    paid: tuple[tuple[OpenCharge, Cents], ...]
    credit_cents: Cents  # the part of the payment left as a credit (>= 0)

    def summary(self) -> str:
        """One line for the clerk: how many charges it pays and any credit."""
        from core.money import format_money

        settled = sum(1 for charge, cents in self.paid if cents == charge.open_cents)
        parts = []
        if self.paid and settled == len(self.paid):
            parts.append(f"pays {settled} charge{'s' if settled != 1 else ''} in full")
        elif self.paid:
            parts.append(f"pays {settled} in full and part of 1" if settled
                         else "pays part of 1 charge")
        if self.credit_cents:
            parts.append(f"leaves a {format_money(self.credit_cents)} credit")
        return "; ".join(parts) or "nothing to pay"


def apply_payment(open_charges: Sequence[OpenCharge], amount_cents: Cents) -> PaymentApplied:
    """Where a payment of `amount_cents` (> 0) goes: oldest open charge first, rest a credit."""
    if amount_cents <= 0:
        raise ValueError("a payment is a positive amount")
    left = amount_cents
    paid: list[tuple[OpenCharge, Cents]] = []
    for charge in open_charges:
        if left == 0:
            break
        if charge.open_cents <= 0:
            continue
        cents = min(left, charge.open_cents)
        paid.append((charge, cents))
        left -= cents
    return PaymentApplied(tuple(paid), left)
