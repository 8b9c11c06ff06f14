"""`meterline reads` and `meterline workorders`: export, import, the queue, dispositions."""
from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest

from console.cli import main
from console.session import os_login
from tests.reads_support import Premise, build_read_district, standard_rows, write_rows

TODAY = "2026-11-20"


pytestmark = pytest.mark.usefixtures("isolated_config")  # tests/conftest.py


@pytest.fixture
def district(tmp_path: Path) -> tuple[Path, list[Premise]]:
    path = tmp_path / "district.db"
    premises = build_read_district(path)
    conn = sqlite3.connect(path)
    conn.execute("INSERT OR IGNORE INTO users (login, role, full_name, added_by, added_at)"
                 " VALUES (?, 'clerk', 'Test', 'setup', '2026-01-01T08:00:00')", (os_login(),))
    conn.commit()
    conn.close()
    return path, premises


def run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str]:
    code = main(["--db", str(db), "--today", TODAY, *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_route_export_is_in_walk_order_in_the_neutral_layout(
        capsys: pytest.CaptureFixture[str], district: tuple[Path, list[Premise]],
        tmp_path: Path) -> None:
    out = tmp_path / "route.csv"
    code, text = run(capsys, district[0], "reads", "export", "--cycle", "3", "--out", str(out))
    assert code == 0 and "Wrote 16 meters of cycle 3" in text
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [(r["route"], int(r["read_seq"])) for r in rows] == sorted(
        (r["route"], int(r["read_seq"])) for r in rows)
    first = rows[0]
    assert (first["account_number"], first["prev_read"], first["prev_read_date"]) == \
        ("0300001-01", "1240", "2026-10-17")
    assert (first["low_limit"], first["high_limit"], first["unit"]) == ("1252", "1274", "CCF")
    code, text = run(capsys, district[0], "reads", "export", "--cycle", "3", "--out", str(out))
    assert code == 2 and "never overwritten" in text


def test_import_audit_and_work_the_queue_from_the_command_line(
        capsys: pytest.CaptureFixture[str], district: tuple[Path, list[Premise]],
        tmp_path: Path) -> None:
    db, premises = district
    path = write_rows(tmp_path / "reads.csv", standard_rows(premises))
    code, text = run(capsys, db, "reads", "import", str(path), "--cycle", "3")
    assert code == 0 and "14 reads, 1 skipped, 1 not in the file; 14 exceptions" in text
    code, text = run(capsys, db, "reads", "import", str(path))
    assert code == 2 and "already imported" in text and "Traceback" not in text
    code, text = run(capsys, db, "reads", "audit", "--cycle", "3", "--format", "json")
    listed = json.loads(text)
    assert listed["count"] == 14 and listed["rows"][0]["severity"] == "ERROR"
    by_rule = {r["rule"]: r["id"] for r in listed["rows"]}
    code, text = run(capsys, db, "reads", "audit", "--rule", "stuck", "--format", "csv")
    assert code == 0 and len(list(csv.DictReader(text.splitlines()))) == 1
    assert run(capsys, db, "reads", "accept", str(by_rule["HIGH"]))[0] == 0
    code, text = run(capsys, db, "reads", "reread", str(by_rule["STUCK"]), "--comment", "x")
    assert code == 0 and "Work order 1" in text
    code, text = run(capsys, db, "reads", "estimate", str(by_rule["MISSING"]),
                     "--method", "last3")
    assert code == 0 and "ESTIMATED" in text
    code, text = run(capsys, db, "reads", "edit", str(by_rule["LOW"]), "--reading", "5630",
                     "--reason", "keyed wrong")
    assert code == 0 and "from 5430 to 5630" in text
    code, text = run(capsys, db, "reads", "audit", "--format", "json")
    assert json.loads(text)["count"] == 10
    code, text = run(capsys, db, "workorders", "list", "--status", "open")
    assert code == 0 and "reread" in text and "1 work orders" in text
    code, text = run(capsys, db, "workorders", "done", "1", "--reading", "5072")
    assert code == 0 and "replaces the disputed read" in text


def test_a_bad_file_is_one_message_per_problem_and_exit_2(
        capsys: pytest.CaptureFixture[str], district: tuple[Path, list[Premise]],
        tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("account_number,meter_id\n1,2\n")
    code, text = run(capsys, district[0], "reads", "import", str(path))
    assert code == 2 and "bad.csv:1:header: wrong columns" in text and "Traceback" not in text


def test_a_change_out_from_the_command_line(
        capsys: pytest.CaptureFixture[str], district: tuple[Path, list[Premise]],
        tmp_path: Path) -> None:
    db, premises = district
    run(capsys, db, "reads", "import", str(write_rows(tmp_path / "r.csv",
                                                      standard_rows(premises))))
    exception = sqlite3.connect(db).execute(
        "SELECT id FROM read_exceptions WHERE verdict = 'probable misread'").fetchone()[0]
    code, text = run(capsys, db, "reads", "change", str(exception), "--date", "2026-11-02",
                     "--final", "7250", "--serial", "NP26-1", "--size", "5/8", "--dials", "5",
                     "--initial", "2980")
    assert code == 0 and "sum over both meters" in text
    code, text = run(capsys, db, "reads", "change", str(exception), "--date", "2026-11-02",
                     "--final", "7250", "--serial", "NP26-2", "--size", "5/8", "--dials", "5",
                     "--initial", "2980")
    assert code == 2 and "already worked" in text
