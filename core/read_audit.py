"""Auditing one read: run every rule, then drop the findings a more specific one explains.

Precedence (so one cause is reported once): a missing read is only MISSING; a negative
reading makes usage unknown, so HIGH, LOW, ZERO and STUCK stay quiet; a stuck meter explains
zero and low use; zero use explains LOW.
"""
from __future__ import annotations

from core.read_bands import ReadAuditPolicy
from core.read_rules import RULES, Finding, ReadCase
from core.reads import ReadUnderAudit, expected_usage, read_facts

CHECKS = tuple(rule.check for rule in RULES)

# A rule that fired silences the rules listed against it.
SILENCES: dict[str, frozenset[str]] = {
    "MISSING": frozenset(r.rule_id for r in RULES) - {"MISSING"},
    "NEGATIVE": frozenset({"HIGH", "LOW", "ZERO", "STUCK"}),
    "STUCK": frozenset({"ZERO", "LOW"}),
    "ZERO": frozenset({"LOW"}),
}


def audit_read(read: ReadUnderAudit, policy: ReadAuditPolicy) -> list[Finding]:
    """Every finding for one read, most specific cause first, errors before warnings."""
    facts = read_facts(read)
    case = ReadCase(facts, expected_usage(facts, policy.expected_basis, policy.expected_periods),
                    policy)
    fired = []
    for check in CHECKS:
        finding = check(case)
        if finding is not None:
            fired.append(finding)
    if len(fired) < 2:
        return fired
    silenced: set[str] = set()
    for finding in fired:
        silenced |= SILENCES.get(finding.rule_id, frozenset())
    kept = [f for f in fired if f.rule_id not in silenced]
    return sorted(kept, key=lambda f: f.severity.rank)


# Rules judged from the reading's value (re-run after an edit); the rest come from AMR flags
# or the meter's record and stand however the value is corrected.
VALUE_RULES = frozenset({"MISSING", "NEGATIVE", "STUCK", "HIGH", "LOW", "ZERO", "INACTIVE",
                         "ESTIMATES", "CHANGE-OUT"})


def audit_value(read: ReadUnderAudit, policy: ReadAuditPolicy) -> list[Finding]:
    """The value rules only: what a corrected or re-read value still fails."""
    return [f for f in audit_read(read, policy) if f.rule_id in VALUE_RULES]
