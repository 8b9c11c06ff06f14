"""A small district with two accounts locked off and still owing, for the after-lock-off
lists (tests/test_collections.py, tests/test_collections_screen.py)."""
from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

from core.schedule import EventKind
from db.lockoff import make_list
from db.lockoff_orders import complete_order, make_orders
from db.schedule import generate_months, schedule_for_month
from tests.calendar_support import AT, SUPERVISOR, build_calendar_district


def locked_off_district(path: Path) -> tuple[sqlite3.Connection, date]:
    """100-0000 and 100-0001 locked off on cycle 1's lock-off day of September 2026, each
    still owing $90.00; the owner of 100-0001's premise is its customer, and a lien needs
    $50.00. Returns the open database and the lock-off day."""
    conn = build_calendar_district(path, accounts_per_cycle=2)
    month = date(2026, 9, 1)
    generate_months(conn, month, 3, user=SUPERVISOR, at=AT, today=month)
    dates = {d.event: d.on for d in schedule_for_month(conn, month, 1)}
    for number in ("100-0000", "100-0001"):
        for kind in ("sb998", "occupant"):
            conn.execute("INSERT INTO delinquency_notices (account_id, kind, on_date,"
                         " addressed_to, logged_by, logged_at) SELECT id, ?, ?, 'customer',"
                         " 'clerk1', ? FROM accounts WHERE number = ?",
                         (kind, dates[EventKind.NOTICE].isoformat(), AT, number))
    conn.execute("INSERT INTO settings (key, value, updated_by, updated_at) VALUES"
                 " ('collections_lien_min_cents', ?, 'setup', ?)", (json.dumps(5000), AT))
    stored, _ = make_list(conn, dates[EventKind.LOCKOFF], actor="clerk1", at=AT)
    make_orders(conn, stored, actor="clerk1", at=AT)
    for (order,) in conn.execute("SELECT id FROM lockoff_orders").fetchall():
        complete_order(conn, order, locked=True, note="locked", on=dates[EventKind.LOCKOFF],
                       actor="crew1", at=AT)
    # The owner is the customer of record (set after the lock-off: the tenant notice gate is
    # not what these tests are about).
    conn.execute("UPDATE premises SET owner_customer_id = (SELECT customer_id FROM accounts"
                 " WHERE number = '100-0001') WHERE id = (SELECT premise_id FROM accounts"
                 " WHERE number = '100-0001')")
    return conn, dates[EventKind.LOCKOFF]
