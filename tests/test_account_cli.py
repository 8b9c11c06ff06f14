"""`meterline account show|search|close`: tables, JSON, CSV, and one-sentence refusals."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from console.cli import main
from console.session import os_login
from tests.accounts_support import active_account, copy_to, last_reading, use_strict_read_bands
from tests.console_support import TODAY


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fixtures.demo import build_demo

    path = tmp_path_factory.mktemp("account-cli") / "district.db"
    build_demo(path, accounts=150, seed=8, today=TODAY, admin_login=os_login())
    return path


@pytest.fixture
def db_path(district: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for name in ("MTL_DB", "MTL_THEME", "MTL_COLOR_SYSTEM", "MTL_MOUSE", "MTL_TODAY"):
        monkeypatch.delenv(name, raising=False)
    return copy_to(district, tmp_path)


def _run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str]:
    code = main([*argv, "--db", str(db), "--today", TODAY.isoformat()])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_show_prints_header_flags_aging_and_ledger(capsys: pytest.CaptureFixture[str],
                                                   db_path: Path) -> None:
    number = active_account(sqlite3.connect(db_path))
    code, text = _run(capsys, db_path, "account", "show", number)
    assert code == 0
    assert f"Account {number}  ACTIVE" in text and "Flags:" in text and "aging:" in text
    assert "Ledger, newest first:" in text
    code, text = _run(capsys, db_path, "account", "show", number, "--format", "json")
    data = json.loads(text)
    assert data["number"] == number and set(data["aging_cents"]) >= {"current", "90+"}
    assert data["ledger"][0]["running_cents"] == data["balance_cents"]


def test_search_lists_matches_in_every_format(capsys: pytest.CaptureFixture[str],
                                              db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    number = active_account(conn)
    phone = conn.execute("SELECT c.phone FROM customers c JOIN accounts a ON"
                         " a.customer_id = c.id WHERE a.number = ?", (number,)).fetchone()[0]
    code, text = _run(capsys, db_path, "account", "search", number)
    assert code == 0 and text.splitlines()[3].startswith(number)
    code, text = _run(capsys, db_path, "account", "search", phone, "--format", "json")
    assert number in [row["number"] for row in json.loads(text)["rows"]]
    code, text = _run(capsys, db_path, "account", "search", "la", "contenta", "--format", "csv",
                      "--limit", "5")
    lines = text.splitlines()
    assert lines[0] == "number,status,customer,service_address,phone,balance,matched"
    assert len(lines) == 6


def test_close_dry_run_changes_nothing_then_close_balances(capsys: pytest.CaptureFixture[str],
                                                         db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    number = active_account(conn, deposit=True)
    final = str(last_reading(conn, number) + 4)
    conn.close()
    code, text = _run(capsys, db_path, "account", "close", number, "--final-read", final,
                      "--date", TODAY.isoformat(), "--dry-run")
    assert code == 0 and "Dry run: nothing was changed." in text and "Deposit applied" in text
    code, text = _run(capsys, db_path, "account", "close", number, "--final-read", final,
                      "--date", TODAY.isoformat(), "--forward-to",
                      "974 Camino Real, Portland, OR 97201")
    assert code == 0 and f"Account {number} is CLOSED" in text
    assert "974 CAMINO REAL, PORTLAND, OR 97201" in text
    code, text = _run(capsys, db_path, "ledger", "check")
    assert code == 0 and "Every balance equals its entries" in text
    code, text = _run(capsys, db_path, "account", "close", number, "--final-read", final,
                      "--date", TODAY.isoformat())
    assert code == 2 and "already closed" in text and "Traceback" not in text


def test_bad_input_is_one_sentence(capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, text = _run(capsys, db_path, "account", "show", "9999999-99")
    assert code == 2 and "there is no account 9999999-99" in text
    code, text = _run(capsys, db_path, "account", "close", "9999999-99", "--final-read", "1",
                      "--date", "2026-02-30")
    assert code == 2 and "not a date on the calendar" in text


def test_close_refuses_a_read_the_audit_calls_an_error_until_accepted(
        capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    use_strict_read_bands(db_path)
    conn = sqlite3.connect(db_path)
    number = active_account(conn, deposit=True)
    final = str(last_reading(conn, number) + 500)
    conn.close()
    close = ("account", "close", number, "--final-read", final, "--date", TODAY.isoformat())
    code, text = _run(capsys, db_path, *close, "--dry-run")
    assert code == 2 and f"final read: {final} fails HIGH (error, limit +300%)" in text
    assert 'a supervisor closes with --accept-read "REASON"' in text
    assert len(text.strip().splitlines()) == 1
    _as_role(db_path, "clerk")
    for dry_run in (("--dry-run",), ()):
        code, text = _run(capsys, db_path, *close, "--accept-read", "pool filled", *dry_run)
        assert code == 2 and len(text.strip().splitlines()) == 1
        assert (f"only a supervisor can accept a final read the read audit calls an error; "
                f"{os_login()} is a clerk") in text
    _as_role(db_path, "supervisor")
    code, text = _run(capsys, db_path, *close, "--accept-read", "re-read: pool filled")
    assert code == 0 and f"Account {number} is CLOSED" in text
    assert "Read audit ERROR HIGH — ACCEPTED" in text
    assert f"Read accepted by {os_login()}: re-read: pool filled" in text


def _as_role(db_path: Path, role: str) -> None:
    """Make the person running the tests (the demo's admin) a user of `role`."""
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE users SET role = ? WHERE login = ?", (role, os_login()))
    conn.close()
