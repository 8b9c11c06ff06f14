"""The freeze renders the print file's bills from its own snapshot (migration 0014): byte for
byte what rendering the frozen run afterwards gives, on one core or two, and never stored when
its totals differ from what was posted."""
from __future__ import annotations

import json
import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import zstandard

import db.bill_print as bill_print
import db.billing_parts as billing_parts
import db.print_bodies as print_bodies
import db.second_process as second_process
from core.bill_print import B_FIELDS
from core.errors import InputError
from core.ledger import EntryType, Posting
from db.bill_print import (
    PrintBody,
    bill_records,
    bill_rows,
    bill_terms,
    billed_numbers,
    build_print_file,
    stored_body,
    stored_records,
    write_print_file,
)
from db.billing_run import Run, freeze_run, require_run
from db.connection import open_database
from db.ledger import check, post
from db.rates import load_rate_book
from db.settings import load_settings
from db.transaction import write_transaction
from tests.billing_support import AT, NOV, SUPER, approved_november, opened_copy

# A body as Meterline kept it before migration 0017: one raw DEFLATE stream, level 1.
DEFLATE_LEVEL_1 = (1, zlib.DEFLATED, -15)


@pytest.fixture(scope="module")
def approved_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small district with cycle 3's November run drafted and approved, not yet frozen."""
    with approved_november(tmp_path_factory.mktemp("bodies")) as (path, conn):
        # One file with every page (a checkpoint may still be copying the draft's WAL).
        source = path.with_name("approved.db")
        with sqlite3.connect(source) as copy:
            conn.backup(copy)
        copy.close()
    return source


@pytest.fixture
def conn(approved_source: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    # A test's second process ends with its database.
    with opened_copy(approved_source, tmp_path, end_kept_processes=True) as connection:
        yield connection


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The jobs handed to kept second processes, in order, as the test goes on."""
    jobs: list[str] = []
    real_ask = second_process.KeptProcess.ask

    def ask(self: second_process.KeptProcess, job: str, message: Any) -> second_process.Ticket:
        jobs.append(job)
        return real_ask(self, job, message)

    monkeypatch.setattr(second_process.KeptProcess, "ask", ask)
    return jobs


@pytest.fixture
def rendered_here(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The account-number ranges this process renders, in order, as the test goes on."""
    ranges: list[tuple[str, str]] = []
    real = print_bodies.render_body

    def render(*args: Any, **kwargs: Any) -> PrintBody:
        ranges.append(args[3])
        return real(*args, **kwargs)

    monkeypatch.setattr(print_bodies, "render_body", render)
    return ranges


def freeze(conn: sqlite3.Connection) -> Run:
    freeze_run(conn, 3, NOV, load_rate_book(conn), user=SUPER, at=AT)
    return require_run(conn, 3, NOV)


def body_text(conn: sqlite3.Connection, body: PrintBody) -> str:
    """The stored bills as the print file writes them (their charge lines written out)."""
    return b"".join(stored_records(conn, body)).decode("utf-8")


def marked_text(body: PrintBody) -> bytes:
    """The stored bills as kept, each bill's charge lines its line set's mark."""
    return b"".join(bill_print._inflated(body.body, body.codec))


def rendered_now(conn: sqlite3.Connection, run: Run) -> str:
    """The frozen run's bills as the print file rendered them before migration 0014."""
    records = bill_records(bill_rows(conn, run), bill_terms(conn, run, load_settings(conn)))
    return records.text + "\n"


def b_record(text: str, bill_id: int) -> list[str]:
    return next(line.split("|") for line in text.splitlines()
                if line.startswith("B|") and line.split("|")[2] == str(bill_id))


def test_the_stored_bills_are_the_frozen_runs_bills_byte_for_byte(
        conn: sqlite3.Connection, tmp_path: Path) -> None:
    run = freeze(conn)
    body = stored_body(conn, run.id)
    assert body is not None and body.bills == run.billed > 20
    text = body_text(conn, body)
    assert text == rendered_now(conn, run)
    reference = build_print_file(conn, run, AT)
    assert (body.records().counts + Counter("HMT"), body.current_cents, body.total_due_cents) \
        == (reference.counts, reference.current_cents, reference.total_due_cents)
    # Bills with a balance carried, payments and past-due amounts are among them.
    fields = [line.split("|") for line in text.splitlines() if line.startswith("B|")]
    for name in ("previous_balance", "payments", "past_due"):
        assert any(f[1 + B_FIELDS.index(name)] != "0" for f in fields), name
    out = tmp_path / "bills.txt"
    written = write_print_file(conn, 3, NOV, out, generated_at=AT)
    assert out.read_text(encoding="utf-8") == reference.text()
    assert written.bills == run.billed and written.current_cents == run.total_cents


def test_the_stored_bills_keep_each_bills_charge_lines_as_its_line_sets_mark(
        conn: sqlite3.Connection, tmp_path: Path) -> None:
    run = freeze(conn)
    body = stored_body(conn, run.id)
    assert body is not None
    kept = marked_text(body).decode("utf-8").splitlines()
    marks = [line for line in kept if line.startswith(bill_print.SET_MARK)]
    assert not any(line.startswith("C|") for line in kept)
    assert len(marks) == sum(line.startswith("B|") for line in kept) == run.billed
    written = body_text(conn, body)
    assert written.count("\nC|") == body.counts["C"] > len(marks)
    assert len("\n".join(kept)) < len(written) / 2


def test_a_stored_body_naming_a_line_set_the_run_has_not_is_refused(
        conn: sqlite3.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = freeze(conn)
    kept = stored_body(conn, run.id)
    assert kept is not None
    text = marked_text(kept).replace(b"\n@", b"\n@9999", 1)
    damaged = PrintBody(run.id, zstandard.ZstdCompressor(level=1).compress(text), kept.counts,
                        kept.bills, kept.current_cents, kept.total_due_cents, "zstd")
    monkeypatch.setattr(bill_print, "stored_body", lambda conn, run_id: damaged)
    with pytest.raises(InputError, match="line set 9999"):
        write_print_file(conn, 3, NOV, tmp_path / "bills.txt", generated_at=AT)
    assert not any(p.name.startswith("bills") for p in tmp_path.iterdir())


def test_a_body_kept_with_its_charge_lines_written_out_prints_the_same(
        conn: sqlite3.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run frozen before bodies kept marks has its C lines in the body: written as they
    are (no line of theirs begins with the mark), a piece at a time."""
    run = freeze(conn)
    kept = stored_body(conn, run.id)
    assert kept is not None
    packer = zlib.compressobj(1, zlib.DEFLATED, -15)
    whole = packer.compress(body_text(conn, kept).encode("utf-8")) + packer.flush()
    older = PrintBody(run.id, whole, kept.counts, kept.bills, kept.current_cents,
                      kept.total_due_cents, "deflate")
    monkeypatch.setattr(bill_print, "stored_body", lambda conn, run_id: older)
    monkeypatch.setattr(bill_print, "INFLATE_PIECE", 5)
    write_print_file(conn, 3, NOV, tmp_path / "bills.txt", generated_at=AT)
    assert (tmp_path / "bills.txt").read_text(encoding="utf-8") \
        == build_print_file(conn, run, AT).text()


def test_the_stored_bills_are_written_a_piece_at_a_time(
        conn: sqlite3.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = freeze(conn)
    monkeypatch.setattr(bill_print, "INFLATE_PIECE", 7)
    out = tmp_path / "bills.txt"
    write_print_file(conn, 3, NOV, out, generated_at=AT)
    assert out.read_text(encoding="utf-8") == build_print_file(conn, run, AT).text()


def kept_as_before_0017(conn: sqlite3.Connection, body: PrintBody) -> None:
    """store_body as it was before migration 0017: the records one raw DEFLATE stream, the
    row written without a codec (its default, 'deflate')."""
    packer = zlib.compressobj(*DEFLATE_LEVEL_1)
    deflated = packer.compress(marked_text(body)) + packer.flush()
    conn.execute("INSERT INTO print_bodies (run_id, body, bills, current_cents,"
                 " total_due_cents, counts) VALUES (?, ?, ?, ?, ?, ?)",
                 (body.run_id, deflated, body.bills, body.current_cents,
                  body.total_due_cents, json.dumps(body.counts)))


def test_a_body_kept_as_deflate_before_0017_prints_as_its_zstd_body_does(
        conn: sqlite3.Connection, approved_source: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same run frozen now (zstd) and as before migration 0017 (DEFLATE): the print files
    and manifests are the same byte for byte, each row read by its own codec."""
    monkeypatch.setattr(bill_print, "INFLATE_PIECE", 7)
    run = freeze(conn)
    body = stored_body(conn, run.id)
    assert body is not None and body.codec == "zstd"
    new = write_print_file(conn, 3, NOV, tmp_path / "new.txt", generated_at=AT)
    monkeypatch.setattr(print_bodies, "store_body", kept_as_before_0017)
    (tmp_path / "before").mkdir()
    with opened_copy(approved_source, tmp_path / "before") as before:
        old_run = freeze(before)
        old_body = stored_body(before, old_run.id)
        assert old_body is not None and old_body.codec == "deflate" and old_run.id == run.id
        assert zlib.decompress(old_body.body, -15) == marked_text(body)
        with pytest.raises(ValueError, match="only zstd parts"):
            old_body.then(old_body)
        old = write_print_file(before, 3, NOV, tmp_path / "old.txt", generated_at=AT)
    assert (tmp_path / "old.txt").read_bytes() == (tmp_path / "new.txt").read_bytes() \
        == build_print_file(conn, run, AT).text().encode("utf-8")
    manifests = [json.loads(w.manifest.read_text(encoding="utf-8")) for w in (new, old)]
    assert manifests[0].pop("file") == "new.txt" and manifests[1].pop("file") == "old.txt"
    assert manifests[0] == manifests[1] and manifests[0]["bill_count"] == run.billed


def test_a_body_in_two_parts_is_two_zstd_frames_and_prints_every_bill(
        conn: sqlite3.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(billing_parts, "SECOND_PROCESS_MIN_ACCOUNTS", 1)
    run = freeze(conn)
    body = stored_body(conn, run.id)
    assert body is not None and body.codec == "zstd" and body.bills == run.billed
    whole = marked_text(body)
    first = zstandard.ZstdDecompressor().decompressobj()  # stops at the end of one frame
    ours = first.decompress(body.body)
    assert first.eof and first.unused_data  # this process's part, then a second frame
    theirs = zstandard.ZstdDecompressor().decompress(first.unused_data)
    assert ours + theirs == whole
    assert ours.count(b"B|") > 0 and theirs.count(b"B|") > 0
    assert ours.count(b"B|") + theirs.count(b"B|") == run.billed
    monkeypatch.setattr(bill_print, "INFLATE_PIECE", 7)  # pieces across the frames' border
    out = tmp_path / "bills.txt"
    written = write_print_file(conn, 3, NOV, out, generated_at=AT)
    text = out.read_text(encoding="utf-8")
    assert text == build_print_file(conn, run, AT).text()
    assert written.bills == run.billed == text.count("\nB|")


def test_a_payment_between_approval_and_freeze_shows_the_same_in_both(
        conn: sqlite3.Connection) -> None:
    bill_id, account_id = conn.execute(
        "SELECT id, account_id FROM bill_rows WHERE run_id = (SELECT id FROM billing_runs"
        " WHERE status = 'approved') AND outcome = 'billed' LIMIT 1").fetchone()
    with write_transaction(conn):
        post(conn, Posting(account_id=account_id, entry_type=EntryType.PAYMENT,
                           amount_cents=-1234, effective_on=date(2026, 11, 19),
                           actor="clerk1", reason_code="PAY", comment="counter payment"),
             posted_at="2026-11-19T10:00:00")
    run = freeze(conn)
    body = stored_body(conn, run.id)
    assert body is not None
    text = body_text(conn, body)
    assert text == rendered_now(conn, run)
    fields = b_record(text, bill_id)
    assert int(fields[1 + B_FIELDS.index("payments")]) <= -1234
    assert check(conn).ok


def test_later_changes_leave_the_frozen_bills_as_they_were(conn: sqlite3.Connection,
                                                           tmp_path: Path) -> None:
    """The print file shows the bills as frozen: a name changed or a payment posted after
    the freeze is on the next bill, and writing the file again gives the same bills."""
    run = freeze(conn)
    account_id = conn.execute("SELECT account_id FROM bills WHERE run_id = ?"
                              " AND outcome = 'billed' LIMIT 1", (run.id,)).fetchone()[0]
    first = write_print_file(conn, 3, NOV, tmp_path / "a.txt", generated_at=AT)
    with write_transaction(conn):
        conn.execute("UPDATE customers SET name = 'Renamed Later' WHERE id ="
                     " (SELECT customer_id FROM accounts WHERE id = ?)", (account_id,))
        post(conn, Posting(account_id=account_id, entry_type=EntryType.PAYMENT,
                           amount_cents=-500, effective_on=date(2026, 11, 25),
                           actor="clerk1", reason_code="PAY", comment="counter payment"),
             posted_at="2026-11-25T10:00:00")
    again = write_print_file(conn, 3, NOV, tmp_path / "b.txt", generated_at=AT)
    assert again.sha256 == first.sha256
    assert "Renamed Later" not in (tmp_path / "b.txt").read_text(encoding="utf-8")
    assert "Renamed Later" in build_print_file(conn, run, AT).text()  # rendered now: moved


def test_the_second_process_renders_what_this_one_renders(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch,
        rendered_here: list[tuple[str, str]]) -> None:
    monkeypatch.setattr(billing_parts, "SECOND_PROCESS_MIN_ACCOUNTS", 1)
    here = rendered_here
    run = freeze(conn)
    body = stored_body(conn, run.id)
    assert body is not None and body.bills == run.billed
    assert body_text(conn, body) == rendered_now(conn, run)
    assert len(here) == 1  # ours; the later accounts: the other process


def test_a_second_part_that_does_not_begin_where_ours_ends_is_rendered_here(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch,
        rendered_here: list[tuple[str, str]]) -> None:
    # The second process finds its own part (the same snapshot gives it the same numbers);
    # should it ever disagree with this process about where the part begins, its bills are
    # not taken, so no bill is printed twice or left out.
    monkeypatch.setattr(billing_parts, "SECOND_PROCESS_MIN_ACCOUNTS", 1)
    real_split, here = print_bodies.second_part_start, rendered_here
    monkeypatch.setattr(print_bodies, "second_part_start",
                        lambda bills, share: real_split(bills, share) - 1)
    run = freeze(conn)
    body = stored_body(conn, run.id)
    assert body is not None and body.bills == run.billed
    assert body_text(conn, body) == rendered_now(conn, run)
    assert len(here) == 2 and here[0][1] < here[1][0]  # ours, then theirs rendered here


def test_a_failing_second_process_still_freezes_with_the_right_bills(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(billing_parts, "SECOND_PROCESS_MIN_ACCOUNTS", 1)
    monkeypatch.setattr(print_bodies, "BODY_JOB", "db.print_bodies:no_such_job")
    run = freeze(conn)
    body = stored_body(conn, run.id)
    assert body is not None and body.bills == run.billed
    assert body_text(conn, body) == rendered_now(conn, run)
    assert check(conn).ok


def test_a_large_runs_print_file_reads_beside_it_in_the_second_process(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        asked: list[str]) -> None:
    # A large run leaves the charge lines and the reconciliation to the session's kept second
    # process when one is running (db.bill_print.PrintReads): a print file alone does not
    # start one. The file and its manifest are the same as read here, and when the process
    # gives no answer they are read here.
    run = freeze(conn)
    monkeypatch.setattr(billing_parts, "SECOND_PROCESS_MIN_ACCOUNTS", 1)
    here = write_print_file(conn, 3, NOV, tmp_path / "here.txt", generated_at=AT)
    assert asked == [] and not second_process._kept  # none was running: none started
    assert billing_parts.warm_second_process(conn)  # as the Billing screen does

    def not_here(*args: Any) -> None:
        raise AssertionError("read here, not by the second process")

    real_charges, real_reconcile = bill_print.charge_texts, bill_print.reconcile
    monkeypatch.setattr(bill_print, "charge_texts", not_here)
    monkeypatch.setattr(bill_print, "reconcile", not_here)
    second = write_print_file(conn, 3, NOV, tmp_path / "second.txt", generated_at=AT)
    assert asked == [bill_print.PRINT_READS_JOB]
    monkeypatch.setattr(bill_print, "charge_texts", real_charges)
    monkeypatch.setattr(bill_print, "reconcile", real_reconcile)
    monkeypatch.setattr(bill_print, "PRINT_READS_JOB", "db.bill_print:no_such_job")
    failed = write_print_file(conn, 3, NOV, tmp_path / "failed.txt", generated_at=AT)
    assert here.sha256 == second.sha256 == failed.sha256 and here.bills == run.billed
    manifests = [json.loads(w.manifest.read_text(encoding="utf-8")) for w in (here, second, failed)]
    for manifest in manifests:
        del manifest["file"]
    assert manifests[0] == manifests[1] == manifests[2]
    assert manifests[0]["ledger_bill_cents"] == run.total_cents


def test_bills_that_do_not_add_up_to_the_posting_refuse_the_freeze(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    real = print_bodies.render_body

    def one_short(*args: Any, **kwargs: Any) -> PrintBody:
        body = real(*args, **kwargs)
        return PrintBody(body.run_id, body.body, body.counts, body.bills - 1,
                         body.current_cents, body.total_due_cents)

    monkeypatch.setattr(print_bodies, "render_body", one_short)
    entries = conn.execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0]
    with pytest.raises(InputError, match="print file's bills"):
        freeze(conn)
    assert require_run(conn, 3, NOV).status == "approved"
    assert conn.execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0] == entries
    assert conn.execute("SELECT COUNT(*) FROM print_bodies").fetchone()[0] == 0


def test_stored_bills_are_append_only_and_older_runs_are_rendered(
        conn: sqlite3.Connection, tmp_path: Path) -> None:
    run = freeze(conn)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE print_bodies SET bills = 0")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM print_bodies")
    # The demo's history runs were frozen before migration 0014: printed as rendered now.
    history = conn.execute("SELECT cycle_id, month FROM billing_runs WHERE status = 'frozen'"
                           " AND id <> ? LIMIT 1", (run.id,)).fetchone()
    month = date.fromisoformat(history[1] + "-01")
    old = require_run(conn, history[0], month)
    assert stored_body(conn, old.id) is None
    out = tmp_path / "old.txt"
    write_print_file(conn, old.cycle_id, month, out, generated_at=AT)
    assert out.read_text(encoding="utf-8") == build_print_file(conn, old, AT).text()


def test_migration_0014_adds_the_table_to_a_database_at_schema_13(tmp_path: Path) -> None:
    from db.connection import _statements, migrations, schema_version

    path = tmp_path / "old.db"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA foreign_keys = ON")
    for _, _, sql in [m for m in migrations() if m[0] <= 13]:
        for statement in _statements(sql):
            raw.execute(statement)
    raw.execute("PRAGMA user_version = 13")
    raw.close()
    conn = open_database(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema_version() >= 14
    assert conn.execute("SELECT COUNT(*) FROM print_bodies").fetchone()[0] == 0
    conn.close()


def test_migration_0017_keeps_a_schema_16_body_as_deflate_and_printable(
        tmp_path: Path) -> None:
    from db.connection import _statements, migrations

    path = tmp_path / "old.db"
    raw = sqlite3.connect(path, isolation_level=None)
    for _, _, sql in [m for m in migrations() if m[0] <= 16]:
        for statement in _statements(sql):
            raw.execute(statement)
    raw.execute("PRAGMA user_version = 16")
    packer = zlib.compressobj(*DEFLATE_LEVEL_1)
    records = b"B|1\n@7\nU|x\n"
    raw.execute("INSERT INTO print_bodies (run_id, body, bills, current_cents,"  # no run: FKs off
                " total_due_cents, counts) VALUES (41, ?, 1, 100, 100, '{\"B\": 1}')",
                (packer.compress(records) + packer.flush(),))
    raw.close()
    conn = open_database(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] >= 17
    kept = stored_body(conn, 41)
    assert kept is not None and kept.codec == "deflate" and marked_text(kept) == records
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE print_bodies SET codec = 'zstd'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM print_bodies")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute("INSERT INTO print_bodies (run_id, body, bills, current_cents,"
                     " total_due_cents, counts, codec) VALUES (42, x'', 0, 0, 0, '{}', 'gzip')")
    conn.close()


def test_a_print_file_whose_totals_differ_from_the_ledger_is_not_left_behind(
        conn: sqlite3.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = freeze(conn)
    kept = stored_body(conn, run.id)
    assert kept is not None
    wrong = PrintBody(run.id, kept.body, kept.counts, kept.bills, kept.current_cents + 1,
                      kept.total_due_cents)
    monkeypatch.setattr(bill_print, "stored_body", lambda conn, run_id: wrong)
    out = tmp_path / "bills.txt"
    with pytest.raises(InputError, match="nothing was written"):
        write_print_file(conn, 3, NOV, out, generated_at=AT)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("bills")) == []


def test_a_print_file_that_cannot_be_written_whole_is_not_left_behind(
        conn: sqlite3.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(conn)

    def broken(body: bytes, codec: str) -> Iterator[bytes]:
        yield b"part of the bills\n"
        raise zlib.error("the stored bills are damaged")

    monkeypatch.setattr(bill_print, "_inflated", broken)
    out = tmp_path / "bills.txt"
    with pytest.raises(zlib.error):
        write_print_file(conn, 3, NOV, out, generated_at=AT)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("bills")) == []


def test_the_second_processs_last_chunks_are_rendered_here_once_posted(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch,
        rendered_here: list[tuple[str, str]]) -> None:
    """The second process renders its part a chunk at a time, each a frame of its own; this
    process, once it has posted and no chunk is waiting, renders the last ones not begun, so
    a slow second process does not hold the freeze. Every bill is printed once, in order."""
    monkeypatch.setattr(billing_parts, "SECOND_PROCESS_MIN_ACCOUNTS", 1)
    monkeypatch.setattr(print_bodies, "CHUNK_BILLS", 3)
    monkeypatch.setattr(print_bodies, "BODY_JOB", "tests.second_process_jobs:slow_chunks")
    here = rendered_here
    run = freeze(conn)
    body = stored_body(conn, run.id)
    assert body is not None and body.bills == run.billed
    assert body_text(conn, body) == rendered_now(conn, run)
    numbers = billed_numbers(conn, run.id)
    chunks = print_bodies.part_chunks(
        numbers, print_bodies.second_part_start(len(numbers), print_bodies.SECOND_SHARE), 3)
    assert len(chunks) > 3
    assert here[0] == (numbers[0], numbers[numbers.index(chunks[0][0]) - 1])  # ours
    taken = here[1:]  # the last chunks, from the last back; the first ones came from there
    assert taken and taken == [c[:2] for c in reversed(chunks[-len(taken):])]
    assert len(taken) < len(chunks)
    frames, rest = 0, body.body
    while rest:
        reader = zstandard.ZstdDecompressor().decompressobj()
        reader.decompress(rest)
        frames, rest = frames + 1, reader.unused_data
    assert frames == 1 + len(chunks)


def test_a_refused_freeze_stops_the_second_processs_rendering(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(billing_parts, "SECOND_PROCESS_MIN_ACCOUNTS", 1)
    monkeypatch.setattr(print_bodies, "CHUNK_BILLS", 3)
    monkeypatch.setattr(print_bodies, "BODY_JOB", "tests.second_process_jobs:slow_chunks")
    made: list[print_bodies.Rendering] = []
    real_init = print_bodies.Rendering.__init__

    def init(self: print_bodies.Rendering, *args: Any) -> None:
        real_init(self, *args)
        made.append(self)

    monkeypatch.setattr(print_bodies.Rendering, "__init__", init)
    with write_transaction(conn):  # a stored line removed: the approved fingerprint differs
        conn.execute("DELETE FROM bill_set_lines WHERE (set_id, seq) = (SELECT l.set_id,"
                     " l.seq FROM bill_set_lines l JOIN bill_line_sets s ON s.id = l.set_id"
                     " JOIN billing_runs r ON r.id = s.run_id WHERE r.status = 'approved'"
                     " ORDER BY l.set_id, l.seq LIMIT 1)")
    with pytest.raises(InputError, match="changed since the draft was approved"):
        freeze(conn)
    assert len(made) == 1 and made[0].ticket is not None
    sent = list(made[0].ticket.parts())  # what it rendered before it stopped
    numbers = billed_numbers(conn, require_run(conn, 3, NOV).id)
    chunks = print_bodies.part_chunks(
        numbers, print_bodies.second_part_start(len(numbers), print_bodies.SECOND_SHARE), 3)
    assert made[0].ticket.complete and len(sent) <= 1 < len(chunks)


def test_the_charge_lines_read_ahead_are_the_print_files_for_that_run_only(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kept process reads a frozen run's charge lines ahead (its freeze's rendering does,
    once it has sent its last chunk): the print file's reads then send those, once, and read
    any other run's (or the same run's again, or lines kept for another draft of it) as
    before."""
    from db.connection import database_file, read_only_connection

    run = freeze(conn)
    expected = bill_print.charge_texts(conn, run.id)
    db_file = database_file(conn)
    assert db_file is not None
    conn = read_only_connection(db_file)  # as the kept process has it: autocommit
    bill_print.read_ahead(conn, run.id)
    monkeypatch.setattr(bill_print, "charge_texts", lambda *args: {b"not": b"read ahead"})
    reads = bill_print.print_reads_job(conn, iter([(run.id, 3, NOV, True)]))
    assert next(reads) == expected  # kept, not read again
    reconciled = next(reads)
    assert isinstance(reconciled, bill_print.Reconciliation) and reconciled.ok
    assert list(reads) == []
    again = bill_print.print_reads_job(conn, iter([(run.id, 3, NOV, True)]))
    assert next(again) == {b"not": b"read ahead"}  # taken once: read again next time
    list(again)
    bill_print._read_ahead[run.id] = ("an earlier draft|of the run|", expected)
    redrafted = bill_print.print_reads_job(conn, iter([(run.id, 3, NOV, True)]))
    assert next(redrafted) == {b"not": b"read ahead"}  # kept for another draft: read again
    list(redrafted)
    monkeypatch.undo()
    bill_print.read_ahead(conn, run.id)
    other = bill_print.print_reads_job(conn, iter([(run.id + 1, 3, NOV, True)]))
    assert next(other) == bill_print.charge_texts(conn, run.id + 1)
    list(other)
    assert list(bill_print._read_ahead) == [run.id]  # another run's print leaves it kept
    bill_print._read_ahead.clear()
    conn.close()


def test_the_rendering_job_reads_the_charge_lines_ahead_unless_the_freeze_stopped_it(
        conn: sqlite3.Connection) -> None:
    """After its last chunk the second process's rendering reads the run's charge lines for
    its print file, as the freeze's snapshot has them; a freeze that closed its limit (it was
    refused) has none read."""
    from db.connection import database_file, read_only_connection

    run = freeze(conn)
    expected = bill_print.charge_texts(conn, run.id)
    db_file = database_file(conn)
    assert db_file is not None
    kept = read_only_connection(db_file)
    first = conn.execute("SELECT MIN(ledger_entry_id) FROM bills WHERE run_id = ?",
                         (run.id,)).fetchone()[0]
    with second_process.PartLimit(billing_parts.NO_LIMIT) as limit:
        sent = list(print_bodies.render_body_job(kept, iter([(run, first, 0.85, 3,
                                                                limit.path)])))
        assert len(sent) > 1
        assert bill_print._read_ahead == {run.id: (bill_print._lineage(conn, run.id),
                                                   expected)}
        bill_print._read_ahead.clear()
        limit.lower(1)  # the freeze renders the rest itself: read ahead all the same
        assert len(list(print_bodies.render_body_job(kept, iter([(run, first, 0.85, 3,
                                                                     limit.path)])))) == 1
        assert list(bill_print._read_ahead) == [run.id]
        bill_print._read_ahead.clear()
        limit.lower(0)
        limit.close()  # refused
        assert list(print_bodies.render_body_job(kept, iter([(run, first, 0.85, 3,
                                                                limit.path)]))) == []
        assert bill_print._read_ahead == {}
    kept.close()


def test_a_large_runs_freeze_has_the_print_files_charge_lines_read_ahead(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        asked: list[str]) -> None:
    monkeypatch.setattr(billing_parts, "SECOND_PROCESS_MIN_ACCOUNTS", 1)
    run = freeze(conn)
    assert asked == [print_bodies.BODY_JOB]  # its rendering reads them ahead after its part
    written = write_print_file(conn, 3, NOV, tmp_path / "bills.txt", generated_at=AT)
    assert asked[1:] == [bill_print.PRINT_READS_JOB]
    assert (tmp_path / "bills.txt").read_text(encoding="utf-8") \
        == build_print_file(conn, run, AT).text() and written.bills == run.billed
