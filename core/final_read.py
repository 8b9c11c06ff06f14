"""The final read at move-out, judged by the read-audit rules as an imported read is.

RULES.md §4: a failing read is held from billing until a clerk disposes of it. A closing bill
is billed at once, never passing a supervisor's billing-run approval, so an error finding
refuses the close until the reading is checked and, if it is right, a supervisor accepts it
with a reason, as a back-bill or an adjustment routes to a supervisor (RULES.md §6); it is
audited with the close. A warning goes with the close, shown beside the closing bill and
recorded in the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import InputError, InputProblem, PermissionDenied
from core.read_audit import audit_read
from core.read_bands import ReadAuditPolicy
from core.read_rules import Finding, Severity
from core.reads import ReadUnderAudit
from core.users import User, require_supervisor

ACCEPT_HINT = ('a supervisor closes with --accept-read "REASON" (the override is audited with '
               'the close)')
ACCEPT_ACTION = "accept a final read the read audit calls an error"


class FinalReadRefused(InputError):
    """The final read fails an error rule and was not accepted; nothing was written."""

    def __init__(self, reading: int, errors: tuple[Finding, ...]) -> None:
        self.reading = reading
        self.errors = errors
        failed = "; it also fails ".join(f"{f.rule_id} (error, limit {f.threshold or 'n/a'}): "
                                        f"{f.explanation.rstrip('.')}" for f in errors)
        super().__init__(InputProblem(
            f"{reading} fails {failed}; check the reading, and if it is right {ACCEPT_HINT}",
            field="final read"))


@dataclass(frozen=True)
class FinalReadAudit:
    """What the read-audit rules found on the final read, and the reason an error was accepted."""

    reading: int
    findings: tuple[Finding, ...]
    accepted_reason: str | None = None  # set only when an error finding was accepted
    accepted_by: str = ""  # the supervisor who accepted it

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    def lines(self) -> list[str]:
        """The findings as the clerk reads them beside the closing bill."""
        if not self.findings:
            return ["Read audit: the final read passes every read-audit rule."]
        out = []
        for f in self.findings:
            accepted = " — ACCEPTED" if f.severity is Severity.ERROR and self.accepted_reason \
                else ""
            out.append(f"Read audit {f.severity.value.upper()} {f.rule_id}{accepted}: "
                       f"{f.explanation}")
        if self.errors and self.accepted_reason:
            out.append(f"Read accepted by {self.accepted_by or 'a supervisor'}: "
                       f"{self.accepted_reason}")
        return out

    def as_record(self, *, errors_only: bool = False) -> list[dict[str, Any]]:
        """The findings as the audit log keeps them: rule, severity, threshold, explanation."""
        return [{"rule": f.rule_id, "severity": f.severity.value, "threshold": f.threshold,
                 "expected": f.expected, "actual": f.actual, "explanation": f.explanation}
                for f in (self.errors if errors_only else self.findings)]


def may_accept_final_read(user: User) -> None:
    """Refuse, in one sentence, accepting a final read that fails the read audit, unless the
    user is a supervisor (or admin)."""
    require_supervisor(user, ACCEPT_ACTION)


def audit_final_read(read: ReadUnderAudit, policy: ReadAuditPolicy, *,
                     accept_reason: str | None = None,
                     accepted_by: User | None = None) -> FinalReadAudit:
    """Run the read-audit rules on the final read; refuse an error finding not accepted by a
    supervisor (`accepted_by`) with a reason."""
    if read.reading is None:
        raise ValueError("a final read has a reading")
    findings = tuple(audit_read(read, policy))
    errors = tuple(f for f in findings if f.severity is Severity.ERROR)
    reason = (accept_reason or "").strip()
    if accept_reason is not None and not reason:
        raise InputError(InputProblem("say why the reading is right (the reason is audited)",
                                      field="accept read"))
    if errors and not reason:
        raise FinalReadRefused(read.reading, errors)
    if not errors:
        return FinalReadAudit(read.reading, findings)
    if accepted_by is None:
        raise PermissionDenied(f"only a supervisor can {ACCEPT_ACTION}; no one signed in "
                               "accepted it")
    may_accept_final_read(accepted_by)
    return FinalReadAudit(read.reading, findings, reason, accepted_by.login)
