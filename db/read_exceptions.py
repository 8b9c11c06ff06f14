"""Read exceptions: storing what the audit found, and the queue a clerk works."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from core.read_rules import Finding

# Exceptions that hold an account out of billing: not yet resolved.
UNRESOLVED = ("open", "waiting")
STATUSES = ("open", "waiting", "resolved")


class ExceptionPlace(NamedTuple):
    """Where an exception belongs: the read (if any), meter, account, route and file line."""

    read_id: int | None
    meter_id: int
    account_id: int | None
    cycle_id: int
    route_code: str
    walk_order: int
    read_on: date
    skip_code: str = ""
    import_id: int | None = None
    source_line: int | None = None


def insert_exceptions(conn: sqlite3.Connection, found: Iterable[tuple[ExceptionPlace, Finding]],
                      *, actor: str, at: str) -> int:
    """Store findings as open exceptions; the caller owns the transaction. Returns how many."""
    rows = [(p.read_id, p.meter_id, p.account_id, p.cycle_id, p.route_code, p.walk_order,
             p.read_on.isoformat(), f.rule_id, f.severity.value, f.severity.rank, f.verdict,
             f.explanation, f.expected, f.actual, f.threshold,
             json.dumps(f.facts, sort_keys=True, default=str), p.skip_code, p.import_id,
             p.source_line, actor, at) for p, f in found]
    conn.executemany(
        "INSERT INTO read_exceptions (read_id, meter_id, account_id, cycle_id, route_code,"
        " walk_order, read_on, rule_id, severity, severity_rank, verdict, explanation, expected,"
        " actual, threshold, facts, skip_code, import_id, source_line, opened_by, opened_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


@dataclass(frozen=True)
class QueueFilter:
    """Which exceptions the queue shows: by status, rule, cycle and route (None: all)."""

    status: str = "open"
    rule_id: str | None = None
    cycle_id: int | None = None
    route_code: str | None = None

    def where(self) -> tuple[str, list[object]]:
        clauses: list[str] = ["e.status = ?"]
        params: list[object] = [self.status]
        if self.rule_id:
            clauses.append("e.rule_id = ?")
            params.append(self.rule_id)
        if self.cycle_id is not None:
            clauses.append("e.cycle_id = ?")
            params.append(self.cycle_id)
        if self.route_code:
            clauses.append("e.route_code = ?")
            params.append(self.route_code)
        return " AND ".join(clauses), params

    def text(self) -> str:
        parts = [self.status.upper()]
        if self.rule_id:
            parts.append(f"rule {self.rule_id}")
        if self.cycle_id is not None:
            parts.append(f"cycle {self.cycle_id}")
        if self.route_code:
            parts.append(f"route {self.route_code}")
        return ", ".join(parts)


QUEUE_SQL = """
SELECT e.id, e.rule_id, e.severity, e.verdict, e.explanation, e.expected, e.actual,
       e.threshold, e.facts, e.status, e.route_code, e.walk_order, e.read_on, e.cycle_id,
       e.read_id, e.meter_id, e.account_id, e.skip_code, e.import_id, e.source_line, e.version,
       a.number AS account_number, a.status AS account_status, c.name AS customer_name,
       m.serial, m.dials, r.reading, r.kind, r.read_method, p.line1 AS address
  FROM read_exceptions e
  JOIN meters m ON m.id = e.meter_id
  LEFT JOIN premises p ON p.id = m.premise_id
  LEFT JOIN accounts a ON a.id = e.account_id
  LEFT JOIN customers c ON c.id = a.customer_id
  LEFT JOIN meter_reads r ON r.id = e.read_id
"""
QUEUE_ORDER = " ORDER BY e.severity_rank, e.route_code, e.walk_order, e.id"


def count_queue(conn: sqlite3.Connection, queue: QueueFilter) -> int:
    where, params = queue.where()
    return int(conn.execute(f"SELECT count(*) FROM read_exceptions e WHERE {where}",
                            params).fetchone()[0])


def queue_page(conn: sqlite3.Connection, queue: QueueFilter, *, offset: int,
               limit: int) -> list[sqlite3.Row]:
    """One page of the queue, by severity then route and walk order."""
    where, params = queue.where()
    return conn.execute(f"{QUEUE_SQL} WHERE {where}{QUEUE_ORDER} LIMIT ? OFFSET ?",
                        [*params, limit, offset]).fetchall()


def exception_row(conn: sqlite3.Connection, exception_id: int) -> sqlite3.Row | None:
    return conn.execute(f"{QUEUE_SQL} WHERE e.id = ?", (exception_id,)).fetchone()


def rule_counts(conn: sqlite3.Connection, queue: QueueFilter) -> list[tuple[str, int]]:
    """(rule id, count) of the queue's exceptions ignoring its rule filter, most first."""
    where, params = QueueFilter(queue.status, None, queue.cycle_id, queue.route_code).where()
    return [(r[0], r[1]) for r in conn.execute(
        f"SELECT e.rule_id, count(*) FROM read_exceptions e WHERE {where}"
        " GROUP BY e.rule_id ORDER BY count(*) DESC, e.rule_id", params)]


def open_missing_meters(conn: sqlite3.Connection, since: date) -> set[int]:
    """Meters with an unresolved MISSING exception for a read day on or after `since`."""
    return {r[0] for r in conn.execute(
        "SELECT meter_id FROM read_exceptions WHERE rule_id = 'MISSING'"
        " AND status IN ('open', 'waiting') AND read_on >= ?", (since.isoformat(),))}


@dataclass(frozen=True)
class ExceptionView:
    """One exception as the queue and its detail pane show it, history included."""

    id: int
    version: int
    rule_id: str
    severity: str
    verdict: str
    status: str
    explanation: str
    expected: int | None
    actual: int | None
    threshold: str
    cycle_id: int
    route_code: str
    walk_order: int
    read_on: date
    read_id: int | None
    reading: int | None
    kind: str
    read_method: str
    meter_id: int
    serial: str
    dials: int
    account_number: str
    customer_name: str
    address: str
    skip_code: str
    import_id: int | None
    source_line: int | None
    history: tuple[tuple[date, int, bool], ...]  # (period end, usage, estimated), oldest first
    unit: str  # the district's register unit (setting read_unit)


def queue_views(conn: sqlite3.Connection, queue: QueueFilter, *, offset: int,
                limit: int) -> list[ExceptionView]:
    """A page of the queue with each exception's 13-period usage history, in two queries."""
    from core.reads import premise_periods
    from db.read_history import fill_premises, history_since, load_chains
    from db.settings import load_settings

    rows = queue_page(conn, queue, offset=offset, limit=limit)
    if not rows:
        return []
    unit = load_settings(conn).read_unit
    premises = {r["meter_id"]: r["premise_id"] for r in conn.execute(
        f"SELECT id AS meter_id, premise_id FROM meters WHERE id IN "
        f"({', '.join(str(int(r['meter_id'])) for r in rows)})")}
    days = [date.fromisoformat(r["read_on"]) for r in rows]
    fill_premises(conn, (p for p in premises.values() if p is not None))
    chains = load_chains(conn, history_since(min(days)), max(days) + timedelta(days=1))
    views = []
    for row, day in zip(rows, days, strict=True):
        premise = premises.get(row["meter_id"])
        periods = premise_periods(chains.get(premise, ()) if premise is not None else ())
        history = tuple((p.end, p.usage, p.estimated) for p in periods if p.end <= day)[-13:]
        views.append(ExceptionView(
            row["id"], row["version"], row["rule_id"], row["severity"], row["verdict"],
            row["status"], row["explanation"], row["expected"], row["actual"], row["threshold"],
            row["cycle_id"], row["route_code"], row["walk_order"], day, row["read_id"],
            row["reading"], row["kind"] or "", row["read_method"] or "", row["meter_id"],
            row["serial"], row["dials"], row["account_number"] or "",
            row["customer_name"] or "", row["address"] or "", row["skip_code"],
            row["import_id"], row["source_line"], history, unit))
    return views
