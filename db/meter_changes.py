"""Recording a meter change-out from a read exception: old meter out, new meter in, one period."""
from __future__ import annotations

import sqlite3
from datetime import date

from core.errors import InputError, InputProblem
from core.meter_change import ChangeOutEntry, change_out_problems
from db import audit
from db.read_dispositions import (
    Disposed,
    change_read,
    claim,
    close_value_exceptions,
    reaudit,
    set_status,
)
from db.transaction import write_transaction


def record_change_out(conn: sqlite3.Connection, exception_id: int, entry: ChangeOutEntry, *,
                      actor: str, at: str, comment: str = "",
                      version: int | None = None) -> Disposed:
    """Remove the old meter at its final read, install the new one, move the read onto it."""
    with write_transaction(conn):
        row = claim(conn, exception_id, version)
        old = conn.execute("SELECT * FROM meters WHERE id = ?", (row["meter_id"],)).fetchone()
        if old["removed_on"] is not None:
            raise InputError(InputProblem(
                f"meter {old['serial']} was already changed out on {old['removed_on']}; "
                "accept the exception if the usage is right", field="exception"))
        read_day = date.fromisoformat(row["read_on"])
        previous = conn.execute(
            "SELECT max(read_on) FROM meter_reads WHERE meter_id = ? AND read_on < ?",
            (old["id"], row["read_on"])).fetchone()[0]
        current = entry.current_reading
        if current is None and row["read_id"] is not None:
            current = conn.execute("SELECT reading FROM meter_reads WHERE id = ?",
                                   (row["read_id"],)).fetchone()[0]
        if current is None:
            raise InputError(InputProblem("the new meter's reading on the read day is required "
                                          "(the meter was not read)", field="current_reading"))
        entry = ChangeOutEntry(entry.changed_on, entry.final_reading, entry.new_serial.strip(),
                               entry.new_size, entry.new_dials, entry.initial_reading, current)
        taken = conn.execute("SELECT 1 FROM meters WHERE serial = ?",
                             (entry.new_serial,)).fetchone() is not None
        problems = change_out_problems(
            entry, old_dials=old["dials"], read_day=read_day, serial_taken=taken,
            previous_day=date.fromisoformat(previous) if previous else None)
        if problems:
            raise InputError(problems)
        when = entry.changed_on.isoformat()
        conn.execute("UPDATE meters SET removed_on = ?, removal_read = ? WHERE id = ?",
                     (when, entry.final_reading, old["id"]))
        new_id = int(conn.execute(
            "INSERT INTO meters (serial, size, dials, premise_id, location, installed_on,"
            " install_read) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (entry.new_serial, entry.new_size, entry.new_dials, old["premise_id"],
             old["location"], when, entry.initial_reading)).lastrowid or 0)
        audit.record(conn, at=at, actor=actor, action="meter.change_out", object_type="meter",
                     object_id=old["id"], before={"removed_on": None, "removal_read": None},
                     after={"removed_on": when, "removal_read": entry.final_reading,
                            "replaced_by": new_id, "exception": exception_id})
        audit.record(conn, at=at, actor=actor, action="meter.install", object_type="meter",
                     object_id=new_id, after={"serial": entry.new_serial,
                                              "size": entry.new_size, "dials": entry.new_dials,
                                              "installed_on": when,
                                              "install_read": entry.initial_reading})
        reason = (f"meter change-out: {old['serial']} final {entry.final_reading}, "
                  f"{entry.new_serial} initial {entry.initial_reading} on {when}")
        if row["read_id"] is not None:
            read_id = int(row["read_id"])
            change_read(conn, read_id, reading=current, reason=reason, actor=actor, at=at,
                        exception_id=exception_id, meter_id=new_id)
        else:
            read_id = int(conn.execute(
                "INSERT INTO meter_reads (meter_id, account_id, read_on, reading, kind, source,"
                " created_by, created_at, read_method) VALUES (?, ?, ?, ?, 'actual', ?, ?, ?,"
                " 'MANUAL')", (new_id, row["account_id"], row["read_on"], current,
                               f"change-out for exception {exception_id}", actor,
                               at)).lastrowid or 0)
        details = {"old_meter": old["id"], "new_meter": new_id, "read_id": read_id,
                   "final_reading": entry.final_reading, "initial_reading": entry.initial_reading,
                   "current_reading": current, "changed_on": when}
        set_status(conn, row, "resolved", "meter_change", actor=actor, at=at,
                   comment=comment or reason, details=details)
        close_value_exceptions(conn, read_id, "meter_change", actor=actor, at=at, comment=reason,
                               skip=exception_id)
        # The clerk has just reviewed this change-out; what else the summed usage fails stays.
        found = reaudit(conn, read_id, actor=actor, at=at, ignore=frozenset({"CHANGE-OUT"}))
    return Disposed(f"Meter {old['serial']} changed out for {entry.new_serial} on {when}; the "
                    "period's usage is the sum over both meters.", found, read_id=read_id,
                    details=details)
