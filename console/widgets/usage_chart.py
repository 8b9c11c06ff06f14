"""A 13-period usage bar chart in plain text: bars, each period's number, its month.

Readable without colour: estimated periods are drawn shaded (▒) and say so in the legend,
unknown usage (a negative or missing read) is a "?", and every bar carries its number.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from textual.widgets import Static

EIGHTHS = " ▁▂▃▄▅▆▇█"
BAR_WIDTH = 4


@dataclass(frozen=True)
class UsageBar:
    """One period: when it ended, its usage (None: unknown) and whether it was estimated."""

    end: date
    usage: int | None
    estimated: bool = False


def _compact(value: int | None) -> str:
    if value is None:
        return "?"
    if value < 10_000:
        return str(value)
    if value < 1_000_000:
        return f"{value // 1000}k"
    return f"{value // 1_000_000}M"


def render_usage_chart(bars: Sequence[UsageBar], *, height: int = 4, unit: str = "HCF",
                       current: str = "this read") -> list[str]:
    """The chart's lines: `height` rows of bars, a row of numbers, a row of months, a legend."""
    if not bars:
        return ["No usage history on record for this meter's premise."]
    top = max([b.usage for b in bars if b.usage is not None] + [1])
    rows = []
    for level in range(height, 0, -1):
        cells = []
        for bar in bars:
            if bar.usage is None:
                cells.append(("?" if level == 1 else " ").center(BAR_WIDTH))
                continue
            eighths = round(bar.usage * height * 8 / top)
            filled = eighths - (level - 1) * 8
            if filled <= 0:
                char = " "
            elif bar.estimated:
                char = "▒"
            else:
                char = EIGHTHS[min(filled, 8)]
            cells.append(" " + char * (BAR_WIDTH - 2) + " ")
        axis = f"{top:>6} ┤" if level == height else "       │"
        rows.append(axis + " ".join(cells))
    rows.append("       │" + " ".join(_compact(b.usage).rjust(BAR_WIDTH) for b in bars))
    rows.append("        " + " ".join(f"{b.end:%b}".rjust(BAR_WIDTH) for b in bars))
    shaded = " · ▒ estimated" if any(b.estimated for b in bars) else ""
    unknown = " · ? not known" if any(b.usage is None for b in bars) else ""
    rows.append(f"{unit} per period; last bar: {current}{shaded}{unknown}")
    return rows


class UsageChart(Static):
    """The chart as a widget: call `show(bars)`; plain text, never markup."""

    DEFAULT_CSS = "UsageChart { height: auto; }"

    def __init__(self, *, unit: str = "HCF", id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.unit = unit

    def show(self, bars: Sequence[UsageBar], *, current: str = "this read",
             unit: str | None = None) -> None:
        self.update("\n".join(render_usage_chart(bars, unit=unit or self.unit,
                                                  current=current)))
