"""The billing run on a real demo district: draft, diff, approve, freeze, reconcile."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

import db.bill_print as bill_print
import db.billing_draft as billing_draft
import db.billing_post as billing_post
import db.billing_run as billing_run
from core.bill_print import B_FIELDS, clean
from core.billing import Outcome
from core.errors import InputError, PermissionDenied
from core.ledger import EntryType, Posting
from db.billing_diff import diff_run
from db.billing_inputs import inputs_mark, run_fingerprint
from db.billing_run import approve_run, draft_run, freeze_run, reconcile, stored_bills
from db.ledger import balance_of, check, post
from db.rates import load_rate_book
from db.transaction import write_transaction
from tests.billing_support import AT, CLERK, NOV, SUPER, opened_copy, read_cycle


@pytest.fixture
def conn(november_source: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    with opened_copy(november_source, tmp_path) as connection:
        yield connection


def bill_entries(conn: sqlite3.Connection) -> tuple[int, int]:
    row = conn.execute("SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM ledger_entries"
                       " WHERE entry_type = 'bill' AND reason_code = 'BILL'").fetchone()
    return row[0], row[1]


def add_unmetered_account(conn: sqlite3.Connection, kind: str = "single_family") -> str:
    """An active account on a cycle 3 premise with no meter: nothing to read."""
    route = conn.execute("SELECT id FROM routes WHERE cycle_id = 3 LIMIT 1").fetchone()[0]
    customer = conn.execute("SELECT id FROM customers LIMIT 1").fetchone()[0]
    with conn:
        premise = conn.execute(
            "INSERT INTO premises (line1, city, service_class, kind, route_id)"
            " VALUES ('1 New Rd', 'Mesa Verde', 'residential', ?, ?)", (kind, route)).lastrowid
        conn.execute("INSERT INTO accounts (number, customer_id, premise_id, status, mail_line1,"
                     " mail_city, opened_on) VALUES (?, ?, ?, 'active', '1 New Rd',"
                     " 'Mesa Verde', '2025-01-01')", (f"9{premise:06d}-01", customer, premise))
    return f"9{premise:06d}-01"


def test_draft_prices_every_account_explains_each_line_and_posts_nothing(
        conn: sqlite3.Connection) -> None:
    missing = add_unmetered_account(conn)
    no_class = add_unmetered_account(conn, kind="hydrant")
    before = bill_entries(conn)
    run, draft = draft_run(conn, 3, NOV, load_rate_book(conn), user=CLERK, at=AT)
    assert bill_entries(conn) == before
    assert run.status == "draft" and run.billed > 0
    assert run.billed + run.held + run.excluded == len(draft.bills)
    by_number = {b.number: b for b in draft.bills}
    assert by_number[missing].outcome == Outcome.HELD
    assert "missing read" in by_number[missing].reason
    assert by_number[no_class].outcome == Outcome.HELD
    assert "no rate class" in by_number[no_class].reason
    billed = [b for b in draft.bills if b.outcome == Outcome.BILLED]
    for bill in billed:
        assert sum(line.amount_cents for line in bill.lines) == bill.total_cents
        assert all(line.explanation and len(line.rate_sha256) >= 64 for line in bill.lines)
    residential = next(b for b in billed if b.rate_class == "residential")
    sewer = [ln.label for ln in residential.lines if "winter" in ln.label]
    assert sewer and "no winter history" not in sewer[0]  # Dec-Feb use from the reads
    run_lines = ("SELECT COUNT(*) FROM bill_lines l JOIN bills b ON b.id = l.bill_id"
                 " WHERE b.run_id = ?")
    stored = conn.execute(run_lines, (run.id,)).fetchone()[0]
    assert stored == sum(len(b.lines) for b in billed)
    # What the draft hashed as it wrote is what the freeze will read back.
    assert run_fingerprint(conn, run.id) == run.fingerprint
    again, _ = draft_run(conn, 3, NOV, load_rate_book(conn), user=CLERK, at=AT)
    assert again.id == run.id and again.fingerprint == run.fingerprint
    assert conn.execute(run_lines, (run.id,)).fetchone()[0] == stored


def test_freeze_posts_the_approved_draft_once_with_the_stored_dates(
        conn: sqlite3.Connection) -> None:
    book = load_rate_book(conn)
    run, _ = draft_run(conn, 3, NOV, book, user=CLERK, at=AT)
    with pytest.raises(InputError, match="not approved"):
        freeze_run(conn, 3, NOV, book, user=SUPER, at=AT)
    with pytest.raises(PermissionDenied):
        approve_run(conn, 3, NOV, user=CLERK, at=AT)
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    before = bill_entries(conn)
    done = freeze_run(conn, 3, NOV, book, user=SUPER, at=AT)
    assert done.posted == run.billed and not done.already
    count, cents = bill_entries(conn)
    assert (count - before[0], cents - before[1]) == (run.billed, run.total_cents)
    due = conn.execute("SELECT on_date, used_by FROM schedule_dates WHERE cycle_id = 3"
                       " AND month = '2026-11' AND event = 'due'").fetchone()
    assert due[1].startswith("billing run")
    assert {r[0] for r in conn.execute("SELECT due_on FROM ledger_entries"
                                       " WHERE reason_code = 'BILL'")} == {due[0]}
    assert freeze_run(conn, 3, NOV, book, user=SUPER, at=AT).already
    assert bill_entries(conn) == (count, cents)
    with pytest.raises(InputError, match="never billed twice"):
        draft_run(conn, 3, NOV, book, user=CLERK, at=AT)
    with pytest.raises(sqlite3.DatabaseError, match="never edited"):
        conn.execute("UPDATE bill_rows SET total_cents = 1 WHERE run_id = ?", (run.id,))
    with pytest.raises(sqlite3.DatabaseError, match="frozen"):
        conn.execute("DELETE FROM bill_rows WHERE run_id = ?", (run.id,))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM bill_entries")
    found = reconcile(conn, 3, NOV)
    assert found.ok and found.billed == run.billed and found.ledger_cents == run.total_cents


def test_a_crash_half_way_through_freeze_posts_nothing(conn: sqlite3.Connection) -> None:
    book = load_rate_book(conn)
    draft_run(conn, 3, NOV, book, user=CLERK, at=AT)
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    conn.execute(  # the fifth bill entry fails, as a full disk or a power cut would
        "CREATE TEMP TRIGGER power_cut BEFORE INSERT ON main.ledger_entries"
        " WHEN NEW.reason_code = 'BILL' AND (SELECT COUNT(*) FROM main.ledger_entries"
        " WHERE reason_code = 'BILL' AND reference LIKE 'RUN %') >= 4"
        " BEGIN SELECT RAISE(ABORT, 'power cut'); END")
    before = bill_entries(conn)
    balances = conn.execute("SELECT SUM(balance_cents) FROM account_balances").fetchone()
    with pytest.raises(sqlite3.DatabaseError, match="power cut"):
        freeze_run(conn, 3, NOV, book, user=SUPER, at=AT)
    assert bill_entries(conn) == before
    assert conn.execute("SELECT SUM(balance_cents) FROM account_balances").fetchone() \
        == balances
    assert billing_run.require_run(conn, 3, NOV).status == "approved"
    assert conn.execute("SELECT count(*) FROM ledger_bulk_postings").fetchone()[0] == 0
    conn.execute("DROP TRIGGER temp.power_cut")
    assert freeze_run(conn, 3, NOV, book, user=SUPER, at=AT).posted > 0


def test_set_based_posting_keeps_the_balances_and_control_totals(
        conn: sqlite3.Connection) -> None:
    book = load_rate_book(conn)
    run, _ = draft_run(conn, 3, NOV, book, user=CLERK, at=AT)
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    balances = dict(conn.execute("SELECT account_id, balance_cents FROM account_balances"))
    freeze_run(conn, 3, NOV, book, user=SUPER, at=AT)
    assert check(conn).ok  # balances and control totals added set-based (migration 0013)
    assert conn.execute("SELECT count(*) FROM ledger_bulk_postings").fetchone()[0] == 0
    for account_id, cents in conn.execute("SELECT account_id, total_cents FROM bills"
                                          " WHERE run_id = ? AND outcome = 'billed'",
                                          (run.id,)):
        assert balance_of(conn, account_id)[0] == balances.get(account_id, 0) + cents
    # An entry posted after the bulk posting runs the per-entry trigger again.
    account_id = conn.execute("SELECT account_id FROM bills WHERE run_id = ? AND outcome ="
                              " 'billed' LIMIT 1", (run.id,)).fetchone()[0]
    owed = balance_of(conn, account_id)[0]
    with write_transaction(conn):
        post(conn, Posting(account_id=account_id, entry_type=EntryType.PAYMENT,
                           amount_cents=-1234, effective_on=date(2026, 11, 25), actor="clerk1",
                           reason_code="PAY", comment="counter payment"),
             posted_at="2026-11-25T10:00:00")
    assert balance_of(conn, account_id)[0] == owed - 1234
    assert check(conn).ok
    rows = conn.execute("SELECT b.id, b.account_id, b.total_cents, e.account_id,"
                        " e.amount_cents, e.reference FROM bills b JOIN ledger_entries e"
                        " ON e.id = b.ledger_entry_id WHERE b.run_id = ?", (run.id,)).fetchall()
    assert len(rows) == run.billed
    assert all(r[1] == r[3] and r[2] == r[4] and r[5] == f"RUN {run.id} BILL {r[0]}"
               for r in rows)


def _change_a_read(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE meter_reads SET reading = reading + 1 WHERE id = (SELECT MAX(id)"
                 " FROM meter_reads)")


def _open_a_read_exception(conn: sqlite3.Connection) -> None:
    account, meter = conn.execute(
        "SELECT b.account_id, m.id FROM bills b JOIN accounts a ON a.id = b.account_id"
        " JOIN meters m ON m.premise_id = a.premise_id WHERE b.outcome = 'billed'"
        " AND b.run_id = (SELECT id FROM billing_runs WHERE status = 'approved')"
        " LIMIT 1").fetchone()
    conn.execute("INSERT INTO read_exceptions (meter_id, account_id, cycle_id, read_on,"
                 " rule_id, severity, severity_rank, verdict, explanation, opened_by,"
                 " opened_at) VALUES (?, ?, 3, '2026-11-17', 'HIGH', 'warning', 1, 'hold',"
                 " 'high use', 'tester', ?)", (meter, account, AT))


def _change_a_premise(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE premises SET kind = 'commercial' WHERE id = (SELECT"
                 " a.premise_id FROM bills b JOIN accounts a ON a.id = b.account_id"
                 " WHERE b.outcome = 'billed' AND b.run_id = (SELECT id FROM billing_runs"
                 " WHERE status = 'approved') LIMIT 1)")


def _change_an_account(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE accounts SET opened_on = '2026-11-01' WHERE id = (SELECT account_id"
                 " FROM bills WHERE outcome = 'billed' AND run_id = (SELECT id FROM"
                 " billing_runs WHERE status = 'approved') LIMIT 1)")


def _change_a_stored_bill(conn: sqlite3.Connection) -> None:
    """A line removed by hand (editing one is refused outright: see the next test)."""
    conn.execute("DELETE FROM bill_set_lines WHERE (set_id, seq) = (SELECT l.set_id, l.seq"
                 " FROM bill_set_lines l JOIN bill_line_sets s ON s.id = l.set_id"
                 " JOIN billing_runs r ON r.id = s.run_id WHERE r.status = 'approved'"
                 " ORDER BY l.set_id, l.seq LIMIT 1)")


@pytest.mark.parametrize("change", [add_unmetered_account, _change_a_read,
                                    _open_a_read_exception, _change_a_premise,
                                    _change_an_account, _change_a_stored_bill])
def test_any_input_that_moves_after_approval_refuses_the_freeze(
        conn: sqlite3.Connection, change: Callable[[sqlite3.Connection], object]) -> None:
    book = load_rate_book(conn)
    draft_run(conn, 3, NOV, book, user=CLERK, at=AT)
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    with conn:
        change(conn)
    before = bill_entries(conn)
    with pytest.raises(InputError, match="changed since the draft was approved"):
        freeze_run(conn, 3, NOV, book, user=SUPER, at=AT)
    assert bill_entries(conn) == before


def test_a_stored_bill_or_line_is_never_edited(conn: sqlite3.Connection) -> None:
    run, _ = draft_run(conn, 3, NOV, load_rate_book(conn), user=CLERK, at=AT)
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    for sql in ("UPDATE bill_rows SET total_cents = total_cents + 1 WHERE run_id = ?",
                "UPDATE bill_rows SET usage_history = '' WHERE run_id = ?",
                "UPDATE bill_set_lines SET label = 'x' WHERE set_id IN"
                " (SELECT line_set_id FROM bills WHERE run_id = ?)",
                "UPDATE bill_rows SET line_set_id = NULL WHERE run_id = ?"):
        with pytest.raises(sqlite3.DatabaseError, match="never edited"), conn:
            conn.execute(sql, (run.id,))


def test_a_changed_rate_file_refuses_the_freeze(conn: sqlite3.Connection) -> None:
    """A rate file the bills were priced from is not the one in force at the freeze."""
    book = load_rate_book(conn)
    draft_run(conn, 3, NOV, book, user=CLERK, at=AT)
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    name = "residential"
    *older, newest = book.by_class[name]
    edited = replace(newest, ref=replace(newest.ref, sha256="0" * 64))
    moved = replace(book, by_class={**book.by_class, name: (*older, edited)})
    with pytest.raises(InputError, match="changed since the draft was approved"):
        freeze_run(conn, 3, NOV, moved, user=SUPER, at=AT)
    assert freeze_run(conn, 3, NOV, book, user=SUPER, at=AT).posted > 0


def test_reconcile_names_an_account_the_run_does_not_cover(conn: sqlite3.Connection) -> None:
    book = load_rate_book(conn)
    draft_run(conn, 3, NOV, book, user=CLERK, at=AT)
    assert not reconcile(conn, 3, NOV).ok  # a draft bills nothing yet
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    freeze_run(conn, 3, NOV, book, user=SUPER, at=AT)
    late = add_unmetered_account(conn)
    found = reconcile(conn, 3, NOV)
    assert not found.ok and [n for n, _ in found.unaccounted] == [late]


def test_diff_against_demo_history_puts_holds_and_big_changes_first(
        conn: sqlite3.Connection) -> None:
    add_unmetered_account(conn)
    run, _ = draft_run(conn, 3, NOV, load_rate_book(conn), user=CLERK, at=AT)
    found = diff_run(conn, 3, NOV)
    assert "demo history" in found.basis
    assert found.rows[0].outcome == Outcome.HELD
    billed = [r for r in found.rows if r.outcome == Outcome.BILLED]
    changes = [abs(r.change_cents) for r in billed]
    assert changes == sorted(changes, reverse=True)
    assert found.total_cents == run.total_cents
    assert all(r.last_cents is not None for r in billed)
    assert len(stored_bills(conn, run.id)) == len(found.rows)


def test_next_month_diffs_against_the_frozen_run_and_redraft_clears_approval(
        conn: sqlite3.Connection) -> None:
    book = load_rate_book(conn)
    november, _ = draft_run(conn, 3, NOV, book, user=CLERK, at=AT)
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    freeze_run(conn, 3, NOV, book, user=SUPER, at=AT)
    day = conn.execute("SELECT on_date FROM schedule_dates WHERE cycle_id = 3"
                       " AND month = '2026-12' AND event = 'read_start'").fetchone()[0]
    read_cycle(conn, 3, date.fromisoformat(day), usage=20)
    december = date(2026, 12, 1)
    draft_run(conn, 3, december, book, user=CLERK, at=AT)
    assert approve_run(conn, 3, december, user=SUPER, at=AT).status == "approved"
    again, _ = draft_run(conn, 3, december, book, user=CLERK, at=AT)
    assert again.status == "draft" and again.approved_by is None
    found = diff_run(conn, 3, december)
    assert found.basis.startswith(f"billing run {november.id}")
    assert found.last_total_cents == november.total_cents
    assert all(r.last_usage_hcf is not None for r in found.rows if r.outcome == "billed")


def test_print_file_cleans_customer_text(conn: sqlite3.Connection, tmp_path: Path) -> None:
    """A pipe or line break in customer text never splits a record (FORMATS.md §4.2)."""
    book = load_rate_book(conn)
    _, draft = draft_run(conn, 3, NOV, book, user=CLERK, at=AT)
    billed = next(b for b in draft.bills if b.outcome == Outcome.BILLED)
    with conn:
        conn.execute("UPDATE customers SET name = ' Acme | Water\r\nDistrict ' WHERE id ="
                     " (SELECT customer_id FROM accounts WHERE id = ?)", (billed.account_id,))
        conn.execute("UPDATE accounts SET mail_line2 = '\u3000Lot 5|rear\xa0' WHERE id = ?",
                     (billed.account_id,))
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    freeze_run(conn, 3, NOV, book, user=SUPER, at=AT)
    out = tmp_path / "bills.txt"
    bill_print.write_print_file(conn, 3, NOV, out, generated_at=AT)
    record = next(line for line in out.read_text().splitlines()
                  if line.startswith(f"B|{billed.number}|"))
    fields = record.split("|")
    assert len(fields) == 1 + len(B_FIELDS)
    assert fields[1 + B_FIELDS.index("customer_name")] == clean(" Acme | Water\r\nDistrict ")
    assert fields[1 + B_FIELDS.index("customer_name")] == "Acme / Water  District"
    assert fields[1 + B_FIELDS.index("mail_line2")] == "Lot 5/rear"


def test_extending_the_last_bills_history_prices_as_the_full_read_history_does(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's last run carries each account's history; the draft extends it. Priced from
    13 months of reads instead, every bill, line, history and read record is the same."""
    dates = billing_draft.cycle_month(conn, 3, NOV)
    book = load_rate_book(conn)
    fast = billing_draft.compute_draft(conn, dates, book)
    real_inputs = billing_draft.draft_inputs

    def without_history(*args: object, **kwargs: object) -> billing_draft.DraftInputs:
        return replace(real_inputs(*args, **kwargs), previous={})  # type: ignore[arg-type]

    monkeypatch.setattr(billing_draft, "draft_inputs", without_history)
    full = billing_draft.compute_draft(conn, dates, book)
    metered = [b for b in fast.bills if b.history]
    assert len(metered) > 20 and not fast.history_premises
    assert set(full.history_premises) >= {fast.premises[b.account_id] for b in metered}
    assert fast.bills == full.bills
    assert any(b.history.count(";") == 12 for b in metered)  # 13 periods
    sewer = [b for b in metered if any("winter" in ln.label for ln in b.lines)]
    assert sewer and all("no winter history" not in ln.label for b in sewer for ln in b.lines)


def test_a_read_moved_in_a_premises_full_history_refuses_the_freeze(
        conn: sqlite3.Connection) -> None:
    """A premise with no posted bill to extend is priced from 13 months of its reads: a read
    moved there changes its usage history, so pricing again at the freeze differs."""
    account, premise = conn.execute(
        "SELECT b.account_id, a.premise_id FROM bills b JOIN accounts a ON a.id = b.account_id"
        " JOIN premises p ON p.id = a.premise_id JOIN routes r ON r.id = p.route_id"
        " WHERE r.cycle_id = 3 AND b.usage_history <> '' LIMIT 1").fetchone()
    with conn:  # its last bill forgets its history: the draft must read the premise's reads
        conn.execute("DROP TRIGGER bill_rows_never_edited")
        conn.execute("DROP TRIGGER bill_rows_frozen_no_update")
        conn.execute("UPDATE bill_rows SET usage_history = '' WHERE account_id = ?",
                     (account,))
    book = load_rate_book(conn)
    _, draft = draft_run(conn, 3, NOV, book, user=CLERK, at=AT)
    assert draft.history_premises == (premise,)
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    with conn:  # a read eight months back, outside the period's window
        conn.execute("UPDATE meter_reads SET reading = reading + 1 WHERE id = (SELECT r.id"
                     " FROM meter_reads r JOIN meters m ON m.id = r.meter_id"
                     " WHERE m.premise_id = ? AND r.read_on < '2026-04-01'"
                     " ORDER BY r.read_on DESC LIMIT 1)", (premise,))
    with pytest.raises(InputError, match="changed since the draft was approved"):
        freeze_run(conn, 3, NOV, book, user=SUPER, at=AT)


def test_a_freeze_with_nothing_moved_does_not_price_again(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    book = load_rate_book(conn)
    run, _ = draft_run(conn, 3, NOV, book, user=CLERK, at=AT)
    approve_run(conn, 3, NOV, user=SUPER, at=AT)

    def not_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cycle was priced again")

    monkeypatch.setattr(billing_run, "compute_draft_in_parts", not_again)
    assert freeze_run(conn, 3, NOV, book, user=SUPER, at=AT).posted == run.billed


@pytest.mark.parametrize("change", [
    "INSERT INTO meter_reads (meter_id, read_on, reading, kind, source, created_by, created_at)"
    " SELECT id, '2026-11-18', 1, 'actual', 't', 't', 'now' FROM meters LIMIT 1",
    "UPDATE meter_reads SET note_text = 'x' WHERE id = (SELECT max(id) FROM meter_reads)",
    "UPDATE accounts SET mail_line2 = 'x' WHERE id = 1",
    "UPDATE premises SET dwelling_units = dwelling_units WHERE id = 1",
    "UPDATE cycles SET description = description || '.' WHERE id = 3",
    "INSERT INTO settings (key, value, updated_by, updated_at) VALUES ('k', '1', 't', 'now')",
])
def test_any_write_to_an_input_table_moves_the_mark(conn: sqlite3.Connection,
                                                    change: str) -> None:
    book = load_rate_book(conn)
    before = inputs_mark(conn, book)
    with conn:
        changed = conn.execute(change).rowcount
    assert changed == 1 and inputs_mark(conn, book) != before


def test_a_freeze_after_an_unrelated_write_prices_again_and_posts(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read for another cycle moves the mark but not this cycle's bills: priced again, the
    bills are the approved ones, so the freeze posts them."""
    book = load_rate_book(conn)
    run, _ = draft_run(conn, 3, NOV, book, user=CLERK, at=AT)
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    read_cycle(conn, 4, date(2026, 11, 19))
    priced = []
    real = billing_run.compute_draft_in_parts
    monkeypatch.setattr(billing_run, "compute_draft_in_parts",
                        lambda *a, **k: priced.append(1) or real(*a, **k))
    assert freeze_run(conn, 3, NOV, book, user=SUPER, at=AT).posted == run.billed
    assert priced == [1]


def test_the_demo_records_each_cycles_last_month_as_a_frozen_run(
        conn: sqlite3.Connection) -> None:
    runs = conn.execute("SELECT id, cycle_id, status, billed_count, total_cents FROM"
                        " billing_runs WHERE fingerprint = 'demo history'").fetchall()
    assert sorted(r["cycle_id"] for r in runs) == [1, 2, 3, 4]
    for run in runs:
        assert run["status"] == "frozen"
        count, cents, posted, histories = conn.execute(
            "SELECT count(*), sum(b.total_cents), sum(e.amount_cents),"
            " sum(b.usage_history <> '') FROM bills b"
            " JOIN ledger_entries e ON e.id = b.ledger_entry_id AND e.entry_type = 'bill'"
            " AND e.account_id = b.account_id WHERE b.run_id = ?", (run["id"],)).fetchone()
        assert (count, cents) == (run["billed_count"], run["total_cents"]) and cents == posted
        assert histories > count * 0.8  # metered accounts carry their 13 periods


def test_drafting_another_cycle_does_not_make_this_freeze_price_again(
        conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    """A supervisor drafts every cycle, then approves and freezes each: another cycle's new
    draft bills are not this draft's inputs (it reads posted bills only)."""
    book = load_rate_book(conn)
    run, _ = draft_run(conn, 3, NOV, book, user=CLERK, at=AT)
    read_cycle(conn, 4, date(2026, 11, 25))
    draft_run(conn, 4, NOV, book, user=CLERK, at=AT)
    draft_run(conn, 3, NOV, book, user=CLERK, at=AT)  # after cycle 4's reads came in
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    draft_run(conn, 4, NOV, book, user=CLERK, at=AT)  # cycle 4 drafted again meanwhile

    def not_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cycle was priced again")

    monkeypatch.setattr(billing_run, "compute_draft_in_parts", not_again)
    assert freeze_run(conn, 3, NOV, book, user=SUPER, at=AT).posted == run.billed


def test_an_eto_file_updated_after_the_draft_moves_the_inputs_mark(tmp_path: Path) -> None:
    """Water budgets are priced from the ETo file beside the rate files (RULES.md §5.2),
    which the district updates as CIMIS reports: new values are an input that moved, so the
    freeze prices again (db.billing_inputs)."""
    import shutil

    from core.rate_book import load_rate_folder
    from db.billing_inputs import rates_fingerprint

    folder = tmp_path / "rates"
    shutil.copytree(Path(__file__).parent.parent / "fixtures" / "rates", folder)
    book = load_rate_folder(folder)
    again = load_rate_folder(folder)
    assert rates_fingerprint(again) == rates_fingerprint(book)
    eto = folder / "eto-high-mesa.csv"
    eto.write_text(eto.read_text(encoding="utf-8").replace("04,6.13", "04,6.31"),
                   encoding="utf-8")
    updated = load_rate_folder(folder)
    assert [s.ref.sha256 for s in updated.schedules()] == [s.ref.sha256
                                                           for s in book.schedules()]
    assert rates_fingerprint(updated) != rates_fingerprint(book)


def test_bill_rows_keep_one_index_by_account(conn: sqlite3.Connection) -> None:
    """Migration 0015: a stored bill is written into one index by account, which serves an
    account's bills and the latest bill a draft extends (held and flat bills included, so
    the draft's filter on a history is applied to the row)."""
    indexes = {name: sql for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bill_rows'")}
    assert set(indexes) == {"sqlite_autoindex_bill_rows_1", "bill_rows_history"}
    assert "WHERE" not in indexes["bill_rows_history"]
    plan = " ".join(row[3] for row in conn.execute(
        "EXPLAIN QUERY PLAN " + billing_draft.PREVIOUS_SQL, ("[1]", "2026-11-01")))
    assert "bill_rows_history (account_id=? AND period_end<?)" in plan
    account = conn.execute("SELECT account_id FROM bill_rows LIMIT 1").fetchone()[0]
    plan = " ".join(row[3] for row in conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM bills WHERE account_id = ?", (account,)))
    assert "bill_rows_history (account_id=?)" in plan


def test_the_posting_reads_each_bill_by_its_id(conn: sqlite3.Connection) -> None:
    """The freeze's ledger insert walks the run's postings in entry order and finds each bill
    by its id; the planner's own choice scanned every bill of every run and sorted."""
    conn.execute("CREATE TEMP TABLE bill_postings (bill_id INTEGER PRIMARY KEY,"
                 " entry_id INTEGER NOT NULL UNIQUE)")
    try:
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + billing_post.INSERT_SQL, {
            "bill_on": "2026-11-20", "due_on": "2026-12-10", "at": AT, "actor": "x",
            "reason": "BILL"})]
    finally:
        conn.execute("DROP TABLE temp.bill_postings")
    assert plan[:2] == ["SCAN p USING COVERING INDEX sqlite_autoindex_bill_postings_1",
                        "SEARCH b USING INTEGER PRIMARY KEY (rowid=?)"]
    assert not any("TEMP B-TREE" in step for step in plan)


def test_a_part_of_a_cycle_is_read_from_its_own_accounts(conn: sqlite3.Connection) -> None:
    """When a cycle's ids lie close together, a slice's accounts and exclusions are read from
    its id range of accounts, not by walking the whole cycle's routes (a 2,000-account slice:
    9.7 against 4.4 ms, and 5.4 against 1.3 ms); otherwise, and for the whole cycle, from
    the routes."""
    dates = billing_draft.cycle_month(conn, 3, NOV)
    every = billing_draft.cycle_accounts(conn, 3)
    some = (every[3]["id"], every[7]["id"])
    asked: list[str] = []
    conn.set_trace_callback(asked.append)
    try:
        part = billing_draft.cycle_accounts(conn, 3, some, by_range=True)
        routed = billing_draft.cycle_accounts(conn, 3, some)
        billing_draft.already_billed(conn, dates, None, some, by_range=True)
        billing_draft.already_billed(conn, dates, None, some)
        billing_draft.already_billed(conn, dates, None, by_range=True)  # the whole cycle
    finally:
        conn.set_trace_callback(None)
    assert [row["id"] for row in part] == [row["id"] for row in routed] == [
        row["id"] for row in every[3:8]]
    assert ["FROM accounts a CROSS JOIN premises" in sql for sql in asked] == [
        True, False, True, False, False]
    exclusions = {"cycle": 3, "first": 1, "last": 50, "run": None, "since": "2026-11-01",
                  "until": "2026-12-25"}
    for template, params in ((billing_draft.ACCOUNTS_SQL, (3, 1, 50)),
                             (billing_draft.ALREADY_BILLED_SQL, exclusions)):
        sql = template.format(accounts=billing_draft.BY_ACCOUNTS)
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        assert plan[0] == "SEARCH a USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"


def test_a_cycle_whose_ids_are_spread_out_is_read_by_its_routes() -> None:
    """Accounts opened over the years spread a cycle's ids among the other cycles': an id
    range then holds more of theirs than of its own."""
    assert billing_draft.close_together(range(100, 124))
    assert billing_draft.close_together([1, 3, 5, 7])  # every other id: still
    assert not billing_draft.close_together([1, 5, 9, 13])  # a cycle of four, interleaved
    assert not billing_draft.close_together([])


def test_an_eto_file_updated_between_approval_and_freeze_refuses_the_freeze(
        conn: sqlite3.Connection, tmp_path: Path) -> None:
    """End to end (RULES.md §5.2): the district's ETo values are updated after the supervisor
    approved cycle 3, whose landscape account is priced on a water budget. The freeze prices
    again, finds the budget bill changed, and posts nothing; drafted and approved again from
    the new values, the run posts them."""
    import shutil

    from core.rate_book import load_rate_folder
    from db.rates import bundled_rates_folder

    folder = tmp_path / "rates"
    shutil.copytree(bundled_rates_folder(), folder)
    book = load_rate_folder(folder)
    run, _ = draft_run(conn, 3, NOV, book, user=CLERK, at=AT)
    landscape = ("SELECT group_concat(l.explanation, ' / ') FROM bill_rows b"
                 " JOIN bill_set_lines l ON l.set_id = b.line_set_id WHERE b.run_id = ?"
                 " AND b.rate_class = 'landscape' AND b.outcome = 'billed'")
    (approved,) = conn.execute(landscape, (run.id,)).fetchone()
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    eto = folder / "eto-high-mesa.csv"  # the period is 2026-10-19 to 2026-11-17
    eto.write_text(eto.read_text(encoding="utf-8").replace("10,4.47", "10,5.47")
                   .replace("11,2.73", "11,3.73"), encoding="utf-8")
    updated = load_rate_folder(folder)
    before = bill_entries(conn)
    with pytest.raises(InputError, match="changed since the draft was approved"):
        freeze_run(conn, 3, NOV, updated, user=SUPER, at=AT)
    assert bill_entries(conn) == before
    assert conn.execute("SELECT status FROM billing_runs WHERE id = ?",
                        (run.id,)).fetchone()[0] == "approved"
    run, _ = draft_run(conn, 3, NOV, updated, user=CLERK, at=AT)
    (repriced,) = conn.execute(landscape, (run.id,)).fetchone()
    assert repriced != approved  # the budget's outdoor allowance, so its tiers, moved
    approve_run(conn, 3, NOV, user=SUPER, at=AT)
    posted = freeze_run(conn, 3, NOV, updated, user=SUPER, at=AT)
    assert posted.posted == run.billed
    assert bill_entries(conn)[1] - before[1] == run.total_cents
