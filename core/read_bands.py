"""The read audit's policy: tolerance bands by usage level and the other thresholds, validated.

The band table is one setting written the way RULES.md §4 prints the SAP example, e.g.
"0: warning +70/-40; 100: warning +60/-30, error +65/-35; 1000: error +50/-20": from each
expected usage level upward, a read is a warning (or an error) when it is more than +H% above
or more than L% below the expected usage.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.errors import InputProblem

if TYPE_CHECKING:
    from core.settings import DistrictSettings

EXPECTED_BASES = ("last3", "last_year")
READ_UNITS = ("GAL", "CF", "CCF", "KGAL")  # FORMATS.md §6.1 route export `unit`
_LIMIT = re.compile(r"^(warning|error)\s*\+(\d+)\s*/\s*-(\d+)$")


@dataclass(frozen=True)
class Tolerance:
    """How far above (+high %) or below (-low %) expected usage a read may be."""

    high_percent: int
    low_percent: int

    def text(self) -> str:
        return f"+{self.high_percent}%/-{self.low_percent}%"


@dataclass(frozen=True)
class Band:
    """The tolerances that apply from `from_usage` units of expected usage upward."""

    from_usage: int
    warning: Tolerance | None
    error: Tolerance | None

    def text(self) -> str:
        parts = [f"{name} {tol.text()}" for name, tol in (("warning", self.warning),
                                                           ("error", self.error)) if tol]
        return f"{self.from_usage}+: " + ", ".join(parts)


def parse_bands(text: str) -> tuple[Band, ...]:
    """Read a band table; raises ValueError with a sentence naming the bad part."""
    bands: list[Band] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        head, sep, body = part.partition(":")
        if not sep or not head.strip().isdigit():
            raise ValueError(f"{part!r} must start with a usage level and a colon, e.g. '100:'")
        limits: dict[str, Tolerance] = {}
        for item in (i.strip() for i in body.split(",")):
            match = _LIMIT.match(item)
            if not match:
                raise ValueError(f"{item!r} must read like 'warning +60/-30' or 'error +65/-35'")
            severity, high, low = match.group(1), int(match.group(2)), int(match.group(3))
            if low > 100:
                raise ValueError(f"{item!r}: a read cannot be more than 100% below expected")
            if severity in limits:
                raise ValueError(f"{part!r} names {severity} twice")
            limits[severity] = Tolerance(high, low)
        warning, error = limits.get("warning"), limits.get("error")
        if warning and error and (error.high_percent < warning.high_percent
                                  or error.low_percent < warning.low_percent):
            raise ValueError(f"{part!r}: the error limits must be at least the warning limits")
        bands.append(Band(int(head), warning, error))
    if not bands:
        raise ValueError("the band table is empty")
    if bands[0].from_usage != 0:
        raise ValueError("the first band must start at 0")
    levels = [b.from_usage for b in bands]
    if levels != sorted(set(levels)):
        raise ValueError("usage levels must rise from band to band")
    return tuple(bands)


def band_for(bands: tuple[Band, ...], expected: int) -> Band:
    """The band an expected usage falls in (the last band whose level it reaches)."""
    chosen = bands[0]
    for band in bands:
        if expected >= band.from_usage:
            chosen = band
    return chosen


@dataclass(frozen=True)
class ReadAuditPolicy:
    """The read-audit thresholds, taken from the district's settings (RULES.md §4, all `cfg`)."""

    window_days_before: int = 5
    window_days_after: int = 7
    expected_basis: str = "last3"
    expected_periods: int = 3
    bands: tuple[Band, ...] = ()
    zero_periods: int = 1
    inactive_max_units: int = 0
    stuck_periods: int = 3
    rollover_max_percent: int = 10
    reverse_flow_max_units: int = 5
    max_consecutive_estimates: int = 3

    @property
    def history_days(self) -> int:
        """Days of history the rules look at: a year and a month for the same period last
        year; otherwise enough periods for the recent average past a run of estimates, the
        stuck and zero runs, and the estimate cap (31-day periods, with a week's slack)."""
        if self.expected_basis == "last_year":
            return 420
        periods = max(self.expected_periods + self.max_consecutive_estimates,
                      self.stuck_periods, self.zero_periods, self.max_consecutive_estimates + 1)
        return 31 * (periods + 1) + 7


def read_audit_policy(settings: DistrictSettings) -> ReadAuditPolicy:
    """The policy the rules read; settings are validated on load, so the bands parse."""
    return ReadAuditPolicy(
        window_days_before=settings.read_window_days_before,
        window_days_after=settings.read_window_days_after,
        expected_basis=settings.read_expected_basis,
        expected_periods=settings.read_expected_periods,
        bands=parse_bands(settings.read_bands),
        zero_periods=settings.read_zero_periods,
        inactive_max_units=settings.read_inactive_max_units,
        stuck_periods=settings.read_stuck_periods,
        rollover_max_percent=settings.read_rollover_max_percent,
        reverse_flow_max_units=settings.read_reverse_flow_max_units,
        max_consecutive_estimates=settings.read_max_consecutive_estimates)


def read_audit_problems(settings: DistrictSettings, source: str) -> list[InputProblem]:
    """What is wrong with the read-audit settings, each problem naming its key."""
    problems: list[InputProblem] = []
    if settings.read_expected_basis not in EXPECTED_BASES:
        problems.append(InputProblem(
            f"must be one of {', '.join(EXPECTED_BASES)}, not {settings.read_expected_basis!r}",
            source=source, field="read_expected_basis"))
    if settings.read_unit not in READ_UNITS:
        problems.append(InputProblem(f"must be one of {', '.join(READ_UNITS)}, not "
                                     f"{settings.read_unit!r}", source=source, field="read_unit"))
    try:
        parse_bands(settings.read_bands)
    except ValueError as exc:
        problems.append(InputProblem(str(exc), source=source, field="read_bands"))
    ranges = (("read_expected_periods", 1, 12), ("read_zero_periods", 1, 12),
              ("read_stuck_periods", 2, 12), ("read_rollover_max_percent", 1, 50),
              ("read_max_consecutive_estimates", 1, 12), ("read_window_days_before", 0, 27),
              ("read_window_days_after", 0, 27))
    for key, low, high in ranges:
        value = getattr(settings, key)
        if not low <= value <= high:
            problems.append(InputProblem(f"must be between {low} and {high}, not {value}",
                                         source=source, field=key))
    return problems
