"""A deferred write's pages are copied into the database file on a thread afterwards."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from db.connection import (
    checkpoint_deferred,
    checkpoint_in_background,
    open_database,
    wait_for_checkpoints,
)
from db.transaction import write_transaction


def test_a_deferred_write_is_checkpointed_on_a_thread_after_the_commit(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "d.db", create=True)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    file = tmp_path / "d.db"
    schema_only = file.stat().st_size
    with checkpoint_deferred(conn), write_transaction(conn):
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,) for _ in range(20_000)])
    assert file.stat().st_size == schema_only  # the commit copied nothing into the file
    thread = checkpoint_in_background(conn)
    assert thread is not None
    wait_for_checkpoints()  # what the demo builder does before it forks
    assert not thread.is_alive()
    assert file.stat().st_size > 10_000_000  # 20,000 rows of 500 bytes
    assert sqlite3.connect(tmp_path / "d.db").execute("SELECT count(*) FROM t").fetchone() == (
        20_000,)
    conn.close()


def test_no_thread_for_a_database_without_a_file() -> None:
    assert checkpoint_in_background(sqlite3.connect(":memory:")) is None
