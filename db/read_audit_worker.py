"""Auditing staged reads against their history, in this process or in a second one.

A large file's reads are split in two: a worker process (db.second_process, started when the
import starts) audits the first part on its own read connection while the importing process
audits the rest, so both cores work. While the importing process checks the lines, the worker
reads the file's meter ids and dates and loads the history it expects to need; when its part
arrives it uses that history only if it is the history the part needs (the same days, every
premise), and loads what is missing. The worker reads only committed history, which is all the
audit reads: the importing process audits its own part before it writes, and commits nothing
until the worker has answered.
"""
from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from core.read_audit import audit_read
from core.read_bands import ReadAuditPolicy, read_audit_policy
from core.read_import import MeterRef, ReadWindow
from core.read_rules import Finding
from core.reads import AmrFlags, MeterChain, Occupancy, ReadUnderAudit
from db.read_exceptions import ExceptionPlace
from db.read_history import fill_premises, load_chains, premise_occupancy
from db.read_lookups import load_meters
from db.second_process import SecondProcess
from db.settings import load_settings

NO_FLAGS = AmrFlags()
# A file this large (about 14,000 lines) is worth a second process; smaller ones audit here.
WORKER_MIN_BYTES = 1 << 20
Found = list[tuple[ExceptionPlace, Finding]]


class Prefetched(NamedTuple):
    """History loaded before the reads arrived: premise id -> chains in [since, until)."""

    since: date
    until: date
    premises: frozenset[int]
    chains: dict[int, tuple[MeterChain, ...]]


def _history(conn: sqlite3.Connection, premises: set[int], since: date, until: date,
             prefetched: Prefetched | None) -> dict[int, tuple[MeterChain, ...]]:
    """The premises' chains in [since, until): the prefetched ones when they are for the same
    days, the rest loaded now; leaves every premise in temp.audit_premises."""
    if prefetched is None or (prefetched.since, prefetched.until) != (since, until):
        fill_premises(conn, premises)
        return load_chains(conn, since, until)
    rest = premises - prefetched.premises
    chains = prefetched.chains
    if rest:
        fill_premises(conn, rest)
        chains = {**chains, **load_chains(conn, since, until)}
    fill_premises(conn, premises)
    return chains


def audit_reads(conn: sqlite3.Connection, staged: Sequence[Sequence[Any]],
                missing: Sequence[MeterRef], meters: dict[int, MeterRef],
                windows: dict[int, ReadWindow], since: date, until: date,
                policy: ReadAuditPolicy, prefetched: Prefetched | None = None) -> Found:
    """Run the rules on checked reads and skips, in line order, then on the meters not read,
    each against its premise's history in [since, until).

    A staged row is (line, meter_id, account_id, read_on, reading, method, skip_code,
    note_text, leak, backflow, tamper, no_usage_days).
    """
    premises = {premise for premise in ([meters[row[1]].premise_id for row in staged]
                                        + [m.premise_id for m in missing]) if premise is not None}
    chains = _history(conn, premises, since, until, prefetched)
    plain = conn.cursor()
    plain.row_factory = None
    statuses = dict(plain.execute(
        "SELECT a.id, a.status FROM accounts a JOIN temp.audit_premises t"
        " ON t.premise_id = a.premise_id").fetchall())
    found: Found = []
    parse, active, inactive, vacant = (date.fromisoformat, Occupancy.ACTIVE, Occupancy.INACTIVE,
                                       Occupancy.VACANT)
    for (line, meter_id, account_id, read_on, reading, method, skip, note, leak, backflow,
         tamper, no_usage) in staged:
        meter = meters[meter_id]
        status = statuses.get(account_id) if account_id is not None else None
        state = vacant if status is None else (active if status == "active" else inactive)
        flags = AmrFlags(leak, backflow, tamper, no_usage) if leak or backflow or tamper \
            or no_usage else NO_FLAGS
        day = parse(read_on)
        read = ReadUnderAudit(
            meter_id, meter.serial, meter.dials, day, reading, state,
            chains.get(meter.premise_id, ()) if meter.premise_id else (),
            method == "ESTIMATE", flags, skip, note)
        findings = audit_read(read, policy)
        if findings:
            place = ExceptionPlace(None, meter_id, account_id, meter.cycle_id or 0, meter.route,
                                   meter.walk_order, day, skip, None, line)
            found.extend((place, f) for f in findings)
    if not missing:
        return found
    occupancy = premise_occupancy(conn)
    for meter in missing:
        assert meter.cycle_id is not None and meter.premise_id is not None
        window = windows[meter.cycle_id]
        account = occupancy.get(meter.premise_id)
        read = ReadUnderAudit(meter.id, meter.serial, meter.dials, window.scheduled, None,
                              account[2] if account else vacant,
                              chains.get(meter.premise_id, ()))
        place = ExceptionPlace(None, meter.id, account[0] if account else None, meter.cycle_id,
                               meter.route, meter.walk_order, window.scheduled)
        found.extend((place, f) for f in audit_read(read, policy))
    return found


class AuditWorker(SecondProcess):
    """A second process auditing part of the reads (serve_audit); if it fails, the caller
    audits that part."""

    def __init__(self, db_file: Path) -> None:
        super().__init__(f"{__name__}:serve_audit", db_file)

    def expect(self, read_file: Path, share: float, encoding: str) -> None:
        """Tell the worker which file is being checked and what share of its lines will be its
        part, so it loads their history while the lines are checked."""
        self.tell(("expect", str(read_file), share, encoding))

    def send_part(self, staged: Sequence[Sequence[Any]], windows: dict[int, ReadWindow],
                  since: date, until: date, policy: ReadAuditPolicy) -> bool:
        """Hand the worker its reads; False when it cannot take them."""
        return self.send(("audit", list(staged), windows, since, until, policy))


def _prefetch(conn: sqlite3.Connection, meters: dict[int, MeterRef], read_file: str,
              share: float, encoding: str) -> Prefetched | None:
    """The history the worker's part will need if the file passes its checks: the premises
    of the first `share` of its lines, over the days its reads imply. A guess the audit checks
    before using it, so lines are split at commas without reading CSV quoting (a quoted comma
    costs only time); None when the file cannot be read this way."""
    policy = read_audit_policy(load_settings(conn))
    with open(read_file, "rb") as handle:
        lines = [line for line in handle.read().decode(encoding).splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    header = [name.strip().lstrip("\ufeff") for name in lines[0].split(",")]
    meter_at, day_at = header.index("meter_id"), header.index("read_datetime")
    last = max(meter_at, day_at)
    fields = [line.split(",", last + 1) for line in lines[1:]]
    meter_ids = [row[meter_at].strip() for row in fields if len(row) > last]
    days = [row[day_at].strip()[:10] for row in fields if len(row) > last]
    part = round(len(fields) * share)
    premises = frozenset(
        premise for premise in (meters[int(raw)].premise_id for raw in meter_ids[:part]
                                if raw.isdigit() and int(raw) in meters)
        if premise is not None)
    since = date.fromisoformat(min(days)) - timedelta(days=policy.history_days)
    until = date.fromisoformat(max(days))
    fill_premises(conn, premises)
    return Prefetched(since, until, premises, load_chains(conn, since, until))


def serve_audit(conn: sqlite3.Connection, messages: Iterator[Any]) -> Found | None:
    """The worker's side (db.second_process): load the meters and the expected history while
    the importing process checks the file, then audit the part it sends; None when no part
    comes (the file was refused)."""
    meters = load_meters(conn)
    message = next(messages, None)
    prefetched: Prefetched | None = None
    if message is not None and message[0] == "expect":
        # A guess: a file the checks refuse, or a history it misjudges, costs only time. The
        # part arrives meanwhile (db.second_process reads messages on a thread).
        with contextlib.suppress(Exception):
            prefetched = _prefetch(conn, meters, *message[1:])
        message = next(messages, None)
    if message is None:
        return None  # the file was refused
    _, staged, windows, since, until, policy = message
    return audit_reads(conn, staged, (), meters, windows, since, until, policy, prefetched)
