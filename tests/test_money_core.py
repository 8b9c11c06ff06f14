"""Core rules of money in and out: payments, batches, returns, deposits, approvals, re-rates."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.adjustments import check_approver, needs_approval, role_limit
from core.deposit_refunds import DepositHistory, good_payment_verdict
from core.errors import InputError, PermissionDenied
from core.money_policy import reason_codes
from core.payments import BatchTotals, PaymentMethod, parse_payment_line
from core.rerate import EstimateMethod, UsagePeriod, leak_adjustment, meter_rebill
from core.returns import decide_return, months_before, return_reason
from core.settings import DistrictSettings, settings_from_mapping
from core.users import Role, User

LIMITS = {"clerk_cents": 10_000, "supervisor_cents": 500_000}


# --- keyed payments and batches --------------------------------------------------------------
def test_a_keyed_check_is_parsed_and_keyed_by_account_and_number() -> None:
    line = parse_payment_line(" 100-0001 ", "$1,234.50", "k", "#0001234")
    assert (line.account_number, line.amount_cents, line.method, line.check_number) == (
        "100-0001", 123450, PaymentMethod.CHECK, "1234")
    assert line.duplicate_key() == ("100-0001", "1234") and line.reference == "CHECK #1234"


@pytest.mark.parametrize(("amount", "method", "check", "field", "words"), [
    ("12.3x", "check", "1", "amount", "not an amount"),
    ("-5.00", "check", "1", "amount", "more than $0.00"),
    ("0", "cash", "", "amount", "more than $0.00"),
    ("12.345", "cash", "", "amount", "more than two decimals"),
    ("10", "check", "", "check_number", "needs its check number"),
    ("10", "card", "55", "check_number", "has no check number"),
    ("10", "barter", "", "method", "not a payment method"),
])
def test_bad_keyed_payments_name_the_field(amount: str, method: str, check: str, field: str,
                                           words: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_payment_line("100-0001", amount, method, check)
    assert any(p.field == field and words in p.message for p in caught.value.problems)


def test_batch_totals_say_short_over_or_balanced_in_words() -> None:
    assert BatchTotals(10000, 7500, 2).status() == "SHORT $25.00"
    assert BatchTotals(10000, 12500, 3).status() == "OVER $25.00"
    assert BatchTotals(10000, 10000, 3).balanced
    with pytest.raises(InputError, match="does not balance"):
        BatchTotals(10000, 7500, 2).refuse_close_unless_balanced(7)


# --- returned checks -------------------------------------------------------------------------
def _decide(code: str, earlier: list[date], fees: int) -> object:
    return decide_return(return_reason(code), returned_on=date(2026, 11, 20),
                         earlier_returns=earlier, earlier_fees=fees, fee_first_cents=2500,
                         fee_later_cents=3500, cash_only_after=2, cash_only_months=12)


def test_first_return_is_25_later_ones_35_and_the_second_in_12_months_is_cash_only() -> None:
    first = _decide("NSF", [], 0)
    assert first.fee_cents == 2500 and first.cash_only_until is None  # type: ignore[attr-defined]
    second = _decide("NSF", [date(2026, 3, 1)], 1)
    assert second.fee_cents == 3500  # type: ignore[attr-defined]
    assert second.cash_only_until == date(2027, 11, 20)  # type: ignore[attr-defined]
    old = _decide("NSF", [date(2025, 6, 1)], 1)  # outside 12 months: no CASH ONLY yet
    assert old.fee_cents == 3500 and old.cash_only_until is None  # type: ignore[attr-defined]
    ach = _decide("R03", [date(2026, 3, 1)], 1)
    assert ach.fee_cents == 0 and ach.cash_only_until is None  # type: ignore[attr-defined]


def test_civil_code_1719_caps_refuse_a_higher_fee() -> None:
    with pytest.raises(InputError, match="Civil Code §1719"):
        settings_from_mapping({"returned_check_fee_first_cents": 3000})
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)


# --- deposits --------------------------------------------------------------------------------
def _history(**changes: object) -> DepositHistory:
    values: dict[str, object] = dict(account_id=1, number="100-0001", status="active",
                                     opened_on=date(2024, 1, 1), deposit_cents=10000,
                                     late_payments=1, returned_items=0, disconnects=0)
    values.update(changes)
    return DepositHistory(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "eligible", "words"), [
    ({}, True, "12 months of service"),
    ({"late_payments": 2}, False, "2 late payments"),
    ({"returned_items": 1}, False, "1 returned item"),
    ({"disconnects": 1}, False, "disconnect"),
    ({"opened_on": date(2026, 1, 1)}, False, "less than 12 months"),
    ({"status": "closed"}, False, "closed"),
    ({"refund_pending": True}, False, "already waits"),
    ({"disconnects": 0}, True, "no disconnect since 2025-11-20"),
])
def test_good_payment_rule(changes: dict[str, object], eligible: bool, words: str) -> None:
    verdict = good_payment_verdict(_history(**changes), on=date(2026, 11, 20), months=12,
                                   max_late=1)
    assert verdict.eligible is eligible and words in verdict.text()


# --- approvals -------------------------------------------------------------------------------
def test_clerk_above_threshold_needs_approval_and_admin_never_does() -> None:
    assert not needs_approval(User("c", Role.CLERK), -10_000, **LIMITS)
    assert needs_approval(User("c", Role.CLERK), -10_001, **LIMITS)
    assert not needs_approval(User("s", Role.SUPERVISOR), 500_000, **LIMITS)
    assert not needs_approval(User("a", Role.ADMIN), 9_999_999, **LIMITS)
    assert role_limit(Role.TRAINER, **LIMITS) == 10_000


def test_a_clerk_cannot_approve_a_supervisor_can_but_not_their_own_or_above_limit() -> None:
    with pytest.raises(PermissionDenied, match="only a supervisor can approve"):
        check_approver(User("c", Role.CLERK), requested_by="x", amount_cents=-50_000, **LIMITS)
    check_approver(User("s", Role.SUPERVISOR), requested_by="c", amount_cents=-50_000, **LIMITS)
    with pytest.raises(PermissionDenied, match="another supervisor"):
        check_approver(User("s", Role.SUPERVISOR), requested_by="s", amount_cents=-5, **LIMITS)
    with pytest.raises(PermissionDenied, match="an admin must"):
        check_approver(User("s", Role.SUPERVISOR), requested_by="c", amount_cents=600_000,
                       **LIMITS)


def test_reason_codes_come_from_settings_and_refuse_bad_text() -> None:
    codes = reason_codes(DistrictSettings().adjustment_reasons)
    assert {"LEAK", "BACKBILL", "METER-FAST", "BILL-ERR"} <= set(codes)
    with pytest.raises(InputError, match="must keep the LEAK code"):
        settings_from_mapping({"adjustment_reasons": "BILL-ERR=Billing error"})
    with pytest.raises(InputError, match="is not a reason code"):
        reason_codes("bad code=meaning")


# --- re-rates --------------------------------------------------------------------------------
def _periods(usages: list[int]) -> list[UsagePeriod]:
    out, start = [], date(2025, 1, 1)
    for usage in usages:
        end = months_before(start, -1)
        out.append(UsagePeriod(start, end, usage))
        start = end
    return out


def tiered(start: date, end: date, usage: int) -> int:
    """Fixed $20.75 + 4 HCF at $3.65 + the rest at $6.17 (Hi-Desert, RULES.md §5.3)."""
    return 2075 + min(usage, 4) * 365 + max(usage - 4, 0) * 617


LEAK = dict(today=date(2026, 11, 20), price=tiered, tier1_rate=lambda _d: Decimal("3.65"),
            service_since=date(2024, 1, 1), earlier_leaks=[], per_12_months=1, max_periods=3,
            history_months=12, normal_periods=3)


def test_leak_credit_is_the_excess_re_priced_at_tier_1() -> None:
    periods = _periods([8] * 20 + [40, 8])  # the leak is in period 21 (2026-09-01..10-01)
    result = leak_adjustment(periods, leak_from=date(2026, 9, 15), leak_to=date(2026, 10, 15),
                             **LEAK)  # type: ignore[arg-type]
    normal = 8  # 3 periods of 8 HCF, scaled by days
    excess = 40 - normal
    assert result.amount_cents == -(tiered(periods[20].start, periods[20].end, 40)
                                    - tiered(periods[20].start, periods[20].end, normal)
                                    - excess * 365)


def test_leak_policy_limits_refuse_with_reasons() -> None:
    periods = _periods([8] * 20 + [40, 40, 40, 40])
    with pytest.raises(InputError) as caught:
        leak_adjustment(periods, leak_from=date(2026, 8, 15), leak_to=date(2026, 12, 31),
                        **{**LEAK, "earlier_leaks": [date(2026, 2, 1)],  # type: ignore[arg-type]
                           "service_since": date(2026, 1, 1)})
    text = str(caught.value)
    assert "at most 3" in text and "policy allows 1 in 12 months" in text
    assert "leak_history_months" in text


def test_slow_meter_back_bill_is_capped_by_the_look_back() -> None:
    periods = _periods([10] * 23)  # to 2026-12-01
    result = meter_rebill(periods, method=EstimateMethod.PERCENT_SLOW, since=date(2025, 1, 1),
                          until=date(2026, 11, 20), today=date(2026, 11, 20), price=tiered,
                          lookback_months=6, average_periods=6, percent=Decimal("10"))
    billed = [line for line in result.lines if line.cents is not None]
    assert len(billed) == 6 and "outside the 6-month look-back" in result.lines[1].text
    assert result.amount_cents == 6 * (tiered(date.min, date.min, 11) - tiered(date.min,
                                                                             date.min, 10))


def test_stuck_meter_is_estimated_from_the_periods_before() -> None:
    periods = _periods([9] * 12 + [0, 0, 0])
    result = meter_rebill(periods, method=EstimateMethod.PRIOR_AVERAGE, since=date(2026, 1, 1),
                          until=date(2026, 4, 1), today=date(2026, 4, 20), price=tiered,
                          lookback_months=12, average_periods=6)
    assert result.amount_cents > 0 and "average of the periods before" in result.lines[0].text
    with pytest.raises(InputError, match="nothing to refund"):
        meter_rebill(periods, method=EstimateMethod.PERCENT_FAST, since=date(2026, 1, 1),
                     until=date(2026, 4, 1), today=date(2026, 4, 20), price=tiered,
                     lookback_months=12, average_periods=6, percent=Decimal("2"))
