"""`meterline users add|list` at a shell: the first user bootstraps; listing needs a sign-in."""
from __future__ import annotations

from pathlib import Path

import pytest

from console.cli import main
from console.session import os_login
from db.connection import open_database
from db.users import add_user
from tests.conftest import open_new_database

AT = "2026-03-01T09:00:00"


pytestmark = pytest.mark.usefixtures("isolated_config")  # tests/conftest.py


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A district whose only user is an admin who is not the person running the tests."""
    path = tmp_path / "district.db"
    conn = open_new_database(path)
    add_user(conn, login="dlopez", role="admin", full_name="Diana Lopez", actor="root", at=AT)
    conn.close()
    return path


def _run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str]:
    code = main([*argv, "--db", str(db)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_users_list_refuses_someone_who_is_not_signed_in(
        capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    code, text = _run(capsys, db_path, "users", "list")
    assert code == 2 and len(text.strip().splitlines()) == 1
    assert f"{os_login()} is not a Meterline user of {db_path}" in text
    assert "dlopez" not in text and "admin" in text  # "an admin adds you with: …"
    assert "Traceback" not in text


def test_users_list_shows_every_role_to_a_signed_in_user(
        capsys: pytest.CaptureFixture[str], db_path: Path) -> None:
    conn = open_database(db_path)
    add_user(conn, login=os_login(), role="clerk", full_name="Rosa Peña", actor="dlopez", at=AT)
    conn.close()
    code, text = _run(capsys, db_path, "users", "list")
    assert code == 0
    assert "dlopez" in text and "Diana Lopez" in text and "Rosa Peña" in text
    assert text.splitlines()[0].split() == ["login", "role", "name"]


def test_users_add_still_bootstraps_a_new_database_without_a_sign_in(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    open_database(path, create=True).close()
    code, text = _run(capsys, path, "users", "add", "dlopez", "--role", "admin")
    assert code == 0 and "dlopez is now" in text
