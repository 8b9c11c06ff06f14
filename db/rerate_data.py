"""What a re-rate needs from the database: the account's service, its read periods, its rates."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core.account_service import billed_period
from core.bill_lines import Service, register_hcf
from core.billing import winter_average
from core.errors import InputError, InputProblem
from core.money import Cents
from core.reads import premise_periods
from core.rerate import UsagePeriod
from db.closing_bill import facts_on, service_facts
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
    service: Callable[[date], Service]  # the Service that prices a period ending on a day


def rerate_inputs(conn: sqlite3.Connection, account_number: str, today: date) -> RerateInputs:
    """Load the account's service and periods, and a pricer over the district's rate book."""
    from core.rate_engine import RateEngine

    row = conn.execute("SELECT id, number FROM accounts WHERE number = ?",
                       (account_number.strip(),)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"there is no account {account_number.strip()!r}",
                                      field="account"))
    facts = service_facts(conn, row[0])
    book = load_rate_book(conn)
    rate_class = book.class_for(facts.premise_kind, facts.service_type)
    winter_sewer = book.uses_winter_average(rate_class)
    chains = premise_chains(conn, facts.premise_id, today - timedelta(days=366 * HISTORY_YEARS),
                            today + timedelta(days=1))
    periods = tuple(UsagePeriod(p.start, p.end, p.usage, p.estimated)
                    for p in premise_periods(chains))
    engine = RateEngine(book)
    read_unit = load_settings(conn).read_unit
    then = facts_on(conn, facts)  # the meter in service when each period ended

    def service(end: date) -> Service:
        """The account's Service for a period ending on `end`, as the billing run built it
        then: the meter then in service, and the winter average (for winter-average sewer)
        in HCF from the register's units."""
        winter = winter_average(chains, end) if winter_sewer else None
        return then(end).service(rate_class, None if winter is None
                                 else register_hcf(winter, read_unit))

    def price(start: date, end: date, usage: int) -> Cents:
        """The period priced as the billing run prices it (prorated from the opening day when
        the account opened inside it), usage in HCF."""
        return engine.price(service(end), billed_period(start, end, facts.opened_on),
                            register_hcf(usage, read_unit)).total_cents

    def tier1_rate(on: date) -> Decimal:
        commodity = book.in_force(rate_class, on).commodity
        if commodity is None or not commodity.tiers:
            raise InputError(InputProblem(f"{rate_class} rates bill no usage: nothing to "
                                          "re-rate", field="kind"))
        return commodity.tiers[0].rate

    return RerateInputs(facts.account_id, row[1], facts.opened_on, rate_class, periods, price,
                        tier1_rate, service)
