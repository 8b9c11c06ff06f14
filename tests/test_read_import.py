"""Read import on a real database: all or nothing, once per file, every problem located."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import InputError
from db.connection import open_database
from db.read_import import import_reads, report_missing
from tests.reads_support import (
    TODAY,
    Premise,
    build_read_district,
    read_line,
    standard_rows,
    write_rows,
)

AT = "2026-11-20T10:00:00"
TABLES = ("meter_reads", "read_imports", "read_exceptions", "read_dispositions", "audit_log")


@pytest.fixture
def district(tmp_path: Path) -> tuple[Path, list[Premise]]:
    path = tmp_path / "district.db"
    return path, build_read_district(path)


@pytest.fixture
def conn(district: tuple[Path, list[Premise]]) -> Iterator[sqlite3.Connection]:
    connection = open_database(district[0])
    yield connection
    connection.close()


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def load(conn: sqlite3.Connection, path: Path, **kw: object):  # type: ignore[no-untyped-def]
    return import_reads(conn, path, actor="clerk1", at=AT, today=TODAY, **kw)  # type: ignore[arg-type]


def refused(conn: sqlite3.Connection, path: Path, **kw: object) -> list[str]:
    before = counts(conn)
    with pytest.raises(InputError) as error:
        load(conn, path, **kw)
    assert counts(conn) == before  # nothing was written
    return [str(p) for p in error.value.problems]


def test_a_good_file_stores_reads_with_provenance_and_queues_exceptions(
        conn: sqlite3.Connection, district: tuple[Path, list[Premise]], tmp_path: Path) -> None:
    premises = district[1]
    result = load(conn, write_rows(tmp_path / "reads.csv", standard_rows(premises)), cycle_id=3)
    assert (result.reads, result.skips, result.missing) == (14, 1, 1)
    rules = {r[0]: r[1] for r in conn.execute(
        "SELECT a.number, e.rule_id FROM read_exceptions e JOIN accounts a"
        " ON a.id = e.account_id")}
    assert rules == {
        "0300002-01": "HIGH", "0300003-01": "LOW", "0300004-01": "ZERO", "0300005-01": "STUCK",
        "0300006-01": "NEGATIVE", "0300007-01": "NEGATIVE", "0300008-01": "NEGATIVE",
        "0300009-01": "INACTIVE", "0300010-01": "LEAK", "0300011-01": "TAMPER",
        "0300012-01": "BACKFLOW", "0300013-01": "ESTIMATES", "0300014-01": "MISSING",
        "0300015-01": "MISSING"}
    read = conn.execute("SELECT r.*, i.file_name, i.imported_by FROM meter_reads r JOIN"
                        " read_imports i ON i.id = r.import_id WHERE r.meter_id = ?",
                        (premises[0].meter_id,)).fetchone()
    assert (read["reading"], read["source_line"], read["created_by"], read["file_name"]) == \
        (1260, 2, "clerk1", "reads.csv")
    assert read["read_method"] == "AMR" and read["reader_id"] == "R07"
    estimated = conn.execute("SELECT kind FROM meter_reads WHERE meter_id = ? AND import_id"
                             " IS NOT NULL", (premises[12].meter_id,)).fetchone()[0]
    assert estimated == "estimated"
    # The checkpoint was left to the caller, and the connection checkpoints as before.
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000


def test_the_same_file_imports_once_and_says_when_and_by_whom(
        conn: sqlite3.Connection, district: tuple[Path, list[Premise]], tmp_path: Path) -> None:
    path = write_rows(tmp_path / "reads.csv", standard_rows(district[1]))
    load(conn, path)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    [problem] = refused(conn, copy)
    assert "already imported on 2026-11-20 at 10:00:00 by clerk1 (import 1, 14 reads" in problem


def test_every_bad_line_is_reported_as_file_line_field(
        conn: sqlite3.Connection, district: tuple[Path, list[Premise]], tmp_path: Path) -> None:
    p = district[1]
    rows = [read_line(p[0], 1260), read_line(p[1], 2300, day="2026-11-32"),
            read_line(p[2], None), read_line(p[3], 4380, account="9999999-99"),
            {**read_line(p[4], 5060), "meter_id": "77777"}, read_line(p[5], 10, day="2026-10-20"),
            read_line(p[0], 1270), {**read_line(p[6], 7260), "read_value": "72a0"},
            read_line(p[7], 8260, account=p[8].number), read_line(p[9], 99999),
            {**read_line(p[10], 1490), "leak": "3"}]
    problems = refused(conn, write_rows(tmp_path / "bad.csv", rows))
    assert problems == [
        "bad.csv:3:read_datetime: '2026-11-32' is not a date (YYYY-MM-DD or "
        "YYYY-MM-DDTHH:MM:SS)",
        "bad.csv:4:read_value: a reading or a skip code is required",
        "bad.csv:5:account_number: no account '9999999-99' in the district",
        "bad.csv:6:meter_id: no meter '77777' in the district",
        "bad.csv:7:read_datetime: 2026-10-20 is outside cycle 3's read window 2026-11-12 to "
        "2026-11-20 (read day (the calendar for the month is not generated) 2026-11-17, with "
        "the district's tolerance)",
        f"bad.csv:8:meter_id: meter {p[0].meter_id} is read twice in this file (first on "
        "line 2)",
        "bad.csv:9:read_value: '72a0' is not a whole-number reading",
        f"bad.csv:10:account_number: meter {p[7].meter_id} is not at account {p[8].number}'s "
        f"premise (it serves {p[7].number})",
        f"bad.csv:11:read_value: reading 99999 has more digits than meter {p[9].meter_id}'s "
        "4 dials",
        "bad.csv:12:leak: '3' must be one of 0, 1, 2 or blank",
        "bad.csv: 10 problems; nothing was imported"]


def test_wrong_columns_are_named(conn: sqlite3.Connection, tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text("account_number,meter,read_value\n0300001-01,1,1260\n")
    [problem] = refused(conn, path)
    assert problem.startswith("cols.csv:1:header: wrong columns: missing columns meter_id, "
                              "register,")
    assert "unknown column 'meter'" in problem


def test_a_meter_in_another_cycle_is_refused_with_cycle(
        conn: sqlite3.Connection, district: tuple[Path, list[Premise]], tmp_path: Path) -> None:
    problems = refused(conn, write_rows(tmp_path / "r.csv", [read_line(district[1][0], 1260)]),
                       cycle_id=3 + 1)
    assert problems == ["--cycle: there is no cycle 4"]


def test_a_meter_already_read_in_the_window_is_refused(
        conn: sqlite3.Connection, district: tuple[Path, list[Premise]], tmp_path: Path) -> None:
    p = district[1]
    load(conn, write_rows(tmp_path / "one.csv", [read_line(p[0], 1260)]))
    problems = refused(conn, write_rows(tmp_path / "two.csv", [read_line(p[0], 1265)]))
    assert problems == [f"two.csv:2:meter_id: meter {p[0].meter_id} already has a read on "
                        "2026-11-17 in this read window"]


def test_a_utf8_bom_and_crlf_line_ends_are_read(
        conn: sqlite3.Connection, district: tuple[Path, list[Premise]], tmp_path: Path) -> None:
    rows = [read_line(district[1][0], 1260, note="José's gate")]
    result = load(conn, write_rows(tmp_path / "bom.csv", rows, newline="\r\n", bom=True))
    assert result.reads == 1
    note = conn.execute("SELECT note_text FROM meter_reads WHERE import_id = ?",
                        (result.import_id,)).fetchone()[0]
    assert note == "José's gate"


def test_latin1_text_is_refused_with_what_to_do_then_read_when_named(
        conn: sqlite3.Connection, district: tuple[Path, list[Premise]], tmp_path: Path) -> None:
    path = write_rows(tmp_path / "latin.csv", [read_line(district[1][0], 1260, note="José")],
                      encoding="latin-1")
    [problem] = refused(conn, path)
    assert problem.startswith("latin.csv:2: not UTF-8 text (byte 0xE9 at position")
    assert "--encoding latin-1" in problem
    assert load(conn, path, encoding="latin-1").reads == 1
    assert conn.execute("SELECT note_text FROM meter_reads WHERE note_text LIKE 'Jos%'"
                        ).fetchone()[0] == "José"


def test_empty_header_only_utf16_and_binary_files_are_refused(
        conn: sqlite3.Connection, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert refused(conn, empty) == ["empty.csv: the file is empty: it has no header row"]
    header = write_rows(tmp_path / "header.csv", [])
    assert refused(conn, header) == ["header.csv:1: has a header row but no reads"]
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(header.read_text().encode("utf-16"))
    assert "UTF-16" in refused(conn, utf16)[0]
    binary = tmp_path / "binary.csv"
    binary.write_bytes(header.read_bytes() + b"\x00\x01\x02garbage\n")
    assert "NUL" in " ".join(refused(conn, binary))


def test_a_very_large_file_is_streamed_and_its_problems_are_capped(
        conn: sqlite3.Connection, district: tuple[Path, list[Premise]], tmp_path: Path) -> None:
    bad = read_line(district[1][0], 1260, day="not a date")
    path = write_rows(tmp_path / "big.csv", [bad] * 30_000)
    problems = refused(conn, path)
    assert len(problems) == 202
    # Each line has a bad date, and every line after the first reads the same meter again.
    assert problems[-2:] == [
        "big.csv: and 59,799 more problems (59,999 in all; the first 200 are listed)",
        "big.csv: 59,999 problems; nothing was imported"]


def test_missing_meters_of_a_cycle_are_queued_once(
        conn: sqlite3.Connection, district: tuple[Path, list[Premise]], tmp_path: Path) -> None:
    p = district[1]
    load(conn, write_rows(tmp_path / "r1.csv", [read_line(p[0], 1260)]))  # route C3-R01 only
    on_route = conn.execute("SELECT count(*) FROM read_exceptions WHERE rule_id = 'MISSING'"
                            ).fetchone()[0]
    assert on_route == 6  # the other meters of C3-R01
    assert report_missing(conn, 3, today=TODAY, actor="clerk1", at=AT) == 9  # C3-R02's nine
    assert report_missing(conn, 3, today=TODAY, actor="clerk1", at=AT) == 0
    load(conn, write_rows(tmp_path / "r2.csv", [read_line(p[15], 1860)]))
    superseded = conn.execute(
        "SELECT status, disposition FROM read_exceptions WHERE rule_id = 'MISSING'"
        " AND meter_id = ?", (p[15].meter_id,)).fetchone()
    assert tuple(superseded) == ("resolved", "superseded")


def test_a_read_stored_by_another_clerk_after_the_check_refuses_the_file(
        conn: sqlite3.Connection, district: tuple[Path, list[Premise]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import db.read_import as read_import

    p = district[1]
    other = tmp_path / "other.csv"
    write_rows(other, [read_line(p[0], 1262)])
    checked = read_import._missing_meters
    meanwhile = [other]

    def another_clerk_imports_meanwhile(*args: object, **kw: object) -> object:
        if meanwhile:  # once, after this file's lines were checked
            clerk = open_database(district[0])
            try:
                import_reads(clerk, meanwhile.pop(), actor="tester", at=AT, today=TODAY)
            finally:
                clerk.close()
        return checked(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(read_import, "_missing_meters", another_clerk_imports_meanwhile)
    with pytest.raises(InputError) as error:
        load(conn, write_rows(tmp_path / "mine.csv", [read_line(p[0], 1265)]))
    assert [str(problem) for problem in error.value.problems] == [
        f"mine.csv:2:meter_id: meter {p[0].meter_id} got a read on 2026-11-17 from another "
        "import while this file was checked"]
    assert conn.execute("SELECT count(*) FROM read_imports").fetchone()[0] == 1  # the other's


def test_a_write_whose_foreign_keys_fail_at_commit_leaves_nothing_behind(
        conn: sqlite3.Connection, district: tuple[Path, list[Premise]]) -> None:
    import db.read_import as read_import

    meter_id = district[1][0].meter_id
    before = counts(conn)
    version = read_import._data_version(conn)
    with pytest.raises(sqlite3.IntegrityError), \
            read_import._writing(conn, "x.csv", "0" * 64, [], {}, {}, version):
        conn.execute("PRAGMA defer_foreign_keys = ON")  # as store_reads does
        conn.execute("INSERT INTO meter_reads (meter_id, read_on, reading, kind, created_by,"
                     " created_at, import_id) VALUES (?, '2026-11-17', 1, 'actual', 'clerk1',"
                     " ?, 999)", (meter_id, AT))  # no import 999: refused at commit
    assert not conn.in_transaction and counts(conn) == before
