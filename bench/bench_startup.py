"""Foundation figure: the console's cold start to first paint, as a ratio to a minimal app."""
from __future__ import annotations

from pathlib import Path

from bench.figure import Figure
from bench.startup_probe import measure_cold_start

TARGET_RATIO = 1.5


def run(db_path: Path) -> list[Figure]:
    console, minimal, ratio = measure_cold_start(db_path, runs=7)
    return [
        Figure("console cold start to first paint (100k district)", console * 1000, "ms"),
        Figure("minimal Textual app cold start, same run", minimal * 1000, "ms"),
        Figure("cold start ratio console / minimal app", ratio, "x",
               f"<= {TARGET_RATIO}", ratio <= TARGET_RATIO),
    ]
