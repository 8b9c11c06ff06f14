"""District settings: stored as key -> JSON rows, validated by core.settings on every load."""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from core.settings import DistrictSettings, settings_from_mapping, settings_to_mapping
from db import audit
from db.transaction import write_transaction


def load_settings(conn: sqlite3.Connection) -> DistrictSettings:
    """The district's settings; keys not stored take their defaults."""
    values = {row["key"]: json.loads(row["value"])
              for row in conn.execute("SELECT key, value FROM settings")}
    return settings_from_mapping(values, source="settings table")


def save_settings(conn: sqlite3.Connection, changes: dict[str, Any], *, actor: str,
                  at: str) -> DistrictSettings:
    """Validate and store changed settings, each change audited in the same transaction."""
    current = settings_to_mapping(load_settings(conn))
    merged = {**current, **changes}
    validated = settings_from_mapping(merged, source="settings change")
    stored = settings_to_mapping(validated)
    with write_transaction(conn):
        for key in changes:
            if current.get(key) == stored[key]:
                continue  # unchanged: nothing to store or audit
            conn.execute(
                "INSERT INTO settings (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                (key, json.dumps(stored[key]), actor, at))
            audit.record(conn, at=at, actor=actor, action="settings.change",
                         object_type="setting", object_id=key, before=current.get(key),
                         after=stored[key])
    return validated
