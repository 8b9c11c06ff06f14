"""Lock-off lists: build one for a date from the calendar, store it, page it, re-check and print.

The accounts come from the cycles whose lock-off (or commercial lock-off) date in the stored
calendar is the list's date (db.schedule); every candidate carries every gate of RULES.md §1.7
with pass or fail and why. Making a list freezes those calendar dates (use_schedule_date) and
records the real count for the calendar's crew load (record_workload). Printing checks every
account again, so a payment, plan or appeal recorded since the list was made takes it off.
"""
from __future__ import annotations

import csv
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from core.lockoff_gates import Candidate, Gate, blocked_by, eligible, evaluate
from core.money import format_money
from core.schedule import EventKind, ScheduledDate
from db import audit
from db.closures import load_calendar
from db.delinquency import candidates
from db.schedule import record_workload, schedule_between, use_schedule_date
from db.settings import load_settings
from db.transaction import write_transaction

LOCKOFF_EVENTS = (EventKind.LOCKOFF, EventKind.COMMERCIAL_LOCKOFF)


@dataclass(frozen=True)
class ListEntry:
    """One candidate on a lock-off date, with every gate."""

    candidate: Candidate
    cycle_name: str
    gates: tuple[Gate, ...]

    @property
    def eligible(self) -> bool:
        return eligible(list(self.gates))

    @property
    def blocked_by(self) -> str:
        return blocked_by(list(self.gates))

    @property
    def sort_key(self) -> str:
        return f"{0 if self.eligible else 1}|{self.candidate.number}"

    def as_dict(self) -> dict[str, object]:
        c = self.candidate
        return {"account": c.number, "name": c.name, "service_address": c.address,
                "service_class": c.service_class, "cycle": self.cycle_name,
                "past_due": format_money(c.delinquency.past_due_cents),
                "days_past_due": c.delinquency.days_past_due,
                "oldest_due": c.delinquency.oldest_due.isoformat()
                if c.delinquency.oldest_due else "",
                "status": "ON LIST" if self.eligible else "OFF",
                "blocked_by": self.blocked_by, "gates": [g.as_dict() for g in self.gates]}


@dataclass(frozen=True)
class LockoffList:
    """A lock-off list as the rules give it now: the calendar dates used and every candidate."""

    on: date
    dates: tuple[ScheduledDate, ...]
    entries: tuple[ListEntry, ...]

    @property
    def eligible_count(self) -> int:
        return sum(1 for e in self.entries if e.eligible)

    def headline(self) -> str:
        if not self.dates:
            return (f"No cycle's lock-off date is {self.on:%a %Y-%m-%d} in the stored calendar"
                    " (F4 shows the calendar).")
        cycles = ", ".join(f"{d.cycle_name} {d.event.label}" for d in self.dates)
        return (f"Lock-off {self.on:%a %Y-%m-%d} ({cycles}): {self.eligible_count:,} ON LIST "
                f"of {len(self.entries):,} past-due accounts")


def lockoff_dates(conn: sqlite3.Connection, on: date) -> list[ScheduledDate]:
    """The calendar's lock-off dates that fall on `on`, one per cycle and kind."""
    return [d for d in schedule_between(conn, on, on) if d.event in LOCKOFF_EVENTS]


def build_list(conn: sqlite3.Connection, on: date) -> LockoffList:
    """Every past-due account of the cycles locking off on `on`, each with every gate."""
    settings, calendar = load_settings(conn), load_calendar(conn)
    dates = lockoff_dates(conn, on)
    entries = []
    for row in dates:
        for candidate in candidates(conn, on, row.cycle_id, row.event == EventKind.LOCKOFF):
            gates = tuple(evaluate(candidate, on, calendar, settings))
            entries.append(ListEntry(candidate, row.cycle_name, gates))
    entries.sort(key=lambda e: e.sort_key)
    return LockoffList(on, tuple(dates), tuple(entries))


@dataclass(frozen=True)
class StoredList:
    """A made list's header."""

    id: int
    on: date
    made_by: str
    made_at: str
    candidates: int
    eligible: int
    printed_by: str | None
    printed_at: str | None
    printed_count: int | None


def make_list(conn: sqlite3.Connection, on: date, *, actor: str, at: str
              ) -> tuple[StoredList, LockoffList]:
    """Build the list for `on` and store it; the calendar dates it used are frozen."""
    with write_transaction(conn):
        built = build_list(conn, on)
        list_id = conn.execute(
            "INSERT INTO lockoff_lists (lockoff_on, made_by, made_at, candidates, eligible)"
            " VALUES (?, ?, ?, ?, ?)", (on.isoformat(), actor, at, len(built.entries),
                                        built.eligible_count)).lastrowid
        assert list_id is not None
        conn.executemany(
            "INSERT INTO lockoff_list_entries (list_id, account_id, sort_key, number, name,"
            " address, service_class, past_due_cents, days_past_due, eligible, blocked_by,"
            " gates) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(list_id, e.candidate.account_id, e.sort_key, e.candidate.number, e.candidate.name,
              e.candidate.address, e.candidate.service_class,
              e.candidate.delinquency.past_due_cents, e.candidate.delinquency.days_past_due,
              int(e.eligible), e.blocked_by, json.dumps(e.as_dict()["gates"]))
             for e in built.entries])
        for row in built.dates:
            use_schedule_date(conn, month=row.month, cycle_id=row.cycle_id, event=row.event,
                              used_by=f"lock-off list {on.isoformat()}", actor=actor, at=at)
            count = sum(1 for e in built.entries if e.eligible and e.cycle_name == row.cycle_name
                        and (e.candidate.residential == (row.event == EventKind.LOCKOFF)))
            record_workload(conn, month=row.month, cycle_id=row.cycle_id, event=row.event,
                            count=count)
        audit.record(conn, at=at, actor=actor, action="lockoff.list_made",
                     object_type="lockoff_list", object_id=str(list_id),
                     after={"on": on.isoformat(), "candidates": len(built.entries),
                            "eligible": built.eligible_count})
    stored = latest_list(conn, on)
    assert stored is not None
    return stored, built


def latest_list(conn: sqlite3.Connection, on: date) -> StoredList | None:
    """The last list made for `on`, or None."""
    r = conn.execute("SELECT * FROM lockoff_lists WHERE lockoff_on = ? ORDER BY id DESC LIMIT 1",
                     (on.isoformat(),)).fetchone()
    if r is None:
        return None
    return StoredList(r["id"], date.fromisoformat(r["lockoff_on"]), r["made_by"], r["made_at"],
                      r["candidates"], r["eligible"], r["printed_by"], r["printed_at"],
                      r["printed_count"])


def count_entries(conn: sqlite3.Connection, list_id: int) -> int:
    return int(conn.execute("SELECT count(*) FROM lockoff_list_entries WHERE list_id = ?",
                            (list_id,)).fetchone()[0])


def entry_page(conn: sqlite3.Connection, list_id: int, *, after: str | None, offset: int,
               limit: int) -> list[sqlite3.Row]:
    """A page of a stored list, ON LIST first then by account number (keyset on sort_key)."""
    if after is not None:
        return conn.execute("SELECT * FROM lockoff_list_entries WHERE list_id = ? AND"
                            " sort_key > ? ORDER BY sort_key LIMIT ?",
                            (list_id, after, limit)).fetchall()
    return conn.execute("SELECT * FROM lockoff_list_entries WHERE list_id = ? ORDER BY sort_key"
                        " LIMIT ? OFFSET ?", (list_id, limit, offset)).fetchall()


@dataclass
class Recheck:
    """A stored list checked again now: who is still on it, who came off and why."""

    still_on: list[ListEntry] = field(default_factory=list)
    taken_off: list[tuple[str, str]] = field(default_factory=list)   # (account, why)
    newly_eligible: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{len(self.still_on):,} accounts still ON LIST after checking every gate again."]
        out += [f"TAKEN OFF {number}: {why}" for number, why in self.taken_off]
        if self.newly_eligible:
            out.append(f"{len(self.newly_eligible):,} accounts became eligible since the list "
                       "was made; they are not printed: make the list again to add them.")
        return out


def recheck(conn: sqlite3.Connection, stored: StoredList) -> Recheck:
    """Check every gate of a stored list again against the ledger and records as they are now."""
    was_on = {r[0] for r in conn.execute("SELECT number FROM lockoff_list_entries WHERE"
                                         " list_id = ? AND eligible = 1", (stored.id,))}
    now = build_list(conn, stored.on)
    result = Recheck()
    seen = set()
    for entry in now.entries:
        number = entry.candidate.number
        seen.add(number)
        if number in was_on and entry.eligible:
            result.still_on.append(entry)
        elif number in was_on:
            failed = "; ".join(f"{g.code} {g.why}" for g in entry.gates if g.passed is False)
            result.taken_off.append((number, failed))
        elif entry.eligible:
            result.newly_eligible.append(number)
    for number in sorted(was_on - seen):
        result.taken_off.append((number, "nothing is past due any more"))
    return result


def recheck_entry(conn: sqlite3.Connection, stored: StoredList, account_id: int, *,
                  actor: str, at: str) -> ListEntry | None:
    """Check one account of a stored list again now and store its gates, so a plan, payment
    or appeal recorded since the list was made takes it off at once (issue 8 item 3)."""
    settings, calendar = load_settings(conn), load_calendar(conn)
    entry = None
    for row in lockoff_dates(conn, stored.on):
        found = candidates(conn, stored.on, row.cycle_id, row.event == EventKind.LOCKOFF,
                           only=account_id)
        if found:
            entry = ListEntry(found[0], row.cycle_name,
                              tuple(evaluate(found[0], stored.on, calendar, settings)))
            break
    with write_transaction(conn):
        before = conn.execute("SELECT eligible, blocked_by, number FROM lockoff_list_entries"
                              " WHERE list_id = ? AND account_id = ?",
                              (stored.id, account_id)).fetchone()
        if before is None:
            return entry
        if entry is None:  # nothing past due any more
            conn.execute("UPDATE lockoff_list_entries SET sort_key = '1|' || number,"
                         " past_due_cents = 0, days_past_due = 0, eligible = 0,"
                         " blocked_by = 'PAID', gates = ? WHERE list_id = ? AND account_id = ?",
                         (json.dumps([{"code": "PAID", "name": "something past due",
                                       "status": "FAIL", "why": "nothing is past due any more"}]),
                          stored.id, account_id))
        else:
            c = entry.candidate
            conn.execute(
                "UPDATE lockoff_list_entries SET sort_key = ?, past_due_cents = ?,"
                " days_past_due = ?, eligible = ?, blocked_by = ?, gates = ? WHERE list_id = ?"
                " AND account_id = ?",
                (entry.sort_key, c.delinquency.past_due_cents, c.delinquency.days_past_due,
                 int(entry.eligible), entry.blocked_by, json.dumps(entry.as_dict()["gates"]),
                 stored.id, account_id))
        conn.execute("UPDATE lockoff_lists SET eligible = (SELECT count(*) FROM"
                     " lockoff_list_entries WHERE list_id = ? AND eligible = 1) WHERE id = ?",
                     (stored.id, stored.id))
        audit.record(conn, at=at, actor=actor, action="lockoff.entry_rechecked",
                     object_type="lockoff_list", object_id=str(stored.id),
                     before={"account": before["number"], "eligible": before["eligible"],
                             "blocked_by": before["blocked_by"]},
                     after={"eligible": int(entry.eligible) if entry else 0,
                            "blocked_by": entry.blocked_by if entry else "PAID"})
    return entry


PRINT_COLUMNS = ("account", "name", "service_address", "cycle", "past_due", "days_past_due",
                 "oldest_due")


def print_list(conn: sqlite3.Connection, stored: StoredList, out: Path, *, actor: str,
               at: str) -> Recheck:
    """Re-check a stored list and write who is still on it to `out` (CSV); record the print."""
    checked = recheck(conn, stored)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PRINT_COLUMNS)
        for entry in checked.still_on:
            row = entry.as_dict()
            writer.writerow([row[column] for column in PRINT_COLUMNS])
    with write_transaction(conn):
        conn.execute("UPDATE lockoff_lists SET printed_by = ?, printed_at = ?, printed_count = ?"
                     " WHERE id = ?", (actor, at, len(checked.still_on), stored.id))
        audit.record(conn, at=at, actor=actor, action="lockoff.list_printed",
                     object_type="lockoff_list", object_id=str(stored.id),
                     after={"file": str(out), "printed": len(checked.still_on),
                            "taken_off": [n for n, _ in checked.taken_off]})
    return checked


def next_lockoff_date(conn: sqlite3.Connection, today: date) -> date | None:
    """The calendar's first lock-off date (residential or commercial) on or after `today`."""
    row = conn.execute("SELECT min(on_date) FROM schedule_dates WHERE event IN ('lockoff',"
                       " 'commercial_lockoff') AND on_date >= ?", (today.isoformat(),)).fetchone()
    return date.fromisoformat(row[0]) if row and row[0] else None


def entries_before(conn: sqlite3.Connection, list_id: int, sort_key: str) -> int:
    """How many of the stored list's rows sort before `sort_key` (a row's place in the list)."""
    return int(conn.execute("SELECT count(*) FROM lockoff_list_entries WHERE"
                            " list_id = ? AND sort_key < ?", (list_id, sort_key)).fetchone()[0])
