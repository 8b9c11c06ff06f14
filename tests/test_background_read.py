"""A read on a thread with its own connection (db.connection.BackgroundRead), and the print
file's hashing and writing on a thread (db.bill_print._hashed_writes)."""
from __future__ import annotations

import hashlib
import io
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from db import bill_print
from db.connection import BackgroundRead, open_database


def _where(conn: sqlite3.Connection) -> tuple[str, int]:
    return threading.current_thread().name, conn.execute("SELECT count(*) FROM t").fetchone()[0]


def test_a_file_database_is_read_on_a_thread_with_the_last_commit(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "d.db", create=True)
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(5)])
    found = BackgroundRead(conn, _where)
    assert found.result() == ("background read", 5)
    conn.close()


def test_inside_a_transaction_the_read_is_made_at_once_and_sees_its_writes(
        tmp_path: Path) -> None:
    conn = open_database(tmp_path / "d.db", create=True)
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t VALUES (1)")  # not committed: a connection of its own misses it
    found = BackgroundRead(conn, _where)
    assert found.result() == (threading.current_thread().name, 1)
    conn.execute("ROLLBACK")
    conn.close()


def test_a_database_in_memory_is_read_at_once() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x INTEGER)")
    assert BackgroundRead(conn, _where).result() == (threading.current_thread().name, 0)


def test_what_the_read_raised_is_raised_by_result(tmp_path: Path) -> None:
    conn = open_database(tmp_path / "d.db", create=True)
    found = BackgroundRead(conn, lambda own: own.execute("SELECT * FROM missing").fetchall())
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        found.result()
    conn.close()


class _FullDisk(io.BytesIO):
    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.tell() + len(data) > self.room:
            raise OSError(28, "No space left on device")
        return super().write(data)


def test_the_chunks_are_hashed_and_written_in_order() -> None:
    chunks = [bytes([n]) * (1000 + n) for n in range(50)]
    file, digest = io.BytesIO(), hashlib.sha256()
    assert bill_print._hashed_writes(file, digest, iter(chunks)) == sum(map(len, chunks))
    assert file.getvalue() == b"".join(chunks)
    assert digest.hexdigest() == hashlib.sha256(b"".join(chunks)).hexdigest()


def test_a_write_that_fails_is_raised_once_every_chunk_is_made() -> None:
    """The maker never waits on a writer that stopped: more chunks than the queue holds."""
    made: list[int] = []

    def chunks() -> Iterator[bytes]:
        for n in range(10 * bill_print.WRITES_AHEAD):
            made.append(n)
            yield b"x" * 100

    with pytest.raises(OSError, match="No space left"):
        bill_print._hashed_writes(_FullDisk(250), hashlib.sha256(), chunks())
    assert len(made) == 10 * bill_print.WRITES_AHEAD


def test_a_chunk_that_cannot_be_made_stops_the_writer() -> None:
    file = io.BytesIO()

    def chunks() -> Iterator[bytes]:
        yield b"first\n"
        raise ValueError("the stored bills are damaged")

    with pytest.raises(ValueError, match="damaged"):
        bill_print._hashed_writes(file, hashlib.sha256(), chunks())
    assert not any(t.name == "print file writer" for t in threading.enumerate())
    assert file.getvalue() == b"first\n"
