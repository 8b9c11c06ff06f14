"""Helpers for the account tests: a small demo district, and accounts picked from it by SQL."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from tests.console_support import TODAY

ACCOUNTS = 150  # the demo generator's smallest district


def build_accounts_district(folder: Path) -> Path:
    from fixtures.demo import build_demo

    path = folder / "district.db"
    build_demo(path, accounts=ACCOUNTS, seed=6, today=TODAY, admin_login="tester")
    return path


def copy_to(source: Path, folder: Path) -> Path:
    target = folder / "district.db"
    shutil.copy(source, target)
    return target


def active_account(conn: sqlite3.Connection, *, deposit: bool | None = None,
                   residential: bool = True, offset: int = 0) -> str:
    """An active metered account with a meter, optionally holding a deposit."""
    held = {None: "", True: " AND b.deposit_cents > 0", False: " AND b.deposit_cents = 0"}
    row = conn.execute(
        "SELECT a.number FROM accounts a JOIN premises p ON p.id = a.premise_id"
        " JOIN account_balances b ON b.account_id = a.id"
        " WHERE a.status = 'active' AND a.service_type = 'metered' AND p.service_class = ?"
        " AND EXISTS (SELECT 1 FROM meters m WHERE m.premise_id = p.id AND m.removed_on IS NULL)"
        f"{held[deposit]} ORDER BY a.number LIMIT 1 OFFSET ?",
        ("residential" if residential else "commercial", offset)).fetchone()
    assert row is not None, "the demo district has no such account"
    return str(row[0])


def last_reading(conn: sqlite3.Connection, number: str) -> int:
    return int(conn.execute(
        "SELECT max(r.reading) FROM meter_reads r JOIN meters m ON m.id = r.meter_id"
        " JOIN accounts a ON a.premise_id = m.premise_id WHERE a.number = ?"
        " AND m.removed_on IS NULL", (number,)).fetchone()[0])


# A band table with an error limit on small use too (the default warns only below 100 units
# expected), so a final read far above a home's usual use is an error finding.
STRICT_READ_BANDS = ("0: warning +70/-40, error +300/-100; 100: warning +60/-30, error +65/-35;"
                     " 1000: error +50/-20")


def use_strict_read_bands(path: Path) -> None:
    """Store STRICT_READ_BANDS as the district's read_bands setting (audited, as a clerk would)."""
    from db.connection import open_database
    from db.settings import save_settings

    conn = open_database(path)
    try:
        save_settings(conn, {"read_bands": STRICT_READ_BANDS}, actor="tester",
                      at="2026-11-20T09:00:00")
    finally:
        conn.close()
