"""Benchmarks: `python -m bench --db PATH` runs every bench/bench_*.py and prints its figures.

Each module exposes `run(db_path: Path) -> list[Figure]` (bench.figure); speed claims live
here as rates and ratios, not in timed unit tests (STYLE.md).
"""
