"""Writing a frozen run's print file and manifest; its totals are the run's ledger entries."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import chain
from pathlib import Path
from queue import Queue
from typing import Any, BinaryIO

import zstandard

from core.bill_print import (
    LAYOUT_VERSION,
    RECORD_TYPES,
    BillRecords,
    PrintFile,
    clean,
    clean_fields,
    record,
)
from core.billing import scan_line
from core.errors import InputError, InputProblem
from core.money import round_ratio_half_up
from core.settings import DistrictSettings
from core.usage_history import history_record
from db import billing_parts
from db.billing_run import Reconciliation, Run, reconcile, require_run
from db.connection import BackgroundRead, database_file
from db.second_process import running_kept_process
from db.settings import load_settings

# One row a billed bill, in account-number order (the numbers from :start to :last, both
# included: bounds on the number's index, so a part of the run reads only its own accounts):
# what its records need, then the B record's customer fields raw, in B_FIELDS order (account to
# service address), cleaned in Python (core.bill_print.clean_fields). With them the account's
# receivable balance before its bill, and its payments and adjustments since the period began.
# :first is the id of the run's first ledger entry (post_bills gives the run one block of ids
# from the ledger's next one on, in one statement): the balance before a bill is the account's
# kept balance (account_balances) less the entries from :first on, and its payments and
# adjustments are the entries after the period's start day before :bound, each bill's own
# entry when :bound is NULL, both summed from the partial index ledger_credits (migration
# 0018), whose WHERE terms they repeat word for word so that SQLite may use it. The freeze
# (db/print_bodies.py) reads it inside its transaction with :bound = :first, the next id,
# before or just after posting: the same rows. A run kept from before schema 14 passes NULL:
# its entries were not one block.
BILLS_SQL = """
SELECT b.id, ifnull(b.period_start, ''), ifnull(b.period_end, ''), b.estimated, b.total_cents,
       a.number,
       b.usage_history, b.meter_reads, b.line_set_id, c.email,
       EXISTS (SELECT 1 FROM account_flags f WHERE f.account_id = a.id AND f.flag = 'AUTOPAY'
               AND f.cleared_on IS NULL) AS autopay,
       ab.balance_cents - COALESCE(t.since, 0),
       (SELECT COALESCE(SUM(e.amount_cents), 0) FROM ledger_entries e
         WHERE e.account_id = b.account_id AND e.effective_on > b.period_start
           AND e.id < COALESCE(:bound, b.ledger_entry_id) AND e.book = 'receivable'
           AND e.entry_type <> 'bill' AND e.entry_type IN ('payment', 'returned_payment')),
       (SELECT COALESCE(SUM(e.amount_cents), 0) FROM ledger_entries e
         WHERE e.account_id = b.account_id AND e.effective_on > b.period_start
           AND e.id < COALESCE(:bound, b.ledger_entry_id) AND e.book = 'receivable'
           AND e.entry_type <> 'bill'
           AND e.entry_type NOT IN ('payment', 'returned_payment')),
       a.number, CAST(b.id AS TEXT), c.name, a.mail_line1, a.mail_line2, a.mail_city,
       a.mail_state, a.mail_zip, substr(iif(p.line1 <> '', ', ' || p.line1, '')
                                        || iif(p.line2 <> '', ', ' || p.line2, '')
                                        || iif(p.city <> '', ', ' || p.city, ''), 3)
  FROM bills b
  JOIN accounts a ON a.id = b.account_id
  JOIN customers c ON c.id = a.customer_id
  JOIN premises p ON p.id = a.premise_id
  LEFT JOIN account_balances ab ON ab.account_id = b.account_id
  LEFT JOIN (SELECT account_id, SUM(amount_cents) AS since FROM ledger_entries NOT INDEXED
              WHERE id >= :first AND book = 'receivable' GROUP BY account_id) t
         ON t.account_id = b.account_id
 WHERE b.run_id = :run AND b.outcome = 'billed' AND a.number BETWEEN :start AND :last
 ORDER BY a.number
"""
# A stored body is inflated and written this many compressed bytes at a time (about 2 MB of
# records), so the whole file is never in memory twice, and a thread hashes and writes one
# piece while the next is made (at most WRITES_AHEAD pieces wait).
INFLATE_PIECE = 1 << 18
WRITES_AHEAD = 2
# A stored body (db/print_bodies.py) holds each bill's C records as one line "@<line set>",
# written out from the run's line sets as the file is written: the charge lines are most of
# the file's bytes and bills priced alike share them, so the freeze compresses and the print
# file inflates less than half the text. Every other line begins with its record type.
SET_MARK = "@"
# Each set of lines of the run once (bills priced alike share a set), in line order.
LINES_SQL = """
SELECT l.set_id, l.component, l.label, l.explanation, l.quantity, l.rate, l.amount_cents
  FROM bill_line_sets s JOIN bill_set_lines l ON l.set_id = s.id
 WHERE s.run_id = ? ORDER BY l.set_id, l.seq
"""


@dataclass(frozen=True)
class Written:
    path: Path
    manifest: Path
    sha256: str
    bills: int
    current_cents: int
    total_due_cents: int


def write_print_file(conn: sqlite3.Connection, cycle_id: int, month: date, out: Path, *,
                     generated_at: str) -> Written:
    """The frozen run's bills in the record-typed layout, then the manifest beside it: the
    bills as the freeze rendered them, or for a run frozen before migration 0014, as the
    ledger gives them now."""
    run = require_run(conn, cycle_id, month)
    if run.status != "frozen":
        raise InputError(InputProblem(f"run {run.id} is {run.status}: only a frozen run is "
                                      "printed", field="--cycle"))
    stored = stored_body(conn, run.id)
    # The run's charge lines and its reconciliation (with the run's ledger entries, summed)
    # are read beside the writing; the file is renamed into place only if the totals agree.
    reads = PrintReads(conn, run, cycle_id, month, charges=stored is not None)
    chunks: Iterable[bytes]
    if stored is None:
        built = build_print_file(conn, run, generated_at)
        chunks = _lines(built.lines)
    else:  # the header and the global message, the stored bills, the trailer
        built = _around(run, load_settings(conn), generated_at, stored.records())
        header, message, trailer = _lines(built.lines)
        chunks = chain((header, message), _inflated_records(stored, reads.charges),
                       (trailer,))

    def totals_agree() -> None:
        found = reads.reconciliation()
        if (built.current_cents, built.bills) != (found.ledger_cents, found.ledger_entries):
            raise InputError(InputProblem(  # FORMATS.md §4.2: the T totals = the ledger's
                f"the file's current charges {built.current_cents} do not equal the run's "
                f"ledger bills {found.ledger_cents}; nothing was written", field="--cycle"))

    digest, size = _write_chunks(out, chunks, before_rename=totals_agree)
    ledger = reads.reconciliation()
    manifest = out.with_name(out.name + ".manifest.json")
    _write(manifest, (json.dumps({
        "file": out.name, "sha256": digest, "bytes": size, "layout_version": LAYOUT_VERSION,
        "run_id": run.id, "cycle": cycle_id, "month": run.month, "bill_date": run.bill_date,
        "counts": {rec: built.counts[rec] for rec in RECORD_TYPES},
        "bill_count": built.bills, "current_charges_cents": built.current_cents,
        "total_due_cents": built.total_due_cents, "ledger_bill_cents": ledger.ledger_cents,
        "held_count": len(ledger.held), "excluded_count": len(ledger.excluded),
        "unaccounted_count": len(ledger.unaccounted), "generated_at": generated_at},
        indent=2) + "\n").encode("utf-8"))
    return Written(out, manifest, digest, built.bills, built.current_cents,
                   built.total_due_cents)


def _write(path: Path, data: bytes) -> None:
    """Write beside, then rename: the vendor never picks up half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _lines(texts: Iterable[str]) -> list[bytes]:
    """Each text (one record or many) in UTF-8 with its final line break."""
    return [text.encode("utf-8") + b"\n" for text in texts]


def _inflated(body: bytes, codec: str) -> Iterator[bytes]:
    """The stored records, a piece at a time as they are written, by the row's codec
    (migration 0017): zstd frames one after another, or one raw DEFLATE stream."""
    unpack: Callable[[memoryview], bytes]
    end: Callable[[], bytes]
    if codec == "zstd":
        # A decompressobj stops at the end of its first frame unless told to read across
        # frames: a body the freeze rendered in two parts is two frames.
        frames = zstandard.ZstdDecompressor().decompressobj(read_across_frames=True)
        unpack, end = frames.decompress, frames.flush
    else:  # 'deflate': a run frozen before migration 0017
        stream = zlib.decompressobj(-15)
        unpack, end = stream.decompress, stream.flush
    view = memoryview(body)
    for start in range(0, len(body), INFLATE_PIECE):
        yield unpack(view[start:start + INFLATE_PIECE])
    yield end()


def stored_records(conn: sqlite3.Connection, body: PrintBody) -> Iterator[bytes]:
    """A stored body's records as the file has them: inflated, each bill's charge lines
    written out from the run's line sets (write_print_file reads those beside the
    inflating: PrintReads)."""
    return _inflated_records(body, lambda: charge_texts(conn, body.run_id))


def _inflated_records(body: PrintBody, charges: Callable[[], dict[bytes, bytes]]
                      ) -> Iterator[bytes]:
    """The stored records with their charge lines (`charges()`, asked once the body is
    inflated: zstd and zlib work without the interpreter lock, so its reading goes on
    meanwhile). About 12 MB for a 24,000-bill cycle, held until written."""
    pieces = list(_inflated(body.body, body.codec))
    return _with_charges(pieces, charges())


# A large run's print file leaves its two reads to the session's kept second process
# (db.second_process) when one is running (the console's session, a billing run's steps in
# one process; a print file alone is not worth its start-up), idle while the file is written
# and its pages cached by the freeze: the charge lines, then the reconciliation. This process
# inflates and writes meanwhile, with the interpreter lock to itself (on threads here the
# reads' Python loops took it from the writing: 0.2-0.3 s a 24,000-bill cycle's file instead
# of 0.13-0.16 s).
PRINT_READS_JOB = "db.bill_print:print_reads_job"


class PrintReads:
    """A print file's reads beside its writing: the run's charge lines (when its bills are
    stored) and its reconciliation. A large run's by the kept second process if one is
    running, in that order; otherwise on threads here (BackgroundRead); an answer the
    process did not give (it failed, or was stopped) is read here."""

    def __init__(self, conn: sqlite3.Connection, run: Run, cycle_id: int, month: date, *,
                 charges: bool) -> None:
        self._conn, self._run_id, self._cycle_id, self._month = conn, run.id, cycle_id, month
        self._parts: Iterator[Any] | None = None
        self._charges: BackgroundRead[dict[bytes, bytes]] | None = None
        self._reconciling: BackgroundRead[Reconciliation] | None = None
        self._found: Reconciliation | None = None
        db_file = None if conn.in_transaction else database_file(conn)
        kept = running_kept_process(db_file) if db_file is not None else None
        if kept is not None and run.billed >= billing_parts.SECOND_PROCESS_MIN_ACCOUNTS:
            self._parts = kept.ask(PRINT_READS_JOB, (run.id, cycle_id, month, charges)).parts()
            return
        self._reconciling = BackgroundRead(conn, lambda own: reconcile(own, cycle_id, month))
        if charges:
            self._charges = BackgroundRead(conn, lambda own: charge_texts(own, run.id))

    def _part(self, kind: type) -> Any | None:
        """The second process's next answer if it is a `kind`; None (and none after it)
        otherwise."""
        part = next(self._parts, None) if self._parts is not None else None
        if not isinstance(part, kind):
            self._parts = None
            return None
        return part

    def charges(self) -> dict[bytes, bytes]:
        """The run's line sets as C records (charge_texts); asked once, before the
        reconciliation."""
        found: dict[bytes, bytes] | None = self._part(dict)
        if found is not None:
            return found
        if self._charges is not None:
            return self._charges.result()
        return charge_texts(self._conn, self._run_id)

    def reconciliation(self) -> Reconciliation:
        """The run's reconciliation (db.billing_run.reconcile), read once."""
        if self._found is None:
            found = self._part(Reconciliation)
            if found is None:
                found = self._reconciling.result() if self._reconciling is not None \
                    else reconcile(self._conn, self._cycle_id, self._month)
            self._found = found
        return self._found


def print_reads_job(conn: sqlite3.Connection, messages: Iterator[Any]) -> Iterator[Any]:
    """The kept second process's job: the run's charge lines (when asked; read ahead by its
    freeze's rendering when it kept them for the run as it stands, read_ahead), then its
    reconciliation, each sent as soon as it is read, in one read transaction."""
    run_id, cycle_id, month, charges = next(messages)
    conn.execute("BEGIN")
    try:
        if charges:
            kept = _read_ahead.pop(run_id, None)
            if kept is not None and kept[0] == _lineage(conn, run_id):
                yield kept[1]
            else:
                yield charge_texts(conn, run_id)
        yield reconcile(conn, cycle_id, month)
    finally:
        conn.execute("COMMIT")


# A large run's freeze has the kept second process render most of its print-file bills
# (db.print_bodies); once it has sent its last chunk, it reads the run's charge lines ahead
# for the print file while the freeze posts, stores and commits: the print file then finds
# them read (its first 0.03-0.04 s a cycle otherwise). One run's are kept at a time, with the
# draft and approval they belong to (_lineage): a run's line sets never change once frozen
# (migration 0011's triggers), but a refused freeze's run may be drafted again, its sets
# numbered alike, and lines kept for the earlier draft are then read again instead.
_read_ahead: dict[int, tuple[str, dict[bytes, bytes]]] = {}


def _lineage(conn: sqlite3.Connection, run_id: int) -> str:
    """Which draft and approval of the run its line sets are: a new draft clears the
    approval, and is approved again later."""
    row = conn.execute("SELECT drafted_at, approved_at, fingerprint FROM billing_runs"
                       " WHERE id = ?", (run_id,)).fetchone()
    return "" if row is None else "|".join(str(value) for value in row)


def read_ahead(conn: sqlite3.Connection, run_id: int) -> None:
    """The run's charge lines read, inside the caller's read transaction, and kept for its
    print file's reads (print_reads_job) in this process."""
    _read_ahead.clear()
    _read_ahead[run_id] = (_lineage(conn, run_id), charge_texts(conn, run_id))


def _with_charges(pieces: Iterable[bytes], charges: dict[bytes, bytes]) -> Iterator[bytes]:
    """The stored records, given a piece at a time, with each line "@<line set>" replaced by
    that set's C records; a line cut between two pieces is carried to the next."""
    carry, skip = b"\n", 1  # a line break put before the first line (its mark is found too)
    for piece in pieces:
        data = carry + piece
        cut = data.rfind(b"\n")
        if cut <= 0:
            carry = data
            continue
        block, carry = data[:cut], data[cut:]
        yield b"".join(_expand(block, charges))[skip:]
        skip = 0
    yield b"".join(_expand(carry, charges))[skip:]


def _expand(block: bytes, charges: dict[bytes, bytes]) -> list[bytes | memoryview]:
    """A block of whole lines, beginning with a line break, its marks written out (pieces to
    join, slices of the block not copied)."""
    mark = b"\n" + SET_MARK.encode()
    view = memoryview(block)
    out: list[bytes | memoryview] = []
    at = block.find(mark)
    if at < 0:
        return [view]
    out.append(view[:at])
    while at >= 0:
        end = block.find(b"\n", at + 2)
        set_id = block[at + 2:] if end < 0 else block[at + 2:end]
        text = charges.get(set_id)
        if text is None:
            raise InputError(InputProblem(f"the stored bills name line set {set_id.decode()},"
                                          " which the run does not have: nothing was written",
                                          field="--cycle"))
        out.append(b"\n")
        out.append(text)
        if end < 0:
            break
        at = block.find(mark, end)
        out.append(view[end:] if at < 0 else view[end:at])
    return out


def _write_chunks(path: Path, chunks: Iterable[bytes], *,
                  before_rename: Callable[[], None] | None = None) -> tuple[str, int]:
    """The bytes written one after another, beside then renamed like `_write` once
    `before_rename` has not refused them; the file's SHA-256 and size are taken as it is
    written, so no second copy of it is built."""
    digest = hashlib.sha256()
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as file:
            size = _hashed_writes(file, digest, chunks)
        if before_rename is not None:
            before_rename()
    except BaseException:
        partial.unlink(missing_ok=True)  # half a file is never left beside
        raise
    os.replace(partial, path)
    return digest.hexdigest(), size


def _hashed_writes(file: BinaryIO, digest: Any, chunks: Iterable[bytes]) -> int:
    """Each chunk hashed and written on a thread while the next one is made (hashing and
    writing work without the interpreter lock, on the other core); the bytes written."""
    queue: Queue[bytes | None] = Queue(maxsize=WRITES_AHEAD)
    failed: list[BaseException] = []

    def drain() -> None:
        while (data := queue.get()) is not None:
            if failed:
                continue  # the rest is taken and dropped, so the maker never waits
            try:
                digest.update(data)
                file.write(data)
            except BaseException as exc:  # raised below, once every chunk is made
                failed.append(exc)

    writer = threading.Thread(target=drain, name="print file writer", daemon=True)
    writer.start()
    size = 0
    try:
        for data in chunks:
            queue.put(data)
            size += len(data)
    finally:
        queue.put(None)
        writer.join()
    if failed:
        raise failed[0]
    return size


@dataclass(frozen=True)
class BillTerms:
    """What every bill of a run prints alike: its dates, texts, late fee and sets of lines."""

    dates: str  # the B record's bill date and due date, cleaned
    due: date
    autopay_text: str
    estimated_text: str  # the M record of an estimated bill
    late_fee_flat_cents: int
    late_fee_percent: tuple[int, int]  # numerator, denominator
    charges: dict[int, tuple[str, int]]  # line set: its C records as one text, and how many


def build_print_file(conn: sqlite3.Connection, run: Run, generated_at: str) -> PrintFile:
    """The run's print file in memory, its bills rendered from the ledger as it is now:
    header, the bills in account order, trailer."""
    settings = load_settings(conn)
    return _around(run, settings, generated_at,
                   bill_records(bill_rows(conn, run), bill_terms(conn, run, settings)))


def _around(run: Run, settings: DistrictSettings, generated_at: str,
            bills: BillRecords) -> PrintFile:
    """The header and the global message, the bills, the trailer of their counts and sums."""
    out = PrintFile()
    out.add("H", [run.id, run.cycle_id, run.bill_date, generated_at, LAYOUT_VERSION])
    out.add("M", ["global", f"{settings.district_name}: questions about your bill? "
                            "Call the billing office."])
    out.add_bills(bills)
    out.trailer()
    return out


def bill_rows(conn: sqlite3.Connection, run: Run) -> list[tuple[Any, ...]]:
    """The run's billed bills as BILLS_SQL gives them, in account order (plain tuples)."""
    plain = conn.cursor()
    plain.row_factory = None
    first = plain.execute("SELECT MIN(ledger_entry_id) FROM bills WHERE run_id = ?",
                          (run.id,)).fetchone()[0]
    numbers = billed_numbers(conn, run.id)
    if not numbers:
        return []
    return plain.execute(BILLS_SQL, bills_of(run.id, first, bound=None,
                                             numbers=(numbers[0], numbers[-1]))).fetchall()


def billed_numbers(conn: sqlite3.Connection, run_id: int) -> list[str]:
    """The account numbers of the run's billed bills, in order (the print file's)."""
    return [row[0] for row in conn.execute(
        "SELECT a.number FROM bill_rows b JOIN accounts a ON a.id = b.account_id"
        " WHERE b.run_id = ? AND b.outcome = 'billed' ORDER BY a.number", (run_id,))]


def bills_of(run_id: int, first: int, *, bound: int | None,
             numbers: tuple[str, str]) -> dict[str, object]:
    """BILLS_SQL's parameters: the run, its first entry's id, the bound (None: each bill's own
    entry) and the account numbers from numbers[0] to numbers[1], both included."""
    return {"run": run_id, "first": first, "bound": bound, "start": numbers[0],
            "last": numbers[1]}


def bill_terms(conn: sqlite3.Connection, run: Run, settings: DistrictSettings, *,
               marked: bool = False) -> BillTerms:
    """What the run's bills print alike, each set of lines written once; `marked`: each set
    as its mark (SET_MARK), as a stored body keeps it, with its count of lines."""
    plain = conn.cursor()
    plain.row_factory = None
    charges: dict[int, tuple[str, int]]
    if marked:
        charges = {set_id: (f"{SET_MARK}{set_id}", lines) for set_id, lines in plain.execute(
            "SELECT l.set_id, COUNT(*) FROM bill_line_sets s JOIN bill_set_lines l"
            " ON l.set_id = s.id WHERE s.run_id = ? GROUP BY l.set_id", (run.id,))}
    else:
        charges = {int(set_id): (text.decode("utf-8"), text.count(b"\n") + 1)
                   for set_id, text in charge_texts(conn, run.id).items()}
    due = date.fromisoformat(run.due_date)
    return BillTerms(
        dates=f"{clean(run.bill_date)}|{clean(run.due_date)}", due=due,
        autopay_text=f"DO NOT PAY - ACH ON {due:%m/%d}",
        estimated_text=record("M", ["account", "Your meter could not be read this month; "
                                               "this bill is estimated and will be trued up "
                                               "at the next read."]),
        late_fee_flat_cents=settings.late_fee_flat_cents,
        late_fee_percent=Decimal(settings.late_fee_percent).as_integer_ratio(),
        charges=charges)


def charge_texts(conn: sqlite3.Connection, run_id: int) -> dict[bytes, bytes]:
    """Each line set of the run (its id as text) -> its C records, one a line, in UTF-8."""
    plain = conn.cursor()
    plain.row_factory = None
    records: dict[int, list[str]] = {}
    written: dict[tuple[Any, ...], str] = {}  # sets share most lines: each written once
    for set_id, *line in plain.execute(LINES_SQL, (run_id,)):
        key = tuple(line)
        text = written.get(key)
        if text is None:
            text = written[key] = _charge_record(*line)
        records.setdefault(set_id, []).append(text)
    return {str(set_id).encode(): "\n".join(texts).encode("utf-8")
            for set_id, texts in records.items()}


def _charge_record(component: str, label: str, explanation: str, quantity: object,
                   rate: object, cents: object) -> str:
    return "C|" + clean_fields(["sewer" if component == "wastewater" else "water", label,
                                explanation, quantity, rate,
                                str(cents) if cents.__class__ is int else cents])


def bill_records(rows: Sequence[Sequence[Any]], terms: BillTerms) -> BillRecords:
    """The records of these bills (BILLS_SQL rows, in order), with their counts and amounts:
    any slice of a run's rows, so slices can be written apart and joined in order."""
    lines: list[str] = []
    append = lines.append
    reads_count = charges_count = estimated_count = current_sum = total_sum = 0
    dates, due, charges = terms.dates, terms.due, terms.charges
    autopay_fields, no_autopay = f"Y|{terms.autopay_text}", "N|"
    flat_fee = terms.late_fee_flat_cents
    fee_numerator, fee_denominator = terms.late_fee_percent[0], 100 * terms.late_fee_percent[1]
    percent_fees: dict[int, int] = {}  # bills priced alike share their late fee
    # and their period: its days, blank for a bill stored with none (the flat-rate bills of
    # a demo district built before the demo gave them their cycle's period)
    period_days: dict[tuple[str, str], int | str] = {}
    parse = date.fromisoformat
    for (_, period_start, period_end, estimated, current, number, history, reads, line_set,
         email, autopay, balance, payments, adjustments, *customer) in rows:
        if balance is None:  # no kept balance: nothing was ever posted to the account
            before = payments = adjustments = 0
        else:
            before = balance
        total = before + current
        past_due = before if before > 0 else 0
        # The late fee after the due date: the larger of the flat fee and the percent of the
        # bill (settings; Water Code §35470.5 caps the percent at 10).
        percent_fee = percent_fees.get(current)
        if percent_fee is None:
            percent_fee = percent_fees[current] = round_ratio_half_up(
                current * fee_numerator, fee_denominator)
        after_due = total + (flat_fee if flat_fee > percent_fee else percent_fee)
        days = period_days.get((period_start, period_end))
        if days is None:
            days = period_days[period_start, period_end] = (
                parse(period_end) - parse(period_start)).days if period_start else ""
        scan = scan_line(number, due, 0, total if total > 0 else 0,
                         after_due if after_due > 0 else 0)
        # B_FIELDS, in order: customer text cleaned, numbers and dates as they are.
        append(f"B|{clean_fields(customer)}|{dates}|{period_start}|{period_end}|{days}|"
               f"{before - payments - adjustments}|{payments}|{adjustments}|{current}|"
               f"{past_due}|{total}|{after_due}|{autopay_fields if autopay else no_autopay}|N|"
               f"{clean(email)}|{'PAST DUE' if past_due > 0 else ''}|||{scan}")
        if reads:  # the R records, as the draft wrote them from the period's reads
            append(reads)
            reads_count += reads.count("\n") + 1
        charge = charges.get(line_set)
        if charge is not None:
            append(charge[0])
            charges_count += charge[1]
        append(history_record(history))  # the 13-period usage chart (core.usage_history)
        if estimated:
            append(terms.estimated_text)
            estimated_count += 1
        current_sum += current
        total_sum += total
    bills = len(rows)
    counts = Counter({"B": bills, "R": reads_count, "C": charges_count, "U": bills,
                      "M": estimated_count})
    return BillRecords("\n".join(lines), counts, bills, current_sum, total_sum)


@dataclass(frozen=True)
class PrintBody:
    """A run's bill records as its freeze rendered them (migration 0014 keeps them), with
    their counts and sums; the print file adds the header, the global message and the
    trailer."""

    run_id: int
    body: bytes  # the records in UTF-8, each line ending in a line break, compressed
    counts: dict[str, int]  # records of each type: B, R, C, U, M
    bills: int
    current_cents: int
    total_due_cents: int
    # How body is compressed (migration 0017): 'zstd', a level-1 frame for each part the
    # freeze rendered, one after another; 'deflate', one raw DEFLATE stream (runs frozen
    # before 0017).
    codec: str = "zstd"

    def records(self) -> BillRecords:
        """The body's counts and sums, without its text."""
        return BillRecords("", Counter(self.counts), self.bills, self.current_cents,
                           self.total_due_cents)

    def then(self, later: PrintBody) -> PrintBody:
        """This part of the run followed by a later one (db/print_bodies.py): their zstd
        frames one after another."""
        if (self.codec, later.codec) != ("zstd", "zstd"):
            raise ValueError("only zstd parts are joined: a DEFLATE body is one stream")
        return PrintBody(self.run_id, self.body + later.body,
                         {rec: self.counts.get(rec, 0) + later.counts.get(rec, 0)
                          for rec in {**self.counts, **later.counts}},
                         self.bills + later.bills, self.current_cents + later.current_cents,
                         self.total_due_cents + later.total_due_cents, "zstd")


def stored_body(conn: sqlite3.Connection, run_id: int) -> PrintBody | None:
    """The bills the run's freeze rendered; None for a run frozen before migration 0014."""
    row = conn.execute("SELECT body, counts, bills, current_cents, total_due_cents, codec"
                       " FROM print_bodies WHERE run_id = ?", (run_id,)).fetchone()
    if row is None:
        return None
    return PrintBody(run_id, row[0], json.loads(row[1]), row[2], row[3], row[4], row[5])
