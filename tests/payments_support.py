"""Helpers for the payments, deposits, refunds and adjustments tests: a small district in SQL."""
from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

from core.ledger import Book, EntryType, Posting
from core.users import Role, User
from db.ledger import post
from db.transaction import write_transaction
from tests.conftest import add_account, open_new_database

TODAY = date(2026, 11, 20)
AT = "2026-11-20T10:00:00"
CLERK = User("clerk1", Role.CLERK, "Rosa Peña")
CLERK2 = User("clerk2", Role.CLERK, "Ann Lee")
SUPERVISOR = User("super1", Role.SUPERVISOR, "Dale O'Connor")
SUPERVISOR2 = User("super2", Role.SUPERVISOR, "Kim Ortiz")
ADMIN = User("admin1", Role.ADMIN, "District administrator")


def add_users(conn: sqlite3.Connection) -> None:
    for user in (CLERK, CLERK2, SUPERVISOR, SUPERVISOR2, ADMIN):
        conn.execute("INSERT INTO users (login, role, full_name, added_by, added_at)"
                     " VALUES (?, ?, ?, 'test', ?)", (user.login, user.role.value,
                                                      user.full_name, AT))


def charge(conn: sqlite3.Connection, account_id: int, cents: int, on: date,
           kind: EntryType = EntryType.BILL) -> int:
    """A bill (or fee) on the account, in its own transaction."""
    with write_transaction(conn):
        return post(conn, Posting(account_id=account_id, entry_type=kind, amount_cents=cents,
                                  effective_on=on, actor="billing", reason_code="BILL",
                                  comment="cycle bill", due_on=on + timedelta(days=21)),
                    posted_at=AT)


def hold_deposit(conn: sqlite3.Connection, account_id: int, cents: int, on: date) -> int:
    with write_transaction(conn):
        return post(conn, Posting(account_id=account_id, entry_type=EntryType.DEPOSIT,
                                  amount_cents=cents, effective_on=on, actor="clerk1",
                                  reason_code="DEPOSIT", comment="deposit at opening",
                                  book=Book.DEPOSIT), posted_at=AT)


def small_district(conn: sqlite3.Connection, accounts: int = 3) -> list[int]:
    """Users and `accounts` residential accounts opened 2024-01-01, each billed $80 a month
    from June to November 2026."""
    add_users(conn)
    ids = [add_account(conn, f"100-{n:04d}", name=f"Customer {n}", opened_on="2024-01-01")
           for n in range(1, accounts + 1)]
    for account_id in ids:
        for month in range(6, 12):
            charge(conn, account_id, 8000, date(2026, month, 5))
    return ids


def add_meter_reads(conn: sqlite3.Connection, account_id: int, usages: list[int],
                    first_read: date, *, size: str = "5/8") -> int:
    """A meter at the account's premise read monthly from `first_read`: reading 0, then the
    running total of `usages` (HCF). Returns the meter id."""
    premise_id = conn.execute("SELECT premise_id FROM accounts WHERE id = ?",
                              (account_id,)).fetchone()[0]
    meter_id = int(conn.execute(
        "INSERT INTO meters (serial, size, dials, premise_id, installed_on, install_read)"
        " VALUES (?, ?, 6, ?, ?, 0)",
        (f"M-{account_id}", size, premise_id, first_read.isoformat())).lastrowid or 0)
    reading, day = 0, first_read
    rows = [(meter_id, account_id, day.isoformat(), 0)]
    for usage in usages:
        month = day.month % 12 + 1
        day = date(day.year + (day.month == 12), month, day.day)
        reading += usage
        rows.append((meter_id, account_id, day.isoformat(), reading))
    conn.executemany("INSERT INTO meter_reads (meter_id, account_id, read_on, reading, kind,"
                     " created_by, created_at) VALUES (?, ?, ?, ?, 'actual', 'test', ?)",
                     [(*r, AT) for r in rows])
    return meter_id


def swept_refunds(path: Path) -> Path:
    """A new district at `path` whose three good payers' deposits the sweep proposed for
    refund: refunds 1, 2 and 3, pending."""
    from db.deposit_sweep import sweep_deposits

    conn = open_new_database(path)
    for account_id in small_district(conn, 3):
        hold_deposit(conn, account_id, 10000, TODAY.replace(year=2024))
    sweep_deposits(conn, TODAY, actor="clerk1", at=AT)
    conn.close()
    return path
