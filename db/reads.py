"""Read queries other areas call: billing holds, billable usage, the route export, usage history."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from core.read_bands import ReadAuditPolicy, band_for, read_audit_policy
from core.read_import import ROUTE_EXPORT_COLUMNS, ReadWindow
from core.reads import (
    Expected,
    MeterChain,
    Occupancy,
    PeriodUsage,
    ReadFacts,
    ReadUnderAudit,
    expected_usage,
    period_usage,
    premise_periods,
    read_facts,
)
from db.read_history import HISTORY_DAYS, fill_premises, load_chains
from db.read_lookups import cycle_windows
from db.settings import load_settings


def billing_holds(conn: sqlite3.Connection, cycle_id: int) -> dict[int, str]:
    """account id -> why it is held out of this cycle's billing: its unresolved read exceptions.

    Every open exception holds its account (RULES.md §4: a failing read is held until a clerk
    disposes of it); one waiting on a work order holds it too. The reason names the worst one.
    """
    holds: dict[int, list[sqlite3.Row]] = {}
    for row in conn.execute(
            "SELECT id, account_id, rule_id, severity, status, explanation FROM read_exceptions"
            " WHERE cycle_id = ? AND status IN ('open', 'waiting') AND account_id IS NOT NULL"
            " ORDER BY account_id, severity_rank, id", (cycle_id,)):
        holds.setdefault(row["account_id"], []).append(row)
    reasons = {}
    for account_id, rows in holds.items():
        worst = rows[0]
        waiting = ", waiting on a work order" if worst["status"] == "waiting" else ""
        more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
        reasons[account_id] = (f"read exception {worst['id']} {worst['rule_id']} "
                               f"({worst['severity']}{waiting}){more}: {worst['explanation']}")
    return reasons


def premise_chains(conn: sqlite3.Connection, premise_id: int, since: date,
                   until: date) -> tuple[MeterChain, ...]:
    """One premise's meters and readings in [since, until)."""
    fill_premises(conn, [premise_id])
    return load_chains(conn, since, until).get(premise_id, ())


def billable_usage(conn: sqlite3.Connection, account_id: int, start: date,
                   end: date) -> PeriodUsage:
    """Usage at the account's premise from the read on `start` to the read on `end`, summed
    over every meter (a change-out adds the old meter's final usage to the new meter's)."""
    row = conn.execute("SELECT premise_id FROM accounts WHERE id = ?", (account_id,)).fetchone()
    if row is None:
        return PeriodUsage(start, end, 0, False, ())
    chains = premise_chains(conn, row[0], start - timedelta(days=HISTORY_DAYS),
                            end + timedelta(days=1))
    return period_usage(chains, start, end)


def usage_history(conn: sqlite3.Connection, meter_id: int, through: date,
                  periods: int = 13) -> list[tuple[date, int, bool]]:
    """(period end, usage, estimated) for the premise of a meter: the last `periods`, oldest
    first, through the read on `through` (the 13-month chart)."""
    row = conn.execute("SELECT premise_id FROM meters WHERE id = ?", (meter_id,)).fetchone()
    if row is None or row[0] is None:
        return []
    chains = premise_chains(conn, row[0], through - timedelta(days=HISTORY_DAYS),
                            through + timedelta(days=1))
    return [(p.end, p.usage, p.estimated) for p in premise_periods(chains)][-periods:]


ROUTE_SQL = """
SELECT r.cycle_id, r.code, p.walk_order, p.id AS premise_id, p.line1, p.line2, p.city,
       m.id AS meter_id, m.serial, m.size, m.dials, m.location,
       a.number, a.status, c.name,
       (SELECT COALESCE(NULLIF(x.read_method, ''), x.source) FROM meter_reads x
         WHERE x.meter_id = m.id ORDER BY x.read_on DESC, x.id DESC LIMIT 1) AS last_method
  FROM meters m
  JOIN premises p ON p.id = m.premise_id
  JOIN routes r ON r.id = p.route_id
  LEFT JOIN accounts a ON a.id = (SELECT y.id FROM accounts y WHERE y.premise_id = p.id
                                    AND y.status <> 'closed'
                                  ORDER BY y.status = 'active' DESC, y.opened_on DESC, y.id DESC
                                  LIMIT 1)
  LEFT JOIN customers c ON c.id = a.customer_id
 WHERE r.cycle_id = ? AND m.removed_on IS NULL
 ORDER BY r.code, p.walk_order, m.id
"""


@dataclass(frozen=True)
class RouteMeter:
    """One meter of a cycle's route: its route-file row, its history and its expected usage."""

    values: dict[str, str]
    facts: ReadFacts
    expected: Expected | None
    occupied: bool
    window: ReadWindow


def route_meters(conn: sqlite3.Connection, cycle_id: int, today: date) -> Iterator[RouteMeter]:
    """The cycle's meters in walk order, for the upcoming read (FORMATS.md §6.1 route export);
    low/high limits are the expected usage's warning band around the previous read."""
    settings = load_settings(conn)
    policy = read_audit_policy(settings)
    window = cycle_windows(conn, today, policy, upcoming=True)[cycle_id]
    rows = conn.execute(ROUTE_SQL, (cycle_id,)).fetchall()
    fill_premises(conn, {r["premise_id"] for r in rows})
    chains = load_chains(conn, window.first - timedelta(days=HISTORY_DAYS), window.first)
    for r in rows:
        case = ReadUnderAudit(r["meter_id"], r["serial"], r["dials"], window.scheduled, None,
                              Occupancy.ACTIVE, chains.get(r["premise_id"], ()))
        facts = read_facts(case)
        expected = expected_usage(facts, policy.expected_basis, policy.expected_periods)
        low, high = _limits(facts, expected, policy)
        previous = facts.previous
        address = ", ".join(part for part in (r["line1"], r["line2"], r["city"]) if part)
        method = (r["last_method"] or "").upper()
        values = {
            "cycle": str(r["cycle_id"]), "route": r["code"], "read_seq": str(r["walk_order"]),
            "account_number": r["number"] or "", "location_id": str(r["premise_id"]),
            "service_point_id": f"{r['premise_id']}-W", "customer_name": r["name"] or "",
            "service_address": address, "meter_id": str(r["meter_id"]),
            "meter_serial": r["serial"], "register": "S", "endpoint_id": "",
            "endpoint_type": method if method in ("AMR", "AMI") else "MANUAL",
            "meter_size": r["size"], "dials": str(r["dials"]), "multiplier": "1",
            "unit": settings.read_unit,
            "prev_read": str(previous.reading) if previous else "",
            "prev_read_date": previous.day.isoformat() if previous else "",
            "low_limit": low, "high_limit": high, "instruction_codes": "",
            "location_code": "", "notes": r["location"] or ""}
        yield RouteMeter(values, facts, expected, r["status"] == "active", window)


def route_export_rows(conn: sqlite3.Connection, cycle_id: int, today: date
                      ) -> Iterator[tuple[str, ...]]:
    """The route file's rows, in ROUTE_EXPORT_COLUMNS order."""
    for meter in route_meters(conn, cycle_id, today):
        yield tuple(meter.values[c] for c in ROUTE_EXPORT_COLUMNS)


def _limits(facts: ReadFacts, expected: Expected | None, policy: ReadAuditPolicy
            ) -> tuple[str, str]:
    if expected is None or facts.previous is None:
        return "", ""
    band = band_for(policy.bands, expected.usage)
    tolerance = band.warning or band.error
    if tolerance is None:
        return "", ""
    low = expected.usage * (100 - tolerance.low_percent) // 100
    high = -(-expected.usage * (100 + tolerance.high_percent) // 100)
    return str(facts.previous.reading + low), str(facts.previous.reading + high)
