"""A cycle priced in two parts (the later accounts by a second process) gives exactly the
bills one process gives, and falls back to pricing here when the second process fails."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

import db.billing_parts as billing_parts
import db.second_process as second_process
from core.billing import AccountBill, Outcome, StoredBill
from core.ledger import EntryType, Posting
from db.billing_draft import Draft, DraftPricer, compute_draft, cycle_month
from db.billing_inputs import draft_rows
from db.billing_run import approve_run, draft_run, freeze_run
from db.ledger import check, post
from db.rates import load_rate_book
from db.transaction import write_transaction
from tests.billing_support import AT, NOV, SUPER, opened_copy


@pytest.fixture
def conn(november_source: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    # A second process a test started ends with it: a later test, in this file or another,
    # may count on none running.
    with opened_copy(november_source, tmp_path, end_kept_processes=True) as connection:
        yield connection


def priced_alone_and_in_parts(
        conn: sqlite3.Connection,
        on_part: Callable[[Sequence[StoredBill]], None] | None = None) -> tuple[Draft, Draft]:
    """Cycle 3's November priced by this process alone, then in parts, in one snapshot that is
    rolled back."""
    book = load_rate_book(conn)
    dates = cycle_month(conn, 3, NOV)
    conn.execute("BEGIN IMMEDIATE")
    try:
        alone = compute_draft(conn, dates, book)
        return alone, billing_parts.compute_draft_in_parts(conn, dates, book, min_accounts=1,
                                                           on_part=on_part)
    finally:
        conn.execute("ROLLBACK")


def test_two_parts_price_exactly_what_one_process_prices(conn: sqlite3.Connection) -> None:
    alone, parts = priced_alone_and_in_parts(conn)
    assert len(alone.bills) > 20
    assert [b.account_id for b in parts.bills] == [b.account_id for b in alone.bills]
    assert draft_rows(parts.rows) == draft_rows(alone.rows)
    assert parts.premises == alone.premises
    assert parts.history_premises == alone.history_premises


def stored_bill(b: AccountBill) -> StoredBill:
    """What core.billing.account_bill was made from, again."""
    return (b.account_id, b.number, b.outcome.value, b.reason, b.rate_class,
            b.period_start.isoformat() if b.period_start else None,
            b.period_end.isoformat() if b.period_end else None, str(b.usage_hcf),
            int(b.estimated), b.total_cents, b.history, b.meter_reads, b.lines)


def test_the_bills_sent_as_plain_values_are_the_bills_priced(conn: sqlite3.Connection) -> None:
    """The pricer gives each outcome as the run stores it (core.billing.StoredBill), and
    Draft.bills makes AccountBills of them that give the same values back."""
    meter = conn.execute("SELECT m.id FROM routes r JOIN premises p ON p.route_id = r.id"
                         " JOIN meters m ON m.premise_id = p.id WHERE r.cycle_id = 3"
                         " ORDER BY m.id LIMIT 1").fetchone()[0]
    conn.execute("DELETE FROM meter_reads WHERE meter_id = ? AND read_on >= ?",
                 (meter, NOV.isoformat()))  # its account is held: a missing read
    _, parts = priced_alone_and_in_parts(conn)
    conn.execute("BEGIN")
    try:
        pricer = DraftPricer(conn, cycle_month(conn, 3, NOV), load_rate_book(conn))
        priced, _ = pricer.price(pricer.accounts)
    finally:
        conn.execute("ROLLBACK")
    assert parts.rows == priced
    assert tuple(map(stored_bill, parts.bills)) == priced
    assert {b.outcome for b in parts.bills} == {Outcome.BILLED, Outcome.HELD}
    held = next(b for b in parts.bills if b.outcome == Outcome.HELD)
    assert held.reason.startswith("missing read") and held.usage_hcf == 0
    assert parts.count(Outcome.BILLED) == len(priced) - 1
    assert parts.total_cents == sum(b.total_cents for b in parts.bills) > 0


def test_a_failing_second_process_leaves_the_whole_cycle_to_this_one(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(billing_parts, "JOB", "db.billing_parts:no_such_job")
    alone, parts = priced_alone_and_in_parts(conn)
    assert draft_rows(parts.rows) == draft_rows(alone.rows)


def test_a_run_drafted_in_parts_freezes_and_balances(conn: sqlite3.Connection,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(billing_parts, "SECOND_PROCESS_MIN_ACCOUNTS", 1)
    book = load_rate_book(conn)
    run, _ = draft_run(conn, 3, NOV, book, user=SUPER, at=AT)
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    frozen = freeze_run(conn, 3, NOV, book, user=SUPER, at=AT)
    assert frozen.posted == run.billed > 0
    assert check(conn).ok


def test_a_second_process_stopping_mid_way_leaves_the_rest_to_this_one(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(billing_parts, "JOB", "tests.second_process_jobs:first_slices_then_fail")
    monkeypatch.setattr(billing_parts, "SLICE_ACCOUNTS", 5)
    monkeypatch.setattr(billing_parts, "TAKE_LAST_SLICES", False)
    parts: list[int] = []
    alone, split = priced_alone_and_in_parts(
        conn, on_part=lambda bills: parts.append(len(bills)))
    assert draft_rows(split.rows) == draft_rows(alone.rows)
    assert [b.account_id for b in split.bills] == [b.account_id for b in alone.bills]
    assert parts[1:3] == [5, 5] and sum(parts) == len(alone.bills)  # two slices came


def test_a_slow_second_process_leaves_its_last_slices_to_this_one(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(billing_parts, "JOB", "tests.second_process_jobs:slow_slices")
    monkeypatch.setattr(billing_parts, "SLICE_ACCOUNTS", 3)
    parts: list[list[int]] = []
    alone, split = priced_alone_and_in_parts(
        conn, on_part=lambda bills: parts.append([b[0] for b in bills]))
    assert draft_rows(split.rows) == draft_rows(alone.rows)
    assert split.premises == alone.premises
    assert split.history_premises == alone.history_premises
    taken = [account for part in parts for account in part]
    assert taken == [b.account_id for b in alone.bills]  # handed on in account order
    # This process priced its part, the second process the first slice of its own (a second
    # a slice), and this process the others, from the last: each handed on as one part.
    second = len(alone.bills) - round(len(alone.bills) * billing_parts.SECOND_SHARE)
    assert len(parts[0]) == second and len(parts[1]) == 3
    assert len(parts) == 2 + -(-(len(alone.bills) - second - 3) // 3)


def test_with_no_file_for_the_limit_the_second_process_prices_all_its_slices(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_room(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(second_process.tempfile, "mkstemp", no_room)
    monkeypatch.setattr(billing_parts, "SLICE_ACCOUNTS", 3)
    parts: list[int] = []
    alone, split = priced_alone_and_in_parts(conn, lambda bills: parts.append(len(bills)))
    assert draft_rows(split.rows) == draft_rows(alone.rows)
    second = len(alone.bills) - round(len(alone.bills) * billing_parts.SECOND_SHARE)
    theirs = len(alone.bills) - second
    assert parts == [second] + [3] * (theirs // 3) + ([theirs % 3] if theirs % 3 else [])


def test_the_billing_screen_warms_a_second_process_only_for_a_large_cycle(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    second_process.close_kept_processes()  # those earlier tests left
    assert billing_parts.warm_second_process(conn) is False  # the small district: none
    assert not second_process._kept
    monkeypatch.setattr(billing_parts, "SECOND_PROCESS_MIN_ACCOUNTS", 1)
    try:
        assert billing_parts.warm_second_process(conn) is True
        kept = second_process._kept[0]
        assert kept.alive()
        # The draft then uses the same process rather than starting another.
        priced_alone_and_in_parts(conn)
        assert second_process._kept == [kept] and kept.alive()
    finally:
        second_process.close_kept_processes()


def test_accounts_billed_outside_the_run_are_excluded_in_every_part(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bill for the month posted outside the run (a closing bill, a manual one) excludes its
    account, whichever part prices it: this process's own, a slice of the second process's,
    or a slice this process takes from it (each part finds its own accounts' exclusions)."""
    dates = cycle_month(conn, 3, NOV)
    ids = [row[0] for row in conn.execute(billing_parts.IDS_SQL, (3,))]
    chosen = [ids[0], ids[len(ids) // 2], ids[-1]]
    with write_transaction(conn):
        for account_id in chosen:
            post(conn, Posting(account_id=account_id, entry_type=EntryType.BILL,
                               amount_cents=1234, effective_on=dates.read_start,
                               due_on=dates.due_date, actor="clerk1", reason_code="BILL",
                               comment="closing bill"), posted_at=AT)
    monkeypatch.setattr(billing_parts, "JOB", "tests.second_process_jobs:slow_slices")
    monkeypatch.setattr(billing_parts, "SLICE_ACCOUNTS", 3)  # the last slices taken here
    alone, split = priced_alone_and_in_parts(conn)
    assert draft_rows(split.rows) == draft_rows(alone.rows)
    excluded = {b.account_id: b.reason for b in alone.bills if b.outcome is Outcome.EXCLUDED}
    assert sorted(excluded) == sorted(chosen)
    assert all(reason.startswith("already billed for 2026-11: ledger entry")
               for reason in excluded.values())


def test_a_running_second_process_is_asked_before_the_cycle_is_read(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the session's kept process already running, the draft asks it before reading the
    cycle's account ids: it finds the ids and its part itself (second_part), so every one of
    its slices is the one expected and none is priced here; a small cycle it leaves alone."""
    monkeypatch.setattr(billing_parts, "TAKE_LAST_SLICES", False)
    monkeypatch.setattr(billing_parts, "SLICE_ACCOUNTS", 4)
    from db.connection import database_file

    db_file = database_file(conn)
    assert db_file is not None
    kept = second_process.kept_process(db_file, billing_parts.WARM)
    events: list[str] = []
    tickets: list[second_process.Ticket] = []

    class Watched:
        def ask(self, job: str, message: object) -> second_process.Ticket:
            events.append("asked")
            tickets.append(kept.ask(job, message))
            return tickets[-1]

    monkeypatch.setattr(billing_parts, "running_kept_process", lambda _: Watched())
    conn.set_trace_callback(
        lambda sql: events.append("ids") if sql.strip().startswith("SELECT a.id FROM routes")
        else None)

    def not_here(*args: object, **kwargs: object) -> None:
        raise AssertionError("a slice was priced here")

    monkeypatch.setattr(billing_parts, "_price_slice", not_here)
    try:
        alone, parts = priced_alone_and_in_parts(conn)
    finally:
        conn.set_trace_callback(None)
    assert events[:2] == ["asked", "ids"]
    assert draft_rows(parts.rows) == draft_rows(alone.rows)
    small = billing_parts.SECOND_PROCESS_MIN_ACCOUNTS
    assert len(alone.bills) < small  # the default threshold: priced here, the process idle
    book = load_rate_book(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        draft = billing_parts.compute_draft_in_parts(conn, cycle_month(conn, 3, NOV), book)
    finally:
        conn.execute("ROLLBACK")
    assert draft_rows(draft.rows) == draft_rows(alone.rows)
    assert len(tickets) == 2 and list(tickets[1].parts()) == [] and tickets[1].complete
