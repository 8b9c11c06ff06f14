"""Deposits (RULES.md §7): when a held deposit has earned its refund by good payment history.

Good history (Cedar Park, Bighorn-Desert View WA): the account has had service for the last
`deposit_refund_months` months, with at most `deposit_refund_max_late` late payments, no
disconnect and no returned item in that time. The sweep proposes; a supervisor approves.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.money import Cents, format_money
from core.returns import months_before


@dataclass(frozen=True)
class DepositHistory:
    """What the sweep knows about one account that holds a deposit."""

    account_id: int
    number: str
    status: str
    opened_on: date
    deposit_cents: Cents
    late_payments: int  # late fees charged in the window (a late fee marks a late payment)
    returned_items: int  # returned payments in the window
    disconnects: int  # lock-offs for non-payment recorded in the window (shutoff_log)
    refund_pending: bool = False


@dataclass(frozen=True)
class RefundVerdict:
    """Whether a deposit is proposed for refund, and every reason, in words."""

    eligible: bool
    reasons: tuple[str, ...]

    def text(self) -> str:
        return "; ".join(self.reasons)


def good_payment_verdict(history: DepositHistory, *, on: date, months: int,
                         max_late: int) -> RefundVerdict:
    """Judge one account against the good-payment rule as of `on`."""
    since = months_before(on, months)
    passed: list[str] = []
    failed: list[str] = []
    if history.deposit_cents <= 0:
        failed.append("holds no deposit")
    else:
        passed.append(f"holds {format_money(history.deposit_cents)}")
    if history.status != "active":
        failed.append(f"account is {history.status} (a closing bill applies the deposit)")
    if history.refund_pending:
        failed.append("a refund of this deposit already waits for approval")
    if history.opened_on > since:
        failed.append(f"service since {history.opened_on}: less than {months} months")
    else:
        passed.append(f"{months} months of service")
    late = f"{history.late_payments} late payment{'s' if history.late_payments != 1 else ''}"
    (failed if history.late_payments > max_late else passed).append(
        f"{late} since {since} (at most {max_late})")
    returned = f"{history.returned_items} returned item{'s' if history.returned_items != 1 else ''}"
    (failed if history.returned_items else passed).append(f"{returned} since {since}")
    if history.disconnects:
        failed.append(f"{history.disconnects} disconnect(s) since {since}")
    else:
        passed.append(f"no disconnect since {since}")
    return RefundVerdict(not failed, tuple(failed or passed))
