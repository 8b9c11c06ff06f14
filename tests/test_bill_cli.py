"""`meterline bill ...` as a supervisor runs a cycle from the command line."""
from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from console.cli import main
from console.session import os_login
from core.bill_print import B_FIELDS
from core.billing import mod10_check_digit
from db.connection import open_database
from db.users import add_user
from tests.billing_support import read_cycle
from tests.console_support import build_small_district

pytestmark = pytest.mark.usefixtures("isolated_config")  # tests/conftest.py


def run(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> tuple[int, str]:
    code = main(["--today", "2026-11-20", *argv, "--db", str(db)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_cycle_from_draft_to_print_file(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    db = build_small_district(tmp_path)
    conn = open_database(db)
    if os_login() not in {r[0] for r in conn.execute("SELECT login FROM users")}:
        add_user(conn, login=os_login(), role="supervisor", full_name="Test", actor="tester",
                 at="2026-11-20T08:00:00")
    conn.execute("UPDATE users SET role = 'supervisor' WHERE login = ?", (os_login(),))
    conn.commit()
    read_cycle(conn, 3, date(2026, 11, 17))
    conn.close()
    code, out = run(capsys, db, "bill", "reconcile", "--cycle", "3")
    assert code == 2 and "draft it first" in out
    code, out = run(capsys, db, "bill", "draft", "--cycle", "3")
    assert code == 0 and "Nothing was posted" in out
    code, out = run(capsys, db, "bill", "diff", "--cycle", "3", "--limit", "5")
    assert code == 0 and "demo history" in out and "more (--limit 0 shows all)" in out
    code, out = run(capsys, db, "bill", "reconcile", "--cycle", "3")
    assert code == 1 and "UNACCOUNTED" in out
    code, out = run(capsys, db, "bill", "approve", "--cycle", "3", "--month", "2026-11")
    assert code == 0 and "APPROVED" in out
    code, out = run(capsys, db, "bill", "freeze", "--cycle", "3")
    assert code == 0 and "FROZEN" in out
    code, out = run(capsys, db, "bill", "freeze", "--cycle", "3")
    assert code == 0 and "already FROZEN" in out
    code, out = run(capsys, db, "bill", "reconcile", "--cycle", "3")
    assert code == 0 and "0 unaccounted for" in out
    code, out = run(capsys, db, "ledger", "check")
    assert code == 0
    out_file = tmp_path / "bills.txt"
    code, out = run(capsys, db, "bill", "print-file", "--cycle", "3", "--out", str(out_file))
    assert code == 0, out
    check_print_file(out_file, db)


def check_print_file(out_file: Path, db: Path) -> None:
    """Trailer and manifest agree with the records and with the run's ledger bills."""
    data = out_file.read_bytes()
    manifest = json.loads(out_file.with_name("bills.txt.manifest.json").read_text())
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["bytes"] == len(data)
    records = [line.split("|") for line in data.decode().splitlines()]
    bills = [r for r in records if r[0] == "B"]
    current = sum(int(r[1 + B_FIELDS.index("current_charges")]) for r in bills)
    trailer = records[-1]
    assert trailer[0] == "T" and trailer[-3:] == [str(len(bills)), str(current),
                                                  str(manifest["total_due_cents"])]
    assert f"C={sum(1 for r in records if r[0] == 'C')}" in trailer
    conn = open_database(db)
    ledger = conn.execute("SELECT SUM(amount_cents) FROM ledger_entries"
                          " WHERE reason_code = 'BILL'").fetchone()[0]
    # Each bill's balance, payments and adjustments, summed from the entries before it.
    by_bill = {str(row[0]): [str(v) for v in row[1:]] for row in conn.execute(
        "SELECT b.id, SUM(e.amount_cents) - SUM(CASE WHEN e.effective_on > b.period_start"
        " AND e.entry_type <> 'bill' THEN e.amount_cents ELSE 0 END),"
        " SUM(CASE WHEN e.effective_on > b.period_start AND e.entry_type IN ('payment',"
        " 'returned_payment') THEN e.amount_cents ELSE 0 END),"
        " SUM(CASE WHEN e.effective_on > b.period_start AND e.entry_type NOT IN ('payment',"
        " 'returned_payment', 'bill') THEN e.amount_cents ELSE 0 END)"
        " FROM bills b JOIN ledger_entries e ON e.account_id = b.account_id"
        " AND e.book = 'receivable' AND e.id < b.ledger_entry_id"
        " WHERE b.ledger_entry_id IS NOT NULL GROUP BY b.id")}
    conn.close()
    assert current == ledger == manifest["ledger_bill_cents"]
    columns = [1 + B_FIELDS.index(name) for name in ("previous_balance", "payments",
                                                     "adjustments")]
    paid = 0
    for r in bills:
        found = [r[c] for c in columns]
        assert found == by_bill.get(r[1 + B_FIELDS.index("bill_id")], ["0", "0", "0"]), r
        paid += found[1] != "0"
    assert paid  # the demo's customers paid their last bills
    for r in bills:
        line = r[1 + B_FIELDS.index("scan_line")]
        assert len(line) == 42 and mod10_check_digit(line[:-1]) == line[-1]
        assert all(len(u) == 27 for u in records if u[0] == "U")
