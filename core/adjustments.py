"""Adjustments (RULES.md §6): reason codes, who may post what, and the approval rule.

Every adjustment carries a reason code from settings and a comment. One the clerk's role may
post (its amount at most the role's threshold) posts at once; a larger one waits in the
supervisor approval queue. Only a supervisor (or admin) within their own limit approves, and
never their own request (docs/workflows/adjustment.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.errors import InputError, InputProblem, PermissionDenied
from core.money import Cents, format_money
from core.users import SUPERVISOR_ROLES, Role, User


class RequestKind(StrEnum):
    """What a money request is; all wait in the one approval queue."""

    AMOUNT = "amount"  # a plain adjustment of an amount
    LEAK = "leak"  # leak adjustment: usage above normal re-rated at Tier 1
    BACKBILL = "backbill"  # stuck or slow meter back-bill
    METER_REFUND = "meter_refund"  # fast meter refund
    DEPOSIT_REFUND = "deposit_refund"  # a held deposit paid back (sweep or by hand)

    @property
    def words(self) -> str:
        return {"amount": "adjustment", "leak": "leak adjustment", "backbill": "back-bill",
                "meter_refund": "fast-meter refund",
                "deposit_refund": "deposit refund"}[self.value]


class RequestStatus(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    REJECTED = "rejected"


def role_limit(role: Role, *, clerk_cents: Cents, supervisor_cents: Cents) -> Cents | None:
    """The largest amount a role posts without approval; None means no limit (admin)."""
    if role is Role.ADMIN:
        return None
    if role is Role.SUPERVISOR:
        return supervisor_cents
    return clerk_cents  # clerks and trainers


def needs_approval(user: User, amount_cents: Cents, *, clerk_cents: Cents,
                   supervisor_cents: Cents) -> bool:
    """True when the amount (either sign) is above the user's role threshold."""
    limit = role_limit(user.role, clerk_cents=clerk_cents, supervisor_cents=supervisor_cents)
    return limit is not None and abs(amount_cents) > limit


def check_approver(approver: User, *, requested_by: str, amount_cents: Cents,
                   clerk_cents: Cents, supervisor_cents: Cents) -> None:
    """Refuse, in one sentence, an approval by anyone who may not give it."""
    if approver.role not in SUPERVISOR_ROLES:
        raise PermissionDenied(f"only a supervisor can approve; {approver.login} is a "
                               f"{approver.role.value}")
    if approver.login == requested_by:
        raise PermissionDenied(f"{approver.login} asked for this; another supervisor must "
                               "approve it")
    limit = role_limit(approver.role, clerk_cents=clerk_cents, supervisor_cents=supervisor_cents)
    if limit is not None and abs(amount_cents) > limit:
        raise PermissionDenied(
            f"{format_money(abs(amount_cents))} is above the {approver.role.value} limit of "
            f"{format_money(limit)} (approval_threshold_supervisor_cents); an admin must "
            "approve it")


def check_reason(code: str, codes: dict[str, str]) -> str:
    """The reason code, upper-cased, if the district's settings list it."""
    found = code.strip().upper()
    if found not in codes:
        raise InputError(InputProblem(
            f"{code.strip()!r} is not a reason code ({', '.join(codes)}; settings "
            "adjustment_reasons)", field="reason"))
    return found


def check_comment(comment: str) -> str:
    text = " ".join(comment.split())
    if len(text) < 3:
        raise InputError(InputProblem("a comment saying why is required", field="comment"))
    return text


@dataclass(frozen=True)
class PreviewLine:
    """One line of a preview: what, and the cents it moves (None for a line of words)."""

    text: str
    cents: Cents | None = None


@dataclass(frozen=True)
class AdjustmentPreview:
    """The ledger effect of an adjustment before it posts, and whether it must wait."""

    account_number: str
    kind: RequestKind
    reason_code: str
    amount_cents: Cents  # + charge to the customer, - credit to the customer
    balance_before_cents: Cents
    needs_approval: bool
    lines: tuple[PreviewLine, ...] = ()

    @property
    def balance_after_cents(self) -> Cents:
        return self.balance_before_cents + self.amount_cents

    def summary(self) -> str:
        from core.money import format_credit

        what = "charge" if self.amount_cents > 0 else "credit"
        outcome = ("WAITS for a supervisor's approval" if self.needs_approval
                   else "posts now")
        return (f"{self.kind.words.capitalize()} {self.reason_code} on {self.account_number}: "
                f"{what} {format_money(abs(self.amount_cents))}; balance "
                f"{format_credit(self.balance_before_cents)} → "
                f"{format_credit(self.balance_after_cents)}; {outcome}")
