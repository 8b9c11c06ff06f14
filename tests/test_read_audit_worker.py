"""A large file's audit split with a second process finds exactly what one process finds."""
from __future__ import annotations

from pathlib import Path

import pytest

import db.read_import as read_import
from db.connection import open_database
from db.read_audit_worker import AuditWorker
from tests.reads_support import TODAY, build_read_district, standard_rows, write_rows

AT = "2026-11-20T10:00:00"
COLUMNS = ("read_id IS NULL, meter_id, account_id, cycle_id, route_code, walk_order, read_on,"
           " rule_id, severity, verdict, explanation, expected, actual, threshold, facts,"
           " skip_code, source_line")


def _import(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch, *, worker: bool
            ) -> list[tuple[object, ...]]:
    path = tmp_path / f"{name}.db"
    premises = build_read_district(path)
    reads = write_rows(tmp_path / f"{name}.csv", standard_rows(premises))
    with monkeypatch.context() as patch:
        patch.setattr(read_import, "WORKER_MIN_BYTES", 0 if worker else 1 << 40)
        patch.setattr(read_import, "WORKER_MIN_READS", 1)
        conn = open_database(path)
        try:
            read_import.import_reads(conn, reads, actor="clerk1", at=AT, today=TODAY,
                                     cycle_id=3)
            conn.row_factory = None
            return conn.execute(f"SELECT {COLUMNS} FROM read_exceptions ORDER BY id").fetchall()
        finally:
            conn.close()


def test_the_worker_audits_its_part_and_the_findings_match_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results: list[object] = []
    original = AuditWorker.result

    def result(self: AuditWorker) -> object:
        found = original(self)
        results.append(found)
        return found

    monkeypatch.setattr(AuditWorker, "result", result)
    split = _import(tmp_path, "split", monkeypatch, worker=True)
    assert results and results[0] is not None  # the worker ran and answered
    alone = _import(tmp_path, "alone", monkeypatch, worker=False)
    assert len(results) == 1
    assert split == alone and len(alone) >= 10


def test_a_failed_worker_leaves_its_part_to_this_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AuditWorker, "result", lambda self: None)
    failed = _import(tmp_path, "failed", monkeypatch, worker=True)
    alone = _import(tmp_path, "alone", monkeypatch, worker=False)
    assert failed == alone


def test_a_refused_file_stops_the_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    started: list[AuditWorker] = []
    original = AuditWorker.__init__

    def init(self: AuditWorker, db_file: Path) -> None:
        original(self, db_file)
        started.append(self)

    monkeypatch.setattr(AuditWorker, "__init__", init)
    monkeypatch.setattr(read_import, "WORKER_MIN_BYTES", 0)
    path = tmp_path / "district.db"
    build_read_district(path)
    bad = tmp_path / "bad.csv"
    bad.write_text("account_number\n1\n", encoding="utf-8")
    conn = open_database(path)
    try:
        with pytest.raises(read_import.InputError):
            read_import.import_reads(conn, bad, actor="clerk1", at=AT, today=TODAY)
        assert conn.execute("SELECT count(*) FROM read_imports").fetchone()[0] == 0
    finally:
        conn.close()
    assert len(started) == 1 and started[0].process is None  # stopped and waited for


def test_a_late_worker_gives_the_write_lock_back_and_its_findings_still_count(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    original = AuditWorker.finished

    def late(self: AuditWorker, timeout: float) -> bool:
        waits.append(timeout)
        original(self, 0.0)
        return False  # not within the write transaction's wait

    monkeypatch.setattr(AuditWorker, "finished", late)
    split = _import(tmp_path, "late", monkeypatch, worker=True)
    alone = _import(tmp_path, "alone", monkeypatch, worker=False)
    assert waits and split == alone


def test_history_loaded_ahead_is_used_only_for_the_same_days_and_premises(
        tmp_path: Path) -> None:
    from datetime import timedelta

    from db.read_audit_worker import Prefetched, _history, _prefetch
    from db.read_history import fill_premises, load_chains
    from db.read_lookups import load_meters

    path = tmp_path / "district.db"
    premises = build_read_district(path)
    reads = write_rows(tmp_path / "reads.csv", standard_rows(premises))
    conn = open_database(path)
    try:
        meters = load_meters(conn)
        ahead = _prefetch(conn, meters, str(reads), 0.5, "utf-8")
        assert ahead is not None and 0 < len(ahead.premises) < len(premises)
        everyone = {p.premise_id for p in premises}
        fill_premises(conn, everyone)
        expected = load_chains(conn, ahead.since, ahead.until)
        assert _history(conn, everyone, ahead.since, ahead.until, ahead) == expected
        # Other days: nothing loaded ahead is used (here it would show as no history).
        later = ahead.until + timedelta(days=1)
        stale = Prefetched(ahead.since, ahead.until, ahead.premises,
                           {premise: () for premise in ahead.premises})
        fill_premises(conn, everyone)
        assert _history(conn, everyone, ahead.since, later, stale) == load_chains(
            conn, ahead.since, later)
        # The audit's statuses and occupancy read every premise from the temp table.
        assert {row[0] for row in conn.execute("SELECT premise_id FROM temp.audit_premises")
                } == everyone
    finally:
        conn.close()
