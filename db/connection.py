"""Opening the district database: pragmas, migrations by PRAGMA user_version, clear refusals."""
from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

BUSY_TIMEOUT_MS = 5000
CHECKPOINT_THREAD = "wal checkpoint"
CACHE_KIB = 64 * 1024
# A new database's page size (SQLite's default is 4 KiB). At district size a cycle's billing
# run writes and reads whole indexes' worth of scattered pages (the freeze's 24,000 ledger
# entries land on about 4,100 pages of the ledger_account index, and each is a WAL frame, a
# write, and later a checkpoint copy): with 8 KiB pages there are half as many, fewer levels
# to descend and fewer system calls. On the 100,000-account district, the draft, freeze and
# print of all four cycles took 4.52-4.58 s against 4.75-5.03 s with 4 KiB pages (both copies
# vacuumed, alternating); 16 KiB was no faster. Fixed when the file is created: an existing
# database keeps its size until a VACUUM rewrites it.
PAGE_BYTES = 8192
# Written into the file header by migration 0001, so another program's SQLite file is told apart
# from a Meterline database even when it has a user_version of its own ("MTLN").
APPLICATION_ID = 0x4D544C4E


class DatabaseError(RuntimeError):
    """The database cannot be used; the message is one sentence a clerk can act on."""


def _migration_files() -> list[tuple[int, str, Any]]:
    folder = resources.files("db") / "migrations"
    return sorted((int(item.name[:4]), item.name, item) for item in folder.iterdir()
                  if item.name.endswith(".sql") and item.name[:4].isdigit())


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migrations shipped with Meterline: (number, name, SQL), in order."""
    return [(number, name, item.read_text(encoding="utf-8"))
            for number, name, item in _migration_files()]


def schema_version() -> int:
    """The schema version this Meterline writes (from the file names: no SQL is read)."""
    return max(number for number, _, _ in _migration_files())


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    # REPLACE deletes the row it replaces without firing DELETE triggers unless recursive
    # triggers are on; on, the append-only triggers also refuse INSERT OR REPLACE.
    conn.execute("PRAGMA recursive_triggers = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    # A page cache for a district-sized database: SQLite's default (2 MB) rereads the indexes
    # a billing run or an import inserts into (accounts, bills, the ledger) from the OS again
    # and again; pages are taken only as they are used.
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    # Temporary tables and statement journals in memory, not in files: a statement writing
    # many rows under triggers and constraints (the freeze's ledger insert) keeps each page's
    # original for its own rollback, 150 MB of temp-file writes over a district's run.
    conn.execute("PRAGMA temp_store = MEMORY")


@contextmanager
def checkpoint_deferred(conn: sqlite3.Connection) -> Iterator[None]:
    """A large write whose WAL checkpoint is left to `checkpoint_in_background` once the
    clerk has the answer: its commit returns without copying the pages into the database file
    (about 0.4 s for a 100,000-read file). The write is complete and consistent at the commit."""
    previous = int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA wal_autocheckpoint = {previous}")


def checkpoint_in_background(conn: sqlite3.Connection) -> threading.Thread | None:
    """Copy the WAL's pages into the database file (waiting for no reader: PASSIVE) on a
    thread with its own connection, after a deferred write (a read import, a draft, a
    freeze; the only way the code checkpoints): the clerk
    has the answer and the next step starts while the pages are copied (SQLite works
    without the interpreter lock, so on the other core). PASSIVE waits for nobody and blocks
    no writer; a checkpoint cut short by the process ending is finished by the next one. A
    short-lived process waits for the thread before it exits (it is not a daemon)."""
    db_file = database_file(conn)
    if db_file is None:
        return None
    thread = threading.Thread(target=_checkpoint_file, args=(db_file,), name=CHECKPOINT_THREAD)
    thread.start()
    return thread


def wait_for_checkpoints() -> None:
    """Wait for every background checkpoint of this process: before a fork (a thread inside
    SQLite at the fork leaves its locks held in the child, which then hangs in SQLite), and
    where a measurement must include them."""
    for thread in threading.enumerate():
        if thread.name == CHECKPOINT_THREAD:
            thread.join()


def _checkpoint_file(db_file: Path) -> None:
    with contextlib.suppress(sqlite3.Error):  # a file gone or busy: the next one does it
        conn = sqlite3.connect(f"{db_file.as_uri()}?mode=rw", uri=True, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()


def read_only_connection(db_file: Path) -> sqlite3.Connection:
    """A read-only connection of its own to the database file (a second process's, a
    background read's): sqlite3.Row rows, autocommit, the busy timeout and page cache."""
    conn = sqlite3.connect(f"{db_file.as_uri()}?mode=ro", uri=True, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return conn


Read = TypeVar("Read")


class BackgroundRead(Generic[Read]):
    """`read(conn)` on a thread with a read-only connection of its own while the caller goes
    on: SQLite works without the interpreter lock, so a long query runs on the other core.
    It sees the last commit, so with no file (in memory) or inside a transaction (whose writes
    it would not see) it runs at once on `conn` instead. `result()` waits for it and raises
    what it raised."""

    def __init__(self, conn: sqlite3.Connection,
                 read: Callable[[sqlite3.Connection], Read]) -> None:
        self._value: list[Read] = []
        self._error: list[BaseException] = []
        self._thread: threading.Thread | None = None
        db_file = None if conn.in_transaction else database_file(conn)
        if db_file is None:
            self._value.append(read(conn))
            return
        self._thread = threading.Thread(target=self._run, args=(db_file, read),
                                        name="background read", daemon=True)
        self._thread.start()

    def _run(self, db_file: Path, read: Callable[[sqlite3.Connection], Read]) -> None:
        try:
            conn = read_only_connection(db_file)
            try:
                self._value.append(read(conn))
            finally:
                conn.close()
        except BaseException as exc:  # handed to the caller by result()
            self._error.append(exc)

    def result(self) -> Read:
        if self._thread is not None:
            self._thread.join()
        if self._error:
            raise self._error[0]
        return self._value[0]


def database_file(conn: sqlite3.Connection) -> Path | None:
    """The file of the connection's main database, or None (in memory, or a temporary one)."""
    for _, name, file in conn.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    return None


def open_database(path: str | Path, *, create: bool = False,
                  check_same_thread: bool = True) -> sqlite3.Connection:
    """Open (or with `create`, make) a Meterline database and bring its schema up to date.

    Refuses, with one sentence, a missing file, a file that is not a Meterline database and
    a database written by a newer Meterline.
    """
    db_path = Path(path)
    if not create and not db_path.exists():
        raise DatabaseError(
            f"No database at {db_path}. Build the demo district with "
            f"`meterline demo --db {db_path}` or give the right path with --db.")
    if db_path.exists() and db_path.is_dir():
        raise DatabaseError(f"{db_path} is a folder, not a Meterline database file.")
    if create:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(db_path, isolation_level=None,
                               check_same_thread=check_same_thread)
        conn.row_factory = sqlite3.Row
        _configure(conn)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            has_tables = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if has_tables:
                conn.close()
                raise DatabaseError(f"{db_path} is a SQLite file but not a Meterline database.")
            if not create:
                conn.close()
                raise DatabaseError(
                    f"{db_path} is empty, not a Meterline database. Build one with "
                    f"`meterline demo --db {db_path}`.")
            conn.execute(f"PRAGMA page_size = {PAGE_BYTES}")  # before its first page
        elif conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            conn.close()
            raise DatabaseError(f"{db_path} is a SQLite file but not a Meterline database.")
        newest = schema_version()
        if version > newest:
            conn.close()
            raise DatabaseError(
                f"{db_path} was written by a newer Meterline (schema {version}; this one "
                f"knows up to {newest}). Upgrade Meterline before opening it.")
        # WAL is written into the file, so it is set only once the file is known to be ours.
        conn.execute("PRAGMA journal_mode = WAL")
        _migrate(conn, version)
        return conn
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise DatabaseError(
            f"{db_path} cannot be read as a Meterline database ({exc}).") from exc


def _migrate(conn: sqlite3.Connection, current: int) -> None:
    """Apply each migration newer than `current` in its own transaction."""
    for number, name, item in _migration_files():
        if number <= current:
            continue
        sql = item.read_text(encoding="utf-8")
        try:
            conn.execute("BEGIN IMMEDIATE")
            # executescript would commit; run statement by statement inside our transaction.
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise DatabaseError(f"Migration {name} failed: {exc}") from exc


def _statements(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


class Connector:
    """Hands each worker thread its own short-lived connection to one database file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __call__(self) -> _Closing:
        return _Closing(open_database(self.path))


class _Closing:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
