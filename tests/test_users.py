"""Users: the first one bootstraps the database, then only an admin adds or re-roles users."""
from __future__ import annotations

import json
import sqlite3

import pytest

from core.errors import InputError, PermissionDenied
from core.users import Role, User
from db.users import add_user, get_user, list_users

AT = "2026-03-01T09:00:00"


def user_audit(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM audit_log WHERE object_type = 'user' ORDER BY id"
                        ).fetchall()


def test_the_first_user_can_be_added_by_anyone(conn: sqlite3.Connection) -> None:
    added = add_user(conn, login="dlopez", role="admin", full_name="Diana Lopez",
                     actor="root", at=AT)
    assert added == User("dlopez", Role.ADMIN, "Diana Lopez")
    assert get_user(conn, "dlopez") == added
    (row,) = user_audit(conn)
    assert (row["action"], row["actor"], row["object_id"], row["at"], row["before"]) == (
        "user.add", "root", "dlopez", AT, None)
    assert json.loads(row["after"]) == {"login": "dlopez", "role": "admin",
                                        "full_name": "Diana Lopez"}


def test_after_the_first_user_only_an_admin_may_add_users(conn: sqlite3.Connection) -> None:
    add_user(conn, login="dlopez", role="admin", full_name="Diana Lopez", actor="root", at=AT)
    add_user(conn, login="mreyes", role="clerk", full_name="Mario Reyes", actor="dlopez", at=AT)
    with pytest.raises(PermissionDenied, match="only an admin can add users; mreyes is a clerk"):
        add_user(conn, login="jlee", role="clerk", full_name="", actor="mreyes", at=AT)
    with pytest.raises(PermissionDenied, match="stranger is not a user"):
        add_user(conn, login="jlee", role="admin", full_name="", actor="stranger", at=AT)
    assert get_user(conn, "jlee") is None
    assert [u.login for u in list_users(conn)] == ["dlopez", "mreyes"]
    assert len(user_audit(conn)) == 2


def test_an_admin_can_change_a_role_and_the_audit_keeps_the_before(
        conn: sqlite3.Connection) -> None:
    add_user(conn, login="dlopez", role="admin", full_name="Diana Lopez", actor="root", at=AT)
    add_user(conn, login="mreyes", role="clerk", full_name="Mario Reyes", actor="dlopez", at=AT)
    promoted = add_user(conn, login="mreyes", role="supervisor", full_name="Mario Reyes",
                        actor="dlopez", at="2026-03-02T09:00:00")
    assert get_user(conn, "mreyes") == promoted
    assert promoted.role == Role.SUPERVISOR
    last = user_audit(conn)[-1]
    assert json.loads(last["before"])["role"] == "clerk"
    assert json.loads(last["after"])["role"] == "supervisor"
    assert len(list_users(conn)) == 2


def test_a_bad_role_is_refused_listing_the_roles(conn: sqlite3.Connection) -> None:
    with pytest.raises(InputError, match="'boss' is not a role") as refused:
        add_user(conn, login="dlopez", role="boss", full_name="", actor="root", at=AT)
    for role in Role:
        assert role.value in str(refused.value)
    assert user_audit(conn) == []


@pytest.mark.parametrize("login", ["", "  ", "mario reyes"])
def test_a_bad_login_is_refused(conn: sqlite3.Connection, login: str) -> None:
    with pytest.raises(InputError, match="is not a login name"):
        add_user(conn, login=login, role="clerk", full_name="", actor="root", at=AT)
    assert list_users(conn) == []
