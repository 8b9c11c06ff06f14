"""The read-audit rules (RULES.md §4): each a small function with a rule id, its settings, and
one sentence explaining its verdict with the numbers: expected against actual, the threshold,
the history it looked at.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.read_bands import ReadAuditPolicy, Tolerance, band_for
from core.reads import Expected, Occupancy, ReadFacts


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        """Queue order: errors before warnings."""
        return 0 if self is Severity.ERROR else 1


@dataclass(frozen=True)
class Finding:
    """A rule that fired: which, how bad, and the sentence a clerk reads."""

    rule_id: str
    severity: Severity
    verdict: str
    explanation: str
    expected: int | None = None
    actual: int | None = None
    threshold: str = ""
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadCase:
    """A read's facts, its expected usage and the district's policy: what every rule gets."""

    facts: ReadFacts
    expected: Expected | None
    policy: ReadAuditPolicy


def _previous_text(facts: ReadFacts) -> str:
    prev = facts.previous
    return f"{prev.reading} on {prev.day.isoformat()}" if prev else "no earlier reading"


def _out_of_band(case: ReadCase, high: bool) -> Finding | None:
    facts, expected = case.facts, case.expected
    usage = facts.usage
    if facts.read.occupancy is not Occupancy.ACTIVE or usage is None or expected is None \
            or expected.usage <= 0:
        return None
    if (usage <= expected.usage) if high else (usage >= expected.usage):
        return None  # tolerances are whole percents >= 0: no band can call this high (or low)
    band = band_for(case.policy.bands, expected.usage)
    for severity, tolerance in ((Severity.ERROR, band.error), (Severity.WARNING, band.warning)):
        if tolerance is None or not _beyond(usage, expected.usage, tolerance, high):
            continue
        percent = round(abs(usage - expected.usage) * 100 / expected.usage)
        limit = tolerance.high_percent if high else tolerance.low_percent
        word = "above" if high else "below"
        level = "an error" if severity is Severity.ERROR else "a warning"
        threshold = f"{'+' if high else '-'}{limit}%"
        return Finding(
            "HIGH" if high else "LOW", severity, "high" if high else "low",
            f"Usage {usage} is {percent}% {word} the expected {expected.usage} "
            f"({expected.basis}); the band for expected usage of {band.from_usage} and up "
            f"allows {'+' if high else '-'}{limit}% before {level}.",
            expected.usage, usage, threshold,
            {"band": band.text(), "basis": expected.basis, "percent": percent})
    return None


def _beyond(usage: int, expected: int, tolerance: Tolerance, high: bool) -> bool:
    """Integer test of usage against expected ± the tolerance (no floating point)."""
    if high:
        return usage * 100 > expected * (100 + tolerance.high_percent)
    return usage * 100 < expected * (100 - tolerance.low_percent)


def rule_high(case: ReadCase) -> Finding | None:
    """HIGH: usage above expected by more than the band's tolerance."""
    return _out_of_band(case, high=True)


def rule_low(case: ReadCase) -> Finding | None:
    """LOW: usage below expected by more than the band's tolerance."""
    return _out_of_band(case, high=False)


def rule_zero(case: ReadCase) -> Finding | None:
    """ZERO: no use on an active, occupied account for `zero_periods` periods running."""
    facts, need = case.facts, case.policy.zero_periods
    if facts.read.occupancy is not Occupancy.ACTIVE or facts.usage != 0:
        return None
    run = 1
    for period in facts.recent_periods():
        if period.usage != 0:
            break
        run += 1
    if run < need:
        return None
    days = facts.read.flags.no_usage_days
    amr = f"; the endpoint reports {days} days without flow" if days else ""
    return Finding(
        "ZERO", Severity.WARNING, "zero use",
        f"No use for {run} period{'s' if run > 1 else ''} on an active account (reading "
        f"{facts.read.reading}, previous {_previous_text(facts)}){amr}; the district flags "
        f"{need} period{'s' if need > 1 else ''} of zero use.",
        case.expected.usage if case.expected else None, 0, f"{need} period(s)",
        {"zero_periods": run})


def rule_inactive(case: ReadCase) -> Finding | None:
    """INACTIVE: use on an inactive account or a vacant premise."""
    facts, allowed = case.facts, case.policy.inactive_max_units
    usage = facts.usage
    if facts.read.occupancy is Occupancy.ACTIVE or usage is None or usage <= allowed:
        return None
    where = "an inactive account" if facts.read.occupancy is Occupancy.INACTIVE \
        else "a vacant premise (no account)"
    return Finding(
        "INACTIVE", Severity.ERROR, "use while inactive",
        f"Usage {usage} on {where} (reading {facts.read.reading}, previous "
        f"{_previous_text(facts)}); the district allows {allowed} units on an inactive service.",
        allowed, usage, f"> {allowed} units", {"occupancy": facts.read.occupancy.value})


def rule_negative(case: ReadCase) -> Finding | None:
    """NEGATIVE: the reading went down: a rollover, reverse flow or a probable misread."""
    facts, policy = case.facts, case.policy
    raw, read = facts.raw_delta, facts.read
    if raw is None or raw >= 0 or read.reading is None:
        return None
    capacity = 10 ** read.dials
    wrapped = raw + capacity
    drop = -raw
    base = f"Reading {read.reading} is {drop} below the previous {_previous_text(facts)}"
    if drop > policy.reverse_flow_max_units \
            and wrapped * 100 <= policy.rollover_max_percent * capacity:
        usage = wrapped + facts.other_usage
        return Finding(
            "NEGATIVE", Severity.WARNING, "rollover",
            f"{base}: read as one rollover of the {read.dials}-dial register (usage {usage}, "
            f"within {policy.rollover_max_percent}% of its {capacity:,} capacity; at most one "
            "rollover per period).",
            case.expected.usage if case.expected else None, usage,
            f"<= {policy.rollover_max_percent}% of {capacity:,}",
            {"class": "rollover", "drop": drop, "wrapped_usage": wrapped})
    if drop <= policy.reverse_flow_max_units or read.flags.backflow:
        flag = " and the endpoint reports backflow" if read.flags.backflow else ""
        return Finding(
            "NEGATIVE", Severity.ERROR, "reverse flow",
            f"{base}{flag}: reverse flow (a drop of at most "
            f"{policy.reverse_flow_max_units} units, or a backflow flag, is not a misread).",
            None, raw, f"drop <= {policy.reverse_flow_max_units} units",
            {"class": "reverse flow", "drop": drop})
    return Finding(
        "NEGATIVE", Severity.ERROR, "probable misread",
        f"{base}: a probable misread (as a rollover it would be {wrapped:,} units, more than "
        f"{policy.rollover_max_percent}% of the {capacity:,} register; too large a drop for "
        "reverse flow).",
        case.expected.usage if case.expected else None, raw,
        f"rollover <= {policy.rollover_max_percent}%",
        {"class": "probable misread", "drop": drop, "wrapped_usage": wrapped})


def rule_stuck(case: ReadCase) -> Finding | None:
    """STUCK: the same reading for `stuck_periods` reads running on an occupied account."""
    facts, need = case.facts, case.policy.stuck_periods
    read = facts.read
    if read.reading is None or read.occupancy is not Occupancy.ACTIVE:
        return None
    own = next((c for c in read.chains if c.meter_id == read.meter_id), None)
    days = []
    for point in reversed(own.points if own else ()):
        if point.boundary or point.reading != read.reading:
            break
        days.append(point.day.isoformat())
    if len(days) + 1 < need:
        return None
    listed = ", ".join(reversed(days))
    return Finding(
        "STUCK", Severity.ERROR, "stuck meter",
        f"Reading {read.reading} is the same for {len(days) + 1} reads running ({listed} and "
        f"this read) on an active account; the district flags {need}.",
        case.expected.usage if case.expected else None, 0, f"{need} reads",
        {"same_reads": len(days) + 1})


def rule_missing(case: ReadCase) -> Finding | None:
    """MISSING: a meter of the cycle that was not read."""
    facts = case.facts
    read = facts.read
    if read.reading is not None:
        return None
    why = f"skip code {read.skip_code}" if read.skip_code else "no read in the file"
    note = f" ('{read.note}')" if read.note else ""
    run = 0
    for period in facts.recent_periods():
        if not period.estimated:
            break
        run += 1
    tail = f"; the last {run} reads were already estimates" if run else ""
    return Finding(
        "MISSING", Severity.ERROR, "not read",
        f"Meter {read.serial} was not read ({why}{note}); the last reading was "
        f"{_previous_text(facts)}{tail}.",
        case.expected.usage if case.expected else None, None, "",
        {"skip_code": read.skip_code, "estimates_before": run})


def rule_estimates(case: ReadCase) -> Finding | None:
    """ESTIMATES: more estimated reads in a row than the district allows."""
    facts, allowed = case.facts, case.policy.max_consecutive_estimates
    if not facts.read.estimated:
        return None
    run = 1
    for period in facts.recent_periods():
        if not period.estimated:
            break
        run += 1
    if run <= allowed:
        return None
    return Finding(
        "ESTIMATES", Severity.WARNING, "too many estimates",
        f"This is estimated read {run} in a row (the {run - 1} before it were estimates "
        f"too); the district allows {allowed} before a clerk must act.",
        allowed, run, f"<= {allowed} in a row", {"estimates_in_a_row": run})


def _usage_text(case: ReadCase) -> str:
    usage = case.facts.usage
    if usage is None:
        return ""
    expected = f" against the expected {case.expected.usage}" if case.expected else ""
    return f"; usage {usage}{expected}"


def rule_leak(case: ReadCase) -> Finding | None:
    """LEAK: the AMR endpoint's leak flag (Neptune E-CODER: intermittent or continuous)."""
    leak = case.facts.read.flags.leak
    if not leak:
        return None
    continuous = leak >= 2
    kind = "continuous" if continuous else "intermittent"
    return Finding(
        "LEAK", Severity.ERROR if continuous else Severity.WARNING, f"{kind} leak",
        f"The endpoint reports a {kind} leak: flow in {'every' if continuous else 'some'} "
        f"15-minute interval{'' if continuous else 's'} of the last 24 hours{_usage_text(case)}.",
        case.expected.usage if case.expected else None, case.facts.usage, f"leak flag {leak}",
        {"leak": leak})


def rule_tamper(case: ReadCase) -> Finding | None:
    """TAMPER: the endpoint's tamper flag; district practice is always a work order."""
    if not case.facts.read.flags.tamper:
        return None
    return Finding(
        "TAMPER", Severity.ERROR, "tamper",
        f"The endpoint reports tamper{_usage_text(case)}; tamper always gets a meter check "
        "work order (RULES.md §4).",
        case.expected.usage if case.expected else None, case.facts.usage, "tamper flag",
        {"tamper": 1})


def rule_backflow(case: ReadCase) -> Finding | None:
    """BACKFLOW: the endpoint's backflow flag (Neptune: minor or major reverse movement)."""
    backflow = case.facts.read.flags.backflow
    if not backflow:
        return None
    major = backflow >= 2
    kind = "major" if major else "minor"
    return Finding(
        "BACKFLOW", Severity.ERROR if major else Severity.WARNING, f"{kind} backflow",
        f"The endpoint reports {kind} backflow: the register moved backwards"
        f"{_usage_text(case)}.",
        case.expected.usage if case.expected else None, case.facts.usage,
        f"backflow flag {backflow}", {"backflow": backflow})


def rule_change_out(case: ReadCase) -> Finding | None:
    """CHANGE-OUT: a meter was changed out during the period; usage is summed over both."""
    facts = case.facts
    if not facts.changes or facts.raw_delta is None:
        return None
    change = facts.changes[0]
    new_usage = facts.raw_delta
    total = change.old_usage + new_usage
    return Finding(
        "CHANGE-OUT", Severity.WARNING, "meter changed",
        f"Meter {change.old_serial} was changed out on {change.day.isoformat()}: its final "
        f"reading {change.final_reading} adds {change.old_usage}, and new meter "
        f"{change.new_serial} from {change.initial_reading} to {facts.read.reading} adds "
        f"{new_usage}; the period's usage is {total}.",
        case.expected.usage if case.expected else None, total, "sum over both meters",
        {"old_usage": change.old_usage, "new_usage": new_usage})


@dataclass(frozen=True)
class Rule:
    """A rule as the queue, the filter and the docs name it."""

    rule_id: str
    title: str
    settings: tuple[str, ...]
    check: Callable[[ReadCase], Finding | None]


RULES: tuple[Rule, ...] = (
    Rule("MISSING", "meter not read", (), rule_missing),
    Rule("NEGATIVE", "reading went down: rollover, reverse flow or misread",
         ("read_rollover_max_percent", "read_reverse_flow_max_units"), rule_negative),
    Rule("STUCK", "same reading N reads running", ("read_stuck_periods",), rule_stuck),
    Rule("HIGH", "usage above the band", ("read_bands", "read_expected_basis",
                                          "read_expected_periods"), rule_high),
    Rule("LOW", "usage below the band", ("read_bands", "read_expected_basis",
                                         "read_expected_periods"), rule_low),
    Rule("ZERO", "no use on an occupied account", ("read_zero_periods",), rule_zero),
    Rule("INACTIVE", "use on an inactive or vacant service", ("read_inactive_max_units",),
         rule_inactive),
    Rule("ESTIMATES", "too many estimates in a row", ("read_max_consecutive_estimates",),
         rule_estimates),
    Rule("LEAK", "AMR leak flag", (), rule_leak),
    Rule("TAMPER", "AMR tamper flag", (), rule_tamper),
    Rule("BACKFLOW", "AMR backflow flag", (), rule_backflow),
    Rule("CHANGE-OUT", "meter changed out in the period", (), rule_change_out),
)
RULE_IDS = tuple(rule.rule_id for rule in RULES)
