"""Account queries: the paged account list, one account's detail, the district summary."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from core.ledger import LedgerEntry
from core.model import AccountFlag, AccountFlagKind, Address
from db.ledger import entries_for

ACCOUNT_LIST_SQL = """
SELECT a.number, c.name, p.line1, a.status, p.service_class,
       COALESCE(b.balance_cents, 0) AS balance_cents
  FROM accounts a
  JOIN customers c ON c.id = a.customer_id
  JOIN premises p ON p.id = a.premise_id
  LEFT JOIN account_balances b ON b.account_id = a.id
"""


def count_accounts(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM accounts").fetchone()[0])


def account_page(conn: sqlite3.Connection, *, after: str | None, offset: int,
                 limit: int) -> list[sqlite3.Row]:
    """One page of the account list in number order: by keyset when `after` is known."""
    if after is not None:
        return conn.execute(ACCOUNT_LIST_SQL + " WHERE a.number > ? ORDER BY a.number LIMIT ?",
                            (after, limit)).fetchall()
    return conn.execute(ACCOUNT_LIST_SQL + " ORDER BY a.number LIMIT ? OFFSET ?",
                        (limit, offset)).fetchall()


def account_numbers_like(conn: sqlite3.Connection, prefix: str,
                         limit: int = 10) -> list[sqlite3.Row]:
    """Accounts whose number starts with `prefix` (for the command palette)."""
    return conn.execute(
        "SELECT a.number, c.name, p.line1 FROM accounts a JOIN customers c ON c.id = a.customer_id"
        " JOIN premises p ON p.id = a.premise_id WHERE a.number >= ? AND a.number < ?"
        " ORDER BY a.number LIMIT ?", (prefix, prefix + "\uffff", limit)).fetchall()


@dataclass(frozen=True)
class AccountDetail:
    """Everything the account screen's header and ledger show."""

    id: int
    number: str
    status: str
    service_type: str
    service_class: str
    premise_kind: str
    dwelling_units: int
    customer_name: str
    phone: str
    service_address: str
    mailing_address: str
    opened_on: str
    closed_on: str | None
    meter: str
    balance_cents: int
    deposit_cents: int
    flags: tuple[AccountFlag, ...]
    entries: tuple[LedgerEntry, ...]
    version: int
    customer_id: int = 0
    premise_id: int = 0
    meter_id: int | None = None
    route: str = ""
    email: str = ""
    tax_id_last4: str = ""
    updated_by: str = ""
    updated_at: str = ""
    mailing: Address | None = None
    service: Address | None = None


def _address(line1: str, line2: str, city: str, state: str, zip_code: str) -> str:
    head = ", ".join(p for p in (line1, line2, city) if p)
    return f"{head}, {state} {zip_code}".strip()


def account_detail(conn: sqlite3.Connection, number: str) -> AccountDetail | None:
    """The account's header, flags and every ledger entry; None when there is no such account."""
    row = conn.execute(
        "SELECT a.*, c.name, c.phone, c.email, c.tax_id_last4, p.line1, p.line2, p.city,"
        " p.state, p.zip, p.service_class, p.kind, p.dwelling_units, p.id AS pid,"
        " p.walk_order, COALESCE(r.code, '') AS route,"
        " COALESCE(b.balance_cents, 0) AS bal, COALESCE(b.deposit_cents, 0) AS dep"
        " FROM accounts a JOIN customers c ON c.id = a.customer_id"
        " JOIN premises p ON p.id = a.premise_id LEFT JOIN routes r ON r.id = p.route_id"
        " LEFT JOIN account_balances b ON b.account_id = a.id WHERE a.number = ?",
        (number.strip(),)).fetchone()
    if row is None:
        return None
    meter = conn.execute(
        "SELECT id, serial, size, location FROM meters WHERE premise_id = ?"
        " AND removed_on IS NULL ORDER BY installed_on DESC LIMIT 1", (row["pid"],)).fetchone()
    flags = tuple(
        AccountFlag(AccountFlagKind(f["flag"]), f["reason"], f["author"],
                    date.fromisoformat(f["set_on"]),
                    date.fromisoformat(f["expires_on"]) if f["expires_on"] else None)
        for f in conn.execute("SELECT * FROM account_flags WHERE account_id = ?"
                              " AND cleared_on IS NULL ORDER BY id", (row["id"],)))
    return AccountDetail(
        id=row["id"], number=row["number"], status=row["status"],
        service_type=row["service_type"], service_class=row["service_class"],
        premise_kind=row["kind"], dwelling_units=row["dwelling_units"],
        customer_name=row["name"], phone=row["phone"],
        service_address=_address(row["line1"], row["line2"], row["city"], row["state"],
                                 row["zip"]),
        mailing_address=_address(row["mail_line1"], row["mail_line2"], row["mail_city"],
                                 row["mail_state"], row["mail_zip"]),
        opened_on=row["opened_on"], closed_on=row["closed_on"],
        meter=(f"{meter['serial']} ({meter['size']}\")"
               + (f" at {meter['location']}" if meter["location"] else "")
               if meter else "no meter"),
        balance_cents=row["bal"], deposit_cents=row["dep"], flags=flags,
        entries=tuple(entries_for(conn, row["id"])), version=row["version"],
        customer_id=row["customer_id"], premise_id=row["pid"],
        meter_id=meter["id"] if meter else None,
        route=f"{row['route']} #{row['walk_order']}" if row["route"] else "",
        email=row["email"], tax_id_last4=row["tax_id_last4"],
        updated_by=row["updated_by"], updated_at=row["updated_at"],
        mailing=Address(line1=row["mail_line1"], line2=row["mail_line2"],
                        city=row["mail_city"], state=row["mail_state"], zip=row["mail_zip"]),
        service=Address(line1=row["line1"], line2=row["line2"], city=row["city"],
                        state=row["state"], zip=row["zip"]))


@dataclass(frozen=True)
class DistrictSummary:
    """The home screen's figures, all from indexed or trigger-kept tables."""

    district_name: str
    accounts_by_status: dict[str, int]
    receivable_cents: int
    credit_cents: int
    deposits_cents: int
    cycles: tuple[tuple[int, str, int, int], ...]  # id, name, read_day, account count
    expiring_flags: tuple[tuple[str, str, str], ...]  # flag, account number, expires_on


def district_summary(conn: sqlite3.Connection, today: date, district_name: str,
                     horizon_days: int = 7) -> DistrictSummary:
    statuses = {r[0]: r[1] for r in conn.execute(
        "SELECT status, count(*) FROM accounts GROUP BY status")}
    money = conn.execute(
        "SELECT COALESCE(SUM(CASE WHEN balance_cents > 0 THEN balance_cents END), 0),"
        " COALESCE(SUM(CASE WHEN balance_cents < 0 THEN balance_cents END), 0),"
        " COALESCE(SUM(deposit_cents), 0) FROM account_balances").fetchone()
    cycles = tuple(
        (r[0], r[1], r[2], r[3]) for r in conn.execute(
            "SELECT cy.id, cy.name, cy.read_day, count(p.id) FROM cycles cy"
            " LEFT JOIN routes r ON r.cycle_id = cy.id LEFT JOIN premises p ON p.route_id = r.id"
            " GROUP BY cy.id ORDER BY cy.id"))
    until = date.fromordinal(today.toordinal() + horizon_days).isoformat()
    expiring = tuple(
        (r[0], r[1], r[2]) for r in conn.execute(
            "SELECT f.flag, a.number, f.expires_on FROM account_flags f"
            " JOIN accounts a ON a.id = f.account_id WHERE f.cleared_on IS NULL"
            " AND f.expires_on BETWEEN ? AND ? ORDER BY f.expires_on, a.number LIMIT 50",
            (today.isoformat(), until)))
    return DistrictSummary(district_name, statuses, money[0], money[1], money[2], cycles,
                           expiring)


def account_id(conn: sqlite3.Connection, number: str) -> int | None:
    """The id of the account with this number, or None when there is none."""
    row = conn.execute("SELECT id FROM accounts WHERE number = ?", (number,)).fetchone()
    return int(row[0]) if row else None


def customer_id_of(conn: sqlite3.Connection, number: str) -> int | None:
    """The customer id on the account with this number, or None when there is no such account."""
    row = conn.execute("SELECT customer_id FROM accounts WHERE number = ?", (number,)).fetchone()
    return int(row[0]) if row else None
