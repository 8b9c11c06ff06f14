"""The payments, deposits, refunds and adjust commands: one sentence and exit 2 on bad input."""
from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from console.cli import main
from console.session import os_login
from fixtures.demo_lockbox import lockbox_rows, write_lockbox
from tests.conftest import open_new_database
from tests.payments_support import AT, hold_deposit, small_district


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for name in ("MTL_DB", "MTL_THEME", "MTL_COLOR_SYSTEM", "MTL_MOUSE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MTL_TODAY", "2026-11-20")
    path = tmp_path / "district.db"
    conn = open_new_database(path)
    ids = small_district(conn, 3)
    hold_deposit(conn, ids[0], 10000, date(2024, 1, 1))
    conn.execute("INSERT INTO users (login, role, added_by, added_at) VALUES (?, 'clerk', 't', ?)",
                 (os_login(), AT))
    conn.close()
    monkeypatch.setenv("MTL_DB", str(path))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def role(db: Path, name: str) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE users SET role = ? WHERE login = ?", (name, os_login()))
    conn.commit()
    conn.close()


def test_lockbox_import_posts_once_and_ledger_check_holds(
        db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accounts = [(f"100-{n:04d}", 8000) for n in range(1, 4)]
    rows = lockbox_rows(accounts, 3, deposit=date(2026, 11, 19), unknown=1)
    path = write_lockbox(tmp_path / "lbx.csv", rows)
    code, text = run(capsys, "payments", "import", str(path))
    assert code == 0 and "3 payments" in text and "1 to suspense $50.00" in text
    code, text = run(capsys, "payments", "import", str(path))
    assert code == 0 and "already posted as batch 1" in text and "nothing changed" in text
    code, text = run(capsys, "payments", "suspense", "--format", "json")
    assert code == 0 and '"amount_cents": 5000' in text
    assert run(capsys, "ledger", "check")[0] == 0


def test_a_manual_batch_from_the_command_line(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "payments", "open", "--control-total", "100.00")[0] == 0
    code, text = run(capsys, "payments", "post", "1", "100-0001", "60", "--check-number", "12")
    assert code == 0 and "SHORT $40.00" in text
    code, text = run(capsys, "payments", "post", "1", "100-0001", "40", "--check-number", "12")
    assert code == 2 and "duplicate check number" in text and "Traceback" not in text
    code, text = run(capsys, "payments", "post", "1", "100-0001", "4O", "--method", "cash")
    assert code == 2 and "'4O' is not an amount" in text
    code, text = run(capsys, "payments", "close", "1")
    assert code == 2 and "does not balance" in text
    run(capsys, "payments", "post", "1", "100-0002", "40", "--method", "cash")
    code, text = run(capsys, "payments", "close", "1")
    assert code == 0 and "BALANCED" in text
    code, text = run(capsys, "payments", "return", "999", "--reason", "NSF")
    assert code == 2 and "does not exist" in text
    code, text = run(capsys, "payments", "return", "--account", "100-0001", "--check-number",
                     "12", "--comment", "notice 1")
    assert code == 0 and "Fee: $25.00" in text
    assert run(capsys, "ledger", "check")[0] == 0


def test_adjustment_approval_by_role(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, "adjust", "amount", "100-0001", "-250", "--reason", "BILL-ERR",
                     "--comment", "misread meter")
    assert code == 0 and "WAITING for a supervisor" in text
    code, text = run(capsys, "adjust", "approve", "1", "--comment", "looks right")
    assert code == 2 and "only a supervisor can approve" in text
    role(db, "supervisor")
    code, text = run(capsys, "adjust", "approve", "1", "--comment", "looks right")
    assert code == 2 and "another supervisor" in text  # the same login asked for it
    role(db, "admin")
    code, text = run(capsys, "adjust", "queue")
    assert code == 0 and "PENDING" in text
    role(db, "clerk")
    code, text = run(capsys, "adjust", "amount", "100-0001", "-5", "--reason", "FEE-WAIVE",
                     "--comment", "courtesy")
    assert code == 0 and "POSTED as entry" in text
    entry = text.split("POSTED as entry ")[1].split(".")[0]
    assert run(capsys, "adjust", "reverse", entry, "--comment", "not owed")[0] == 0
    assert run(capsys, "ledger", "check")[0] == 0


def test_deposit_sweep_and_refund_export(db: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, "deposits", "sweep", "--date", "2026-11-20", "--dry-run")
    assert code == 0 and "ELIGIBLE" in text and "dry run" in text
    code, text = run(capsys, "deposits", "sweep", "--date", "2026-11-20")
    assert code == 0 and "PROPOSED" in text
    code, text = run(capsys, "refunds", "approve", "1", "--comment", "good payer")
    assert code == 2 and "only a supervisor" in text
    role(db, "supervisor")
    assert run(capsys, "refunds", "approve", "1", "--comment", "good payer")[0] == 0
    code, text = run(capsys, "refunds", "export", "--out", str(tmp_path / "ap.csv"))
    assert code == 0 and "1 refunds, $100.00" in text
    assert (tmp_path / "ap.csv").read_text().startswith("register_id,account_number")
    code, text = run(capsys, "deposits", "sweep", "--date", "2026-13-01")
    assert code == 2 and "not a date" in text
    assert run(capsys, "ledger", "check")[0] == 0
