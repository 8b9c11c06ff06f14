"""One Service per account: the billing draft, the closing bill and the re-rate build it alike."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.account_service import account_service, billed_period, rental_start
from core.bill_lines import Period, PricedBill, Service
from core.billing import Outcome
from core.rate_book import RateBook
from core.rate_engine import RateEngine
from db.billing_draft import compute_draft, cycle_accounts, cycle_month
from db.closing_bill import price_closing_bill, service_facts
from db.connection import open_database
from db.rates import load_rate_book
from db.rerate_data import rerate_inputs
from tests.billing_support import read_cycle
from tests.console_support import TODAY, build_small_district, copy_district

NOV = date(2026, 11, 1)
NOV_READ = date(2026, 11, 17)
CYCLE = 3


def test_a_bulk_account_rents_its_meter_from_the_day_it_was_set() -> None:
    def service(service_type: str) -> Service:
        return account_service("hydrant", service_type=service_type, meter_size="3",
                               meter_installed_on=date(2026, 10, 20), dwelling_units=0,
                               landscape_sqft=0, winter_average_hcf=None)

    assert service("bulk") == Service("hydrant", "3", dwelling_units=1,
                                      rental_started_on=date(2026, 10, 20))
    assert service("metered").rental_started_on is None
    assert rental_start("bulk", "2026-10-20") == "2026-10-20"  # the draft keys on text
    assert rental_start("flat", "2026-10-20") is None


class RecordingEngine(RateEngine):
    """The draft's engine, keeping each Service it was asked to price."""

    def __init__(self, book: RateBook) -> None:
        super().__init__(book)
        self.services: list[Service] = []

    def price(self, service: Service, period: Period, usage_hcf: Decimal | int) -> PricedBill:
        self.services.append(service)
        return super().price(service, period, usage_hcf)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo district with cycle 3's November reads, built once for the module."""
    path = build_small_district(tmp_path_factory.mktemp("service"))
    conn = open_database(path)
    read_cycle(conn, CYCLE, NOV_READ)
    conn.close()
    return path


@pytest.fixture
def conn(district: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = open_database(copy_district(district, tmp_path))
    yield connection
    connection.close()


def _one_meter_house(conn: sqlite3.Connection, skip: int = 0) -> tuple[int, str, int, int]:
    """A cycle-3 house with one meter: (account id, number, premise id, meter id)."""
    row = conn.execute(
        "SELECT a.id, a.number, p.id, m.id FROM accounts a JOIN premises p ON p.id = a.premise_id"
        " JOIN routes r ON r.id = p.route_id JOIN meters m ON m.premise_id = p.id"
        " WHERE r.cycle_id = ? AND a.status = 'active' AND a.service_type = 'metered'"
        " AND p.kind = 'single_family' AND (SELECT count(*) FROM meters x"
        "  WHERE x.premise_id = p.id) = 1 ORDER BY a.id LIMIT 1 OFFSET ?",
        (CYCLE, skip)).fetchone()
    return row[0], row[1], row[2], row[3]


def _reading(conn: sqlite3.Connection, meter_id: int, on: date) -> tuple[date, int]:
    """The meter's read day and reading: the last on or before `on`."""
    row = conn.execute("SELECT read_on, reading FROM meter_reads WHERE meter_id = ? AND"
                       " read_on <= ? ORDER BY read_on DESC LIMIT 1",
                       (meter_id, on.isoformat())).fetchone()
    return date.fromisoformat(row[0]), row[1]


def _three_services(conn: sqlite3.Connection, account_id: int, number: str
                    ) -> tuple[Service, Service, Service, int]:
    """The Service the November draft, a closing bill on the November read and a re-rate of
    the period ending on it build for the account, and the draft's total."""
    book = load_rate_book(conn)
    engine = RecordingEngine(book)
    draft = compute_draft(conn, cycle_month(conn, CYCLE, NOV), book, engine=engine,
                          accounts=cycle_accounts(conn, CYCLE, (account_id, account_id)))
    (bill,) = draft.bills
    assert bill.outcome == Outcome.BILLED, bill.reason
    (drafted,) = engine.services
    assert bill.period_end == NOV_READ
    facts = service_facts(conn, account_id)
    final = _reading(conn, facts.meter_id, NOV_READ)[1] if facts.meter_id else 0
    closing = price_closing_bill(conn, facts, final_reading=final, close_on=NOV_READ)
    rerated = rerate_inputs(conn, number, TODAY).service(NOV_READ)
    return drafted, closing.bill.service, rerated, bill.total_cents


def test_a_bulk_meter_set_after_the_permit_gets_one_rental_start_everywhere(
        conn: sqlite3.Connection) -> None:
    """RULES.md §9: the rental runs from the day the hydrant meter was set, not from the
    account's opening (the permit); the closing bill used the opening, the re-rate none."""
    account_id, number, premise_id, meter_id = _one_meter_house(conn)
    set_on, set_reading = _reading(conn, meter_id, date(2026, 10, 31))
    with conn:
        conn.execute("UPDATE premises SET kind = 'hydrant', dwelling_units = 1 WHERE id = ?",
                     (premise_id,))
        conn.execute("UPDATE accounts SET service_type = 'bulk', opened_on = '2026-10-01'"
                     " WHERE id = ?", (account_id,))
        conn.execute("DELETE FROM meter_reads WHERE meter_id = ? AND read_on < ?",
                     (meter_id, set_on.isoformat()))
        conn.execute("UPDATE meters SET size = '3', installed_on = ?, install_read = ?"
                     " WHERE id = ?", (set_on.isoformat(), set_reading, meter_id))
    drafted, closing, rerated, total = _three_services(conn, account_id, number)
    assert drafted.rate_class == "hydrant" and drafted.rental_started_on == set_on
    assert closing == drafted and rerated == drafted
    # The re-rate prices the drafted period to the draft's total, first rental day included.
    inputs = rerate_inputs(conn, number, TODAY)
    (period,) = [p for p in inputs.periods if p.end == NOV_READ]
    assert period.start == set_on and inputs.price(period.start, period.end,
                                                   period.usage) == total


def test_a_pulled_meter_still_prices_the_closing_bill_by_its_size(
        conn: sqlite3.Connection) -> None:
    """RULES.md §5.1: the fixed charge is keyed on the meter size; a premise whose meter was
    pulled on the last read is priced by that meter (the draft's rule), not by none."""
    account_id, number, _, meter_id = _one_meter_house(conn, skip=1)
    _, final = _reading(conn, meter_id, NOV_READ)
    with conn:
        conn.execute("UPDATE meters SET removed_on = ?, removal_read = ? WHERE id = ?",
                     (NOV_READ.isoformat(), final, meter_id))
    drafted, closing, rerated, _ = _three_services(conn, account_id, number)
    assert drafted.meter_size is not None and drafted.rental_started_on is None
    # Residential sewer is on winter use (RULES.md §5.1): all three find the same average.
    assert drafted.winter_average_hcf is not None
    assert closing == drafted and rerated == drafted


def test_a_house_gets_the_same_service_everywhere(conn: sqlite3.Connection) -> None:
    """An ordinary house: one meter in service, its winter average, no rental."""
    account_id, number, _, _ = _one_meter_house(conn, skip=2)
    drafted, closing, rerated, _ = _three_services(conn, account_id, number)
    assert closing == drafted and rerated == drafted


def test_an_account_opened_inside_a_period_is_rerated_as_it_was_billed(
        conn: sqlite3.Connection) -> None:
    """RULES.md §5.1: an opening bill is prorated from the day the account opened; the
    re-rate prices that period as the draft billed it (it used to price the whole period)."""
    account_id, number, _, _ = _one_meter_house(conn, skip=3)
    opened = date(2026, 11, 7)
    with conn:
        conn.execute("UPDATE accounts SET opened_on = ? WHERE id = ?",
                     (opened.isoformat(), account_id))
    _, _, _, total = _three_services(conn, account_id, number)
    inputs = rerate_inputs(conn, number, TODAY)
    (period,) = [p for p in inputs.periods if p.end == NOV_READ]
    assert period.start < opened
    assert inputs.price(period.start, period.end, period.usage) == total
    assert billed_period(period.start, period.end, opened) == Period(opened, NOV_READ,
                                                                     prorated=True)
    assert billed_period(opened, NOV_READ, period.start) == Period(opened, NOV_READ)


def test_a_rerate_prices_each_period_by_the_meter_then_in_service(
        conn: sqlite3.Connection) -> None:
    """A back-bill over years spans meter change-outs: each period is priced by the meter in
    service when it ended, as the billing run priced it then (it used today's meter for all)."""
    account_id, number, premise_id, meter_id = _one_meter_house(conn, skip=4)
    changed = date(2026, 10, 1)
    with conn:
        old_size = conn.execute("SELECT size FROM meters WHERE id = ?", (meter_id,)
                                ).fetchone()[0]
        new_size = "1" if old_size != "1" else "3/4"
        conn.execute("UPDATE meters SET removed_on = ?, removal_read = 0 WHERE id = ?",
                     (changed.isoformat(), meter_id))
        conn.execute("INSERT INTO meters (serial, size, dials, premise_id, installed_on,"
                     " install_read) VALUES ('SWAP-0001', ?, 4, ?, ?, 0)",
                     (new_size, premise_id, changed.isoformat()))
    service = rerate_inputs(conn, number, TODAY).service
    assert service(date(2026, 9, 20)).meter_size == old_size
    assert service(changed).meter_size == new_size  # swapped on the read day: the new one
    assert service(NOV_READ).meter_size == new_size
    today = service_facts(conn, account_id)
    assert today.meter_size == new_size
