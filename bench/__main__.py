"""`python -m bench --db PATH [--fresh] [--accounts N]`: one line per figure of every benchmark.

The demo district at PATH is built first when it is missing (or with --fresh); the other
benchmarks then run against it. The exit status is 1 when any figure misses its target.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

import bench
from bench import bench_demo
from bench.figure import Figure


def benchmark_modules() -> list[ModuleType]:
    """bench/bench_*.py, in name order."""
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__)
                   if m.name.startswith("bench_"))
    return [importlib.import_module(f"bench.{name}") for name in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("bench/.cache/district-100k.db"),
                        help="the cached demo district (built when missing)")
    parser.add_argument("--fresh", action="store_true",
                        help="rebuild the demo district even when it is cached")
    parser.add_argument("--accounts", type=int, default=bench_demo.BENCH_ACCOUNTS,
                        help="accounts in the demo district when it is built")
    args = parser.parse_args(argv)
    bench_demo.prepare(args.db, fresh=args.fresh, accounts=args.accounts)
    failed = False
    for module in benchmark_modules():
        figures: list[Figure] = module.run(args.db)
        for figure in figures:
            print(figure.line(), flush=True)
            failed = failed or figure.passed is False
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
