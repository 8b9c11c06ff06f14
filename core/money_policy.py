"""The district's money-in-and-out policy read from settings: adjustment reason codes, limits.

Every value is district policy (`cfg` in RULES.md §6–§8); this module parses and checks it.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from core.errors import InputError, InputProblem

if TYPE_CHECKING:  # settings imports this module to validate; no import cycle at run time
    from core.settings import DistrictSettings

_CODE = re.compile(r"^[A-Z][A-Z0-9-]{1,15}$")

# (key, lowest, highest, unit, why the bounds)
MONEY_RANGES: tuple[tuple[str, int, int, str], ...] = (
    ("cash_only_after_returns", 1, 10, "returns"),
    ("cash_only_months", 1, 60, "months"),
    ("leak_adjustments_per_12_months", 0, 12, "adjustments"),
    ("leak_max_periods", 1, 12, "billing periods"),
    ("leak_history_months", 0, 36, "months"),
    ("leak_normal_periods", 1, 12, "billing periods"),
    # RULES.md §6: CCP §339 (2 years) ◐ or §338(a) (3 years) ⚠ is the outer bound.
    ("backbill_lookback_months", 1, 36, "months"),
    ("meter_refund_lookback_months", 1, 36, "months"),
    ("backbill_average_periods", 1, 12, "billing periods"),
    ("deposit_refund_months", 1, 60, "months"),
    ("deposit_refund_max_late", 0, 12, "late payments"),
)


def reason_codes(text: str, *, source: str = "settings") -> dict[str, str]:
    """Parse `CODE=what it means; CODE=...` into {code: meaning}, refusing a malformed entry."""
    codes: dict[str, str] = {}
    problems: list[InputProblem] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        code, sep, meaning = part.partition("=")
        code, meaning = code.strip(), meaning.strip()
        if not sep or not meaning:
            problems.append(InputProblem(f"{part!r} must be CODE=meaning", source=source,
                                         field="adjustment_reasons"))
        elif not _CODE.match(code):
            problems.append(InputProblem(
                f"{code!r} is not a reason code (2-16 capitals, digits or hyphens, starting "
                "with a letter)", source=source, field="adjustment_reasons"))
        elif code in codes:
            problems.append(InputProblem(f"{code} is listed twice", source=source,
                                         field="adjustment_reasons"))
        else:
            codes[code] = meaning
    if not codes and not problems:
        problems.append(InputProblem("must list at least one reason code", source=source,
                                     field="adjustment_reasons"))
    if problems:
        raise InputError(problems)
    return codes


def money_policy_problems(settings: DistrictSettings, source: str) -> list[InputProblem]:
    """Every problem with the payment, deposit and adjustment settings, each naming its key."""
    problems: list[InputProblem] = []
    try:
        codes = reason_codes(settings.adjustment_reasons, source=source)
    except InputError as exc:
        problems.extend(exc.problems)
        codes = {}
    for needed in ("LEAK", "BACKBILL", "METER-FAST"):
        if codes and needed not in codes:
            problems.append(InputProblem(
                f"must keep the {needed} code: the leak and meter re-rates post with it",
                source=source, field="adjustment_reasons"))
    for key, low, high, unit in MONEY_RANGES:
        value = getattr(settings, key)
        if not low <= value <= high:
            problems.append(InputProblem(f"must be between {low} and {high} {unit}",
                                         source=source, field=key))
    if settings.approval_threshold_supervisor_cents < settings.approval_threshold_clerk_cents:
        problems.append(InputProblem("must not be below approval_threshold_clerk_cents",
                                     source=source, field="approval_threshold_supervisor_cents"))
    return problems
