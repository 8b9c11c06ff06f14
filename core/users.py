"""Who may use Meterline: OS login names and their roles (kept apart so start-up loads little)."""
from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


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
