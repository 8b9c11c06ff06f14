"""The move-in deposit rule (RULES.md §7, every value district policy): who pays, how much.

A deposit is asked of a renter (the applicant is not the owner of record) when the district
says so, and of anyone whose service was cut for nonpayment, or who left an account unpaid,
within the look-back. The amount is the larger of the minimum and a multiple of the premise's
average monthly bill over the last 12 months (CC&B's example is 2x, CVWD's 3x).
PUC §16481.6 (municipal and public utility districts) allows a residential deposit "based
solely upon the credit worthiness of the applicant": a district of that form turns the renter
rule off (deposit_for_renters = false).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import InputProblem
from core.money import Cents, format_money, round_ratio_half_up

# (setting, lowest, highest, unit) for the account settings.
ACCOUNT_RANGES: tuple[tuple[str, int, int, str], ...] = (
    ("red_flag_name_change_days", 1, 365, "days"),
    ("red_flag_shared_phone_customers", 1, 1000, "customers"),
    ("deposit_after_disconnection_months", 0, 60, "months"),
    ("deposit_minimum_cents", 0, 500_000, "cents"),
    ("deposit_average_bill_multiple", 0, 6, "times the average bill"),
)


def account_settings_problems(settings: Any, source: str) -> list[InputProblem]:
    """Problems with the account settings (Red Flag window, deposit rule), one per key."""
    problems = []
    for key, low, high, unit in ACCOUNT_RANGES:
        if not low <= getattr(settings, key) <= high:
            problems.append(InputProblem(f"must be between {low} and {high} {unit}",
                                         source=source, field=key))
    return problems


@dataclass(frozen=True)
class DepositFacts:
    """What the deposit rule looks at for one applicant and premise."""

    is_owner: bool  # the applicant is the premise's owner of record
    disconnected_recently: bool  # the clerk's answer: service cut for nonpayment lately
    unpaid_closed_accounts: tuple[str, ...]  # the customer's closed accounts still owing
    recent_bills_cents: Sequence[Cents]  # the premise's bills over the last 12 months
    months_of_bills: int  # how many months those bills cover (at least 1 when any)


@dataclass(frozen=True)
class DepositDecision:
    """Whether a deposit is required, how much, and why, in words."""

    required: bool
    amount_cents: Cents
    reasons: tuple[str, ...]
    amount_rule: str


def deposit_for(facts: DepositFacts, settings: Any) -> DepositDecision:
    """Apply the district's deposit rule to one applicant."""
    reasons = []
    if settings.deposit_for_renters and not facts.is_owner:
        reasons.append("the applicant rents (is not the owner of record)")
    months = settings.deposit_after_disconnection_months
    if facts.disconnected_recently and months:
        reasons.append(f"service was cut for nonpayment in the last {months} months")
    if facts.unpaid_closed_accounts:
        reasons.append("a closed account still owes: "
                       + ", ".join(facts.unpaid_closed_accounts))
    minimum = settings.deposit_minimum_cents
    multiple = settings.deposit_average_bill_multiple
    amount, rule = minimum, f"the minimum {format_money(minimum)}"
    if facts.recent_bills_cents and multiple:
        # Average monthly bill, rounded once half-up, then the multiple (RULES.md §7).
        average = round_ratio_half_up(sum(facts.recent_bills_cents),
                                      max(facts.months_of_bills, 1))
        if multiple * average > minimum:
            amount = multiple * average
            rule = (f"{multiple} × the premise's average monthly bill {format_money(average)} "
                    f"(its last {facts.months_of_bills} bills)")
        else:
            rule += f" ({multiple} × the average bill {format_money(average)} is less)"
    return DepositDecision(bool(reasons) and amount > 0, amount if reasons else 0,
                           tuple(reasons), rule)
