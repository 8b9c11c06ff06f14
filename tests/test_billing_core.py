"""The billing run's pure parts: outcomes, the diff's order, the scan line, usage periods."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.billing import (
    DiffRow,
    Outcome,
    biggest_changes_first,
    mod10_check_digit,
    period_uses,
    scan_line,
    winter_average,
)
from core.reads import MeterChain, ReadPoint, premise_periods
from db import closing_bill


def test_check_digit_matches_creditrons_worked_example() -> None:
    # FORMATS.md §4.3: stdnum.luhn.calc_check_digit of this payload is '8'.
    assert mod10_check_digit("00345678901110296000000000010000000001000") == "8"


@given(st.text(alphabet="0123456789", min_size=1, max_size=60), st.integers(0, 9))
def test_check_digit_catches_every_single_digit_error(payload: str, wrong: int) -> None:
    digit = mod10_check_digit(payload)
    changed = str(wrong) + payload[1:]
    if changed != payload:
        assert mod10_check_digit(changed) != digit


def test_scan_line_is_42_digits_ending_in_its_check_digit() -> None:
    line = scan_line("0100996-01", date(2026, 12, 11), 3, 13213, 13213)
    assert len(line) == 42 and line.isdigit()
    assert line[:11] == "00010099601" and line[11:17] == "121126"
    assert mod10_check_digit(line[:-1]) == line[-1]


def reference_check_digit(payload: str) -> str:
    """FORMATS.md §4.3 digit by digit, as written: the plain reading the table must equal."""
    if not payload.isdigit() or not payload.isascii():
        raise ValueError(payload)
    total = 0
    for place, ch in enumerate(payload):
        product = int(ch) * (2 if place % 2 == 0 else 1)
        total += product // 10 + product % 10
    return str((10 - total % 10) % 10)


def reference_scan_line(account_number: str, due_on: date, rate_code: int, gross_cents: int,
                        net_cents: int) -> str:
    digits = "".join(ch for ch in account_number if ch.isdigit())
    payload = (digits.zfill(11)[-11:] + due_on.strftime("%m%d%y") + f"{rate_code:04d}"[-4:]
               + f"{max(gross_cents, 0):010d}"[-10:] + f"{max(net_cents, 0):010d}"[-10:])
    return payload + reference_check_digit(payload)


@given(st.text(alphabet="0123456789", max_size=60)
       | st.text(alphabet=st.sampled_from("0123456789a-\u0663 "), max_size=20))
def test_check_digit_by_table_is_the_digit_by_digit_rule(payload: str) -> None:
    try:
        expected = reference_check_digit(payload)
    except ValueError:
        with pytest.raises(ValueError):
            mod10_check_digit(payload)
    else:
        assert mod10_check_digit(payload) == expected


@given(st.from_regex(r"\A[0-9]{7}-[0-9]{2}\Z")
       | st.text(alphabet=st.sampled_from("0123456789-x "), max_size=16),
       st.dates(date(2000, 1, 1), date(2099, 12, 31)), st.integers(0, 99999),
       st.integers(-10**12, 10**12), st.integers(-10**12, 10**12))
def test_scan_line_is_the_plain_layout(account: str, due_on: date, rate_code: int, gross: int,
                                       net: int) -> None:
    assert scan_line(account, due_on, rate_code, gross, net) == reference_scan_line(
        account, due_on, rate_code, gross, net)


def test_an_account_number_with_other_digits_has_no_scan_line() -> None:
    with pytest.raises(ValueError):
        scan_line("0100996-0\u0663", date(2026, 12, 11), 0, 1, 1)

def row(number: str, outcome: Outcome, cents: int, last: int | None) -> DiffRow:
    return DiffRow(int(number), number, outcome, "" if outcome == Outcome.BILLED else "why",
                   Decimal(10), cents, Decimal(9), last)


def test_diff_shows_holds_first_then_the_biggest_changes_either_way() -> None:
    rows = [row("1", Outcome.BILLED, 5000, 4900), row("2", Outcome.BILLED, 1000, 9000),
            row("3", Outcome.HELD, 0, 3000), row("4", Outcome.BILLED, 9000, 3000),
            row("5", Outcome.BILLED, 2000, None)]
    assert [r.number for r in biggest_changes_first(rows)] == ["3", "2", "4", "5", "1"]
    assert rows[1].change_percent == Decimal(-89)
    assert rows[4].change_percent is None


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 999), st.booleans(),
                          st.booleans()), max_size=8),
       st.integers(1, 2))
def test_period_uses_agree_with_premise_periods(
        steps: list[tuple[int, int, bool, bool]], meters: int) -> None:
    """The single-meter shortcut gives what the general merge gives, boundaries, repeated
    days, roll-overs and change-outs included."""
    day = date(2025, 1, 1)
    points = []
    for gap, reading, estimated, boundary in steps:
        day += timedelta(days=gap)
        points.append(ReadPoint(day, reading, estimated, boundary))
    chains = tuple(MeterChain(n, f"M{n}", 3, tuple(points[n::meters])) for n in range(meters))
    assert period_uses(chains) == [(p.end, p.usage) for p in premise_periods(chains)]
    assert winter_average(chains, day) == closing_bill.winter_average(chains, day)
