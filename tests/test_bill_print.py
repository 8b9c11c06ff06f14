"""The print file's fast paths write exactly what the layout, read field by field, writes."""
from __future__ import annotations

import sqlite3
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.bill_print import B_FIELDS, LAYOUT_VERSION, PrintFile, clean, clean_fields, record
from core.billing import Outcome, scan_line
from core.money import round_ratio_half_up
from core.usage_history import history_record
from db.bill_print import (
    BILLS_SQL,
    LINES_SQL,
    bill_records,
    bill_rows,
    bill_terms,
    bills_of,
    build_print_file,
)
from db.billing_draft import Draft
from db.billing_run import Run, freeze_run, require_run
from db.rates import load_rate_book
from db.settings import load_settings
from tests.billing_support import AT, NOV, SUPER, approved_november, opened_copy

# Customer text a clerk or an import can leave behind: pipes, line breaks, tabs, spaces at
# either end, Unicode spaces and letters.
AWKWARD = [" Acme | Water\r\nDistrict ", "\u3000Lot 5|rear\xa0", "\tTabbed\t", "é|\n", "",
           " x ", "Ünïcødé — ok", "a\u2028b", "trail\x1c", "|"]

field_text = st.text(st.sampled_from("ab é|\n\r\t\x0b\x1c\x85\xa0\u2028\u3000,-'"), max_size=8)


@given(st.lists(field_text | st.none() | st.integers(-5, 5) | st.text(max_size=6),
                max_size=10))
def test_the_joined_test_cleans_as_each_field_would(values: list[object]) -> None:
    assert clean_fields(values) == "|".join(map(clean, values))


def test_the_space_is_the_only_printable_character_strip_removes() -> None:
    """clean_fields relies on it: in printable text only spaces can be stripped."""
    assert [c for c in map(chr, range(sys.maxunicode + 1))
            if c.isspace() and c.isprintable()] == [" "]


def awkward_customer_text(conn: sqlite3.Connection, draft: Draft) -> None:
    """The first billed accounts' names and second mail lines made AWKWARD."""
    billed = [b for b in draft.bills if b.outcome == Outcome.BILLED]
    with conn:
        for bill, text in zip(billed, AWKWARD, strict=False):
            conn.execute("UPDATE customers SET name = ? WHERE id ="
                         " (SELECT customer_id FROM accounts WHERE id = ?)",
                         (text, bill.account_id))
            conn.execute("UPDATE accounts SET mail_line2 = ? WHERE id = ?",
                         (text, bill.account_id))


@pytest.fixture(scope="module")
def frozen_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small district with cycle 3's November run frozen, some customer text awkward."""
    with approved_november(tmp_path_factory.mktemp("print"),
                           after_draft=awkward_customer_text) as (path, conn):
        freeze_run(conn, 3, NOV, load_rate_book(conn), user=SUPER, at=AT)
    return path


@pytest.fixture
def conn(frozen_source: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    with opened_copy(frozen_source, tmp_path) as connection:
        yield connection


# The reference: each bill's balance, payments and adjustments by a query of their own.
REFERENCE_BALANCES_SQL = """
SELECT b.id, ab.balance_cents - COALESCE(t.since, 0),
       (SELECT COALESCE(SUM(e.amount_cents), 0) FROM ledger_entries e
         WHERE e.account_id = b.account_id AND e.effective_on > b.period_start
           AND e.id < b.ledger_entry_id AND e.book = 'receivable'
           AND e.entry_type IN ('payment', 'returned_payment')),
       (SELECT COALESCE(SUM(e.amount_cents), 0) FROM ledger_entries e
         WHERE e.account_id = b.account_id AND e.effective_on > b.period_start
           AND e.id < b.ledger_entry_id AND e.book = 'receivable'
           AND e.entry_type NOT IN ('payment', 'returned_payment', 'bill'))
  FROM bills b
  JOIN account_balances ab ON ab.account_id = b.account_id
  LEFT JOIN (SELECT account_id, SUM(amount_cents) AS since FROM ledger_entries
              WHERE id >= :first AND book = 'receivable' GROUP BY account_id) t
         ON t.account_id = b.account_id
 WHERE b.run_id = :run AND b.outcome = 'billed'
"""


def reference_print_file(conn: sqlite3.Connection, run: Run) -> str:
    """FORMATS.md §4.2 read plainly: every B field through `clean`, one record at a time."""
    settings = load_settings(conn)
    ratio = Decimal(settings.late_fee_percent).as_integer_ratio()
    first = conn.execute("SELECT MIN(ledger_entry_id) FROM bills WHERE run_id = ?",
                         (run.id,)).fetchone()[0]
    every = ("", "\uffff")  # account numbers are ASCII
    rows = conn.execute(BILLS_SQL, bills_of(run.id, first, bound=None, numbers=every)).fetchall()
    balances = {r[0]: tuple(r[1:]) for r in conn.execute(
        REFERENCE_BALANCES_SQL, {"run": run.id, "first": first})}
    charges: dict[int, list[str]] = {}
    for set_id, component, *values in conn.execute(LINES_SQL, (run.id,)):
        charges.setdefault(set_id, []).append(record(
            "C", ["sewer" if component == "wastewater" else "water", *values]))
    due = date.fromisoformat(run.due_date)
    out = PrintFile()
    out.add("H", [run.id, run.cycle_id, run.bill_date, AT, LAYOUT_VERSION])
    out.add("M", ["global", f"{settings.district_name}: questions about your bill? "
                            "Call the billing office."])
    for row in rows:
        bill_id, start, end, estimated, current, number, history, reads, line_set = row[:9]
        email, autopay = row[9], row[10]
        before, payments, adjustments = balances.get(bill_id, (0, 0, 0))
        total = before + current
        after_due = total + max(settings.late_fee_flat_cents,
                                round_ratio_half_up(current * ratio[0], 100 * ratio[1]))
        fields = [*row[14:], run.bill_date, run.due_date, start, end,
                  (date.fromisoformat(end) - date.fromisoformat(start)).days,
                  before - payments - adjustments, payments, adjustments, current,
                  max(before, 0), total, after_due, "Y" if autopay else "N",
                  f"DO NOT PAY - ACH ON {due:%m/%d}" if autopay else "", "N", email,
                  "PAST DUE" if before > 0 else "", "", "",
                  scan_line(number, due, 0, max(total, 0), max(after_due, 0))]
        assert len(fields) == len(B_FIELDS)
        out.add("B", fields)
        out.bills += 1
        out.current_cents += current
        out.total_due_cents += total
        for line in [*(reads.split("\n") if reads else []), *charges.get(line_set, [])]:
            out.lines.append(line)  # R records as the draft stored them, then C records
            out.counts[line[0]] += 1
        out.lines.append(history_record(history))
        out.counts["U"] += 1
        if estimated:
            out.add("M", ["account", "Your meter could not be read this month; this bill is "
                                     "estimated and will be trued up at the next read."])
    out.trailer()
    return out.text()


def test_the_print_file_is_the_plain_reading_of_the_layout(conn: sqlite3.Connection) -> None:
    run = require_run(conn, 3, NOV)
    written = build_print_file(conn, run, AT).text()
    assert written == reference_print_file(conn, run)
    assert "Acme / Water  District" in written and "|Lot 5/rear|" in written


def test_bills_written_in_slices_join_to_the_whole_run(conn: sqlite3.Connection) -> None:
    """Any split of the run's rows writes the same records, counts and amounts."""
    run = require_run(conn, 3, NOV)
    whole = build_print_file(conn, run, AT)
    rows = bill_rows(conn, run)
    terms = bill_terms(conn, run, load_settings(conn))
    assert len(rows) == whole.bills > 3
    for cut in (0, 1, len(rows) // 2, len(rows)):
        parts = [bill_records(rows[:cut], terms), bill_records(rows[cut:], terms)]
        assert "\n".join(p.text for p in parts if p.text) == whole.lines[2]
        assert sum((p.counts for p in parts), Counter()) + Counter("HMT") == whole.counts
        assert sum(p.bills for p in parts) == whole.bills
        assert sum(p.current_cents for p in parts) == whole.current_cents
        assert sum(p.total_due_cents for p in parts) == whole.total_due_cents


def test_a_demo_flat_bill_recorded_without_a_period_prints_it_blank(
        conn: sqlite3.Connection, tmp_path: Path) -> None:
    """The demo records each cycle's last month as a frozen run; its flat-rate bills carry
    the cycle's period, as a draft gives them. A demo district built before that has them
    with none: the print file leaves their period and days blank instead of failing."""
    from db.bill_print import write_print_file

    flat = ("SELECT b.id, b.account_id, r.cycle_id, r.month FROM bill_rows b"
            " JOIN billing_runs r ON r.id = b.run_id WHERE r.status = 'frozen'"
            " AND b.rate_class = 'demo' AND b.meter_reads = '' AND b.outcome = 'billed'")
    recorded = conn.execute(flat).fetchall()
    assert recorded and all(conn.execute(
        "SELECT period_start IS NOT NULL AND period_end IS NOT NULL FROM bill_rows"
        " WHERE id = ?", (row[0],)).fetchone()[0] for row in recorded)
    bill_id, account_id, cycle_id, month = recorded[0]
    with conn:  # as a demo district built before kept it (bills are never edited otherwise)
        conn.execute("DROP TRIGGER bill_rows_never_edited")
        conn.execute("DROP TRIGGER bill_rows_frozen_no_update")
        conn.execute("UPDATE bill_rows SET period_start = NULL, period_end = NULL"
                     " WHERE id = ?", (bill_id,))
    number = conn.execute("SELECT number FROM accounts WHERE id = ?",
                          (account_id,)).fetchone()[0]
    out = tmp_path / "recorded.txt"
    written = write_print_file(conn, cycle_id, date.fromisoformat(month + "-01"), out,
                               generated_at=AT)
    assert written.bills == len(conn.execute(
        "SELECT id FROM bill_rows WHERE run_id = (SELECT run_id FROM bill_rows WHERE id = ?)"
        " AND outcome = 'billed'", (bill_id,)).fetchall())
    b_records = [line.split("|") for line in out.read_text(encoding="utf-8").splitlines()
                 if line.startswith("B|")]
    fields = {name: at + 1 for at, name in enumerate(B_FIELDS)}
    blank = next(r for r in b_records if r[fields["account"]] == number)
    assert [blank[fields[f]] for f in ("period_from", "period_to", "days")] == ["", "", ""]
    others = [r for r in b_records if r[fields["account"]] != number]
    assert others and all(r[fields["period_from"]] and int(r[fields["days"]]) > 0
                          for r in others)


def test_the_payments_and_adjustments_since_the_period_are_summed_from_ledger_credits(
        conn: sqlite3.Connection) -> None:
    """Migration 0018's partial index covers both sums: BILLS_SQL repeats its WHERE terms, so
    no ledger entry is read from the table for them (issue 5, speed)."""
    run = require_run(conn, 3, NOV)
    plan = [row[3] for row in conn.execute(
        "EXPLAIN QUERY PLAN " + BILLS_SQL, bills_of(run.id, 1, bound=None, numbers=("", "~")))]
    assert sum("COVERING INDEX ledger_credits" in step for step in plan) == 2
