"""The district's settings: one validated model, with statutory floors enforced.

`cfg` values in RULES.md are policy and live here; `floor` values are statutory limits the
district may make stricter but never weaker, so a weaker value is refused with its source.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import PurePath
from typing import Any

from core.errors import InputError, InputProblem
from core.money_policy import money_policy_problems
from core.move_in_deposit import account_settings_problems
from core.read_bands import read_audit_problems


@dataclass(frozen=True)
class DistrictSettings:
    """Every district policy value Meterline reads; stored as key/value rows in `settings`."""

    district_name: str = "Water District"
    district_short: str = "WD"
    office_phone: str = "(760) 555-0142"
    timezone: str = "America/Los_Angeles"
    # Billing calendar (calendar issue): bill date + due_days calendar days.
    due_days: int = 21
    late_fee_grace_days: int = 10
    # Late fee = max(flat, percent of past-due amount); WC §35470.5 caps the penalty at 10%.
    late_fee_flat_cents: int = 1000
    late_fee_percent: str = "10"
    # RULES.md §3.1: whether accounts in an active payment plan are charged late fees.
    late_fee_exempt_plans: bool = True
    # Returned check fee, Civil Code §1719(a)(1): <= $25 first, <= $35 each later one.
    returned_check_fee_first_cents: int = 2500
    returned_check_fee_later_cents: int = 3500
    cash_only_after_returns: int = 2
    # RULES.md §8: cash only after the Nth return within this many months, and for as long.
    cash_only_months: int = 12
    # SB 998 §116908(a)(1)(A): >= 60 days delinquent; notice >= 7 business days before.
    lockoff_min_days_delinquent: int = 60
    lockoff_notice_business_days: int = 7
    door_hanger_lead_hours: int = 48
    lockoff_min_past_due_cents: int = 5000
    # Reconnection fee (RULES.md §3.3, cfg) and the low-income caps of SB 998 §116914(a)
    # (RULES.md §1.6): $50 in operating hours, $150 after hours, base amounts, CPI-adjusted
    # yearly from 2021 (current amounts not found: the district sets them here).
    reconnect_fee_cents: int = 5000
    reconnect_after_hours_fee_cents: int = 15000
    reconnect_low_income_cap_cents: int = 5000
    reconnect_low_income_after_hours_cap_cents: int = 15000
    crew_capacity_per_day: int = 40
    # After lock-off (issue 8 item 5; core/collections.py). RULES.md cites no statute for these
    # steps, so each is district policy (`cfg`); write-offs wait for a supervisor (RULES.md §6).
    collections_final_notice_days: int = 10     # days still off before the final notice
    collections_lien_days: int = 60             # days still off before a lien candidate
    collections_lien_min_cents: int = 10000     # smallest balance worth a lien
    collections_agency_days: int = 90           # days still off before the agency export
    collections_agency_min_cents: int = 2500    # smallest balance the agency takes
    collections_write_off_days: int = 180       # days still off before a write-off proposal
    # Billing calendar (RULES.md §1.2, §2, §10); each date's rule is in core/schedule.py.
    read_window_business_days: int = 3
    bill_lag_days: int = 1
    reminder_days_after_due: int = 5
    # Gov. Code §60373(a) (RULES.md G9): the notice is mailed >= 10 days before the lock-off.
    lockoff_notice_min_days: int = 10
    # No lock-off on the last business day before the office is closed (a weekend, holiday or
    # closure), so a reconnection can happen the same or the next day.
    lockoff_skip_day_before_closure: bool = True
    # Commercial service (RULES.md §2): SB 998 does not apply, Gov. Code §60374 (G10) does.
    commercial_lockoff_days_after_due: int = 30
    commercial_notice_business_days: int = 5
    # Adjustments above these amounts wait for a supervisor (RULES.md §6).
    approval_threshold_clerk_cents: int = 10000
    approval_threshold_supervisor_cents: int = 500000
    # Adjustment reason codes, "CODE=meaning; ..." (RULES.md §6: every adjustment has one).
    adjustment_reasons: str = (
        "BILL-ERR=Billing error corrected; LEAK=Leak adjustment; BACKBILL=Stuck or slow meter "
        "back-bill; METER-FAST=Fast meter refund; FEE-WAIVE=Fee waived; CUST-SVC=Customer "
        "service credit; TRANSFER=Balance transfer correction")
    # Leak adjustment (RULES.md §6, FPUD): <= 1 per 12 months, <= 3 periods of credit, a year
    # of history; usage above the average of the previous 3 periods (Wilson Co.) at Tier 1.
    leak_adjustments_per_12_months: int = 1
    leak_max_periods: int = 3
    leak_history_months: int = 12
    leak_normal_periods: int = 3
    # Stuck or slow meter back-bill and fast-meter refund look-backs (RULES.md §6, CVWD
    # §3.05.290: 12 months both ways); a dead meter is estimated from the prior 6 periods.
    backbill_lookback_months: int = 12
    meter_refund_lookback_months: int = 12
    backbill_average_periods: int = 6
    # Good-payment deposit refund (RULES.md §7, Cedar Park): after 12 months with <= 1 late
    # payment, no disconnect and no returned item.
    deposit_refund_months: int = 12
    deposit_refund_max_late: int = 1
    # Rates (RULES.md §5): the folder of the board's adopted rate files (docs/rates.md). Not
    # set, Meterline prices with the demo district's rates (fixtures/rates) and says so.
    rates_folder: str = ""
    # Read audit (RULES.md §4): every threshold is district policy (`cfg`).
    # Reads are accepted this many days before the calendar's read start and after its read
    # end (readers start early; AMR uploads arrive late).
    read_window_days_before: int = 5
    read_window_days_after: int = 7
    # Expected usage: "last3" = average of the last 3 actual periods (MuniNow), or
    # "last_year" = the same period last year (CVWD §3.05.150(A)), per day of the period.
    read_expected_basis: str = "last3"
    read_expected_periods: int = 3
    # Tolerance bands by expected usage (SAP IMG _ISUDMMR_000010 example, RULES.md §4 table).
    read_bands: str = "0: warning +70/-40; 100: warning +60/-30, error +65/-35; 1000: error +50/-20"
    read_zero_periods: int = 1  # zero use this many periods in a row on an occupied account
    read_inactive_max_units: int = 0  # usage above this on an inactive or vacant service
    read_stuck_periods: int = 3  # the same reading N periods running (Caselle: current + 2)
    # Negative use is a rollover only if the wrapped usage is <= this % of the register (Oracle).
    read_rollover_max_percent: int = 10
    read_reverse_flow_max_units: int = 5  # a drop this small is reverse flow, not a misread
    read_max_consecutive_estimates: int = 3  # no number in the sources: district policy
    read_unit: str = "CCF"  # the register unit on route files: GAL, CF, CCF (= HCF) or KGAL
    # Accounts (RULES.md §11, Red Flags Rule 16 CFR 681; all `cfg`). A name change this many
    # days after a mailing-address change is an alert (flag #19 adapted); a phone already on
    # this many other customers is one; tax IDs are stored as sha256("salt:digits").
    red_flag_name_change_days: int = 60
    red_flag_shared_phone_customers: int = 1
    tax_id_salt: str = "HMWD-demo"  # the demo district's; a district sets its own at go-live
    # Move-in deposit (RULES.md §7, `cfg`; core/move_in_deposit.py): renters, a cut-off for
    # nonpayment
    # in the look-back (CVWD: 12 months), amount max(minimum, multiple × average monthly bill).
    deposit_for_renters: bool = True
    deposit_after_disconnection_months: int = 12
    deposit_minimum_cents: int = 10000
    deposit_average_bill_multiple: int = 2


# Statutory floors: (key, bound kind, bound, source).
FLOORS: tuple[tuple[str, str, int, str], ...] = (
    ("returned_check_fee_first_cents", "max", 2500, "Civil Code §1719(a)(1)"),
    ("returned_check_fee_later_cents", "max", 3500, "Civil Code §1719(a)(1)"),
    ("lockoff_min_days_delinquent", "min", 60, "SB 998, HSC §116908(a)(1)(A)"),
    ("lockoff_notice_business_days", "min", 7, "SB 998, HSC §116908(a)(1)(A)"),
    ("lockoff_notice_min_days", "min", 10, "Gov. Code §60373(a)"),
)

# Billing calendar ranges: (key, lowest, highest, unit).
_CALENDAR_RANGES: tuple[tuple[str, int, int, str], ...] = (
    ("read_window_business_days", 1, 10, "business days"),
    ("bill_lag_days", 0, 15, "days"),
    ("reminder_days_after_due", 1, 30, "days"),
    ("late_fee_grace_days", 1, 60, "days"),
    ("door_hanger_lead_hours", 24, 120, "hours"),
    ("lockoff_min_days_delinquent", 60, 180, "days"),
    ("lockoff_notice_business_days", 7, 30, "business days"),
    ("lockoff_notice_min_days", 10, 45, "days"),
    ("commercial_lockoff_days_after_due", 20, 120, "days"),
    ("commercial_notice_business_days", 1, 15, "business days"),
    ("crew_capacity_per_day", 1, 10000, "lock-offs"),
    ("collections_final_notice_days", 1, 365, "days"),
    ("collections_lien_days", 1, 730, "days"),
    ("collections_agency_days", 1, 730, "days"),
    ("collections_write_off_days", 30, 1825, "days"),
)

# WC §35470.5: penalty <= 10% (the district's legal form is to be confirmed, RULES.md §3.1)
_PERCENT_CAP = 10


def setting_names() -> list[str]:
    return [f.name for f in fields(DistrictSettings)]


def settings_from_mapping(values: Mapping[str, Any], *,
                          source: str = "settings") -> DistrictSettings:
    """Build validated settings from stored values; every problem names the key."""
    defaults = DistrictSettings()
    known = {f.name: f for f in fields(DistrictSettings)}
    problems: list[InputProblem] = []
    kwargs: dict[str, Any] = {}
    for key, raw in values.items():
        if key not in known:
            problems.append(InputProblem("is not a setting Meterline knows", source=source,
                                         field=key))
            continue
        expected = getattr(defaults, key)
        if isinstance(expected, bool):
            if not isinstance(raw, bool):
                problems.append(InputProblem(f"must be true or false, not {raw!r}",
                                             source=source, field=key))
                continue
        elif isinstance(expected, int):
            if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
                problems.append(InputProblem(f"must be a whole number >= 0, not {raw!r}",
                                             source=source, field=key))
                continue
        elif isinstance(expected, str) and (
                # rates_folder may be empty: not set means the demo district's bundled rates.
                not isinstance(raw, str) or (not raw.strip() and key != "rates_folder")):
            problems.append(InputProblem("must be non-empty text", source=source, field=key))
            continue
        kwargs[key] = raw
    settings = DistrictSettings(**kwargs)
    for key, kind, bound, law in FLOORS:
        value = getattr(settings, key)
        if kind == "max" and value > bound:
            problems.append(InputProblem(f"{value} exceeds the legal cap {bound} ({law})",
                                         source=source, field=key))
        if kind == "min" and value < bound:
            problems.append(InputProblem(f"{value} is below the legal minimum {bound} ({law})",
                                         source=source, field=key))
    try:
        percent = float(settings.late_fee_percent)
        if not 0 <= percent <= _PERCENT_CAP:
            problems.append(InputProblem(
                f"{settings.late_fee_percent}% exceeds the 10% cap (Water Code §35470.5)",
                source=source, field="late_fee_percent"))
    except ValueError:
        problems.append(InputProblem("must be a number such as 10 or 7.5", source=source,
                                     field="late_fee_percent"))
    if not 1 <= settings.due_days <= 90:
        problems.append(InputProblem("must be between 1 and 90 days", source=source,
                                     field="due_days"))
    if settings.rates_folder and not PurePath(settings.rates_folder).is_absolute():
        problems.append(InputProblem("must be an absolute folder path, such as "
                                     "/srv/meterline/rates", source=source,
                                     field="rates_folder"))
    problems.extend(read_audit_problems(settings, source))
    problems.extend(account_settings_problems(settings, source))
    problems.extend(money_policy_problems(settings, source))
    for key, low, high, unit in _CALENDAR_RANGES:
        named = any(p.field == key for p in problems)  # one problem per key: the floor's
        if not named and not low <= getattr(settings, key) <= high:
            problems.append(InputProblem(f"must be between {low} and {high} {unit}",
                                         source=source, field=key))
    # The commercial notice must still fall after the due date (core/schedule_gates.py ORDER).
    if (settings.commercial_lockoff_days_after_due
            < 2 * settings.commercial_notice_business_days + 10):
        problems.append(InputProblem(
            "must be at least 2 × commercial_notice_business_days + 10 days, so the notice "
            "comes after the due date", source=source, field="commercial_lockoff_days_after_due"))
    # After lock-off the steps follow each other: final notice, then agency, then write-off.
    if not (settings.collections_final_notice_days <= settings.collections_agency_days
            <= settings.collections_write_off_days):
        problems.append(InputProblem(
            "must come after collections_final_notice_days and before "
            "collections_write_off_days", source=source, field="collections_agency_days"))
    if problems:
        raise InputError(problems)
    return settings


def settings_to_mapping(settings: DistrictSettings) -> dict[str, Any]:
    """The stored form: one value per key, tuples as lists."""
    out: dict[str, Any] = {}
    for f in fields(DistrictSettings):
        value = getattr(settings, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out
