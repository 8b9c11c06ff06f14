"""The collector paused for a bulk job: nothing collected during it, its objects joined to the
oldest generation afterwards (not rescanned by the next young collection), and a reference
cycle made during it still collected by a full collection."""
from __future__ import annotations

import gc
import weakref

from db.transaction import collector_paused


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_the_job_runs_with_the_collector_off_and_it_is_on_again_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_objects_the_job_made_are_not_left_young() -> None:
    with collector_paused():
        kept = [[n] for n in range(50_000)]  # containers, tracked by the collector
        assert gc.get_count()[0] > 10_000
    assert gc.get_count()[0] < 1_000  # no young collection will scan the 50,000 lists
    assert len(kept) == 50_000


def test_a_cycle_made_during_the_job_is_still_collected() -> None:
    with collector_paused():
        first, second = _Node(), _Node()
        first.other, second.other = second, first
        gone = weakref.ref(first)
        del first, second
    assert gone() is not None  # only a cycle holds it
    gc.collect()
    assert gone() is None


def test_a_paused_collector_stays_paused_after_a_nested_job() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
