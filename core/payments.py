"""Payments as a clerk keys them: account, amount, method, check number; and batch balancing.

A batch is the clerk's stack of checks and cash with an adding-machine control total; it
closes only when what was posted equals that total (docs/workflows/lockbox-posting.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.errors import InputError, InputProblem
from core.money import Cents, MoneyError, format_money, parse_money

MAX_PAYMENT_CENTS = 10_000_000  # $100,000: a larger figure is a keying slip, not a water bill


class PaymentMethod(StrEnum):
    """How the money came: a check (paper, returnable), or not."""

    CHECK = "check"
    CASH = "cash"
    MONEY_ORDER = "money_order"
    CARD = "card"
    ACH = "ach"
    LOCKBOX = "lockbox"

    @property
    def returnable(self) -> bool:
        """Whether a bank can send it back unpaid (a returned check or ACH return)."""
        return self in (PaymentMethod.CHECK, PaymentMethod.ACH, PaymentMethod.LOCKBOX)


METHOD_KEYS = {"k": PaymentMethod.CHECK, "c": PaymentMethod.CASH, "m": PaymentMethod.MONEY_ORDER,
               "d": PaymentMethod.CARD, "a": PaymentMethod.ACH}


def parse_method(text: str) -> PaymentMethod:
    """A method by name or by its one-letter key (k check, c cash, m money order, d card, a ACH)."""
    raw = text.strip().lower().replace(" ", "_")
    if raw in METHOD_KEYS:
        return METHOD_KEYS[raw]
    try:
        return PaymentMethod(raw)
    except ValueError:
        names = ", ".join(m.value for m in PaymentMethod if m is not PaymentMethod.LOCKBOX)
        raise InputError(InputProblem(f"{text.strip()!r} is not a payment method ({names})",
                                      field="method")) from None


def parse_payment_amount(text: str, *, field: str = "amount", source: str = "",
                         line: int | None = None) -> Cents:
    """A payment amount in dollars: positive, whole cents, not absurdly large."""
    try:
        cents = parse_money(text)
    except MoneyError as exc:
        raise InputError(InputProblem(str(exc), source=source, line=line, field=field)) from None
    return check_payment_cents(cents, field=field, source=source, line=line)


def check_payment_cents(cents: int, *, field: str = "amount", source: str = "",
                        line: int | None = None) -> Cents:
    if cents <= 0:
        raise InputError(InputProblem(
            f"a payment must be more than $0.00, not {format_money(cents)} (a refund or a "
            "correction is not a payment)", source=source, line=line, field=field))
    if cents > MAX_PAYMENT_CENTS:
        raise InputError(InputProblem(
            f"{format_money(cents)} is more than {format_money(MAX_PAYMENT_CENTS)}; check the "
            "amount", source=source, line=line, field=field))
    return cents


def clean_check_number(text: str, *, source: str = "", line: int | None = None) -> str:
    """A check number: digits only (leading zeros dropped), at most 15."""
    raw = text.strip().lstrip("#").strip()
    if not raw.isdigit() or len(raw) > 15:
        raise InputError(InputProblem(f"{text.strip()!r} is not a check number (digits only)",
                                      source=source, line=line, field="check_number"))
    return raw.lstrip("0") or "0"


@dataclass(frozen=True)
class PaymentLine:
    """One payment as keyed: checked for form before it goes near the database."""

    account_number: str
    amount_cents: Cents
    method: PaymentMethod
    check_number: str = ""

    def duplicate_key(self) -> tuple[str, str] | None:
        """Two lines of one batch with this key are the same check keyed twice.

        A check is the same when its number and its payer match; by hand the payer is the
        account (two customers may both write check #1001), in a lockbox file the MICR account.
        """
        if not self.check_number:
            return None
        return (self.account_number, self.check_number)

    @property
    def reference(self) -> str:
        if self.check_number:
            return f"CHECK #{self.check_number}"
        return self.method.value.replace("_", " ").upper()


def parse_payment_line(account: str, amount: str, method: str, check_number: str) -> PaymentLine:
    """Check a keyed payment's form; every problem names its field, nothing is stored."""
    problems: list[InputProblem] = []
    number = account.strip()
    if not number:
        problems.append(InputProblem("an account number is required", field="account"))
    cents = 0
    try:
        cents = parse_payment_amount(amount)
    except InputError as exc:
        problems.extend(exc.problems)
    kind = PaymentMethod.CHECK
    try:
        kind = parse_method(method or "check")
    except InputError as exc:
        problems.extend(exc.problems)
    check = ""
    if check_number.strip():
        try:
            check = clean_check_number(check_number)
        except InputError as exc:
            problems.extend(exc.problems)
    elif kind is PaymentMethod.CHECK:
        problems.append(InputProblem("a check needs its check number", field="check_number"))
    if check and kind not in (PaymentMethod.CHECK, PaymentMethod.MONEY_ORDER):
        problems.append(InputProblem(f"a {kind.value} payment has no check number",
                                     field="check_number"))
    if problems:
        raise InputError(problems)
    return PaymentLine(number, cents, kind, check)


@dataclass(frozen=True)
class BatchTotals:
    """A batch against its control total: what was posted and what is still missing."""

    control_cents: Cents
    posted_cents: Cents
    posted_count: int

    @property
    def difference_cents(self) -> Cents:
        """Control total minus posted: positive means payments are still to be keyed."""
        return self.control_cents - self.posted_cents

    @property
    def balanced(self) -> bool:
        return self.difference_cents == 0

    def status(self) -> str:
        """In words, never by colour: BALANCED, SHORT $x, OVER $x."""
        if self.balanced:
            return "BALANCED"
        if self.difference_cents > 0:
            return f"SHORT {format_money(self.difference_cents)}"
        return f"OVER {format_money(-self.difference_cents)}"

    def refuse_close_unless_balanced(self, batch_id: int) -> None:
        if not self.balanced:
            raise InputError(InputProblem(
                f"batch {batch_id} does not balance: control total "
                f"{format_money(self.control_cents)}, posted {format_money(self.posted_cents)} "
                f"in {self.posted_count} payments ({self.status()}); find the difference, "
                "or correct the control total, before closing", field="control_total"))
