"""Why a scheduled date is what it is: the rule's steps as data, rendered to words.

An explanation is stored with every schedule date (as JSON) and rendered when shown, so the
screen, the CLI and the home agenda all say the same sentence:
"due = bill 2026-12-04 + 21 days = Fri 2026-12-25 (Christmas Day) → Mon 2026-12-28".
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from typing import Any

from core.business_days import weekday_words


class StepOp(StrEnum):
    """One move in a date rule."""

    READ_DAY = "read_day"          # the cycle's read day in the month
    FROM = "from"                  # start from another scheduled date
    PLUS_DAYS = "plus_days"
    MINUS_DAYS = "minus_days"
    PLUS_BUSINESS_DAYS = "plus_business_days"
    MINUS_BUSINESS_DAYS = "minus_business_days"
    MINUS_HOURS = "minus_hours"
    FORWARD = "forward"            # off a day off, to the next business day
    BACK = "back"                  # off a day off, to the previous business day
    AVOID_EVE = "avoid_eve"        # last business day before a closed day: to the next one
    NO_EARLIER = "no_earlier"      # a gate measured from another date moves it later
    NO_LATER = "no_later"          # a gate measured from another date moves it earlier
    PINNED = "pinned"              # kept as stored: used, overridden or already past


@dataclass(frozen=True)
class Step:
    """One move and the date it gives; `setting` and `gate` say which rule was applied."""

    op: StepOp
    on: date
    amount: int = 0
    label: str = ""       # the date it starts from or is measured from ("bill", "notice")
    base: date | None = None
    setting: str = ""     # the DistrictSettings key whose value is `amount`
    gate: str = ""        # RULES.md gate id (G1, G2, G9, G10, ...)
    reason: str = ""      # why a day was skipped, or why a date is pinned
    skipped: tuple[str, ...] = ()  # every day skipped, in words, for the detail view


@dataclass(frozen=True)
class Explanation:
    """A scheduled date and the steps that produced it."""

    label: str  # the event in a word or two: "due", "lock-off"
    steps: tuple[Step, ...] = field(default_factory=tuple)

    @property
    def on(self) -> date:
        return self.steps[-1].on

    def settings_used(self) -> dict[str, int]:
        return {s.setting: s.amount for s in self.steps if s.setting}

    def gates(self) -> list[str]:
        return list(dict.fromkeys(s.gate for s in self.steps if s.gate))

    def to_json(self) -> str:
        return json.dumps({"label": self.label, "steps": [_step_json(s) for s in self.steps]},
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Explanation:
        data = json.loads(text)
        return cls(data["label"], tuple(_step_from(s) for s in data["steps"]))


_STEP_FIELDS = tuple(f.name for f in fields(Step))


def _step_json(step: Step) -> dict[str, Any]:
    """Only the fields a step uses; dates as ISO text (asdict's deep copies cost 10x)."""
    out: dict[str, Any] = {}
    for name in _STEP_FIELDS:
        value = getattr(step, name)
        if value in (0, "", None, ()):
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    out["op"] = step.op.value
    return out


def _step_from(data: dict[str, Any]) -> Step:
    values = dict(data)
    values["op"] = StepOp(values["op"])
    values["on"] = date.fromisoformat(values["on"])
    if "base" in values:
        values["base"] = date.fromisoformat(values["base"])
    values["skipped"] = tuple(values.get("skipped", ()))
    return Step(**values)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _phrase(step: Step, first: bool) -> str:
    """One step in words; the first step of a sentence names where it starts."""
    w = weekday_words(step.on)
    base = step.base.isoformat() if step.base else ""
    gate = f" ({step.gate})" if step.gate else ""
    match step.op:
        case StepOp.READ_DAY:
            return f"read day {step.amount} of {step.on:%Y-%m} = {w}"
        case StepOp.FROM:
            return f"{step.label} {base or step.on.isoformat()}"
        case StepOp.PLUS_DAYS:
            return f" + {_plural(step.amount, 'day')}{gate} = {w}"
        case StepOp.MINUS_DAYS:
            return f" − {_plural(step.amount, 'day')}{gate} = {w}"
        case StepOp.PLUS_BUSINESS_DAYS:
            return f" + {_plural(step.amount, 'business day')}{gate} = {w}"
        case StepOp.MINUS_BUSINESS_DAYS:
            return f" − {_plural(step.amount, 'business day')}{gate} = {w}"
        case StepOp.MINUS_HOURS:
            return f" − {step.amount} hours{gate} = {w}"
        case StepOp.FORWARD:
            return f" ({step.reason}) → {w}"
        case StepOp.BACK:
            return f" ({step.reason}) → back to {w}"
        case StepOp.AVOID_EVE:
            return f"; last business day before {step.reason} → {w}"
        case StepOp.NO_EARLIER:
            return (f"; no earlier than {step.label} {base} + "
                    f"{_plural(step.amount, step.reason)}{gate} → {w}")
        case StepOp.NO_LATER:
            return (f"; no later than {step.label} {base} − "
                    f"{_plural(step.amount, step.reason)}{gate} → {w}")
        case StepOp.PINNED:
            return f"{w} ({step.reason})" if first else f"; kept {w} ({step.reason})"
    return ""  # pragma: no cover - every op is handled above


def render(explanation: Explanation) -> str:
    """The one-line explanation shown beside a date everywhere."""
    parts = [_phrase(step, first=i == 0) for i, step in enumerate(explanation.steps)]
    return f"{explanation.label} = {''.join(parts)}"


def render_details(explanation: Explanation) -> list[str]:
    """The sentence, then each day skipped and each setting used, for the explanation view."""
    lines = [render(explanation)]
    for step in explanation.steps:
        if step.skipped:
            lines.append(f"  skipped: {'; '.join(step.skipped)}")
    used = explanation.settings_used()
    if used:
        lines.append("  settings: " + ", ".join(f"{k} = {v}" for k, v in used.items()))
    return lines
