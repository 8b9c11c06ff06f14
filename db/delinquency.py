"""Read what the lock-off gates need, for many accounts at once, and one account's delinquency.

Everything is read as of a date: entries effective by then, notices logged before it, flags
and records in force on it. Accounts are read in chunks by id, never one query per account.
"""
from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from core.delinquency import Delinquency, LadderPosition, delinquency, ladder_position
from core.lockoff_gates import Candidate, NoticeLog, PlanRecord, Protection
from db.schedule import schedule_for_month

_CHUNK = 900


class _Entry(NamedTuple):
    """A receivable ledger entry as allocation reads it (a tuple: thousands are read at once)."""

    id: int
    amount_cents: int
    effective_on: date
    reverses_id: int | None
    entry_type: str


def _chunks(ids: Sequence[int]) -> Iterable[str]:
    for start in range(0, len(ids), _CHUNK):
        yield json.dumps(list(ids[start:start + _CHUNK]))


def _ledgers(conn: sqlite3.Connection, ids: Sequence[int], on: date
             ) -> tuple[dict[int, list[_Entry]], dict[int, date]]:
    entries: dict[int, list[_Entry]] = defaultdict(list)
    dues: dict[int, date] = {}
    for chunk in _chunks(ids):
        for r in conn.execute(
                "SELECT id, account_id, amount_cents, effective_on, reverses_id, entry_type,"
                " due_on FROM ledger_entries WHERE account_id IN (SELECT value FROM"
                " json_each(?)) AND book = 'receivable' AND effective_on <= ?",
                (chunk, on.isoformat())):
            entries[r[1]].append(_Entry(r[0], r[2], date.fromisoformat(r[3]), r[4], r[5]))
            if r[5] == "bill" and r[6]:
                dues[r[0]] = date.fromisoformat(r[6])
    return entries, dues


def _notices(conn: sqlite3.Connection, ids: Sequence[int], on: date
             ) -> dict[int, list[NoticeLog]]:
    found: dict[int, list[NoticeLog]] = defaultdict(list)
    for chunk in _chunks(ids):
        for r in conn.execute(
                "SELECT account_id, kind, on_date, outcome FROM delinquency_notices WHERE"
                " account_id IN (SELECT value FROM json_each(?)) AND on_date < ?",
                (chunk, on.isoformat())):
            found[r[0]].append(NoticeLog(r[1], date.fromisoformat(r[2]), r[3]))
    return found


def _flags(conn: sqlite3.Connection, ids: Sequence[int], on: date
           ) -> dict[int, list[tuple[str, str, str, str | None]]]:
    """Flags in force on `on`: (flag, reason, set_on, expires_on) per account."""
    found: dict[int, list[tuple[str, str, str, str | None]]] = defaultdict(list)
    day = on.isoformat()
    for chunk in _chunks(ids):
        for r in conn.execute(
                "SELECT account_id, flag, reason, set_on, expires_on FROM account_flags WHERE"
                " account_id IN (SELECT value FROM json_each(?)) AND flag IN ('APPEAL',"
                " 'RETURNED MAIL', 'PAYMENT PLAN', 'MEDICAL CERT') AND set_on <= ?"
                " AND (cleared_on IS NULL OR cleared_on > ?)"
                " AND (expires_on IS NULL OR expires_on > ?)", (chunk, day, day, day)):
            found[r[0]].append((r[1], r[2], r[3][:10], r[4]))
    return found


def _plans(conn: sqlite3.Connection, ids: Sequence[int], on: date
           ) -> dict[int, list[PlanRecord]]:
    found: dict[int, list[PlanRecord]] = defaultdict(list)
    day = on.isoformat()
    for chunk in _chunks(ids):
        # SB 998 §116910(c)(B): the bills issued since the plan started are its current
        # charges, each net of its reversals, with the due date its 60-day clock counts from.
        # CROSS JOIN keeps plans outermost and +reverses_id keeps SQLite off that index:
        # otherwise it scans every ledger entry (1.4 s for a 3,347-account list at 100k).
        current: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for r in conn.execute(
                """SELECT p.id, e.due_on, e.amount_cents + COALESCE((SELECT SUM(x.amount_cents)
                           FROM ledger_entries x WHERE x.account_id = e.account_id
                            AND x.reverses_id = e.id AND x.effective_on <= ?), 0)
                     FROM payment_plans p CROSS JOIN ledger_entries e ON e.account_id = p.account_id
                      AND e.book = 'receivable' AND e.entry_type = 'bill'
                      AND e.due_on IS NOT NULL AND +e.reverses_id IS NULL
                      AND e.effective_on BETWEEN p.starts_on AND ?
                    WHERE p.account_id IN (SELECT value FROM json_each(?)) AND p.starts_on <= ?
                    ORDER BY e.due_on, e.id""", (day, day, chunk, day)):
            if r[2] > 0:
                current[r[0]].append((date.fromisoformat(r[1]), r[2]))
        for r in conn.execute(
                """SELECT p.*, COALESCE((SELECT -SUM(e.amount_cents) FROM ledger_entries e
                           WHERE e.account_id = p.account_id AND e.book = 'receivable'
                             AND e.entry_type IN ('payment', 'returned_payment')
                             AND e.effective_on BETWEEN p.starts_on AND ?), 0) AS paid
                     FROM payment_plans p WHERE p.account_id IN (SELECT value FROM json_each(?))
                      AND p.starts_on <= ?""", (day, chunk, day)):
            found[r["account_id"]].append(PlanRecord(
                date.fromisoformat(r["starts_on"]), date.fromisoformat(r["first_due_on"]),
                r["months"], r["installment_cents"], r["total_cents"], r["paid"],
                date.fromisoformat(r["ended_on"]) if r["ended_on"] else None, r["kind"],
                tuple(current.get(r["id"], ()))))
    return found


def _protections(conn: sqlite3.Connection, ids: Sequence[int], on: date
                 ) -> dict[int, list[Protection]]:
    found: dict[int, list[Protection]] = defaultdict(list)
    for chunk in _chunks(ids):
        for r in conn.execute(
                "SELECT account_id, condition, received_on, expires_on, evidence FROM"
                " protection_records WHERE account_id IN (SELECT value FROM json_each(?))"
                " AND received_on <= ?", (chunk, on.isoformat())):
            found[r[0]].append(Protection(r[1], date.fromisoformat(r[2]),
                                          date.fromisoformat(r[3]) if r[3] else None, r[4]))
    return found


# Driven from the cycle's routes (CROSS JOIN keeps that order), so the ledger is read for the
# cycle's accounts only. Left to itself, with the statistics ANALYZE gives a newly built
# 100,000-account district, the planner walked every active account of the district and read
# its ledger before the cycle's filter: 0.33 s for one cycle's candidates, 0.065 s this way.
# In account order, as the fee and notice steps post and log them.
_CANDIDATES = """
SELECT a.id, a.number, c.name, p.line1, p.city, p.service_class, p.kind, p.dwelling_units,
       COALESCE(p.owner_customer_id = a.customer_id, 0) AS owner,
       (upper(trim(a.mail_line1)) <> upper(trim(p.line1))
        OR upper(trim(a.mail_city)) <> upper(trim(p.city))) AS mail_differs
  FROM routes r
 CROSS JOIN premises p ON p.route_id = r.id
 CROSS JOIN accounts a ON a.premise_id = p.id
 CROSS JOIN account_balances b ON b.account_id = a.id
  JOIN customers c ON c.id = a.customer_id
 WHERE a.status = 'active' AND r.cycle_id = :cycle AND p.service_class IN ({classes})
   AND b.balance_cents - COALESCE((
         SELECT SUM(e.amount_cents) FROM ledger_entries e
          WHERE e.account_id = a.id AND e.effective_on > :issued AND e.entry_type = 'bill'
            AND e.due_on >= :on), 0) > 0
   AND (:only IS NULL OR a.id = :only)
 ORDER BY a.id
"""


def candidates(conn: sqlite3.Connection, on: date, cycle_id: int, residential: bool,
               only: int | None = None) -> list[Candidate]:
    """Every active account of the cycle (or only the account `only`) past due on `on`.

    The SQL keeps accounts whose balance, less the bills not yet due, is above zero (payments
    settle the oldest charges first); a bill due on or after `on` was dated at most 90 days
    before (due_days <= 90), so the index on (account_id, effective_on) reads only those.
    """
    classes = "'residential'" if residential else "'commercial'"
    rows = conn.execute(_CANDIDATES.format(classes=classes), {
        "cycle": cycle_id, "on": on.isoformat(), "only": only,
        "issued": (on - timedelta(days=91)).isoformat()}).fetchall()
    ids = [r[0] for r in rows]
    entries, dues = _ledgers(conn, ids, on)
    notices, flags = _notices(conn, ids, on), _flags(conn, ids, on)
    plans, protections = _plans(conn, ids, on), _protections(conn, ids, on)
    found = []
    for r in rows:
        account = r[0]
        state = delinquency(entries.get(account, []), dues, on)
        if not state.is_past_due:
            continue
        flagged = flags.get(account, [])
        kept = list(protections.get(account, []))
        kept += [Protection("medical", date.fromisoformat(set_on),
                            date.fromisoformat(exp) if exp else None, f"MEDICAL CERT flag: {why}")
                 for flag, why, set_on, exp in flagged if flag == "MEDICAL CERT"]
        found.append(Candidate(
            account_id=account, number=r[1], name=r[2], address=f"{r[3]}, {r[4]}",
            service_class=r[5], premise_kind=r[6], dwelling_units=r[7],
            owner_is_customer=bool(r[8]), mail_differs=bool(r[9]), delinquency=state,
            notices=tuple(notices.get(account, [])),
            returned_mail=_first(flagged, "RETURNED MAIL"), appeal=_first(flagged, "APPEAL"),
            plans=tuple(plans.get(account, [])),
            plan_flag="" if plans.get(account) else _first(flagged, "PAYMENT PLAN"),
            protections=tuple(kept)))
    return found


def _first(flagged: list[tuple[str, str, str, str | None]], flag: str) -> str:
    for name, reason, set_on, _expires in flagged:
        if name == flag:
            return f"{flag} flag set {set_on}: {reason}"
    return ""


@dataclass(frozen=True)
class AccountDelinquency:
    """One account's delinquency on a day and where it stands on its cycle's ladder."""

    number: str
    service_class: str
    cycle_id: int | None
    state: Delinquency
    position: LadderPosition | None      # None when the calendar has no month for the bill


def account_delinquency(conn: sqlite3.Connection, number: str, on: date
                        ) -> AccountDelinquency | None:
    """The delinquency of the account numbered `number` on `on`, or None if there is none."""
    row = conn.execute(
        "SELECT a.id, p.service_class, r.cycle_id FROM accounts a JOIN premises p ON"
        " p.id = a.premise_id LEFT JOIN routes r ON r.id = p.route_id WHERE a.number = ?",
        (number,)).fetchone()
    if row is None:
        return None
    entries, dues = _ledgers(conn, [row[0]], on)
    state = delinquency(entries.get(row[0], []), dues, on)
    position = None
    if state.oldest_due is not None and row[2] is not None:
        month = conn.execute("SELECT month FROM schedule_dates WHERE cycle_id = ? AND"
                             " event = 'due' AND on_date = ?",
                             (row[2], state.oldest_due.isoformat())).fetchone()
        if month is not None:
            dates = {d.event: d.on for d in
                     schedule_for_month(conn, date.fromisoformat(month[0] + "-01"), row[2])}
            position = ladder_position(dates, on, residential=row[1] == "residential")
    return AccountDelinquency(number, row[1], row[2], state, position)

