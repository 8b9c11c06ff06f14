"""Who is at the keyboard, on which database, on what day: resolved once at start-up."""
from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from core.clock import stamp
from core.errors import PermissionDenied
from core.users import User
from db.connection import open_database
from db.users import get_user


@dataclass(frozen=True)
class Session:
    """The console's fixed facts: database path, user, host and the (movable) today."""

    db_path: Path
    user: User
    host: str
    today: date

    @property
    def who(self) -> str:
        return f"{self.user.login}@{self.host}"


def os_login() -> str:
    return getpass.getuser()


def now_stamp() -> str:
    """Wall-clock time for audit stamps; business dates come from `today` instead."""
    return stamp(datetime.now())


def start_session(db_path: Path, today: date, login: str | None = None) -> Session:
    """Open the database and look the OS user up; an unknown user is refused in one sentence."""
    login = login or os_login()
    conn = open_database(db_path)
    try:
        user = get_user(conn, login)
    finally:
        conn.close()
    if user is None:
        raise PermissionDenied(
            f"{login} is not a Meterline user of {db_path}; an admin adds you with: "
            f"meterline users add {login} --role ROLE")
    return Session(db_path=db_path, user=user, host=socket.gethostname(), today=today)
