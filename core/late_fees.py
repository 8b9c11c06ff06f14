"""The late fee for one account on a late-fee date: the formula and exemptions in settings.

RULES.md §3.1: fee = max(flat, percent × basis), the basis being the past-due amount of bills
(never fees: no fee on a fee), rounded once, half-up; the percent is capped at 10% in
settings (Water Code §35470.5). Exempt: accounts in an active payment plan (setting
`late_fee_exempt_plans`). A household shown unable to pay (RULES.md §1.3, the §116914 test) has
the charge waived once every 12 months (RULES.md §1.6, SB 998 §116914(b)).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.lockoff_gates import add_months
from core.money import Cents, format_money, round_half_up
from core.settings import DistrictSettings


@dataclass(frozen=True)
class LateFeeDecision:
    """What happens to one account on a late-fee date, in words."""

    fee_cents: Cents          # the fee the formula gives (0 when nothing is past due)
    charge: bool              # post it
    waived: bool              # the once-in-12-months low-income waiver is used instead
    why: str


def late_fee_amount(basis_cents: Cents, settings: DistrictSettings) -> Cents:
    """max(flat, percent × basis), rounded half-up once (RULES.md §3.1)."""
    if basis_cents <= 0:
        return 0
    percent = round_half_up(Decimal(basis_cents) * Decimal(settings.late_fee_percent)
                            / Decimal(10000))
    return max(settings.late_fee_flat_cents, percent)


def decide(basis_cents: Cents, settings: DistrictSettings, *, on: date, in_plan: bool,
           low_income: bool, last_waiver: date | None) -> LateFeeDecision:
    """Charge, exempt or waive the late fee on `basis_cents` past due on `on`."""
    fee = late_fee_amount(basis_cents, settings)
    if fee == 0:
        return LateFeeDecision(0, False, False, "nothing past due on the late-fee date")
    formula = (f"max({format_money(settings.late_fee_flat_cents)}, "
               f"{settings.late_fee_percent}% of {format_money(basis_cents)})")
    if in_plan and settings.late_fee_exempt_plans:
        return LateFeeDecision(fee, False, False, f"EXEMPT: active payment plan ({formula})")
    if low_income and (last_waiver is None or add_months(last_waiver, 12) <= on):
        return LateFeeDecision(fee, False, True, "WAIVED: low-income household, once in 12 "
                               f"months (SB 998 §116914(b)); {formula}")
    return LateFeeDecision(fee, True, False, f"late fee {format_money(fee)} = {formula}")
