"""The district's settings: one validated model, with statutory floors enforced.

`cfg` values in RULES.md are policy and live here; `floor` values are statutory limits the
district may make stricter but never weaker, so a weaker value is refused with its source.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from core.errors import InputError, InputProblem


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
    # Returned check fee, Civil Code §1719(a)(1): <= $25 first, <= $35 each later one.
    returned_check_fee_first_cents: int = 2500
    returned_check_fee_later_cents: int = 3500
    cash_only_after_returns: int = 2
    # SB 998 §116908(a)(1)(A): >= 60 days delinquent; notice >= 7 business days before.
    lockoff_min_days_delinquent: int = 60
    lockoff_notice_business_days: int = 7
    door_hanger_lead_hours: int = 48
    lockoff_min_past_due_cents: int = 5000
    crew_capacity_per_day: int = 40
    # Adjustments above these amounts wait for a supervisor (RULES.md §6).
    approval_threshold_clerk_cents: int = 10000
    approval_threshold_supervisor_cents: int = 500000
    holidays_added: tuple[str, ...] = field(default_factory=tuple)
    holidays_removed: tuple[str, ...] = field(default_factory=tuple)


# Statutory floors: (key, bound kind, bound, source).
FLOORS: tuple[tuple[str, str, int, str], ...] = (
    ("returned_check_fee_first_cents", "max", 2500, "Civil Code §1719(a)(1)"),
    ("returned_check_fee_later_cents", "max", 3500, "Civil Code §1719(a)(1)"),
    ("lockoff_min_days_delinquent", "min", 60, "SB 998, HSC §116908(a)(1)(A)"),
    ("lockoff_notice_business_days", "min", 7, "SB 998, HSC §116908(a)(1)(A)"),
)

_PERCENT_CAP = 10  # WC §35470.5: penalty <= 10% (district legal form to be confirmed, RULES.md §3.1)


def _is_iso_date(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def setting_names() -> list[str]:
    return [f.name for f in fields(DistrictSettings)]


def settings_from_mapping(values: Mapping[str, Any], *, source: str = "settings") -> DistrictSettings:
    """Build validated settings from stored values; every problem names the key."""
    defaults = DistrictSettings()
    known = {f.name: f for f in fields(DistrictSettings)}
    problems: list[InputProblem] = []
    kwargs: dict[str, Any] = {}
    for key, raw in values.items():
        if key not in known:
            problems.append(InputProblem("is not a setting Meterline knows", source=source, field=key))
            continue
        expected = getattr(defaults, key)
        if isinstance(expected, (bool, int)):
            if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
                problems.append(InputProblem(f"must be a whole number >= 0, not {raw!r}",
                                             source=source, field=key))
                continue
        elif isinstance(expected, tuple):
            if not isinstance(raw, (list, tuple)) or not all(_is_iso_date(v) for v in raw):
                problems.append(InputProblem("must be a list of dates as \"YYYY-MM-DD\"",
                                             source=source, field=key))
                continue
            raw = tuple(raw)
        elif isinstance(expected, str):
            if not isinstance(raw, str) or not raw.strip():
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
