"""Rate engine speed: 100,000 synthetic services priced, beside plain SQL doing the same tiers.

The billing run prices every account of a cycle with one RateEngine; this measures that part
alone (bills/s), for an ordinary cycle and for a cycle that crosses a rate change (every bill
split in two), with the demo district's rate files. The ratio compares the engine with a
plain-SQL computation of the same fixed-charge and cumulative-tier arithmetic over the same
services, in the same run; both must reach the same total to the cent.
"""
from __future__ import annotations

import random
import sqlite3
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from bench.figure import Figure
from core.bill_lines import Period, Service
from core.rate_book import book_from_schedules, load_rate_folder
from core.rate_engine import RateEngine
from core.rate_file import parse_schedule

SERVICES = 100_000
TARGET_SECONDS = 2.0  # the billing run's budget is 5 s for draft, freeze and print file
SIZES = ("5/8", "3/4", "1", "1.5", "2", "3", "4")
FIXED_CENTS = (2075, 3113, 5188, 10375, 16600, 33200, 51875)
# Water only: fixed by size, 3 cumulative tiers whose widths scale by dwelling units.
WATER_ONLY = """
[schedule]
class = "water"
effective = 2025-07-01
adopted = "benchmark"
[fixed.by_meter_size]
{sizes}
[commodity]
pricing = "cumulative"
widths = "per_dwelling_unit"
[[commodity.tiers]]
up_to = 4
rate = "3.65"
[[commodity.tiers]]
up_to = 12
rate = "6.17"
[[commodity.tiers]]
rate = "7.02"
"""
TIER_SQL = """
SELECT id,
       f.cents
       + MIN(usage, 4 * units) * 365
       + MAX(MIN(usage - 4 * units, 8 * units), 0) * 617
       + MAX(usage - 12 * units, 0) * 702 AS total_cents
  FROM services s JOIN fixed f ON f.size = s.meter_size
"""


def synthetic_services(count: int, first_read: date,
                       seed: int = 7) -> list[tuple[Service, Period, int]]:
    """A district's mix of classes, meter sizes and usage; reads spread over 20 route days."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        roll = rng.random()
        start = first_read + timedelta(days=rng.randrange(20))
        period = Period(start, start + timedelta(days=rng.choice((29, 30, 31, 32))))
        usage = int(rng.gammavariate(2.0, 5.0))
        if roll < 0.80:
            service = Service("residential", rng.choices(SIZES[:3], (70, 20, 10))[0],
                              winter_average_hcf=Decimal(rng.randrange(30, 120)) / 10)
        elif roll < 0.88:
            units = rng.randrange(2, 13)
            service = Service("multi_unit", rng.choice(("1", "1.5", "2")), dwelling_units=units)
            usage *= units
        elif roll < 0.95:
            service = Service("commercial", rng.choice(SIZES[2:]),
                              edus=Decimal(rng.randrange(1, 6)))
            usage *= 4
        elif roll < 0.98:
            service = Service("landscape", rng.choice(("1", "1.5", "2")),
                              landscape_sqft=rng.randrange(2_000, 60_000))
            usage *= 10
        elif roll < 0.99:
            service = Service("hydrant", "3", rental_started_on=start - timedelta(days=40))
        else:
            service = Service("flat", None, dwelling_units=rng.randrange(1, 3))
            usage = 0
        found.append((service, period, usage))
    return found


def price_all(engine: RateEngine, services: list[tuple[Service, Period, int]]) -> tuple[float,
                                                                                         int]:
    """Seconds to price every service, and the sum of the bills in cents."""
    started = time.perf_counter()
    total = 0
    for service, period, usage in services:
        total += engine.price(service, period, usage).total_cents
    return time.perf_counter() - started, total


def sql_tiers(services: list[tuple[Service, Period, int]]) -> tuple[float, int]:
    """Seconds for SQLite to compute the same fixed + tier totals per service, and their sum."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE fixed (size TEXT PRIMARY KEY, cents INTEGER) STRICT")
    conn.executemany("INSERT INTO fixed VALUES (?, ?)", zip(SIZES, FIXED_CENTS, strict=True))
    conn.execute("CREATE TABLE services (id INTEGER PRIMARY KEY, meter_size TEXT, units INTEGER,"
                 " usage INTEGER) STRICT")
    conn.executemany("INSERT INTO services (meter_size, units, usage) VALUES (?, ?, ?)",
                     ((s.meter_size, s.dwelling_units, u) for s, _, u in services))
    started = time.perf_counter()
    rows = conn.execute(TIER_SQL).fetchall()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, sum(row[1] for row in rows)


def run(db_path: Path) -> list[Figure]:
    """Needs no district database: the services are synthetic, the rates the demo's files."""
    del db_path
    from db.rates import bundled_rates_folder

    book = load_rate_folder(bundled_rates_folder())
    ordinary = synthetic_services(SERVICES, date(2026, 9, 3))
    crossing = synthetic_services(SERVICES, date(2026, 6, 5))  # every period spans July 1
    ordinary_s, _ = price_all(RateEngine(book), ordinary)
    crossing_s, _ = price_all(RateEngine(book), crossing)

    sizes = "\n".join(f'"{s}" = "{c / 100:.2f}"' for s, c in zip(SIZES, FIXED_CENTS,
                                                                  strict=True))
    water = parse_schedule(WATER_ONLY.format(sizes=sizes).encode(), source="water.toml")
    water_book = book_from_schedules([water], "benchmark")
    metered = [(Service("water", s.meter_size or "5/8", dwelling_units=s.dwelling_units), p, u)
               for s, p, u in ordinary]
    engine_s, engine_total = price_all(RateEngine(water_book), metered)
    sql_s, sql_total = sql_tiers(metered)
    same = engine_total == sql_total
    ratio = engine_s / sql_s
    return [
        Figure("rate engine, demo rates, ordinary cycle", SERVICES / ordinary_s, "bills/s",
               f"{SERVICES:,} in <= {TARGET_SECONDS} s", ordinary_s <= TARGET_SECONDS),
        Figure("rate engine, demo rates, cycle across a rate change", SERVICES / crossing_s,
               "bills/s", f"{SERVICES:,} in <= {TARGET_SECONDS} s", crossing_s <= TARGET_SECONDS),
        Figure("rate engine, fixed + 3 tiers only", SERVICES / engine_s, "bills/s"),
        Figure("plain SQL, fixed + 3 tiers, same services", SERVICES / sql_s, "bills/s"),
        Figure("engine time / plain SQL time, same tier arithmetic", ratio, "x",
               "same total to the cent", same),
    ]


if __name__ == "__main__":
    for figure in run(Path()):
        print(figure.line())
