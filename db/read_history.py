"""Read history for the audit: each premise's meters and their readings, as core MeterChains.

Install and final readings of a change-out come from the meters table (installed_on /
install_read, removed_on / removal_read) and join the chain as boundaries unless a stored read
falls on the same day.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import date, timedelta

from core.reads import AmrFlags, MeterChain, Occupancy, ReadPoint, ReadUnderAudit

# 13 months of reads plus slack: enough for "same period last year" and three recent periods.
HISTORY_DAYS = 420


def history_since(day: date) -> date:
    return day - timedelta(days=HISTORY_DAYS)


def fill_premises(conn: sqlite3.Connection, premise_ids: Iterable[int]) -> None:
    """Put the premises to load into the connection's temp table `audit_premises`."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS audit_premises"
                 " (premise_id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.audit_premises")
    # One statement, not one per premise: outside a transaction each statement commits the
    # temp database on its own, which costs seconds once the table has been filled before.
    conn.execute("INSERT OR IGNORE INTO temp.audit_premises SELECT value FROM json_each(?)",
                 (json.dumps(list(premise_ids)),))


def load_chains(conn: sqlite3.Connection, since: date, until: date
                ) -> dict[int, tuple[MeterChain, ...]]:
    """premise id -> its meters' readings in [since, until), for the premises in audit_premises."""
    plain = conn.cursor()
    plain.row_factory = None  # tuples: a sqlite3.Row per reading costs half as much again
    # Driven from the premises through meters_premise (each premise's meters in id order):
    # left to itself the planner scans every meter of the district, once per call.
    meters = plain.execute(
        "SELECT m.premise_id, m.id, m.serial, m.dials, m.installed_on, m.install_read,"
        " m.removed_on, m.removal_read FROM temp.audit_premises t"
        " CROSS JOIN meters m ON m.premise_id = t.premise_id"
        " WHERE (m.removed_on IS NULL OR m.removed_on >= ?) AND m.installed_on < ?",
        (since.isoformat(), until.isoformat())).fetchall()
    points: dict[int, list[ReadPoint]] = {m[1]: [] for m in meters}
    # Driven from the premises, each meter's reads arrive together in the order of the index
    # meter_reads_chain (meter, read day, id), which holds the reading and its kind too
    # (migration 0019): no sort is needed, and no read is looked up in the table.
    rows = plain.execute(
        "SELECT r.meter_id, r.read_on, r.reading, r.kind = 'estimated'"
        " FROM temp.audit_premises t CROSS JOIN meters m ON m.premise_id = t.premise_id"
        " CROSS JOIN meter_reads r INDEXED BY meter_reads_chain"
        " ON r.meter_id = m.id AND r.read_on >= ? AND r.read_on < ?",
        (since.isoformat(), until.isoformat()))
    parse, make, no = date.fromisoformat, tuple.__new__, False  # tuple.__new__: 2x faster
    current_id, current = -1, None
    for meter_id, read_on, reading, estimated in rows:
        if meter_id != current_id:
            current_id, current = meter_id, points.get(meter_id)
        if current is not None:
            current.append(make(ReadPoint, (parse(read_on), reading, estimated == 1, no)))
    chains: dict[int, list[MeterChain]] = {}
    since_text, until_text = since.isoformat(), until.isoformat()
    for premise_id, meter_id, serial, dials, installed, install_read, removed, final in meters:
        own = points[meter_id]
        if since_text <= installed < until_text and not (own and own[0].day.isoformat()
                                                          == installed):
            own.insert(0, ReadPoint(parse(installed), install_read, False, True))
        if removed is not None and removed < until_text and final is not None \
                and not (own and own[-1].day.isoformat() == removed):
            own.append(ReadPoint(parse(removed), final, False, True))
        chains.setdefault(premise_id, []).append(MeterChain(meter_id, serial, dials, tuple(own)))
    return {premise: tuple(found) for premise, found in chains.items()}


def premise_occupancy(conn: sqlite3.Connection) -> dict[int, tuple[int, str, Occupancy]]:
    """premise id -> (account id, number, occupancy) of its current account, for audit_premises.

    The current account is the active one, else the latest opened (inactive or closed).
    """
    found: dict[int, tuple[int, str, Occupancy]] = {}
    plain = conn.cursor()
    plain.row_factory = None
    rows = plain.execute(
        "SELECT a.premise_id, a.id, a.number, a.status FROM accounts a"
        " JOIN temp.audit_premises t ON t.premise_id = a.premise_id"
        " ORDER BY a.premise_id, a.status = 'active', a.opened_on, a.id")
    for premise_id, account_id, number, status in rows:
        occupancy = Occupancy.ACTIVE if status == "active" else Occupancy.INACTIVE
        found[premise_id] = (account_id, number, occupancy)  # the last row per premise wins
    return found


def occupancy_of(status: str | None) -> Occupancy:
    """The occupancy an account's status means (no account: a vacant premise)."""
    if status is None:
        return Occupancy.VACANT
    return Occupancy.ACTIVE if status == "active" else Occupancy.INACTIVE


def audit_case(conn: sqlite3.Connection, *, meter_id: int, account_id: int | None, day: date,
               reading: int | None, estimated: bool = False, flags: AmrFlags | None = None,
               skip_code: str = "", note: str = "") -> ReadUnderAudit:
    """One read (or a meter not read) with its premise's history before `day`, for the rules."""
    meter = conn.execute("SELECT serial, dials, premise_id FROM meters WHERE id = ?",
                         (meter_id,)).fetchone()
    status = None
    if account_id is not None:
        row = conn.execute("SELECT status FROM accounts WHERE id = ?", (account_id,)).fetchone()
        status = row[0] if row else None
    chains: tuple[MeterChain, ...] = ()
    if meter["premise_id"] is not None:
        fill_premises(conn, [meter["premise_id"]])
        chains = load_chains(conn, history_since(day), day).get(meter["premise_id"], ())
    return ReadUnderAudit(meter_id, meter["serial"], meter["dials"], day, reading,
                          occupancy_of(status), chains, estimated, flags or AmrFlags(),
                          skip_code, note)


def stored_read_case(conn: sqlite3.Connection, read_id: int) -> ReadUnderAudit:
    """A stored read as the rules see it, its AMR flags included."""
    row = conn.execute("SELECT * FROM meter_reads WHERE id = ?", (read_id,)).fetchone()
    return audit_case(conn, meter_id=row["meter_id"], account_id=row["account_id"],
                      day=date.fromisoformat(row["read_on"]), reading=row["reading"],
                      estimated=row["kind"] == "estimated",
                      flags=AmrFlags(row["leak"], row["backflow"], row["tamper"],
                                     row["no_usage_days"]), note=row["note_text"])
