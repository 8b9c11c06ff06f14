"""Stored cycle schedules: generate a month, override one date, hand a date to a process.

Generating a month stores it. Regeneration keeps every date a process has used, every
override and every date already past, and says which ones the rules would now put elsewhere.
Processes (billing run, late fees, notices, lock-off list) call `use_schedule_date` inside
their own write transaction: it returns the stored date and freezes it.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date

from core.business_days import DistrictCalendar, weekday_words
from core.errors import InputError, InputProblem
from core.explain import Explanation
from core.schedule import (
    EVENT_ORDER,
    EventKind,
    Pin,
    PlannedDate,
    ScheduledDate,
    plan_cycle_month,
)
from core.schedule_gates import GateRefused, breaches
from core.settings import DistrictSettings
from core.users import User, require_supervisor
from db import audit
from db.closures import load_calendar
from db.settings import load_settings
from db.transaction import write_transaction

_SELECT = ("SELECT d.*, c.name AS cycle_name FROM schedule_dates d"
           " JOIN cycles c ON c.id = d.cycle_id")
_EVENT_RANK = {event: rank for rank, event in enumerate(EVENT_ORDER)}


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def _scheduled(row: sqlite3.Row) -> ScheduledDate:
    return ScheduledDate(
        id=row["id"], month=date.fromisoformat(row["month"] + "-01"), cycle_id=row["cycle_id"],
        cycle_name=row["cycle_name"], event=EventKind(row["event"]),
        on=date.fromisoformat(row["on_date"]),
        explanation=Explanation.from_json(row["explanation"]),
        rule_on=date.fromisoformat(row["rule_date"]),
        rule_explanation=Explanation.from_json(row["rule_explanation"]),
        scheduled_at=row["scheduled_at"], overridden_by=row["overridden_by"],
        override_reason=row["override_reason"], used_by=row["used_by"], used_at=row["used_at"])


def _sorted(rows: list[ScheduledDate], by_date: bool) -> list[ScheduledDate]:
    if by_date:
        return sorted(rows, key=lambda r: (r.on, r.cycle_id, _EVENT_RANK[r.event]))
    return sorted(rows, key=lambda r: (r.cycle_id, _EVENT_RANK[r.event]))


def cycles(conn: sqlite3.Connection) -> list[tuple[int, str, int]]:
    """(id, name, read day) of every cycle."""
    return [(r[0], r[1], r[2]) for r in
            conn.execute("SELECT id, name, read_day FROM cycles ORDER BY id")]


def cycle_exists(conn: sqlite3.Connection, cycle_id: int) -> bool:
    return conn.execute("SELECT 1 FROM cycles WHERE id = ?", (cycle_id,)).fetchone() is not None


def last_cycle_id(conn: sqlite3.Connection) -> int | None:
    """The highest cycle id, or None when there are no cycles."""
    row = conn.execute("SELECT MAX(id) FROM cycles").fetchone()
    return None if row[0] is None else int(row[0])


def schedule_for_month(conn: sqlite3.Connection, month: date,
                       cycle_id: int | None = None) -> list[ScheduledDate]:
    """A month's stored schedule (the month of the read), by cycle then event order."""
    sql = _SELECT + " WHERE d.month = ?"
    args: list[object] = [month_key(month)]
    if cycle_id is not None:
        sql += " AND d.cycle_id = ?"
        args.append(cycle_id)
    return _sorted([_scheduled(r) for r in conn.execute(sql, args)], by_date=False)


def schedule_between(conn: sqlite3.Connection, start: date, end: date,
                     cycle_id: int | None = None) -> list[ScheduledDate]:
    """Every stored date from `start` to `end` inclusive, whatever month it belongs to."""
    sql = _SELECT + " WHERE d.on_date BETWEEN ? AND ?"
    args: list[object] = [start.isoformat(), end.isoformat()]
    if cycle_id is not None:
        sql += " AND d.cycle_id = ?"
        args.append(cycle_id)
    return _sorted([_scheduled(r) for r in conn.execute(sql, args)], by_date=True)


@dataclass
class GenerationReport:
    """What one month's generation did, in words a supervisor can check."""

    month: date
    created: int = 0
    moved: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = f"{self.month:%Y-%m}: {self.created} dates stored, {len(self.moved)} moved, " \
               f"{len(self.kept)} kept where the rules now differ"
        return [head] + [f"  moved: {m}" for m in self.moved] + [f"  KEPT: {k}" for k in self.kept]


def _insert(conn: sqlite3.Connection, month: date, cycle_id: int, planned: PlannedDate,
            rule: PlannedDate, actor: str, at: str) -> None:
    conn.execute(
        "INSERT INTO schedule_dates (month, cycle_id, event, on_date, explanation, rule_date,"
        " rule_explanation, scheduled_by, scheduled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (month_key(month), cycle_id, planned.event.value, planned.on.isoformat(),
         planned.explanation.to_json(), rule.on.isoformat(), rule.explanation.to_json(),
         actor, at))


def _move(conn: sqlite3.Connection, row: ScheduledDate, planned: PlannedDate, actor: str,
          at: str) -> None:
    conn.execute("UPDATE schedule_dates SET on_date = ?, explanation = ?, scheduled_by = ?,"
                 " scheduled_at = ? WHERE id = ?",
                 (planned.on.isoformat(), planned.explanation.to_json(), actor, at, row.id))


def _set_rule(conn: sqlite3.Connection, row: ScheduledDate, rule: PlannedDate) -> None:
    conn.execute("UPDATE schedule_dates SET rule_date = ?, rule_explanation = ? WHERE id = ?",
                 (rule.on.isoformat(), rule.explanation.to_json(), row.id))


def _pins(rows: list[ScheduledDate], today: date) -> dict[EventKind, Pin]:
    return {r.event: pin for r in rows if (pin := r.pin(today)) is not None}


def _generate_cycle(conn: sqlite3.Connection, month: date, cycle: tuple[int, str, int],
                    calendar: DistrictCalendar, settings: DistrictSettings, report:
                    GenerationReport, actor: str, at: str, today: date) -> None:
    cycle_id, name, read_day = cycle
    stored = {r.event: r for r in schedule_for_month(conn, month, cycle_id)}
    pins = _pins(list(stored.values()), today)
    rules = plan_cycle_month(month, read_day, calendar, settings)
    actual = plan_cycle_month(month, read_day, calendar, settings, pins) if pins else rules
    for event, planned in actual.items():
        row, rule = stored.get(event), rules[event]
        if row is None:
            _insert(conn, month, cycle_id, planned, rule, actor, at)
            report.created += 1
            continue
        if (row.rule_on, row.rule_explanation) != (rule.on, rule.explanation):
            _set_rule(conn, row, rule)
        if planned.pinned:
            if rule.on != row.on:
                why = pins[event].reason.removeprefix("kept: ")
                report.kept.append(f"{name} {event.label} stays {weekday_words(row.on)} "
                                   f"({why}); the rules now give {weekday_words(rule.on)}")
        elif (planned.on, planned.explanation) != (row.on, row.explanation):
            _move(conn, row, planned, actor, at)
            if planned.on != row.on:
                report.moved.append(f"{name} {event.label} {weekday_words(row.on)} → "
                                    f"{weekday_words(planned.on)}")


def generate_months(conn: sqlite3.Connection, first: date, count: int, *, user: User, at: str,
                    today: date, calendar: DistrictCalendar | None = None
                    ) -> list[GenerationReport]:
    """Generate and store `count` months from `first` (supervisor); one transaction a month."""
    require_supervisor(user, "generate the billing calendar")
    if not 1 <= count <= 36:
        raise InputError(InputProblem("generate between 1 and 36 months at a time",
                                      field="--months"))
    settings = load_settings(conn)
    calendar = calendar or load_calendar(conn)
    all_cycles = cycles(conn)
    if not all_cycles:
        raise InputError("the district has no cycles yet: nothing to schedule")
    reports = []
    for k in range(count):
        index = first.year * 12 + first.month - 1 + k
        month = date(index // 12, index % 12 + 1, 1)
        report = GenerationReport(month)
        with write_transaction(conn):
            for cycle in all_cycles:
                _generate_cycle(conn, month, cycle, calendar, settings, report, user.login, at,
                                today)
            audit.record(conn, at=at, actor=user.login, action="calendar.generate",
                         object_type="schedule_month", object_id=month_key(month),
                         after={"created": report.created, "moved": report.moved,
                                "kept": report.kept})
        reports.append(report)
    return reports


@dataclass(frozen=True)
class OverrideReport:
    """The overridden date and the dates that followed it under the rules."""

    row: ScheduledDate
    new_on: date
    followed: list[str]

    def lines(self) -> list[str]:
        head = (f"{self.row.cycle_name} {self.row.event.label} moved "
                f"{weekday_words(self.row.on)} → {weekday_words(self.new_on)}")
        return [head] + [f"  and, by the rules: {f}" for f in self.followed]


def override_date(conn: sqlite3.Connection, *, month: date, cycle_id: int, event: EventKind,
                  new_on: date, reason: str, user: User, at: str, today: date
                  ) -> OverrideReport:
    """Move one date (supervisor) with a reason; dates derived from it follow the rules.

    Refused, naming the gate, when the month's dates would then fail one they passed before.
    """
    require_supervisor(user, "override a schedule date")
    if not reason.strip():
        raise InputError(InputProblem("give the reason for the override", field="reason"))
    settings = load_settings(conn)
    calendar = load_calendar(conn)
    with write_transaction(conn):
        rows = schedule_for_month(conn, month, cycle_id)
        target = next((r for r in rows if r.event == event), None)
        if target is None:
            raise InputError(InputProblem(
                f"{month_key(month)} is not generated for that cycle: generate it first",
                field="month"))
        what = f"Moving {target.cycle_name} {event.label} to {weekday_words(new_on)}"
        _refuse_if_fixed(target, new_on, today)
        read_day = next(c[2] for c in cycles(conn) if c[0] == cycle_id)
        pins = _pins(rows, today)
        pins[event] = Pin(new_on, f"override by {user.login}: {reason.strip()}")
        plan = plan_cycle_month(month, read_day, calendar, settings, pins)
        old = {r.event: r.on for r in rows}
        before = {(b.gate, b.event) for b in breaches(old, calendar, settings)}
        new = [b for b in breaches({e: p.on for e, p in plan.items()}, calendar, settings)
               if (b.gate, b.event) not in before]
        if new:
            raise GateRefused(what, new)
        followed = []
        for row in rows:
            planned = plan[row.event]
            if row.event == event or planned.on == row.on:
                continue
            if planned.on < today:
                raise InputError(InputProblem(
                    f"{what} refused: the {row.event.label} would have to be "
                    f"{weekday_words(planned.on)}, which is already past", field="date"))
            _move(conn, row, planned, user.login, at)
            followed.append(f"{row.event.label} {weekday_words(row.on)} → "
                            f"{weekday_words(planned.on)}")
        conn.execute(
            "UPDATE schedule_dates SET on_date = ?, explanation = ?, overridden_by = ?,"
            " override_reason = ?, scheduled_by = ?, scheduled_at = ? WHERE id = ?",
            (new_on.isoformat(), plan[event].explanation.to_json(), user.login, reason.strip(),
             user.login, at, target.id))
        audit.record(conn, at=at, actor=user.login, action="calendar.override",
                     object_type="schedule_date",
                     object_id=f"{month_key(month)}/{cycle_id}/{event.value}",
                     before={"on": target.on.isoformat()},
                     after={"on": new_on.isoformat(), "reason": reason.strip(),
                            "followed": followed})
    return OverrideReport(target, new_on, followed)


def _refuse_if_fixed(target: ScheduledDate, new_on: date, today: date) -> None:
    label = f"{target.cycle_name} {target.event.label} {weekday_words(target.on)}"
    if target.used_by:
        raise InputError(InputProblem(
            f"{label} was used by {target.used_by} on {(target.used_at or '')[:10]}; a date a "
            "process has used cannot move", field="date"))
    if target.on < today:
        raise InputError(InputProblem(f"{label} is already past", field="date"))
    if new_on < today:
        raise InputError(InputProblem(f"{weekday_words(new_on)} is already past", field="date"))
    if new_on == target.on:
        raise InputError(InputProblem(f"{label} is already on that date", field="date"))


def use_schedule_date(conn: sqlite3.Connection, *, month: date, cycle_id: int,
                      event: EventKind, used_by: str, actor: str, at: str) -> date:
    """The date a process must use, marked used so it never moves again.

    Call inside the process's own write transaction; `used_by` names the process and its run
    ("billing run 2026-12"). The first use freezes the date; later calls return the same date
    and keep the first user.
    """
    row = conn.execute("SELECT on_date, used_by FROM schedule_dates WHERE month = ?"
                       " AND cycle_id = ? AND event = ?",
                       (month_key(month), cycle_id, event.value)).fetchone()
    if row is None:
        raise InputError(InputProblem(
            f"no stored {event.label} date for cycle {cycle_id} in {month_key(month)}: a "
            "supervisor generates the month on the Calendar screen (F4)", field="month"))
    if row["used_by"] is None:
        conn.execute("UPDATE schedule_dates SET used_by = ?, used_at = ? WHERE month = ?"
                     " AND cycle_id = ? AND event = ?",
                     (used_by, at, month_key(month), cycle_id, event.value))
        audit.record(conn, at=at, actor=actor, action="calendar.use",
                     object_type="schedule_date",
                     object_id=f"{month_key(month)}/{cycle_id}/{event.value}",
                     after={"on": row["on_date"], "used_by": used_by})
    return date.fromisoformat(row["on_date"])


def record_workload(conn: sqlite3.Connection, *, month: date, cycle_id: int,
                    event: EventKind, count: int) -> None:
    """Record how many accounts a process has for a date (the lock-off list's real count)."""
    conn.execute("UPDATE schedule_dates SET workload = ? WHERE month = ? AND cycle_id = ?"
                 " AND event = ?", (count, month_key(month), cycle_id, event.value))


def preview_month(conn: sqlite3.Connection, month: date,
                  cycle_id: int | None = None) -> list[ScheduledDate]:
    """A month the calendar has not stored, as the rules would give it today (nothing written)."""
    settings = load_settings(conn)
    calendar = load_calendar(conn)
    rows = []
    for cid, name, read_day in cycles(conn):
        if cycle_id is not None and cid != cycle_id:
            continue
        for event, planned in plan_cycle_month(month, read_day, calendar, settings).items():
            rows.append(ScheduledDate(0, month, cid, name, event, planned.on,
                                      planned.explanation, planned.on, planned.explanation,
                                      scheduled_at=""))
    return _sorted(rows, by_date=False)
