"""Everything the account detail screen shows, read in one short pass on one connection.

The ledger itself pages from `ledger_page` (newest first, running balance by window
function); the rest of the account (bills with their lines, reads, work orders, notes, Red
Flag alerts, address history, 13 months of usage) is small and read here at once.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from core.ledger import Aging, aging
from db.accounts import AccountDetail, account_detail
from db.reads import usage_history

READS_SHOWN = 26  # two years of monthly reads
ORDERS_SHOWN = 50
NOTES_SHOWN = 200


@dataclass(frozen=True)
class BillRow:
    """A bill, closing bill or miscellaneous invoice, with the lines that explain it."""

    on: date
    kind: str
    amount_cents: int
    description: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountView:
    """The account detail screen's data."""

    detail: AccountDetail
    aging: Aging
    usage: tuple[tuple[date, int, bool], ...]
    bills: tuple[BillRow, ...]
    reads: tuple[tuple[str, ...], ...]  # date, meter, reading, kind, how read, by
    orders: tuple[tuple[str, ...], ...]  # id, type, status, reason, scheduled, result
    notes: tuple[tuple[str, str, str], ...]  # at, author, body — newest first
    alerts: tuple[tuple[str, ...], ...]  # date, check, message, outcome, verification
    addresses: tuple[tuple[str, ...], ...]  # date, kind, old, new, how, by, reason


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view')"
                        " AND name = ?",
                        (name,)).fetchone() is not None


def _bills(conn: sqlite3.Connection, account_id: int) -> tuple[BillRow, ...]:
    closing = {}
    for bill in conn.execute("SELECT * FROM closing_bills WHERE account_id = ?", (account_id,)):
        lines = tuple(r[0] for r in conn.execute(
            "SELECT explanation FROM closing_bill_lines WHERE bill_id = ? ORDER BY seq",
            (bill["id"],)))
        closing[bill["ledger_entry_id"]] = (bill, lines)
    invoices = {r["ledger_entry_id"]: r for r in conn.execute(
        "SELECT * FROM misc_invoices WHERE account_id = ?", (account_id,))}
    cycle_lines: dict[int, list[str]] = {}
    if _has_table(conn, "bill_lines"):  # the billing run's bills (migration 0008)
        for entry_id, explanation in conn.execute(
                "SELECT b.ledger_entry_id, l.explanation FROM bills b"
                " JOIN bill_lines l ON l.bill_id = b.id WHERE b.account_id = ?"
                " AND b.ledger_entry_id IS NOT NULL ORDER BY b.id, l.seq", (account_id,)):
            cycle_lines.setdefault(entry_id, []).append(explanation)
    rows = []
    for entry in conn.execute(
            "SELECT id, entry_type, amount_cents, effective_on, comment, reference, reverses_id"
            " FROM ledger_entries WHERE account_id = ? AND book = 'receivable'"
            " AND entry_type IN ('bill', 'fee') ORDER BY effective_on DESC, id DESC",
            (account_id,)):
        on = date.fromisoformat(entry["effective_on"])
        reversal = " (reversal)" if entry["reverses_id"] else ""
        if entry["id"] in closing:
            bill, lines = closing[entry["id"]]
            rows.append(BillRow(on, "CLOSING BILL" + reversal, entry["amount_cents"],
                                f"{bill['period_start']} to {bill['period_end']}, "
                                f"{bill['days']} days, {bill['usage_hcf']} HCF "
                                f"({bill['rate_class']})", lines))
        elif entry["id"] in invoices:
            invoice = invoices[entry["id"]]
            rows.append(BillRow(on, "INVOICE" + reversal, entry["amount_cents"],
                                f"{invoice['charge']}: {invoice['description']} "
                                f"(due {invoice['due_on']})"))
        else:
            kind = "BILL" if entry["entry_type"] == "bill" else "FEE"
            text = entry["comment"] + (f" [{entry['reference']}]" if entry["reference"] else "")
            rows.append(BillRow(on, kind + reversal, entry["amount_cents"], text,
                                tuple(cycle_lines.get(entry["id"], ()))))
    return tuple(rows)


def account_view(conn: sqlite3.Connection, number: str, today: date) -> AccountView | None:
    """The whole account as the detail screen shows it; None when there is no such account."""
    detail = account_detail(conn, number)
    if detail is None:
        return None
    return account_tabs(conn, detail, today)


def account_tabs(conn: sqlite3.Connection, detail: AccountDetail, today: date) -> AccountView:
    """The rest of the account, once its header (`account_detail`) is read."""
    account_id = detail.id
    usage = tuple(usage_history(conn, detail.meter_id, today)) if detail.meter_id else ()
    reads = tuple(
        (r["read_on"], r["serial"], f"{r['reading']:,}", r["kind"].upper(),
         r["read_method"] or r["source"], r["created_by"])
        for r in conn.execute(
            "SELECT r.read_on, m.serial, r.reading, r.kind, r.read_method, r.source,"
            " r.created_by FROM meter_reads r JOIN meters m ON m.id = r.meter_id"
            " WHERE m.premise_id = ? ORDER BY r.read_on DESC, r.id DESC LIMIT ?",
            (detail.premise_id, READS_SHOWN)))
    orders = tuple(
        (str(r["id"]), r["order_type"].replace("_", " "), r["status"].upper(), r["reason"],
         r["scheduled_on"] or "", "" if r["result_reading"] is None else str(r["result_reading"]))
        for r in conn.execute(
            "SELECT * FROM work_orders WHERE account_id = ? ORDER BY id DESC LIMIT ?",
            (account_id, ORDERS_SHOWN)))
    notes = tuple((r["at"], r["author"], r["body"]) for r in conn.execute(
        "SELECT at, author, body FROM notes WHERE account_id = ? ORDER BY id DESC LIMIT ?",
        (account_id, NOTES_SHOWN)))
    alerts = tuple(
        (r["verified_on"], r["check_code"].replace("_", " "), r["message"], r["outcome"].upper(),
         f"{r['verification'] or '-'}: {r['note']} ({r['verified_by']})")
        for r in conn.execute(
            "SELECT v.verified_on, a.check_code, a.message, v.outcome, v.verification, v.note,"
            " v.verified_by FROM red_flag_alerts a"
            " JOIN identity_verifications v ON v.id = a.verification_id"
            " WHERE a.account_id = ? ORDER BY a.id DESC", (account_id,)))
    addresses = tuple(
        (r["changed_on"], r["kind"],
         ", ".join(p for p in (r["old_line1"], r["old_line2"], r["old_city"]) if p),
         ", ".join(p for p in (r["new_line1"], r["new_line2"], r["new_city"]) if p),
         r["standardized_by"], r["changed_by"], r["reason"])
        for r in conn.execute("SELECT * FROM address_history WHERE account_id = ?"
                              " ORDER BY id DESC", (account_id,)))
    return AccountView(detail, aging(detail.entries, today), usage, _bills(conn, account_id),
                       reads, orders, notes, alerts, addresses)


LEDGER_PAGE_SQL = """
SELECT id, effective_on, entry_type, amount_cents, reason_code, comment, reverses_id, actor,
       SUM(amount_cents) OVER (ORDER BY effective_on, id) AS running
  FROM ledger_entries
 WHERE account_id = ? AND book = 'receivable'
 ORDER BY effective_on DESC, id DESC
 LIMIT ? OFFSET ?
"""


def ledger_count(conn: sqlite3.Connection, account_id: int) -> int:
    return int(conn.execute("SELECT count(*) FROM ledger_entries WHERE account_id = ?"
                            " AND book = 'receivable'", (account_id,)).fetchone()[0])


def ledger_page(conn: sqlite3.Connection, account_id: int, *, offset: int,
                limit: int) -> list[sqlite3.Row]:
    """A page of the account's receivable ledger, newest first, each with its running balance."""
    return conn.execute(LEDGER_PAGE_SQL, (account_id, limit, offset)).fetchall()


def deposit_entries(conn: sqlite3.Connection, account_id: int) -> list[sqlite3.Row]:
    """The deposit book of the account, newest first (a few entries at most)."""
    return conn.execute(
        "SELECT effective_on, entry_type, amount_cents, comment FROM ledger_entries"
        " WHERE account_id = ? AND book = 'deposit' ORDER BY effective_on DESC, id DESC",
        (account_id,)).fetchall()
