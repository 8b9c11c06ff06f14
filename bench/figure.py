"""One measured benchmark figure, printed as one line by `make bench`."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """A rate, ratio or duration with its target: `passed` is None when there is no target."""

    name: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None

    def line(self) -> str:
        verdict = "" if self.passed is None else ("PASS" if self.passed else "FAIL")
        value = f"{self.value:,.2f}" if self.value < 100 else f"{self.value:,.0f}"
        target = f"  target {self.target}" if self.target else ""
        return f"{self.name}: {value} {self.unit}{target}  {verdict}".rstrip()
