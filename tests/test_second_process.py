"""A job in a second process: its value comes back, and any failure gives None."""
from __future__ import annotations

import fcntl
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.connection import database_file
from db.second_process import (
    PIPE_BYTES,
    PartLimit,
    SecondProcess,
    close_kept_processes,
    kept_process,
    parts_allowed,
)

JOBS = "tests.second_process_jobs"


@pytest.fixture
def district(tmp_path: Path) -> Iterator[Path]:
    """A WAL database file with one meter row, as the district's is."""
    path = tmp_path / "district.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE meters (id INTEGER PRIMARY KEY)")
    conn.execute("INSERT INTO meters DEFAULT VALUES")
    conn.close()
    yield path


def test_the_job_gets_every_message_and_its_value_comes_back(district: Path) -> None:
    with SecondProcess(f"{JOBS}:echo_job", district) as second:
        second.tell(("expect", 1))
        assert second.send(("part", list(range(100_000))))  # far more than a pipe holds
        assert second.finished(30)
        assert second.result() == [("expect", 1), ("part", list(range(100_000)))]
        assert second.process is None  # stopped and waited for


def test_a_job_that_raises_gives_none(district: Path) -> None:
    second = SecondProcess(f"{JOBS}:failing_job", district)
    assert second.send("go")
    assert second.result() is None


def test_an_answer_that_is_not_one_gives_none(district: Path) -> None:
    second = SecondProcess(f"{JOBS}:garbage_job", district)
    assert second.send("go")
    assert second.result() is None


def test_a_job_that_cannot_be_found_gives_none(district: Path) -> None:
    second = SecondProcess(f"{JOBS}:no_such_job", district)
    assert second.send("go")
    assert second.result() is None


def test_a_process_stopped_mid_job_gives_none_and_finished_waits_only_its_timeout(
        district: Path) -> None:
    second = SecondProcess(f"{JOBS}:waiting_job", district)
    assert second.send("go")
    assert not second.finished(0.2)
    assert second.process is not None
    second.process.kill()
    assert second.finished(10)
    assert second.result() is None


def test_a_caller_that_closes_before_telling_anything_gets_a_quiet_exit(district: Path) -> None:
    second = SecondProcess(f"{JOBS}:echo_job", district)
    process = second.process
    assert process is not None and process.stdin is not None and process.stdout is not None
    process.stdin.close()
    answer = process.stdout.read()
    assert (process.wait(30), answer) == (0, b"")
    second.close()


def test_without_a_second_process_every_call_reports_failure(
        district: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", str(district.parent / "no-python"))
    with SecondProcess(f"{JOBS}:echo_job", district) as second:
        assert second.process is None
        second.tell("expect")
        assert not second.send("go")
        assert second.finished(0) and second.result() is None


def test_the_job_sees_the_callers_snapshot_while_the_caller_holds_the_write_lock(
        district: Path) -> None:
    other = sqlite3.connect(district, isolation_level=None)
    other.execute("INSERT INTO meters DEFAULT VALUES")  # committed before the caller begins
    other.close()
    caller = sqlite3.connect(district, isolation_level=None)
    try:
        assert database_file(caller) == district
        caller.execute("BEGIN IMMEDIATE")
        seen = caller.execute("SELECT count(*) FROM meters").fetchone()[0]
        # Started after the caller's BEGIN IMMEDIATE: nobody can commit until the caller does,
        # so the job's read transaction has the caller's snapshot.
        with SecondProcess(f"{JOBS}:counting_job", district) as second:
            caller.execute("INSERT INTO meters DEFAULT VALUES")  # not committed: not seen
            assert second.send("meters")
            assert (seen, second.result()) == (2, 2)
        caller.execute("COMMIT")
    finally:
        caller.close()
    assert database_file(sqlite3.connect(":memory:")) is None


def test_a_kept_process_answers_job_after_job_and_is_reused(district: Path) -> None:
    kept = kept_process(district)
    assert kept_process(district) is kept
    assert kept.ask("tests.second_process_jobs:echo_job", "one").result() == ["one"]
    assert kept.ask("tests.second_process_jobs:counting_job", "sqlite_master").result() >= 0
    assert kept.alive()
    kept.close()


def test_a_failed_kept_job_gives_none_and_the_next_asks_a_new_process(district: Path) -> None:
    kept = kept_process(district)
    assert kept.ask("tests.second_process_jobs:failing_job", "x").result() is None
    assert not kept.alive()
    again = kept_process(district)
    assert again is not kept
    assert again.ask("tests.second_process_jobs:echo_job", 2).result() == [2]
    again.close()


def test_a_replaced_database_file_gets_a_new_kept_process(district: Path,
                                                            tmp_path: Path) -> None:
    kept = kept_process(district)
    copy = tmp_path / "copy.db"
    copy.write_bytes(district.read_bytes())
    copy.replace(district)
    assert kept_process(district) is not kept
    assert not kept.alive()
    close_kept_processes()


def test_a_kept_job_answers_in_parts_as_they_come(district: Path) -> None:
    kept = kept_process(district)
    ticket = kept.ask(f"{JOBS}:parts_job", 3)
    assert list(ticket.parts()) == [0, 1, 2] and ticket.complete
    failing = kept.ask(f"{JOBS}:failing_parts_job", None)
    assert list(failing.parts()) == [0, 1] and not failing.complete
    assert kept_process(district).ask(f"{JOBS}:echo_job", 5).result() == [5]
    close_kept_processes()


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are Linux's")
def test_the_kept_process_pipes_hold_a_slice_of_bills_at_once(district: Path) -> None:
    # A draft's slice (about 740 KB) must not wait on a 64 KB pipe for the caller's busy
    # interpreter (db.second_process.PIPE_BYTES).
    allowed = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    kept = kept_process(district)
    assert kept.process is not None and kept.process.stdin and kept.process.stdout
    for stream in (kept.process.stdin, kept.process.stdout):
        assert fcntl.fcntl(stream.fileno(), fcntl.F_GETPIPE_SZ) >= min(PIPE_BYTES, allowed)
    big = "x" * (PIPE_BYTES // 2)
    assert kept.ask(f"{JOBS}:echo_job", big).result() == [big]
    close_kept_processes()


def test_a_part_limit_read_by_the_job_and_gone_once_the_caller_is_done() -> None:
    """The job reads the limit before each part: as lowered; none left once the caller has
    removed it (a refused freeze, a draft done); every part when no file could be made."""
    limit = PartLimit(5)
    assert parts_allowed(limit.path) == 5
    assert limit.lower(2) and parts_allowed(limit.path) == 2
    limit.close()
    assert parts_allowed(limit.path) == 0
    assert parts_allowed(None) is None
