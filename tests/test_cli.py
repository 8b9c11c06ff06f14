"""The `meterline` command: bad input gets one sentence and a non-zero exit, never a traceback."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main
from console.session import os_login
from tests.console_support import TODAY

HERE = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fixtures.demo import build_demo

    path = tmp_path_factory.mktemp("cli") / "district.db"
    build_demo(path, accounts=60, seed=5, today=TODAY, admin_login=os_login())
    return path


pytestmark = pytest.mark.usefixtures("isolated_config")  # tests/conftest.py


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_missing_database_is_one_sentence(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    code, text = _run(capsys, "ledger", "check", "--db", str(tmp_path / "nope.db"))
    assert code == 2 and "No database at" in text and "meterline demo" in text
    assert "Traceback" not in text


def test_corrupt_database_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    code, text = _run(capsys, "ledger", "check", "--db", str(bad))
    assert code == 2 and "cannot be read as a Meterline database" in text


def test_newer_database_is_refused(capsys: pytest.CaptureFixture[str], district: Path,
                                   tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    newer.write_bytes(district.read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    code, text = _run(capsys, "ledger", "check", "--db", str(newer))
    assert code == 2 and "newer Meterline" in text


def test_unknown_user_is_told_the_admin_command(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    from fixtures.demo import build_demo

    path = tmp_path / "other.db"
    build_demo(path, accounts=20, seed=2, today=TODAY, admin_login="somebody-else")
    code, text = _run(capsys, "--db", str(path))
    assert code == 2
    assert f"meterline users add {os_login()} --role ROLE" in text


def test_invalid_config_names_file_and_key(capsys: pytest.CaptureFixture[str], district: Path,
                                           tmp_path: Path) -> None:
    config = tmp_path / "xdg" / "meterline" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('color_system = "blue"\n')
    code, text = _run(capsys, "--db", str(district))
    assert code == 2 and str(config) in text and "color_system" in text
    config.write_text("theme = [unclosed\n")
    code, text = _run(capsys, "--db", str(district))
    assert code == 2 and str(config) in text and "not valid TOML" in text


def test_unknown_theme_and_keymap_id_are_refused(capsys: pytest.CaptureFixture[str],
                                                 district: Path, tmp_path: Path) -> None:
    code, text = _run(capsys, "--db", str(district), "--theme", "no-such-theme")
    assert code == 2 and "theme" in text and "no-such-theme" in text
    config = tmp_path / "xdg" / "meterline" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[keymap]\n"app.acounts" = "f4"\n')
    code, text = _run(capsys, "--db", str(district))
    assert code == 2 and "app.acounts" in text and "keymap" in text


def test_impossible_today_is_refused(capsys: pytest.CaptureFixture[str], district: Path) -> None:
    code, text = _run(capsys, "--db", str(district), "--today", "2026-02-30")
    assert code == 2 and "not a date on the calendar" in text


def test_ledger_check_passes_then_names_a_tampered_account(
        capsys: pytest.CaptureFixture[str], district: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(district.read_bytes())
    code, text = _run(capsys, "ledger", "check", "--db", str(copy))
    assert code == 0 and "Every balance equals its entries" in text
    conn = sqlite3.connect(copy)
    number = conn.execute("SELECT number FROM accounts ORDER BY number LIMIT 1").fetchone()[0]
    conn.execute("UPDATE account_balances SET balance_cents = balance_cents + 1 WHERE account_id ="
                 " (SELECT id FROM accounts WHERE number = ?)", (number,))
    conn.commit()
    conn.close()
    code, text = _run(capsys, "ledger", "check", "--db", str(copy))
    assert code == 1 and number in text and "OUT OF BALANCE" in text


def test_users_add_needs_an_admin(capsys: pytest.CaptureFixture[str], district: Path,
                                  tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(district.read_bytes())
    code, text = _run(capsys, "users", "add", "newclerk", "--role", "clerk", "--db", str(copy))
    assert code == 0 and "newclerk is now a clerk" in text
    code, text = _run(capsys, "users", "add", "x", "--role", "boss", "--db", str(copy))
    assert code == 2 and "not a role" in text
    code, text = _run(capsys, "users", "list", "--db", str(copy))
    assert "newclerk" in text and "clerk" in text


def test_demo_refuses_to_overwrite(capsys: pytest.CaptureFixture[str], district: Path) -> None:
    code, text = _run(capsys, "demo", "--db", str(district), "--accounts", "10")
    assert code == 2 and "Traceback" not in text


def test_core_and_db_import_no_ui_and_cli_commands_skip_textual() -> None:
    probe = ("import sys, console.cli, console.commands, console.config;"
             "print(any(m.split('.')[0] in ('textual', 'rich') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=HERE, check=True).stdout.strip()
    assert out == "False"
