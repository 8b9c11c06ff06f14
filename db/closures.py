"""The district's closure list: load it into a calendar, and supervisor edits with audit."""
from __future__ import annotations

import sqlite3
from datetime import date

from core.business_days import (
    Closure,
    ClosureKind,
    DistrictCalendar,
    HolidayLookup,
    closure_problem,
    package_holidays,
)
from core.errors import InputError, InputProblem
from core.users import User, require_supervisor
from db import audit
from db.transaction import write_transaction


def load_closures(conn: sqlite3.Connection) -> list[Closure]:
    return [Closure(date.fromisoformat(r["on_date"]), ClosureKind(r["kind"]), r["name"],
                    r["reason"], r["added_by"], r["added_at"])
            for r in conn.execute("SELECT * FROM closures ORDER BY on_date")]


def load_calendar(conn: sqlite3.Connection,
                  holidays: HolidayLookup = package_holidays) -> DistrictCalendar:
    """The district calendar: the holiday seed adjusted by the stored closure list."""
    return DistrictCalendar(load_closures(conn), holidays)


def _as_dict(closure: Closure) -> dict[str, str]:
    return {"on": closure.on.isoformat(), "kind": closure.kind.value, "name": closure.name,
            "reason": closure.reason}


def set_closure(conn: sqlite3.Connection, *, on: date, kind: ClosureKind, name: str,
                reason: str, user: User, at: str) -> Closure:
    """Add or replace the district's entry for one day (supervisor), audited."""
    require_supervisor(user, "change the district's closure list")
    problems = []
    if not name.strip():
        problems.append(InputProblem("give the closure a name, e.g. Christmas Eve",
                                     field="name"))
    if not reason.strip():
        problems.append(InputProblem("give the reason, e.g. the board resolution number",
                                     field="reason"))
    pointless = closure_problem(load_calendar(conn), on, kind)
    if pointless:
        problems.append(InputProblem(pointless, field="date"))
    if problems:
        raise InputError(problems)
    closure = Closure(on, kind, name.strip(), reason.strip(), user.login, at)
    with write_transaction(conn):
        before = conn.execute("SELECT * FROM closures WHERE on_date = ?",
                              (on.isoformat(),)).fetchone()
        conn.execute(
            "INSERT INTO closures (on_date, kind, name, reason, added_by, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (on_date) DO UPDATE SET kind = excluded.kind,"
            " name = excluded.name, reason = excluded.reason, added_by = excluded.added_by,"
            " added_at = excluded.added_at",
            (on.isoformat(), kind.value, closure.name, closure.reason, user.login, at))
        audit.record(conn, at=at, actor=user.login, action="closure.set", object_type="closure",
                     object_id=on.isoformat(), before=dict(before) if before else None,
                     after=_as_dict(closure))
    return closure


def remove_closure(conn: sqlite3.Connection, *, on: date, reason: str, user: User,
                   at: str) -> Closure:
    """Take a day off the district's list (supervisor), audited with the reason."""
    require_supervisor(user, "change the district's closure list")
    if not reason.strip():
        raise InputError(InputProblem("give the reason for removing the entry", field="reason"))
    with write_transaction(conn):
        row = conn.execute("SELECT * FROM closures WHERE on_date = ?",
                           (on.isoformat(),)).fetchone()
        if row is None:
            raise InputError(InputProblem(f"{on.isoformat()} is not on the district's list",
                                          field="date"))
        conn.execute("DELETE FROM closures WHERE on_date = ?", (on.isoformat(),))
        audit.record(conn, at=at, actor=user.login, action="closure.remove",
                     object_type="closure", object_id=on.isoformat(), before=dict(row),
                     after={"reason": reason.strip()})
    return Closure(on, ClosureKind(row["kind"]), row["name"], row["reason"])
