"""Who may use Meterline: OS login names and their roles (kept apart so start-up loads little)."""
from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from core.errors import PermissionDenied


class Role(StrEnum):
    CLERK = "clerk"
    SUPERVISOR = "supervisor"
    TRAINER = "trainer"
    ADMIN = "admin"


class User(NamedTuple):
    """A person known by their OS login, with one role."""

    login: str
    role: Role
    full_name: str = ""


SUPERVISOR_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def require_supervisor(user: User, action: str) -> None:
    """Refuse, in one sentence, a supervisor-only action by anyone else."""
    if user.role not in SUPERVISOR_ROLES:
        raise PermissionDenied(f"only a supervisor can {action}; {user.login} is a "
                               f"{user.role.value}")
