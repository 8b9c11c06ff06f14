"""Short write transactions: BEGIN IMMEDIATE, commit on success, roll back on any error."""
from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All-or-nothing: the block's writes land together or not at all."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk job (a read import, a billing run):
    such a job makes and frees hundreds of thousands of small objects and holds no cycles, and
    the collector would rescan them again and again (seconds at 100,000 accounts)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
