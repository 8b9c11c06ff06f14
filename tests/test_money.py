"""Money: parsing a clerk's amount, the one formatter, and half-up rounding."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.money import (
    MoneyError,
    cents_from_rate,
    format_credit,
    format_money,
    parse_money,
    round_half_up,
)


@pytest.mark.parametrize(("text", "cents"), [
    ("12.34", 1234),
    ("$1,234.50", 123450),
    ("(5.00)", -500),
    ("-5", -500),
    ("-$5.00", -500),
    ("+$5.00", 500),
    ("0.07", 7),
    ("  42 ", 4200),
    ("12.3", 1230),
    ("1,000,000", 100000000),
])
def test_parse_money_accepts_what_a_clerk_types(text: str, cents: int) -> None:
    assert parse_money(text) == cents


@pytest.mark.parametrize(("text", "reason"), [
    ("12.345", "more than two decimals"),
    ("12a", "is not an amount"),
    ("", "an amount is required"),
    ("   ", "an amount is required"),
    ("1.2.3", "is not an amount"),
    ("$", "is not an amount"),
    ("--5", "is not an amount"),
    ("()", "is not an amount"),
    ("1e3", "is not an amount"),
])
def test_parse_money_refuses_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(MoneyError, match=reason) as refused:
        parse_money(text)
    assert isinstance(refused.value, ValueError)
    if text.strip():
        assert repr(text.strip()) in str(refused.value)  # the message quotes what was typed


@pytest.mark.parametrize(("cents", "text"), [
    (0, "$0.00"),
    (7, "$0.07"),
    (123456, "$1,234.56"),
    (-500, "-$5.00"),
    (100000000, "$1,000,000.00"),
])
def test_format_money(cents: int, text: str) -> None:
    assert format_money(cents) == text


def test_format_money_with_sign_marks_charges_only() -> None:
    assert format_money(500, sign=True) == "+$5.00"
    assert format_money(-500, sign=True) == "-$5.00"
    assert format_money(0, sign=True) == "$0.00"


def test_format_credit_reads_a_negative_balance_as_a_credit() -> None:
    assert format_credit(-1250) == "$12.50 CR"
    assert format_credit(1250) == "$12.50"
    assert format_credit(0) == "$0.00"


@pytest.mark.parametrize(("amount", "cents"), [
    ("0.005", 1),
    ("-0.005", -1),
    ("0.0049", 0),
    ("-0.0049", 0),
    ("2.675", 268),
    ("-2.675", -268),
    ("10.994999", 1099),
])
def test_round_half_up_goes_away_from_zero_on_an_exact_half(amount: str, cents: int) -> None:
    assert round_half_up(Decimal(amount)) == cents


def test_cents_from_rate_rounds_the_line_once() -> None:
    # 3 units at $1.2345 = $3.7035 -> $3.70; rounding each unit first would give $3.69.
    assert cents_from_rate(Decimal("1.2345"), Decimal(3)) == 370
    assert cents_from_rate(Decimal("0.0025"), Decimal(2)) == 1  # $0.005 -> $0.01


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=-10**12, max_value=10**12))
def test_parse_reads_back_what_format_wrote(cents: int) -> None:
    assert parse_money(format_money(cents)) == cents
    assert parse_money(format_money(cents, sign=True)) == cents
