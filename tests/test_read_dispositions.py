"""Each disposition's effect on the read, the queue, billing holds, work orders, the audit log."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from core.errors import ConflictError, InputError
from core.meter_change import ChangeOutEntry
from core.reads import EstimateMethod
from core.work_orders import WorkOrderType
from db import read_dispositions as do
from db import work_orders
from db.connection import open_database
from db.meter_changes import record_change_out
from db.read_import import import_reads
from db.reads import billable_usage, billing_holds
from tests.reads_support import TODAY, Premise, build_read_district, standard_rows, write_rows

AT = "2026-11-20T11:00:00"
WHO = {"actor": "clerk1", "at": AT}


@pytest.fixture
def worked(tmp_path: Path) -> Iterator[tuple[sqlite3.Connection, dict[str, Premise]]]:
    """The standard district with its standard file imported."""
    path = tmp_path / "district.db"
    premises = build_read_district(path)
    conn = open_database(path)
    import_reads(conn, write_rows(tmp_path / "reads.csv", standard_rows(premises)),
                 actor="clerk1", at="2026-11-20T10:00:00", today=TODAY, cycle_id=3)
    yield conn, {p.number: p for p in premises}
    conn.close()


def exception_of(conn: sqlite3.Connection, premise: Premise, rule: str | None = None
                 ) -> sqlite3.Row:
    sql = "SELECT * FROM read_exceptions WHERE meter_id = ?" + (" AND rule_id = ?" if rule else "")
    args = (premise.meter_id, rule) if rule else (premise.meter_id,)
    return conn.execute(sql + " ORDER BY id DESC", args).fetchone()


def audit_actions(conn: sqlite3.Connection, object_id: int) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT action FROM audit_log WHERE object_type = 'read_exception' AND object_id = ?",
        (str(object_id),))]


def test_accept_resolves_the_exception_and_releases_the_billing_hold(worked) -> None:  # type: ignore[no-untyped-def]
    conn, p = worked
    high = exception_of(conn, p["0300002-01"], "HIGH")
    holds = billing_holds(conn, 3)
    assert holds[p["0300002-01"].account_id].startswith(f"read exception {high['id']} HIGH")
    done = do.accept(conn, high["id"], comment="new pool filled", **WHO)
    assert "accepted" in done.text()
    row = exception_of(conn, p["0300002-01"], "HIGH")
    assert (row["status"], row["disposition"], row["resolved_by"]) == ("resolved", "accept",
                                                                        "clerk1")
    assert p["0300002-01"].account_id not in billing_holds(conn, 3)
    assert audit_actions(conn, high["id"]) == ["read_exception.accept"]
    with pytest.raises(ConflictError, match="already worked"):
        do.accept(conn, high["id"], **WHO)


def test_stale_work_is_refused(worked) -> None:  # type: ignore[no-untyped-def]
    conn, p = worked
    high = exception_of(conn, p["0300002-01"], "HIGH")
    with pytest.raises(ConflictError, match="changed by someone else"):
        do.accept(conn, high["id"], version=high["version"] + 1, **WHO)


def test_edit_keeps_the_original_and_audits_again(worked) -> None:  # type: ignore[no-untyped-def]
    conn, p = worked
    misread = exception_of(conn, p["0300007-01"], "NEGATIVE")
    with pytest.raises(InputError, match="reason is required"):
        do.edit_reading(conn, misread["id"], reading=7260, reason=" ", **WHO)
    done = do.edit_reading(conn, misread["id"], reading=7260, reason="photo shows 7260", **WHO)
    assert done.reopened == ()
    read = conn.execute("SELECT reading, kind FROM meter_reads WHERE id = ?",
                        (misread["read_id"],)).fetchone()
    assert tuple(read) == (7260, "actual")
    edit = conn.execute("SELECT old_reading, new_reading, reason, actor FROM read_edits"
                        " WHERE read_id = ?", (misread["read_id"],)).fetchone()
    assert tuple(edit) == (3000, 7260, "photo shows 7260", "clerk1")
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'meter_read.edit'"
                        ).fetchone()[0] == 1


def test_an_edit_that_still_fails_comes_back_to_the_queue(worked) -> None:  # type: ignore[no-untyped-def]
    conn, p = worked
    misread = exception_of(conn, p["0300007-01"], "NEGATIVE")
    done = do.edit_reading(conn, misread["id"], reading=7400, reason="keyed 7400", **WHO)
    assert [f.rule_id for f in done.reopened] == ["HIGH"]
    assert exception_of(conn, p["0300007-01"])["rule_id"] == "HIGH"
    assert exception_of(conn, p["0300007-01"])["status"] == "open"


def test_an_exception_with_no_read_cannot_be_edited(worked) -> None:  # type: ignore[no-untyped-def]
    conn, p = worked
    missing = exception_of(conn, p["0300015-01"], "MISSING")
    with pytest.raises(InputError, match="no read to edit"):
        do.edit_reading(conn, missing["id"], reading=1760, reason="x", **WHO)


def test_estimate_a_missing_read_by_the_last_three_actual_periods(worked) -> None:  # type: ignore[no-untyped-def]
    conn, p = worked
    missing = exception_of(conn, p["0300015-01"], "MISSING")
    done = do.estimate(conn, missing["id"], method=EstimateMethod.LAST3, **WHO)
    read = conn.execute("SELECT * FROM meter_reads WHERE id = ?", (done.read_id,)).fetchone()
    assert (read["reading"], read["kind"], read["estimate_method"]) == (1760, "estimated",
                                                                        "last3")
    assert read["read_on"] == "2026-11-17"
    assert p["0300015-01"].account_id not in billing_holds(conn, 3)
    usage = billable_usage(conn, p["0300015-01"].account_id or 0, date(2026, 10, 17),
                           date(2026, 11, 17))
    assert (usage.usage, usage.estimated) == (20, True)


def test_estimate_by_last_year_and_the_estimate_cap(worked) -> None:  # type: ignore[no-untyped-def]
    conn, p = worked
    skipped = exception_of(conn, p["0300014-01"], "MISSING")
    done = do.estimate(conn, skipped["id"], method=EstimateMethod.LAST_YEAR, **WHO)
    assert done.details["method"] == "last_year" and done.reopened == ()
    capped = exception_of(conn, p["0300013-01"], "ESTIMATES")
    assert capped["status"] == "open"  # the 4th estimate in a row waits for a clerk


def test_a_reread_order_holds_the_account_until_it_is_done(worked) -> None:  # type: ignore[no-untyped-def]
    conn, p = worked
    stuck = exception_of(conn, p["0300005-01"], "STUCK")
    done = do.order_work(conn, stuck["id"], WorkOrderType.REREAD, **WHO)
    order = conn.execute("SELECT * FROM work_orders WHERE id = ?",
                         (done.work_order_id,)).fetchone()
    assert (order["order_type"], order["status"], order["exception_id"]) == \
        ("reread", "open", stuck["id"])
    assert exception_of(conn, p["0300005-01"], "STUCK")["status"] == "waiting"
    assert "waiting on a work order" in billing_holds(conn, 3)[p["0300005-01"].account_id]
    work_orders.schedule(conn, order["id"], date(2026, 11, 21), **WHO)
    result = work_orders.complete(conn, order["id"], done_on=date(2026, 11, 21), reading=5072,
                                  note="register turning now", **WHO)
    assert "replaces the disputed read" in result.text()
    read = conn.execute("SELECT reading, read_on FROM meter_reads WHERE id = ?",
                        (stuck["read_id"],)).fetchone()
    assert tuple(read) == (5072, "2026-11-21")
    assert exception_of(conn, p["0300005-01"], "STUCK")["status"] == "resolved"
    assert conn.execute("SELECT status, result_reading FROM work_orders WHERE id = ?",
                        (order["id"],)).fetchone()[:] == ("done", 5072)
    with pytest.raises(ConflictError, match="done; it cannot become cancelled"):
        work_orders.cancel(conn, order["id"], reason="late", **WHO)


def test_cancelling_a_meter_check_puts_the_exception_back_in_the_queue(worked) -> None:  # type: ignore[no-untyped-def]
    conn, p = worked
    tamper = exception_of(conn, p["0300011-01"], "TAMPER")
    done = do.order_work(conn, tamper["id"], WorkOrderType.METER_CHECK, reason="seal cut?",
                         **WHO)
    with pytest.raises(ConflictError, match="waiting on a work order"):
        do.accept(conn, tamper["id"], **WHO)
    work_orders.cancel(conn, done.work_order_id or 0, reason="crew unavailable", **WHO)
    assert exception_of(conn, p["0300011-01"], "TAMPER")["status"] == "open"


def test_a_meter_change_out_moves_the_read_and_bills_both_meters(worked) -> None:  # type: ignore[no-untyped-def]
    conn, p = worked
    premise = p["0300007-01"]  # read 3000 after 7240: the reader found a new meter
    misread = exception_of(conn, premise, "NEGATIVE")
    entry = ChangeOutEntry(date(2026, 11, 2), 7250, "NP26-9000001", "5/8", 5, 2980)
    with pytest.raises(InputError, match="serial"):
        record_change_out(conn, misread["id"], ChangeOutEntry(
            date(2026, 11, 2), 7250, "M-0300001", "5/8", 5, 2980), **WHO)
    done = record_change_out(conn, misread["id"], entry, **WHO)
    assert done.reopened == ()
    old = conn.execute("SELECT removed_on, removal_read FROM meters WHERE id = ?",
                       (premise.meter_id,)).fetchone()
    assert tuple(old) == ("2026-11-02", 7250)
    new = conn.execute("SELECT id, install_read, dials FROM meters WHERE serial = ?",
                       ("NP26-9000001",)).fetchone()
    assert tuple(new[1:]) == (2980, 5)
    assert conn.execute("SELECT meter_id FROM meter_reads WHERE id = ?",
                        (misread["read_id"],)).fetchone()[0] == new["id"]
    usage = billable_usage(conn, premise.account_id or 0, date(2026, 10, 17), date(2026, 11, 17))
    assert usage.usage == (7250 - 7240) + (3000 - 2980)
    assert {m.serial for m in usage.meters} == {"M-0300007", "NP26-9000001"}


def test_a_leak_letter_bills_the_read_and_queues_the_letter(worked) -> None:  # type: ignore[no-untyped-def]
    conn, p = worked
    leak = exception_of(conn, p["0300010-01"], "LEAK")
    done = do.leak_letter(conn, leak["id"], **WHO)
    order = conn.execute("SELECT order_type, status, account_id FROM work_orders WHERE id = ?",
                         (done.work_order_id,)).fetchone()
    assert tuple(order) == ("leak_letter", "open", p["0300010-01"].account_id)
    assert exception_of(conn, p["0300010-01"], "LEAK")["disposition"] == "leak_letter"
    assert p["0300010-01"].account_id not in billing_holds(conn, 3)


def test_dispositions_are_append_only(worked) -> None:  # type: ignore[no-untyped-def]
    conn, p = worked
    do.accept(conn, exception_of(conn, p["0300002-01"], "HIGH")["id"], **WHO)
    do.edit_reading(conn, exception_of(conn, p["0300007-01"])["id"], reading=7260,
                    reason="photo", **WHO)
    for table in ("read_dispositions", "read_edits", "read_imports"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(f"DELETE FROM {table}")
