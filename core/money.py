"""Money as integer cents: parsing, rounding and the one formatter."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

Cents = int

_CENT = Decimal("0.01")


class MoneyError(ValueError):
    """An amount that is not a valid money value."""


def round_half_up(amount: Decimal) -> Cents:
    """Round a dollar amount to whole cents, half-up (PRODUCT.md: each bill line rounded once).

    Half-up means away from zero on an exact half: 0.005 -> 0.01, -0.005 -> -0.01.
    """
    return int((amount.quantize(_CENT, rounding=ROUND_HALF_UP) * 100).to_integral_value())


def round_ratio_half_up(numerator: int, denominator: int) -> Cents:
    """Round an exact ratio of cents (numerator / denominator) to whole cents, half-up.

    The same rule as `round_half_up`, on integers: the rate engine keeps every quantity as an
    exact fraction and rounds each bill line once, here. Half-up is away from zero.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    if numerator >= 0:
        return (2 * numerator + denominator) // (2 * denominator)
    return -((-2 * numerator + denominator) // (2 * denominator))


def cents_from_rate(rate: Decimal, quantity: Decimal) -> Cents:
    """Price a quantity at a rate that may carry more decimals, rounded once half-up."""
    return round_half_up(rate * quantity)


def parse_money(text: str) -> Cents:
    """Parse a clerk's amount ("12.34", "$1,234.50", "-5", "(5.00)") into cents.

    Refuses more than two decimals, letters and empty input with a sentence saying why.
    """
    raw = text.strip()
    if not raw:
        raise MoneyError("an amount is required")
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1].strip()
    if raw.startswith(("-", "+")):  # "+" as format_money(sign=True) writes it
        negative, raw = negative != raw.startswith("-"), raw[1:].strip()
    if raw.startswith("$"):
        raw = raw[1:].strip()
    cleaned = raw.replace(",", "")
    if not cleaned or any(ch not in "0123456789." for ch in cleaned) or cleaned.count(".") > 1:
        raise MoneyError(f"{text.strip()!r} is not an amount (use digits, e.g. 12.34)")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - guarded by the character check
        raise MoneyError(f"{text.strip()!r} is not an amount") from exc
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise MoneyError(f"{text.strip()!r} has more than two decimals")
    cents = int(value * 100)
    return -cents if negative else cents


def format_money(cents: Cents, *, sign: bool = False) -> str:
    """Format cents as dollars: 123456 -> "$1,234.56", -500 -> "-$5.00" (one helper, everywhere)."""
    negative = cents < 0
    dollars, rem = divmod(abs(cents), 100)
    body = f"${dollars:,}.{rem:02d}"
    if negative:
        return "-" + body
    return ("+" + body) if sign and cents > 0 else body


def format_credit(cents: Cents) -> str:
    """Format a balance for a customer: a negative balance reads as a credit ("$5.00 CR")."""
    if cents < 0:
        return f"{format_money(-cents)} CR"
    return format_money(cents)
