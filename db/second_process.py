"""A job run in a second process on its own read-only connection, so a second core works.

The caller starts the process early (its start-up overlaps the caller's own work), `tell`s it
small messages at once and `send`s the last, large one later; threads write that message and
read the answer, so neither process ever waits on a full pipe. A process that cannot start,
fails, is killed, is late or answers garbage gives None, and the caller does the work itself.

The second process runs `python -m db.second_process DBFILE JOB`, JOB naming a function
"package.module:function" called as `function(conn, messages)`: `conn` is read-only
(`sqlite3.Row` rows, autocommit) and `messages` yields the caller's messages in order, ending
when the caller closes the pipe. The function decides when to BEGIN. A read transaction begun
while the caller holds the write lock (after the caller's BEGIN IMMEDIATE, before its COMMIT)
sees exactly the caller's snapshot: the last commit, which nobody else can move while the lock
is held; it never sees the caller's own uncommitted writes.
"""
from __future__ import annotations

import atexit
import contextlib
import fcntl
import gc
import importlib
import os
import pickle
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from queue import SimpleQueue
from types import TracebackType
from typing import IO, Any, Self, TypeVar

from db.connection import read_only_connection

# Far beyond what a job is meant to take (a 100,000-read audit part takes about a second);
# past it the process is stopped and the caller does the work itself.
ANSWER_TIMEOUT_SECONDS = 120
# Each message is its pickle's length, then the pickle: the second process reads whole
# messages on a thread and unpickles them only when the job asks.
LENGTH = struct.Struct("<Q")
# Each pipe holds this much (Linux's default is 64 KB, and 1 MB the most an unprivileged
# process may ask): a draft's slice of bills (about 740 KB) is then written at once, instead of
# 64 KB at a time, each waiting for the caller's reading thread to get the interpreter lock
# from its busy main thread (0.05 s a slice, measured).
PIPE_BYTES = 1 << 20

Job = Callable[[sqlite3.Connection, Iterator[Any]], Any]


class SecondProcess:
    """A job running in a second process on the database file; None from `result` means the
    caller does the job itself."""

    def __init__(self, job: str, db_file: Path) -> None:
        """Start `python -m db.second_process DBFILE JOB` (JOB is "package.module:function")."""
        self.job = job
        self.db_file = db_file
        self._sender: threading.Thread | None = None
        self._receiver: threading.Thread | None = None
        self._answer: list[bytes] = []
        self.process = _start(db_file, job)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def tell(self, message: Any) -> None:
        """Write a small message now (the pipe holds about 64 KB before this would wait)."""
        if self.process is None or self.process.stdin is None:
            return
        payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.process.stdin.write(LENGTH.pack(len(payload)))
            self.process.stdin.write(payload)
            self.process.stdin.flush()
        except OSError:
            self.close()

    def send(self, message: Any) -> bool:
        """Send the last message and start reading the answer; False when the process cannot
        take it. Threads write the message and read the answer, so this returns at once."""
        if self.process is None or self.process.stdin is None or self.process.stdout is None:
            return False
        payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        stream, self.process.stdin = self.process.stdin, None
        self._sender = threading.Thread(target=_write_and_close, args=(stream, payload),
                                        daemon=True)
        self._receiver = threading.Thread(target=_read_answer,
                                          args=(self.process.stdout, self._answer), daemon=True)
        self._sender.start()
        self._receiver.start()
        return True

    def finished(self, timeout: float) -> bool:
        """Whether the process has answered (or failed) within `timeout` seconds."""
        if self._receiver is None:
            return True
        self._receiver.join(timeout)
        return not self._receiver.is_alive()

    def result(self) -> Any | None:
        """The job's return value, waiting up to ANSWER_TIMEOUT_SECONDS; None when the process
        failed, was stopped, was late or answered garbage. Stops the process."""
        if self.process is None or self._receiver is None:
            return None
        self._receiver.join(ANSWER_TIMEOUT_SECONDS)
        outcome = None
        if not self._receiver.is_alive() and self._answer:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(ANSWER_TIMEOUT_SECONDS)
            if self.process.returncode == 0:
                with contextlib.suppress(Exception):  # garbage is a failure like any other
                    outcome = pickle.loads(self._answer[0])
        self.close()
        if not isinstance(outcome, tuple) or len(outcome) != 2 or outcome[0] != "done":
            return None
        return outcome[1]

    def close(self) -> None:
        """Stop the process if it is still running (the caller changed its mind, or it is
        late) and wait for it and the threads."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        for thread in (self._sender, self._receiver):  # their pipes end with the process
            if thread is not None:
                thread.join()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _start(db_file: Path, *args: str) -> subprocess.Popen[bytes] | None:
    """`python -m db.second_process DBFILE ARGS...` with this project first on its path;
    None when no process can start (OSError): every call then reports failure."""
    root = str(Path(__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "db.second_process", str(db_file), *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, cwd=root)  # `-m` looks in the working folder first: ours
    except OSError:
        return None
    for stream in (process.stdin, process.stdout):
        _widen(stream)
    return process


def _widen(stream: IO[bytes] | None) -> None:
    """Let the pipe hold PIPE_BYTES where the system allows it (Linux); elsewhere, or past
    the system's limit, it stays as it is: only slower."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
    if stream is None or set_size is None:
        return
    with contextlib.suppress(OSError):
        fcntl.fcntl(stream.fileno(), set_size, PIPE_BYTES)


def _read_only(db_file: str) -> sqlite3.Connection:
    """The second process's connection: read-only, Row rows, autocommit, the caller's busy
    timeout and page cache."""
    return read_only_connection(Path(db_file))


def _write_and_close(stream: IO[bytes], payload: bytes) -> None:
    """Write the last message; a process that has stopped is the caller's to notice."""
    with contextlib.suppress(OSError):
        stream.write(LENGTH.pack(len(payload)))
        stream.write(payload)
    with contextlib.suppress(OSError):
        stream.close()


def _read_answer(stream: IO[bytes], answer: list[bytes]) -> None:
    """Read the whole answer (it ends when the process exits or is stopped)."""
    with contextlib.suppress(OSError, ValueError):
        answer.append(stream.read())


class _Inbox:
    """The caller's messages: a thread reads each whole message as it arrives, so the caller
    never waits on a full pipe; iterating unpickles them in order, on the job's thread."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._messages: SimpleQueue[bytes | None] = SimpleQueue()
        self._first_read = threading.Event()
        self._closed_unread = False
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        with contextlib.suppress(OSError, ValueError):
            while len(head := stream.read(LENGTH.size)) == LENGTH.size:
                (size,) = LENGTH.unpack(head)
                payload = stream.read(size)
                if len(payload) < size:
                    break  # not a whole message: the caller stopped
                self._messages.put(payload)
                self._first_read.set()
        self._closed_unread = not self._first_read.is_set()
        self._first_read.set()
        self._messages.put(None)

    def closed_unread(self) -> bool:
        """Whether the caller closed the pipe before any message (it changed its mind)."""
        self._first_read.wait()
        return self._closed_unread

    def __iter__(self) -> Iterator[Any]:
        """The messages in order; a pipe closed before the first one ends the process quietly
        (SystemExit), as the caller no longer wants an answer."""
        if self.closed_unread():
            raise SystemExit(0)
        while (payload := self._messages.get()) is not None:
            yield pickle.loads(payload)
        self._messages.put(None)  # ended for good


def _job_function(job: str) -> Job:
    module, _, name = job.partition(":")
    function: Job = getattr(importlib.import_module(module), name)
    return function


def _serve(db_file: str, job: str) -> None:
    """The second process's side: run the job on a read-only connection and write
    ('done', value) or ('failed', repr(exception)) to stdout."""
    gc.disable()  # jobs make many small objects and no cycles; see db.read_import
    inbox = _Inbox(sys.stdin.buffer)
    outcome: tuple[str, Any]
    try:
        conn = _read_only(db_file)
        try:
            outcome = ("done", _job_function(job)(conn, iter(inbox)))
        finally:
            conn.close()
    except Exception as exc:  # the caller does the job itself
        outcome = ("failed", repr(exc))
    if inbox.closed_unread():
        return
    sys.stdout.buffer.write(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


class KeptProcess:
    """A second process kept for many jobs on one database file (a session's billing runs,
    one cycle after another): Python and the job's modules load once and its page cache stays
    warm, so a job starts at once. One job at a time; each job's function is called as
    `function(conn, messages)` with its one message, in its own read transaction if it
    begins one. A process that fails or is late is stopped; the next `kept_process` starts
    another, and the caller does that job itself."""

    def __init__(self, db_file: Path, warm: tuple[str, ...] = ()) -> None:
        """Start `python -m db.second_process DBFILE --kept MODULE...`; it imports `warm`."""
        self.db_file = db_file
        self.identity = _file_identity(db_file)
        self._ticket: Ticket | None = None
        self.process = _start(db_file, KEPT, *warm)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ask(self, job: str, message: Any) -> Ticket:
        """Hand the process a job ("package.module:function") and its message; the answer is
        read on a thread, so the process never waits on a full pipe."""
        if self._ticket is not None:
            self._ticket.result()  # one job at a time
        process = self.process
        if process is None or process.stdin is None or process.stdout is None \
                or not self.alive():
            return Ticket(None, self)
        payload = pickle.dumps((job, message), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            process.stdin.write(LENGTH.pack(len(payload)))
            process.stdin.write(payload)
            process.stdin.flush()
        except OSError:
            self.close()
            return Ticket(None, self)
        self._ticket = Ticket(process.stdout, self)
        return self._ticket

    def close(self) -> None:
        """Stop the process (closing its input ends it; a stuck one is killed)."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(1)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            with contextlib.suppress(OSError):
                process.stdout.close()


class Ticket:
    """A job handed to a KeptProcess: its answer, or its parts as they come."""

    def __init__(self, stream: IO[bytes] | None, owner: KeptProcess) -> None:
        self._owner = owner
        self._frames: SimpleQueue[bytes | None] = SimpleQueue()
        self._open = stream is not None
        self._value: Any = None
        self.complete = False  # every part and the end came
        if stream is not None:
            threading.Thread(target=_read_frames, args=(stream, self._frames),
                             daemon=True).start()

    def _next(self) -> tuple[str, Any] | None:
        """The next frame unpickled; None when the process ended, failed, was late or answered
        garbage (then it is stopped)."""
        if not self._open:
            return None
        outcome = None
        with contextlib.suppress(Exception):  # late, or garbage: a failure like any other
            payload = self._frames.get(timeout=ANSWER_TIMEOUT_SECONDS)
            if payload is not None:
                outcome = pickle.loads(payload)
        if not isinstance(outcome, tuple) or len(outcome) != 2 \
                or outcome[0] not in ("part", "done"):
            self._open = False
            self._owner.close()
            return None
        if outcome[0] == "done":
            self._open = False
            self.complete = True
        return outcome

    def ready(self) -> bool:
        """Whether the next part (or the end) has come, so taking it would not wait."""
        return not self._open or not self._frames.empty()

    def parts(self) -> Iterator[Any]:
        """A job's parts in order as they arrive; `complete` tells afterwards whether they
        all came (if not, the caller does the rest itself)."""
        while (frame := self._next()) is not None and frame[0] == "part":
            yield frame[1]

    def result(self) -> Any | None:
        """The job's return value (again on a second call); None when the process failed,
        was late (then it is stopped) or answered garbage."""
        while (frame := self._next()) is not None:
            if frame[0] == "done":
                self._value = frame[1]
        return self._value if self.complete else None


PART, END = b"P", b"E"


class PartLimit:
    """How many parts a job answering in parts should send, which the caller may lower while
    the job runs (it does the later parts itself): the job reads it before each part
    (`parts_allowed`). A tiny file both processes open; a part already begun when the limit
    is lowered is still sent, so the caller must expect to ignore it."""

    def __init__(self, parts: int) -> None:
        """A limit of `parts`; with no file for it (a full or missing temporary folder)
        `path` is None and the job sends every part."""
        self.path: str | None = None
        self._handle: int | None = None
        with contextlib.suppress(OSError):
            self._handle, self.path = tempfile.mkstemp(prefix="meterline-parts-")
            self.lower(parts)

    def lower(self, parts: int) -> bool:
        """Lower the limit; False when it cannot be (the job may then send every part)."""
        if self._handle is None:
            return False
        try:
            os.pwrite(self._handle, LENGTH.pack(parts), 0)
        except OSError:
            return False
        return True

    def close(self) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None
        if self.path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.path)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


Expected = TypeVar("Expected")
Done = TypeVar("Done")


def take_parts(ticket: Ticket, limit: PartLimit, expected: Sequence[Expected], *,
               sent: Callable[[Any, Expected], Done | None],
               here: Callable[[Sequence[Expected]], Done], take: Callable[[Done], None],
               take_last: bool = True) -> tuple[int, int]:
    """A job answering in parts, `expected` in order, each handed to `take` in that order as
    it is done: by the job (`sent` gives a part's value, None when it is not the one
    expected), or here (`here` does a run of them). Once no part is waiting, the last ones
    the job has not begun are done here, from the last back (the limit lowered before them),
    so both sides finish together; after a part not expected, or none, the rest is done here.
    Returns how many parts the job sent and how many were taken over at the end."""
    came = 0  # the job's parts taken, in order
    taken: list[Done] = []  # its last ones, done here
    parts = ticket.parts()
    while came + len(taken) < len(expected):
        # The job is on part `came` (or it is waiting); one after it not begun is done here.
        last = len(expected) - len(taken) - 1
        if take_last and not ticket.ready() and last > came and limit.lower(last):
            taken.append(here(expected[last:last + 1]))
            continue
        value = sent(next(parts, None), expected[came])
        if value is None:
            break  # it stopped, or sent what was not expected: the rest is done here
        take(value)
        came += 1
    if came + len(taken) < len(expected):
        take(here(expected[came:len(expected) - len(taken)]))
    for value in reversed(taken):
        take(value)
    return came, len(taken)


def parts_allowed(path: str | None) -> int | None:
    """The job's side of a PartLimit: how many parts it may send (None: no limit, or the
    file cannot be read, when it sends them all); none once the file is gone, as the caller
    removes it when it wants no more (PartLimit.close)."""
    if path is None:
        return None
    try:
        with open(path, "rb") as file:
            return int(LENGTH.unpack(file.read(LENGTH.size))[0])
    except FileNotFoundError:
        return 0
    except (OSError, struct.error):
        return None


def _read_frames(stream: IO[bytes], frames: SimpleQueue[bytes | None]) -> None:
    """Read one job's frames as they come (its parts, then its end), so the process never
    waits on a full pipe; None after the end, or when the process ended."""
    with contextlib.suppress(OSError, ValueError):
        while len(head := stream.read(LENGTH.size)) == LENGTH.size:
            size = LENGTH.unpack(head)[0]
            kind = stream.read(1)
            payload = stream.read(size - 1)
            if len(payload) < size - 1:
                break
            frames.put(payload)
            if kind != PART:
                break
    frames.put(None)


KEPT = "--kept"
_kept: list[KeptProcess] = []


def kept_process(db_file: Path, warm: tuple[str, ...] = ()) -> KeptProcess:
    """The process kept for this database file, started if there is none (or it stopped, or
    the file at that path was replaced); one at a time, stopped when this process exits."""
    running = running_kept_process(db_file)
    if running is not None:
        return running
    close_kept_processes()  # one that stopped, or is for another file
    kept = KeptProcess(db_file, warm)
    _kept.append(kept)
    return kept


def running_kept_process(db_file: Path) -> KeptProcess | None:
    """The process kept for this database file if one is running (none is started): for work
    worth sending only to a process already warm, not worth a start-up of its own."""
    identity = _file_identity(db_file)
    for kept in _kept:
        if kept.db_file == db_file and kept.identity == identity and kept.alive():
            return kept
    return None


def close_kept_processes() -> None:
    """Stop every kept process (at exit, and when a test is done with one)."""
    while _kept:
        _kept.pop().close()


atexit.register(close_kept_processes)  # once: each new kept process used to add it again


def _file_identity(db_file: Path) -> tuple[int, int] | None:
    try:
        found = db_file.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _serve_kept(db_file: str, warm: list[str]) -> None:
    """The kept process's side: the warm modules first, then one job after another, each
    answer framed like a message, until the caller closes the pipe."""
    gc.disable()
    for module in warm:
        with contextlib.suppress(Exception):
            importlib.import_module(module)
    conn = _read_only(db_file)
    stream, out = sys.stdin.buffer, sys.stdout.buffer
    while len(head := stream.read(LENGTH.size)) == LENGTH.size:
        payload = stream.read(LENGTH.unpack(head)[0])
        outcome: tuple[str, Any]
        try:
            job, message = pickle.loads(payload)
            value = _job_function(job)(conn, iter([message]))
            if isinstance(value, Generator):  # a job answering in parts, each sent at once
                for part in value:
                    _write_frame(out, PART, ("part", part))
                value = None
            outcome = ("done", value)
        except Exception as exc:  # the caller does this job (or its parts not sent) itself
            outcome = ("failed", repr(exc))
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        _write_frame(out, END, outcome)
    conn.close()


def _write_frame(out: IO[bytes], kind: bytes, outcome: tuple[str, Any]) -> None:
    """A kept process's frame: its length, its kind (a part, or the job's end), its pickle."""
    answer = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(LENGTH.pack(len(answer) + 1))
    out.write(kind)
    out.write(answer)
    out.flush()


if __name__ == "__main__":
    if sys.argv[2] == KEPT:
        _serve_kept(sys.argv[1], sys.argv[3:])
    else:
        _serve(sys.argv[1], sys.argv[2])
