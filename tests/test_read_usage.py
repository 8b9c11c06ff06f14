"""Usage arithmetic that must always hold: periods add up, a change-out sums both meters."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from core.reads import MeterChain, ReadPoint, period_usage, premise_periods, wrap_delta

START = date(2025, 1, 5)


def chain_from_uses(uses: list[int], dials: int, start: int) -> MeterChain:
    wrap = 10 ** dials
    points, reading = [ReadPoint(START, start % wrap)], start % wrap
    for k, use in enumerate(uses, start=1):
        reading = (reading + use) % wrap
        points.append(ReadPoint(START + timedelta(days=30 * k), reading))
    return MeterChain(1, "M1", dials, tuple(points))


uses_strategy = st.lists(st.integers(min_value=0, max_value=900), min_size=2, max_size=14)


@given(uses=uses_strategy, dials=st.integers(min_value=4, max_value=7),
       start=st.integers(min_value=0, max_value=10**7), split=st.integers(min_value=1))
def test_usage_of_two_adjoining_periods_adds_up(uses: list[int], dials: int, start: int,
                                                 split: int) -> None:
    chain = chain_from_uses(uses, dials, start)
    days = [p.day for p in chain.points]
    middle = days[1 + split % (len(days) - 2)] if len(days) > 2 else days[1]
    whole = period_usage([chain], days[0], days[-1]).usage
    parts = (period_usage([chain], days[0], middle).usage
             + period_usage([chain], middle, days[-1]).usage)
    assert whole == parts == sum(uses)  # every use below one trip round the dials


@given(uses=uses_strategy, dials=st.integers(min_value=4, max_value=6),
       start=st.integers(min_value=0, max_value=10**6))
def test_periods_sum_to_the_whole_history(uses: list[int], dials: int, start: int) -> None:
    chain = chain_from_uses(uses, dials, start)
    assert [p.usage for p in premise_periods([chain])] == uses


@given(before=st.integers(0, 500), old_part=st.integers(0, 500), new_part=st.integers(0, 500),
       initial=st.integers(0, 9000), dials=st.integers(4, 6))
def test_a_change_out_bills_the_sum_over_both_meters(before: int, old_part: int, new_part: int,
                                                     initial: int, dials: int) -> None:
    wrap = 10 ** dials
    first, read_day, changed = START, START + timedelta(days=30), START + timedelta(days=45)
    end = START + timedelta(days=60)
    old = MeterChain(1, "OLD", 4, (ReadPoint(first, 1000), ReadPoint(read_day, 1000 + before),
                                   ReadPoint(changed, (1000 + before + old_part) % 10_000,
                                             False, True)))
    new = MeterChain(2, "NEW", dials, (ReadPoint(changed, initial % wrap, False, True),
                                       ReadPoint(end, (initial + new_part) % wrap)))
    usage = period_usage([old, new], read_day, end)
    assert usage.usage == old_part + new_part
    assert {m.serial for m in usage.meters} == {"OLD", "NEW"}
    assert [p.usage for p in premise_periods([old, new])] == [before, old_part + new_part]


def test_wrap_delta_reads_a_drop_as_one_trip_round_the_dials() -> None:
    assert wrap_delta(9990, 10, 4) == 20
    assert wrap_delta(10, 30, 4) == 20
