"""A small district for billing-calendar tests, built in plain SQL: four cycles, users, accounts."""
from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from core.users import Role, User
from tests.conftest import open_new_database

TODAY = date(2026, 11, 20)
AT = "2026-11-20T09:00:00"
SUPERVISOR = User("sup1", Role.SUPERVISOR, "Sam Supervisor")
CLERK = User("clerk1", Role.CLERK, "Test Clerk")
READ_DAYS = (3, 10, 17, 24)


def build_calendar_district(path: Path, accounts_per_cycle: int = 3) -> sqlite3.Connection:
    """Four cycles (read days 3, 10, 17, 24), a route each, users, and a few owing accounts."""
    conn = open_new_database(path)
    for user in (SUPERVISOR, CLERK, User("tester", Role.ADMIN), User("clerk2", Role.CLERK)):
        conn.execute("INSERT INTO users (login, role, full_name, added_by, added_at)"
                     " VALUES (?, ?, ?, 'setup', ?)", (user.login, user.role.value,
                                                       user.full_name, AT))
    conn.execute("INSERT INTO settings (key, value, updated_by, updated_at)"
                 " VALUES ('district_name', '\"High Mesa Water District\"', 'setup', ?)", (AT,))
    for number, read_day in enumerate(READ_DAYS, start=1):
        conn.execute("INSERT INTO cycles (id, name, read_day) VALUES (?, ?, ?)",
                     (number, f"Cycle {number}", read_day))
        conn.execute("INSERT INTO routes (id, cycle_id, code) VALUES (?, ?, ?)",
                     (number, number, f"R{number}"))
        for k in range(accounts_per_cycle):
            _owing_account(conn, number, k)
    return conn


def _owing_account(conn: sqlite3.Connection, cycle: int, k: int) -> None:
    """An active residential account on the cycle's route owing a bill due 2026-08-28."""
    customer = conn.execute("INSERT INTO customers (name, created_at) VALUES (?, ?)",
                            (f"Customer {cycle}-{k}", AT)).lastrowid
    premise = conn.execute(
        "INSERT INTO premises (line1, city, service_class, kind, route_id)"
        " VALUES (?, 'Mesa Verde', 'residential', 'single_family', ?)",
        (f"{cycle}{k:02d} Canyon Rd", cycle)).lastrowid
    account = conn.execute(
        "INSERT INTO accounts (number, customer_id, premise_id, status, mail_line1, mail_city,"
        " opened_on) VALUES (?, ?, ?, 'active', 'x', 'Mesa Verde', '2025-01-01')",
        (f"{cycle}00-{k:04d}", customer, premise)).lastrowid
    conn.execute(
        "INSERT INTO ledger_entries (account_id, entry_type, amount_cents, effective_on, due_on,"
        " posted_at, actor, reason_code, comment) VALUES (?, 'bill', 9000, '2026-08-07',"
        " '2026-08-28', ?, 'setup', 'BILL', 'August bill')", (account, AT))
