"""A small read-audit district in plain SQL: one cycle, two routes, meters with 13 months of reads.

Each premise gets a situation (normal, leak, stuck, rollover, vacant, ...) so every rule has
a meter to fire on. Dates follow the demo's calendar: cycle 3 reads on the 17th, and with
today 2026-11-20 the 2026-11-17 read is the one to import.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.read_import import READ_IMPORT_COLUMNS
from tests.conftest import open_new_database

TODAY = date(2026, 11, 20)
READ_DAY = 17
NEXT_READ = date(2026, 11, 17)
USERS = (("clerk1", "clerk"), ("tester", "admin"))


def month_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, day.day)


# The 13 stored reads before NEXT_READ: 2025-10-17 ... 2026-10-17.
HISTORY_DAYS = tuple(month_back(NEXT_READ, k) for k in range(13, 0, -1))


@dataclass
class Premise:
    """One premise of the test district and the readings its meter has shown."""

    number: str
    route: str
    walk: int
    readings: list[int]
    status: str = "active"  # account status, or "none" for a vacant premise with no account
    dials: int = 4
    estimated: tuple[int, ...] = ()  # indexes of estimated readings
    meter_id: int = 0
    account_id: int | None = None
    premise_id: int = 0


def steady(start: int, per_month: int, months: int = 13) -> list[int]:
    return [start + per_month * k for k in range(months)]


def standard_premises() -> list[Premise]:
    """Situations by account number; the last two digits say which rule each one serves."""
    return [
        Premise("0300001-01", "C3-R01", 10, steady(1000, 20)),   # normal: 20 a month
        Premise("0300002-01", "C3-R01", 20, steady(2000, 20)),   # high this time
        Premise("0300003-01", "C3-R01", 30, steady(3000, 200)),  # low this time (band 100+)
        Premise("0300004-01", "C3-R01", 40, [4321] * 10 + [4340, 4360, 4380]),  # zero now
        Premise("0300005-01", "C3-R01", 50, [5000] * 11 + [5050, 5050]),  # stuck at 3 now
        Premise("0300006-01", "C3-R01", 60, steady(9600, 25)),   # rollover at 4 dials
        Premise("0300007-01", "C3-R01", 70, steady(7000, 20)),   # probable misread
        Premise("0300008-01", "C3-R02", 10, steady(8000, 20)),   # reverse flow
        Premise("0300009-01", "C3-R02", 20, steady(600, 0), status="inactive"),  # vacant use
        Premise("0300010-01", "C3-R02", 30, steady(1000, 30)),   # AMR leak flag
        Premise("0300011-01", "C3-R02", 40, steady(1100, 30)),   # tamper flag
        Premise("0300012-01", "C3-R02", 50, steady(1200, 30)),   # backflow flag
        Premise("0300013-01", "C3-R02", 60, steady(1300, 10),
                estimated=(10, 11, 12)),                          # 4th estimate in a row
        Premise("0300014-01", "C3-R02", 70, steady(1400, 20)),   # skipped: dog
        Premise("0300015-01", "C3-R02", 80, steady(1500, 20)),   # not in the file: missing
        Premise("0300016-01", "C3-R02", 90, steady(1600, 20)),   # normal
    ]


# The reading each premise shows in the file (None: skipped or left out).
FILE_READINGS = {
    "0300001-01": 1260, "0300002-01": 2400, "0300003-01": 5430, "0300004-01": 4380,
    "0300005-01": 5050, "0300006-01": 10, "0300007-01": 3000, "0300008-01": 8238,
    "0300009-01": 700, "0300010-01": 1390, "0300011-01": 1490, "0300012-01": 1590,
    "0300013-01": 1430, "0300016-01": 1860,
}


def build_read_district(path: Path, premises: list[Premise] | None = None) -> list[Premise]:
    """A migrated database with users, cycle 3, routes, premises, accounts, meters and reads."""
    premises = premises if premises is not None else standard_premises()
    conn = open_new_database(path)
    with_transaction(conn, lambda: _fill(conn, premises))
    conn.close()
    return premises


def with_transaction(conn: sqlite3.Connection, work: Callable[[], None]) -> None:
    conn.execute("BEGIN")
    work()
    conn.execute("COMMIT")


def _fill(conn: sqlite3.Connection, premises: list[Premise]) -> None:
    for login, role in USERS:
        conn.execute("INSERT INTO users (login, role, full_name, added_by, added_at)"
                     " VALUES (?, ?, ?, 'setup', '2026-01-01T08:00:00')", (login, role, login))
    conn.execute("INSERT INTO cycles (id, name, read_day) VALUES (3, 'Cycle 3', ?)", (READ_DAY,))
    routes: dict[str, int] = {}
    for premise in premises:
        if premise.route not in routes:
            routes[premise.route] = int(conn.execute(
                "INSERT INTO routes (cycle_id, code, name) VALUES (3, ?, ?)",
                (premise.route, f"Route {premise.route}")).lastrowid or 0)
        customer = conn.execute("INSERT INTO customers (name, created_at) VALUES (?, ?)",
                                (f"Customer {premise.number}", "2020-01-01T08:00:00")).lastrowid
        premise.premise_id = int(conn.execute(
            "INSERT INTO premises (line1, city, service_class, kind, route_id, walk_order)"
            " VALUES (?, 'Mesa Verde', 'residential', 'single_family', ?, ?)",
            (f"{premise.walk} Canyon Rd", routes[premise.route], premise.walk)).lastrowid or 0)
        if premise.status != "none":
            premise.account_id = int(conn.execute(
                "INSERT INTO accounts (number, customer_id, premise_id, status, mail_line1,"
                " mail_city, opened_on) VALUES (?, ?, ?, ?, 'PO Box 1', 'Mesa Verde',"
                " '2020-01-01')", (premise.number, customer, premise.premise_id,
                                   premise.status)).lastrowid or 0)
        premise.meter_id = int(conn.execute(
            "INSERT INTO meters (serial, size, dials, premise_id, installed_on, install_read)"
            " VALUES (?, '5/8', ?, ?, '2020-01-01', 0)",
            (f"M-{premise.number[:7]}", premise.dials, premise.premise_id)).lastrowid or 0)
        for index, (day, reading) in enumerate(zip(HISTORY_DAYS, premise.readings, strict=True)):
            conn.execute(
                "INSERT INTO meter_reads (meter_id, account_id, read_on, reading, kind, source,"
                " created_by, created_at) VALUES (?, ?, ?, ?, ?, 'history', 'setup', ?)",
                (premise.meter_id, premise.account_id, day.isoformat(), reading,
                 "estimated" if index in premise.estimated else "actual",
                 f"{day.isoformat()}T08:00:00"))


def read_line(premise: Premise, reading: int | None, *, day: str = "2026-11-17T09:30:00",
              method: str = "MANUAL", skip: str = "", leak: str = "0", backflow: str = "0",
              tamper: str = "0", note: str = "", account: str | None = None) -> dict[str, str]:
    """One row of the read-import layout for a premise's meter."""
    row = dict.fromkeys(READ_IMPORT_COLUMNS, "")
    row.update(account_number=premise.number if account is None else account,
               meter_id=str(premise.meter_id), register="S",
               read_value="" if reading is None else str(reading), read_datetime=day,
               read_method=method, skip_code=skip, leak=leak, backflow=backflow, tamper=tamper,
               note_text=note, reader_id="R07")
    return row


def standard_rows(premises: list[Premise]) -> list[dict[str, str]]:
    """The file a reader brings back for the standard premises (one skipped, one left out)."""
    rows = []
    for premise in premises:
        if premise.number == "0300014-01":
            rows.append(read_line(premise, None, skip="DOG", note="bad dog"))
        elif premise.number in FILE_READINGS:
            method = "ESTIMATE" if premise.number == "0300013-01" else "AMR"
            rows.append(read_line(
                premise, FILE_READINGS[premise.number], method=method,
                leak="2" if premise.number == "0300010-01" else "0",
                tamper="1" if premise.number == "0300011-01" else "0",
                backflow="1" if premise.number == "0300012-01" else "0"))
    return rows


def write_rows(path: Path, rows: list[dict[str, str]], *, newline: str = "\n",
               encoding: str = "utf-8", bom: bool = False) -> Path:
    """Write rows in the import layout (header first)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=READ_IMPORT_COLUMNS, lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path
