"""A bill's usage history as text: extended bill by bill, read back for the chart and the
winter average."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.usage_history import (
    HISTORY_PERIODS,
    extend_history,
    history_periods,
    history_record,
    history_text,
    text_winter_average,
    winter_average,
)

periods_strategy = st.lists(st.tuples(st.integers(20, 40), st.integers(0, 99_999)),
                            max_size=30).map(
    lambda steps: [(date(2024, 1, 1) + timedelta(days=sum(d for d, _ in steps[:k + 1])), use)
                   for k, (_, use) in enumerate(steps)])


@given(periods_strategy)
def test_extending_bill_by_bill_keeps_the_last_13_periods(
        periods: list[tuple[date, int]]) -> None:
    text = ""
    for end, use in periods:
        text = extend_history(text, end, use)
    assert text == history_text(periods)
    assert history_periods(text) == periods[-HISTORY_PERIODS:]


@given(periods_strategy)
def test_the_winter_average_read_from_text_is_the_periods_own(
        periods: list[tuple[date, int]]) -> None:
    text = history_text(periods)
    close = periods[-1][0] if periods else date(2025, 3, 1)
    assert text_winter_average(text, close) == winter_average(history_periods(text), close)


def test_winter_average_takes_december_to_february_of_the_last_year() -> None:
    periods = [(date(2025, 11, 30), 50), (date(2025, 12, 31), 10), (date(2026, 1, 31), 12),
               (date(2026, 2, 28), 15), (date(2026, 3, 31), 40), (date(2024, 12, 31), 99)]
    assert winter_average(periods, date(2026, 3, 31)) == Decimal("12.3333")
    assert winter_average(periods[:1], date(2026, 3, 31)) is None


def test_the_chart_record_is_blank_padded_in_front() -> None:
    assert history_record("") == "U" + "|" * 26
    record = history_record("2026-01-31:12;2026-02-28:9")
    assert record == "U" + "|" * 22 + "|2026-01-31|12|2026-02-28|9"
    assert len(record.split("|")) == 27


def test_register_units_become_hcf_as_every_bill_prices_them() -> None:
    from core.bill_lines import register_hcf
    from core.errors import InputError

    assert register_hcf(12, "CCF") == Decimal(12)
    assert register_hcf(1200, "CF") == Decimal("12.0000")
    assert register_hcf(7480, "GAL") == Decimal("10.0000")
    assert register_hcf(Decimal("1.5"), "KGAL") == Decimal("2.0053")
    with pytest.raises(InputError, match="read_unit 'LITRE'"):
        register_hcf(1, "LITRE")
