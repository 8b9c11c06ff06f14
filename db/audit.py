"""The audit log: who changed what, when, with the record before and after (append-only)."""
from __future__ import annotations

import json
import sqlite3
from typing import Any


def record(conn: sqlite3.Connection, *, at: str, actor: str, action: str, object_type: str,
           object_id: str | int, before: Any = None, after: Any = None) -> int:
    """Write one audit row; call inside the transaction that makes the change."""
    cur = conn.execute(
        "INSERT INTO audit_log (at, actor, action, object_type, object_id, before, after) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (at, actor, action, object_type, str(object_id),
         None if before is None else json.dumps(before, sort_keys=True, default=str),
         None if after is None else json.dumps(after, sort_keys=True, default=str)),
    )
    return int(cur.lastrowid or 0)


def history(conn: sqlite3.Connection, object_type: str, object_id: str | int,
            limit: int = 200) -> list[sqlite3.Row]:
    """The newest audit rows for one object."""
    return conn.execute(
        "SELECT * FROM audit_log WHERE object_type = ? AND object_id = ? ORDER BY id DESC LIMIT ?",
        (object_type, str(object_id), limit)).fetchall()
