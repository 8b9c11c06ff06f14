"""What a re-rate needs from the database: the account's service, its read periods, its rates."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from core.bill_lines import Period, Service, register_hcf
from core.billing import winter_average
from core.errors import InputError, InputProblem
from core.money import Cents
from core.reads import premise_periods
from core.rerate import UsagePeriod
from db.rates import load_rate_book
from db.reads import premise_chains
from db.settings import load_settings

HISTORY_YEARS = 3  # CCP §338(a): 3 years is the outer bound of any look-back (RULES.md §6)


@dataclass(frozen=True)
class RerateInputs:
    """An account's usage periods and how to price one of them with the district's rates."""

    account_id: int
    number: str
    opened_on: date
    rate_class: str
    periods: tuple[UsagePeriod, ...]
    price: Callable[[date, date, int], Cents]
    tier1_rate: Callable[[date], Decimal]


def rerate_inputs(conn: sqlite3.Connection, account_number: str, today: date) -> RerateInputs:
    """Load the account's service and periods, and a pricer over the district's rate book."""
    from core.rate_engine import RateEngine

    row = conn.execute(
        "SELECT a.id, a.number, a.opened_on, a.service_type, p.id AS premise_id, p.kind,"
        " p.dwelling_units, p.landscape_sqft FROM accounts a JOIN premises p ON p.id = a.premise_id"
        " WHERE a.number = ?", (account_number.strip(),)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"there is no account {account_number.strip()!r}",
                                      field="account"))
    meter = conn.execute("SELECT size FROM meters WHERE premise_id = ? ORDER BY"
                         " removed_on IS NULL DESC, installed_on DESC LIMIT 1",
                         (row["premise_id"],)).fetchone()
    book = load_rate_book(conn)
    rate_class = book.class_for(row["kind"], row["service_type"])
    service = Service(rate_class=rate_class, meter_size=meter[0] if meter else None,
                      dwelling_units=max(row["dwelling_units"], 1),
                      landscape_sqft=row["landscape_sqft"])
    chains = premise_chains(conn, row["premise_id"], today - timedelta(days=366 * HISTORY_YEARS),
                            today + timedelta(days=1))
    periods = tuple(UsagePeriod(p.start, p.end, p.usage, p.estimated)
                    for p in premise_periods(chains))
    engine = RateEngine(book)
    read_unit = load_settings(conn).read_unit

    def price(start: date, end: date, usage: int) -> Cents:
        """The period priced as the billing run prices it: usage and the winter average (for
        winter-average sewer) in HCF from the register's units."""
        winter = winter_average(chains, end) if book.uses_winter_average(rate_class) else None
        priced = replace(service, winter_average_hcf=None if winter is None
                         else register_hcf(winter, read_unit))
        return engine.price(priced, Period(start, end),
                            register_hcf(usage, read_unit)).total_cents

    def tier1_rate(on: date) -> Decimal:
        commodity = book.in_force(rate_class, on).commodity
        if commodity is None or not commodity.tiers:
            raise InputError(InputProblem(f"{rate_class} rates bill no usage: nothing to "
                                          "re-rate", field="kind"))
        return commodity.tiers[0].rate

    return RerateInputs(row["id"], row["number"], date.fromisoformat(row["opened_on"]),
                        rate_class, periods, price, tier1_rate)
