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
    the collector would rescan them again and again (seconds at 100,000 accounts).

    Afterwards the objects the job made (and those before it) join the oldest generation
    unscanned (gc.freeze then gc.unfreeze): otherwise the first young collection would scan
    every one of them that is still alive, about 0.07 s after a cycle's draft, for nothing.
    A cycle among them is still found, by the next full collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
