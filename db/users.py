"""Users: OS login names mapped to a role."""
from __future__ import annotations

import sqlite3

from core.errors import InputError, InputProblem, PermissionDenied
from core.users import Role, User
from db import audit
from db.transaction import write_transaction


def get_user(conn: sqlite3.Connection, login: str) -> User | None:
    row = conn.execute("SELECT login, role, full_name FROM users WHERE login = ? AND active = 1",
                       (login,)).fetchone()
    return User(row["login"], Role(row["role"]), row["full_name"]) if row else None


def list_users(conn: sqlite3.Connection) -> list[User]:
    rows = conn.execute("SELECT login, role, full_name FROM users WHERE active = 1 ORDER BY login")
    return [User(r["login"], Role(r["role"]), r["full_name"]) for r in rows]


def add_user(conn: sqlite3.Connection, *, login: str, role: str, full_name: str, actor: str,
             at: str) -> User:
    """Add (or re-role) a user. Only an admin may, except for the first user of a new database."""
    try:
        new_role = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise InputError(InputProblem(f"{role!r} is not a role; use one of {choices}",
                                      field="--role")) from None
    if not login.strip() or any(ch.isspace() for ch in login):
        raise InputError(InputProblem(f"{login!r} is not a login name", field="NAME"))
    with write_transaction(conn):
        count = conn.execute("SELECT count(*) FROM users WHERE active = 1").fetchone()[0]
        acting = get_user(conn, actor)
        if count and (acting is None or acting.role != Role.ADMIN):
            raise PermissionDenied(
                f"only an admin can add users; {actor} is "
                f"{'not a user' if acting is None else 'a ' + acting.role.value}")
        before = conn.execute("SELECT login, role, full_name, active FROM users WHERE login = ?",
                              (login,)).fetchone()
        conn.execute(
            "INSERT INTO users (login, role, full_name, active, added_by, added_at)"
            " VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (login) DO UPDATE SET role = excluded.role,"
            " full_name = excluded.full_name, active = 1",
            (login, new_role.value, full_name, actor, at))
        audit.record(conn, at=at, actor=actor, action="user.add", object_type="user",
                     object_id=login, before=dict(before) if before else None,
                     after={"login": login, "role": new_role.value, "full_name": full_name})
    return User(login, new_role, full_name)
