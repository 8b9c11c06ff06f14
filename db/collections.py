"""After lock-off on real data: the accounts still off and owing, the four lists with reasons
(core/collections.py), the final notices and agency referrals logged once per lock-off, and the
files they go out in (docs/formats/collections.md).
"""
from __future__ import annotations

import csv
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.collections import Finding, LockedOff, findings
from db import audit
from db.settings import load_settings
from db.transaction import write_transaction

# The latest lock-off of each account with no reconnection, and what the account owes now.
_LOCKED_OFF = """
SELECT a.id, a.number, c.name, p.line1 || ', ' || p.city AS address, s.service_class, s.id,
       s.locked_on, COALESCE(b.balance_cents, 0),
       COALESCE(p.owner_customer_id = a.customer_id, 0),
       EXISTS (SELECT 1 FROM payment_plans pp WHERE pp.account_id = a.id
                 AND pp.starts_on <= :on
                 AND (pp.ended_on IS NULL OR pp.ended_on > :on)) AS in_plan
  FROM shutoff_log s
  JOIN accounts a ON a.id = s.account_id
  JOIN customers c ON c.id = a.customer_id
  JOIN premises p ON p.id = a.premise_id
  LEFT JOIN account_balances b ON b.account_id = a.id
 WHERE s.locked_on <= :on
   AND s.id = (SELECT max(s2.id) FROM shutoff_log s2 WHERE s2.account_id = s.account_id)
   AND NOT EXISTS (SELECT 1 FROM reconnections r WHERE r.shutoff_id = s.id)
 ORDER BY a.number
"""
FILE_COLUMNS = ("account", "name", "service_address", "service_class", "locked_on",
                "days_off", "balance", "owner_is_customer", "reason")


def locked_off(conn: sqlite3.Connection, on: date) -> list[LockedOff]:
    """Every account whose latest lock-off on or before `on` has not been reconnected."""
    return [LockedOff(r[0], r[1], r[2], r[3], r[4], r[5], date.fromisoformat(r[6]), r[7],
                      bool(r[8]), bool(r[9]))
            for r in conn.execute(_LOCKED_OFF, {"on": on.isoformat()})]


def after_lockoff_list(conn: sqlite3.Connection, which: str, on: date) -> list[Finding]:
    """One of the four lists (core.collections.LISTS) for the day, each row with its reason;
    a final notice or referral already logged for the lock-off is named in the reason."""
    found = findings(locked_off(conn, on), which, on, load_settings(conn))
    if which == "write-offs":
        return _with_batches(conn, found)
    if which not in _TABLES:
        return found
    table, day, _by, _when, words = _TABLES[which]
    logged = dict(conn.execute(f"SELECT shutoff_id, {day} FROM {table}").fetchall())
    return [Finding(f.account, f"{f.reason}; {words[:-1]} logged {logged[f.account.shutoff_id]}")
            if f.account.shutoff_id in logged else f for f in found]


def _with_batches(conn: sqlite3.Connection, found: list[Finding]) -> list[Finding]:
    """The write-off list with each lock-off's latest batch named (a rejected one with who and
    why: the account may be proposed again)."""
    latest = {r[0]: r[1:] for r in conn.execute(
        "SELECT i.shutoff_id, b.id, b.status, b.rejected_by, b.rejected_reason"
        " FROM write_off_items i JOIN write_off_batches b ON b.id = i.batch_id ORDER BY b.id")}
    out = []
    for f in found:
        if f.account.shutoff_id not in latest:
            out.append(f)
            continue
        number, status, by, why = latest[f.account.shutoff_id]
        said = f"write-off batch {number} {status.upper()}" + (f" by {by}: {why}" if by else "")
        out.append(Finding(f.account, f"{f.reason}; {said}"))
    return out


def write_findings(out: Path, found: list[Finding], on: date) -> None:
    """The list as a CSV file (docs/formats/collections.md)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FILE_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(f.as_dict(on) for f in found)


@dataclass(frozen=True)
class SentRun:
    """What logging a list (final notices or agency referrals) did."""

    what: str
    on: date
    logged: int
    in_file: int
    out: Path

    def lines(self) -> list[str]:
        return [f"{self.on}: {self.logged:,} {self.what} newly logged; {self.in_file:,} in "
                f"{self.out} (each lock-off is logged once)."]


def send_final_notices(conn: sqlite3.Connection, on: date, out: Path, *, actor: str,
                       at: str) -> SentRun:
    """Log a final notice for each account on the day's list (once per lock-off), write the
    print file of the notices logged on the day."""
    return _log_once(conn, "final-notices", on, out, actor=actor, at=at)


def refer_to_agency(conn: sqlite3.Connection, on: date, out: Path, *, actor: str,
                    at: str) -> SentRun:
    """Refer each account on the day's agency list (once per lock-off), write the export of
    the referrals made on the day."""
    return _log_once(conn, "agency", on, out, actor=actor, at=at)


_TABLES = {"final-notices": ("final_notices", "on_date", "logged_by", "logged_at",
                             "final notices"),
           "agency": ("agency_referrals", "referred_on", "referred_by", "referred_at",
                      "agency referrals")}


def _log_once(conn: sqlite3.Connection, which: str, on: date, out: Path, *, actor: str,
              at: str) -> SentRun:
    table, day, by, when, words = _TABLES[which]
    with write_transaction(conn):
        found = findings(locked_off(conn, on), which, on, load_settings(conn))
        logged = 0
        for f in found:
            logged += conn.execute(
                f"INSERT OR IGNORE INTO {table} (shutoff_id, account_id, {day}, balance_cents,"
                f" reason, file_name, {by}, {when}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (f.account.shutoff_id, f.account.account_id, on.isoformat(),
                 f.account.balance_cents, f.reason, out.name, actor, at)).rowcount
        audit.record(conn, at=at, actor=actor, action=f"collections.{which}",
                     object_type=table, object_id=on.isoformat(),
                     after={"logged": logged, "file": out.name})
        ids = {r[0] for r in conn.execute(f"SELECT shutoff_id FROM {table} WHERE {day} = ?",
                                          (on.isoformat(),))}
    # The file holds what was logged on the day, with the reasons as the list gives them now.
    on_day = [f for f in found if f.account.shutoff_id in ids]
    write_findings(out, on_day, on)
    return SentRun(words, on, logged, len(on_day), out)
