"""Notices on the calendar's reminder, notice and door-hanger dates, logged per account, as a
file for the print vendor (docs/formats/lockoff-notices.md).

On a cycle's reminder date, every account of the cycle with something past due gets a
past-due reminder letter. On a cycle's notice date, every account that will be delinquent long
enough on the cycle's lock-off date (G1) and owes at least the minimum gets the SB 998 written
notice (G2, G9), an "Occupant" copy when its mail goes elsewhere (G4, §116908(a)(1)(C)) and
a tenant notice when the owner is the customer (§1.5, HSC §116916); commercial accounts get
the commercial notice (RULES.md §2). On the door-hanger date, accounts whose mail came back
get a door hanger (G6). Each (account, kind, date) is logged once, so running a date twice
changes nothing.
"""
from __future__ import annotations

import csv
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from core.errors import InputError, InputProblem
from core.lockoff_gates import Candidate
from core.money import format_money
from core.schedule import EventKind
from db import audit
from db.delinquency import candidates
from db.schedule import schedule_between, schedule_for_month, use_schedule_date
from db.settings import load_settings
from db.transaction import write_transaction

# The calendar event a run is for, the lock-off it warns of, and the notice kinds it logs.
_RUNS = {EventKind.REMINDER: EventKind.LOCKOFF,
         EventKind.NOTICE: EventKind.LOCKOFF,
         EventKind.COMMERCIAL_NOTICE: EventKind.COMMERCIAL_LOCKOFF,
         EventKind.DOOR_HANGER: EventKind.LOCKOFF}
FILE_COLUMNS = ("notice_kind", "account", "addressed_to", "line1", "line2", "city", "state",
                "zip", "service_address", "past_due", "pay_by", "lockoff_on", "office_phone")


@dataclass(frozen=True)
class NoticeRun:
    """What one date's notice run logged and wrote."""

    on: date
    logged: int          # notices newly logged by this run
    in_file: int         # every notice of the date (a second run writes the same file)
    cycles: tuple[str, ...]

    def lines(self) -> list[str]:
        if not self.cycles:
            return [f"No cycle's notice or door-hanger date is {self.on} in the stored calendar."]
        return [f"{self.on}: {', '.join(self.cycles)}.",
                f"{self.logged:,} notices newly logged; {self.in_file:,} in the print file."]


def _kinds(c: Candidate, event: EventKind) -> list[tuple[str, str]]:
    """(kind, addressed to) of each notice the account gets on a run for `event`."""
    if event == EventKind.REMINDER:
        return [("reminder", c.name)]
    if event == EventKind.COMMERCIAL_NOTICE:
        return [("commercial", c.name)]
    if event == EventKind.DOOR_HANGER:
        return [("door_hanger", "Occupant")] if c.returned_mail else []
    found = [("sb998", c.name)]
    if c.mail_differs:
        found.append(("occupant", "Occupant"))  # SB 998 §116908(a)(1)(C)
    if c.owner_is_customer and (c.mail_differs or c.premise_kind == "multi_unit"
                                or c.dwelling_units > 1):
        found.append(("tenant", "Tenants and occupants"))  # HSC §116916 (RULES.md §1.5)
    return found


def run_notices(conn: sqlite3.Connection, on: date, out: Path, *, actor: str,
                at: str) -> NoticeRun:
    """Log the notices due on `on` by the calendar and write every notice of the date to `out`."""
    settings = load_settings(conn)
    with write_transaction(conn):
        logged, lockoffs, cycles, _accounts = _log(conn, on, out.name, actor=actor, at=at)
    in_file = _write_file(conn, on, out, lockoffs, settings.office_phone)
    return NoticeRun(on, logged, in_file, cycles)


class _Preview(Exception):
    """Raised inside a preview's transaction so that everything it logged is rolled back."""


@dataclass(frozen=True)
class NoticePreview:
    """What a notice run for the date would log now (nothing is written)."""

    on: date
    notices: int        # notices the run would newly log
    accounts: int       # accounts they go to
    already: int        # notices of the date logged by an earlier run
    cycles: tuple[str, ...]

    def lines(self) -> list[str]:
        if not self.cycles:
            return [f"No cycle's notice or door-hanger date is {self.on} in the stored calendar."]
        done = (f"; {self.already:,} already logged by an earlier run" if self.already else "")
        return [f"{self.on}: {', '.join(self.cycles)}.",
                f"{self.notices:,} notices to log for {self.accounts:,} accounts{done}."]


def preview_notices(conn: sqlite3.Connection, on: date, *, actor: str,
                    at: str) -> NoticePreview:
    """Work out the date's notice run in a transaction that is rolled back."""
    found: list[NoticePreview] = []
    already = conn.execute("SELECT count(*) FROM delinquency_notices WHERE on_date = ?",
                           (on.isoformat(),)).fetchone()[0]
    try:
        with write_transaction(conn):
            logged, _lockoffs, cycles, accounts = _log(conn, on, "(preview)", actor=actor, at=at)
            found.append(NoticePreview(on, logged, len(accounts), already, cycles))
            raise _Preview
    except _Preview:
        pass
    return found[0]


def _log(conn: sqlite3.Connection, on: date, file_name: str, *, actor: str,
         at: str) -> tuple[int, dict[int, str], tuple[str, ...], set[int]]:
    """Log the date's notices inside the caller's transaction: (logged, lock-off date by
    account, the runs' names, the accounts newly logged)."""
    settings = load_settings(conn)
    rows = [d for d in schedule_between(conn, on, on) if d.event in _RUNS]
    logged = 0
    lockoffs: dict[int, str] = {}
    accounts: set[int] = set()
    for row in rows:
        month = {d.event: d.on for d in schedule_for_month(conn, row.month, row.cycle_id)}
        lockoff_on = month.get(_RUNS[row.event])
        if lockoff_on is None:
            continue
        use_schedule_date(conn, month=row.month, cycle_id=row.cycle_id, event=row.event,
                          used_by=f"lock-off notices {on}", actor=actor, at=at)
        reminder = row.event == EventKind.REMINDER
        classes = ((True, False) if reminder
                   else (row.event != EventKind.COMMERCIAL_NOTICE,))
        found = [c for residential in classes
                 for c in candidates(conn, on, row.cycle_id, residential)]
        for c in found:
            need = (settings.lockoff_min_days_delinquent if c.residential
                    else settings.commercial_lockoff_days_after_due)
            due = c.delinquency.oldest_due
            if due is None or (not reminder and (
                    due + timedelta(days=need) > lockoff_on
                    or c.delinquency.past_due_cents < settings.lockoff_min_past_due_cents)):
                continue
            lockoffs[c.account_id] = lockoff_on.isoformat()
            for kind, to in _kinds(c, row.event):
                added = conn.execute(
                    "INSERT OR IGNORE INTO delinquency_notices (account_id, kind, on_date,"
                    " addressed_to, past_due_cents, file_name, logged_by, logged_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (c.account_id, kind, on.isoformat(), to, c.delinquency.past_due_cents,
                     file_name, actor, at)).rowcount
                logged += added
                if added:
                    accounts.add(c.account_id)
    audit.record(conn, at=at, actor=actor, action="lockoff.notices",
                 object_type="notice_run", object_id=on.isoformat(),
                 after={"logged": logged, "file": file_name})
    return logged, lockoffs, tuple(f"{r.cycle_name} {r.event.label}" for r in rows), accounts


def _write_file(conn: sqlite3.Connection, on: date, out: Path, lockoffs: dict[int, str],
                phone: str) -> int:
    rows = conn.execute(
        "SELECT n.kind, n.account_id, n.addressed_to, n.past_due_cents, a.number, a.mail_line1,"
        " a.mail_line2, a.mail_city, a.mail_state, a.mail_zip, p.line1, p.line2, p.city,"
        " p.state, p.zip FROM delinquency_notices n JOIN accounts a ON a.id = n.account_id"
        " JOIN premises p ON p.id = a.premise_id WHERE n.on_date = ? AND n.kind IN ('reminder',"
        " 'sb998', 'occupant', 'tenant', 'door_hanger', 'commercial')"
        " ORDER BY a.number, n.kind",
        (on.isoformat(),)).fetchall()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FILE_COLUMNS)
        for r in rows:
            at_service = r["kind"] in ("occupant", "tenant", "door_hanger")
            address = ((r["line1"], r["line2"], r["city"], r["state"], r["zip"]) if at_service
                       else (r["mail_line1"], r["mail_line2"], r["mail_city"], r["mail_state"],
                             r["mail_zip"]))
            lockoff_on = lockoffs.get(r["account_id"], "")
            pay_by = (date.fromisoformat(lockoff_on) - timedelta(days=1)).isoformat() \
                if lockoff_on else ""
            writer.writerow((r["kind"], r["number"], r["addressed_to"], *address,
                             f"{r['line1']}, {r['city']}", format_money(r["past_due_cents"]),
                             pay_by, lockoff_on, phone))
    return len(rows)


def log_phone_contact(conn: sqlite3.Connection, number: str, *, on: date, spoke_with: str,
                      actor: str, at: str) -> str:
    """A telephone call that reached the customer about the past-due bill, logged as the
    account's notice for the day: SB 998 §116908(a)(1) accepts a contact by telephone as the
    notice before a lock-off (gate G2 counts it like a mailed notice). Logged once a day per
    account, append-only like every notice; `spoke_with` names who was reached."""
    from db.accounts import account_id
    from db.delinquency import account_delinquency

    who = spoke_with.strip()
    if not who:
        raise InputError(InputProblem("name the person you spoke with", field="spoke with"))
    found = account_id(conn, number.strip())
    if found is None:
        raise InputError(InputProblem(f"there is no account {number.strip()!r}",
                                      field="number"))
    state = account_delinquency(conn, number.strip(), on)
    owed = state.state.past_due_cents if state is not None else 0
    with write_transaction(conn):
        added = conn.execute(
            "INSERT OR IGNORE INTO delinquency_notices (account_id, kind, on_date,"
            " addressed_to, past_due_cents, logged_by, logged_at)"
            " VALUES (?, 'phone', ?, ?, ?, ?, ?)",
            (found, on.isoformat(), who, owed, actor, at)).rowcount
        if added:
            audit.record(conn, at=at, actor=actor, action="lockoff.phone_contact",
                         object_type="account", object_id=number.strip(),
                         after={"on": on.isoformat(), "spoke_with": who,
                                "past_due_cents": owed})
    if not added:
        return (f"{number.strip()}: a phone contact on {on} is already logged; nothing "
                "changed.")
    return (f"{number.strip()}: phone contact with {who} on {on} logged ({format_money(owed)}"
            " past due); it counts as the notice before a lock-off (SB 998 §116908(a)(1)).")


def notices_logged(conn: sqlite3.Connection, account_id: int) -> list[dict[str, object]]:
    """Every notice logged on an account, newest first (for the account's history)."""
    return [dict(r) for r in conn.execute(
        "SELECT kind, on_date, outcome, addressed_to, past_due_cents, file_name, logged_by"
        " FROM delinquency_notices WHERE account_id = ? ORDER BY on_date DESC, kind",
        (account_id,))]

