"""Meter reads as the read audit sees them: a premise's meters, their read history, the usage.

Usage belongs to the premise's service, not to one meter: when a meter is changed out during
a period, the period's usage is the old meter's final read minus its previous read plus the
new meter's read minus its initial read (FORMATS.md §4.2: one set of charges for both).
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from itertools import pairwise
from typing import NamedTuple


class ReadKind(StrEnum):
    ACTUAL = "actual"
    ESTIMATED = "estimated"


class ReadMethod(StrEnum):
    """How the reading was taken (FORMATS.md §6.1 read_method)."""

    MANUAL = "MANUAL"
    AMR = "AMR"
    AMI = "AMI"
    ESTIMATE = "ESTIMATE"
    CUSTOMER = "CUSTOMER"


class Occupancy(StrEnum):
    """Whether the service is in use: an active account is occupied; otherwise it is not."""

    ACTIVE = "active"
    INACTIVE = "inactive"  # the account is inactive or closed
    VACANT = "vacant"  # no account at the premise


class EstimateMethod(StrEnum):
    """How an estimate was made, printed on the bill (RULES.md §4, estimate basis)."""

    LAST3 = "last3"
    LAST_YEAR = "last_year"

    def describe(self) -> str:
        return {"last3": "average of the last 3 actual periods",
                "last_year": "same period last year"}[self.value]


class ReadPoint(NamedTuple):
    """One reading of one meter; `boundary` marks an install or final reading at a change-out."""

    day: date
    reading: int
    estimated: bool = False
    boundary: bool = False


@dataclass(frozen=True)
class MeterChain:
    """One meter's readings, oldest first (install and final readings included as boundaries)."""

    meter_id: int
    serial: str
    dials: int
    points: tuple[ReadPoint, ...]


class Period(NamedTuple):
    """Usage between two read days of the premise, summed over its meters."""

    start: date
    end: date
    usage: int
    estimated: bool

    @property
    def days(self) -> int:
        return max((self.end - self.start).days, 1)


@dataclass(frozen=True)
class AmrFlags:
    """Flags an AMR/AMI endpoint reports with a read (FORMATS.md §6.1, §6.2)."""

    leak: int = 0  # 0 none, 1 intermittent, 2 continuous
    backflow: int = 0  # 0 none, 1 minor, 2 major
    tamper: int = 0  # 0 or 1
    no_usage_days: int | None = None


@dataclass(frozen=True)
class ChangeOut:
    """A meter removed and another installed at the premise during the period."""

    day: date
    old_serial: str
    final_reading: int
    old_usage: int
    new_serial: str
    initial_reading: int


@dataclass(frozen=True)
class ReadUnderAudit:
    """A read (or a meter that was not read) with everything the rules judge it against."""

    meter_id: int
    serial: str
    dials: int
    day: date
    reading: int | None  # None: the meter was not read (missing or skipped)
    occupancy: Occupancy
    chains: tuple[MeterChain, ...] = ()  # the premise's meters, readings before `day`
    estimated: bool = False
    flags: AmrFlags = field(default_factory=AmrFlags)
    skip_code: str = ""
    note: str = ""


def wrap_delta(previous: int, current: int, dials: int) -> int:
    """Usage between two readings, reading a drop as one trip round the dials (10^dials)."""
    return current - previous if current >= previous else current + 10 ** dials - previous


def premise_periods(chains: Sequence[MeterChain]) -> list[Period]:
    """The premise's periods, oldest first: each meter's usage falls in the period it ends in."""
    ends = sorted({p.day for c in chains for p in c.points if not p.boundary})
    if not ends:
        return []
    usage: dict[date, int] = {}
    for chain in chains:
        for before, after in pairwise(chain.points):
            at = bisect_left(ends, after.day)  # the first period end on or after the reading
            if at < len(ends):
                end = ends[at]
                usage[end] = usage.get(end, 0) + wrap_delta(before.reading, after.reading,
                                                             chain.dials)
    estimated_days = {p.day for c in chains for p in c.points if p.estimated and not p.boundary}
    periods = []
    for start, end in pairwise(ends):
        if end in usage:
            periods.append(Period(start, end, usage[end], end in estimated_days))
    return periods


@dataclass(frozen=True)
class ReadFacts:
    """What the rules need, worked out once per read."""

    read: ReadUnderAudit
    previous: ReadPoint | None  # this meter's last reading before the read
    raw_delta: int | None  # reading minus previous reading on this meter (may be negative)
    other_usage: int  # usage on the premise's other meters this period (a change-out)
    changes: tuple[ChangeOut, ...]
    period_start: date | None

    @property
    def days(self) -> int:
        return max((self.read.day - self.period_start).days, 1) if self.period_start else 0

    @property
    def usage(self) -> int | None:
        """The period's usage, or None when it cannot be known (not read, negative, no history)."""
        if self.raw_delta is None or self.raw_delta < 0:
            return None
        return self.raw_delta + self.other_usage

    @cached_property
    def periods(self) -> tuple[Period, ...]:
        """Every earlier period of the premise, oldest first."""
        return tuple(premise_periods(self.read.chains))

    def recent_periods(self) -> Iterator[Period]:
        """Earlier periods newest first, worked out only as far as the caller reads.

        One meter with no change-out (nearly every premise) pairs its readings directly; the
        same periods premise_periods gives, without building the whole year.
        """
        chains = self.read.chains
        if len(chains) == 1 and chains[0].points and not chains[0].points[0].boundary \
                and not chains[0].points[-1].boundary:
            points, wrap = chains[0].points, 10 ** chains[0].dials
            make = tuple.__new__  # Period(...) without the keyword handling: this runs per read
            for k in range(len(points) - 1, 0, -1):
                before, after = points[k - 1], points[k]
                used = after.reading - before.reading
                yield make(Period, (before.day, after.day, used if used >= 0 else used + wrap,
                                    after.estimated))
        else:
            yield from reversed(self.periods)


def read_facts(read: ReadUnderAudit) -> ReadFacts:
    """Work out the period, the previous reading, the usage and any change-out for a read."""
    chains = read.chains
    if len(chains) == 1 and chains[0].meter_id == read.meter_id:  # nearly every premise
        own: MeterChain | None = chains[0]
    else:
        own = next((c for c in chains if c.meter_id == read.meter_id), None)
    previous = own.points[-1] if own and own.points else None
    raw = None
    if read.reading is not None and previous is not None:
        raw = read.reading - previous.reading
    if len(chains) == 1 and own is not None:  # one meter: the period starts at its last read
        start = None
        for point in reversed(own.points):
            if not point.boundary and point.day < read.day:
                start = point.day
                break
        if start is None and previous is not None:
            start = previous.day
        return ReadFacts(read, previous, raw, 0, (), start)
    ends = [p.day for c in chains for p in c.points if not p.boundary and p.day < read.day]
    last_end = max(ends) if ends else None
    other_usage = 0
    changes: list[ChangeOut] = []
    for chain in chains:
        if chain.meter_id == read.meter_id:
            continue
        pending = [p for p in chain.points if last_end is None or p.day > last_end]
        if not pending:
            continue
        before = [p for p in chain.points if last_end is not None and p.day <= last_end]
        first = before[-1] if before else None
        old_usage = wrap_delta(first.reading, pending[-1].reading, chain.dials) if first else 0
        other_usage += old_usage
        if own and own.points and own.points[0].boundary:
            changes.append(ChangeOut(pending[-1].day, chain.serial, pending[-1].reading, old_usage,
                                     own.serial, own.points[0].reading))
    start_day = last_end if last_end is not None else (previous.day if previous else None)
    return ReadFacts(read, previous, raw, other_usage, tuple(changes), start_day)


@dataclass(frozen=True)
class Expected:
    """Expected usage for the period and how it was worked out (the sentence is made only when
    a rule quotes it: most reads pass)."""

    usage: int
    method: EstimateMethod
    usages: tuple[int, ...]  # the periods it averaged, oldest first
    total_days: int
    days: int
    last_year_end: date | None = None

    @property
    def basis(self) -> str:
        if self.method is EstimateMethod.LAST_YEAR and self.last_year_end is not None:
            return (f"same period last year ({self.usages[0]} over {self.total_days} days "
                    f"ending {self.last_year_end.isoformat()}, scaled to {self.days} days)")
        listed = ", ".join(str(u) for u in self.usages)
        return (f"average of the last {len(self.usages)} actual periods ({listed} over "
                f"{self.total_days} days, scaled to {self.days} days)")


def _scaled(total: int, total_days: int, days: int) -> int:
    """total/total_days per day times days, rounded half-up, in integers."""
    return (2 * total * days + total_days) // (2 * total_days)


def expected_from_recent(recent: Iterable[Period], days: int, count: int) -> Expected | None:
    """Average daily use over the last `count` actual periods (`recent`: newest first), times
    this period's days."""
    usages: list[int] = []
    total = total_days = 0
    for start, end, usage, estimated in recent:
        if not estimated:
            usages.append(usage)
            total += usage
            span = (end - start).days
            total_days += span if span > 1 else 1  # Period.days
            if len(usages) == count:
                break
    if not usages or days <= 0:
        return None
    usages.reverse()
    return Expected(_scaled(total, total_days, days), EstimateMethod.LAST3, tuple(usages),
                    total_days, days)


def expected_from_last_year(periods: Sequence[Period], day: date, days: int,
                            tolerance_days: int = 20) -> Expected | None:
    """The period ending nearest one year before `day` (within 20 days), scaled to `days`."""
    target = date.fromordinal(day.toordinal() - 365)
    near = [p for p in periods if abs((p.end - target).days) <= tolerance_days]
    if not near or days <= 0:
        return None
    best = min(near, key=lambda p: abs((p.end - target).days))
    return Expected(_scaled(best.usage, best.days, days), EstimateMethod.LAST_YEAR,
                    (best.usage,), best.days, days, best.end)


def expected_usage(facts: ReadFacts, basis: str, count: int) -> Expected | None:
    """Expected usage per the district's basis; last year falls back to the recent average."""
    if basis == "last_year":
        found = expected_from_last_year(facts.periods, facts.read.day, facts.days)
        if found is not None:
            return found
    return expected_from_recent(facts.recent_periods(), facts.days, count)


def estimated_reading(facts: ReadFacts, method: EstimateMethod, count: int
                      ) -> tuple[int, Expected] | None:
    """The reading an estimate puts on the meter: previous reading plus expected usage (wrapped
    round the dials), or None when there is no history to estimate from."""
    if facts.previous is None:
        return None
    if method is EstimateMethod.LAST_YEAR:
        expected = expected_from_last_year(facts.periods, facts.read.day, facts.days)
    else:
        expected = expected_from_recent(facts.recent_periods(), facts.days, count)
    if expected is None:
        return None
    usage = max(expected.usage - facts.other_usage, 0)
    return (facts.previous.reading + usage) % 10 ** facts.read.dials, expected


@dataclass(frozen=True)
class MeterUsage:
    """One meter's part of a billing period: the two readings and the usage between them."""

    meter_id: int
    serial: str
    from_day: date
    from_reading: int
    to_day: date
    to_reading: int
    usage: int
    estimated: bool


@dataclass(frozen=True)
class PeriodUsage:
    """Billable usage of a premise between two read days, summed over its meters."""

    start: date
    end: date
    usage: int
    estimated: bool
    meters: tuple[MeterUsage, ...]


def period_usage(chains: Sequence[MeterChain], start: date, end: date) -> PeriodUsage:
    """Usage from the read on `start` to the read on `end`: each meter from its reading at or
    before `start` (or its install reading) to its last reading by `end` (or its final one)."""
    parts = [part for part in (meter_usage(chain, start, end) for chain in chains) if part]
    return PeriodUsage(start, end, sum(p.usage for p in parts), any(p.estimated for p in parts),
                       tuple(parts))


def meter_usage(chain: MeterChain, start: date, end: date) -> MeterUsage | None:
    """One meter's part of period_usage: from its last point on or before `start` through its
    points after `start` up to `end`; None when it has no two such points."""
    first: ReadPoint | None = None
    previous: ReadPoint | None = None
    usage, estimated, dials = 0, False, chain.dials
    for point in chain.points:  # in day order
        day = point.day
        if day <= start:
            first = previous = point
        elif day <= end:
            if previous is None:
                first = previous = point  # no point before the period: from the first inside
                estimated = point.estimated
                continue
            usage += wrap_delta(previous.reading, point.reading, dials)
            estimated = estimated or point.estimated
            previous = point
    if first is None or previous is None or previous is first:
        return None
    return MeterUsage(chain.meter_id, chain.serial, first.day, first.reading, previous.day,
                      previous.reading, usage, estimated)
