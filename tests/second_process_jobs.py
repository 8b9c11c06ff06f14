"""Jobs for tests/test_second_process.py, imported by the second process (`tests` is a
namespace package found from the project root, the second process's working folder)."""
from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Iterator
from typing import Any


def echo_job(conn: sqlite3.Connection, messages: Iterator[Any]) -> list[Any]:
    """Every message, in order."""
    return list(messages)


def failing_job(conn: sqlite3.Connection, messages: Iterator[Any]) -> None:
    """Fails once the last message has come."""
    raise ValueError(f"refused {list(messages)!r}")


def waiting_job(conn: sqlite3.Connection, messages: Iterator[Any]) -> None:
    """Takes far longer than any test waits (the test stops it)."""
    list(messages)
    time.sleep(60)


def counting_job(conn: sqlite3.Connection, messages: Iterator[Any]) -> int:
    """The rows of the table named by the message, in one read transaction."""
    (table,) = messages
    conn.execute("BEGIN")
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.execute("COMMIT")


def garbage_job(conn: sqlite3.Connection, messages: Iterator[Any]) -> int:
    """Writes something that is not an answer before its answer."""
    list(messages)
    sys.stdout.buffer.write(b"not a pickle")
    return 1


def parts_job(conn: sqlite3.Connection, messages: Iterator[Any]) -> Iterator[int]:
    """Answers in parts: 0 up to the message's number."""
    (count,) = messages
    yield from range(count)


def failing_parts_job(conn: sqlite3.Connection, messages: Iterator[Any]) -> Iterator[int]:
    """Two parts, then fails."""
    list(messages)
    yield 0
    yield 1
    raise ValueError("stopped after two parts")


def first_slices_then_fail(conn: sqlite3.Connection, messages: Iterator[Any]) -> Iterator[Any]:
    """The billing parts' job, stopping after two slices."""
    import db.billing_parts as billing_parts

    for sent, part in enumerate(billing_parts.price_part(conn, messages)):
        if sent == 2:
            raise ValueError("stopped mid-way")
        yield part


def slow_slices(conn: sqlite3.Connection, messages: Iterator[Any]) -> Iterator[Any]:
    """The billing parts' job, a second a slice: the caller prices the last slices itself."""
    import db.billing_parts as billing_parts

    for part in billing_parts.price_part(conn, messages):
        time.sleep(1)
        yield part


def slow_chunks(conn: sqlite3.Connection, messages: Iterator[Any]) -> Iterator[Any]:
    """The freeze's rendering job, a second a chunk: the caller renders the last chunks itself,
    or, refused, stops it."""
    import db.print_bodies as print_bodies

    for part in print_bodies.render_body_job(conn, messages):
        time.sleep(1)
        yield part
