"""Writing a frozen run's print file and manifest; its totals are the run's ledger entries."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from core.bill_print import LAYOUT_VERSION, RECORD_TYPES, PrintFile, clean, record
from core.billing import scan_line
from core.errors import InputError, InputProblem
from core.money import round_ratio_half_up
from db.billing_run import Run, reconcile, require_run
from db.settings import load_settings

# The B record's customer fields arrive raw, in B_FIELDS order (account to service address),
# and are cleaned in Python (core.bill_print.clean): faster than nested replace() and trim().
BILLS_SQL = """
SELECT b.id, b.period_start, b.period_end, b.estimated, b.total_cents, a.number,
       b.usage_history, b.meter_reads, b.line_set_id, c.email,
       EXISTS (SELECT 1 FROM account_flags f WHERE f.account_id = a.id AND f.flag = 'AUTOPAY'
               AND f.cleared_on IS NULL) AS autopay,
       a.number, b.id, c.name, a.mail_line1, a.mail_line2, a.mail_city, a.mail_state,
       a.mail_zip, substr(iif(p.line1 <> '', ', ' || p.line1, '')
                          || iif(p.line2 <> '', ', ' || p.line2, '')
                          || iif(p.city <> '', ', ' || p.city, ''), 3)
  FROM bills b
  JOIN accounts a ON a.id = b.account_id
  JOIN customers c ON c.id = a.customer_id
  JOIN premises p ON p.id = a.premise_id
 WHERE b.run_id = :run AND b.outcome = 'billed'
 ORDER BY a.number
"""
# Each billed account's receivable balance before its bill, and its payments and adjustments
# since the period began. The balance is the account's kept balance (account_balances) less
# what was posted from this run's first entry on (the run posts its bills in one statement,
# so that is the account's bill and anything after it); the payments and adjustments come
# from the entries after the period's start day (the ledger_account index) before the bill.
BALANCES_SQL = """
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
  LEFT JOIN (SELECT account_id, SUM(amount_cents) AS since FROM ledger_entries NOT INDEXED
              WHERE id >= :first AND book = 'receivable' GROUP BY account_id) t
         ON t.account_id = b.account_id
 WHERE b.run_id = :run AND b.outcome = 'billed'
"""
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
    """The frozen run's bills in the record-typed layout, then the manifest beside it."""
    run = require_run(conn, cycle_id, month)
    if run.status != "frozen":
        raise InputError(InputProblem(f"run {run.id} is {run.status}: only a frozen run is "
                                      "printed", field="--cycle"))
    built = build_print_file(conn, run, generated_at)
    ledger = conn.execute("SELECT COALESCE(SUM(e.amount_cents), 0), COUNT(*) FROM bills b"
                          " JOIN ledger_entries e ON e.id = b.ledger_entry_id"
                          " WHERE b.run_id = ?", (run.id,)).fetchone()
    if (built.current_cents, built.bills) != (ledger[0], ledger[1]):
        raise InputError(InputProblem(  # FORMATS.md §4.2: the T totals = the ledger postings
            f"the file's current charges {built.current_cents} do not equal the run's ledger "
            f"bills {ledger[0]}; nothing was written", field="--cycle"))
    found = reconcile(conn, cycle_id, month)
    data = built.text().encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    _write(out, data)
    manifest = out.with_name(out.name + ".manifest.json")
    _write(manifest, (json.dumps({
        "file": out.name, "sha256": digest, "bytes": len(data), "layout_version": LAYOUT_VERSION,
        "run_id": run.id, "cycle": cycle_id, "month": run.month, "bill_date": run.bill_date,
        "counts": {rec: built.counts[rec] for rec in RECORD_TYPES},
        "bill_count": built.bills, "current_charges_cents": built.current_cents,
        "total_due_cents": built.total_due_cents, "ledger_bill_cents": ledger[0],
        "held_count": len(found.held), "excluded_count": len(found.excluded),
        "unaccounted_count": len(found.unaccounted), "generated_at": generated_at},
        indent=2) + "\n").encode("utf-8"))
    return Written(out, manifest, digest, built.bills, built.current_cents,
                   built.total_due_cents)


def _write(path: Path, data: bytes) -> None:
    """Write beside, then rename: the vendor never picks up half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def build_print_file(conn: sqlite3.Connection, run: Run, generated_at: str) -> PrintFile:
    settings = load_settings(conn)
    percent = Decimal(settings.late_fee_percent).as_integer_ratio()
    plain = conn.cursor()
    plain.row_factory = None
    rows = plain.execute(BILLS_SQL, {"run": run.id}).fetchall()
    first = conn.execute("SELECT MIN(ledger_entry_id) FROM bills WHERE run_id = ?",
                         (run.id,)).fetchone()[0]
    balances = {r[0]: r[1:] for r in conn.execute(BALANCES_SQL, {"run": run.id,
                                                                 "first": first})}
    records: dict[int, list[str]] = {}
    for set_id, component, label, explanation, quantity, rate, cents in conn.execute(
            LINES_SQL, (run.id,)):
        records.setdefault(set_id, []).append(record(
            "C", ["sewer" if component == "wastewater" else "water", label, explanation,
                  quantity, rate, cents]))
    # A set's C records as one text, and how many: what each bill of the set writes.
    charges = {set_id: ("\n".join(texts), len(texts)) for set_id, texts in records.items()}
    out = PrintFile()
    out.add("H", [run.id, run.cycle_id, run.bill_date, generated_at, LAYOUT_VERSION])
    out.add("M", ["global", f"{settings.district_name}: questions about your bill? "
                            "Call the billing office."])
    due = date.fromisoformat(run.due_date)
    dates = f"{clean(run.bill_date)}|{clean(run.due_date)}"
    autopay_text = f"DO NOT PAY - ACH ON {due:%m/%d}"
    estimated_text = record("M", ["account", "Your meter could not be read this month; this "
                                             "bill is estimated and will be trued up at the "
                                             "next read."])
    parse = date.fromisoformat
    for (bill_id, period_start, period_end, estimated, current, number, history, reads,
         line_set, email, autopay, *customer) in rows:
        before, payments, adjustments = balances.get(bill_id, (0, 0, 0))
        total = before + current
        past_due = max(before, 0)
        # The late fee after the due date: the larger of the flat fee and the percent of the
        # bill (settings; Water Code §35470.5 caps the percent at 10).
        percent_fee = round_ratio_half_up(current * percent[0], 100 * percent[1])
        after_due = total + max(settings.late_fee_flat_cents, percent_fee)
        start, end = parse(period_start), parse(period_end)
        # B_FIELDS, in order: customer text cleaned, numbers and dates as they are.
        out.add_text("B", "|".join((
            "|".join(map(clean, customer)), dates, period_start, period_end,
            str((end - start).days), str(before - payments - adjustments), str(payments),
            str(adjustments), str(current), str(past_due), str(total), str(after_due),
            "Y" if autopay else "N", autopay_text if autopay else "", "N", clean(email),
            "PAST DUE" if past_due > 0 else "", "", "",
            scan_line(number, due, 0, max(total, 0), max(after_due, 0)))))
        out.count_bill(current, total)
        if reads:  # the R records, as the draft wrote them from the period's reads
            out.lines.append(reads)
            out.counts["R"] += reads.count("\n") + 1
        charge = charges.get(line_set)
        if charge is not None:
            out.lines.append(charge[0])
            out.counts["C"] += charge[1]
        out.history(history)
        if estimated:
            out.lines.append(estimated_text)
            out.counts["M"] += 1
    out.trailer()
    return out
