"""Deposits held, applied and refunded; the sweep; the refund register's approvals and A/P file."""
from __future__ import annotations

import csv
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from core.errors import ConflictError, InputError, PermissionDenied
from core.ledger import EntryType
from db.deposit_book import apply_deposit, collect_deposit, request_deposit_refund
from db.deposit_sweep import sweep_deposits
from db.ledger import balance_of, check
from db.refunds import decide_refund, export_refunds, propose_closed_credits, register_rows
from tests.payments_support import (
    AT,
    CLERK,
    SUPERVISOR,
    TODAY,
    charge,
    hold_deposit,
    small_district,
)


def test_collect_then_apply_to_a_closing_bill_leaves_a_credit_for_the_register(
        conn: sqlite3.Connection, tmp_path: Path) -> None:
    ids = small_district(conn, 1)
    collect_deposit(conn, "100-0001", 60000, actor="clerk1", comment="move-in deposit", at=AT,
                    today=date(2026, 1, 5))
    assert balance_of(conn, ids[0]) == (48000, 60000)
    applied, after = apply_deposit(conn, "100-0001", actor="clerk1", comment="closing bill",
                                   at=AT, today=TODAY)
    assert (applied, after) == (60000, -12000) and balance_of(conn, ids[0]) == (-12000, 0)
    conn.execute("UPDATE accounts SET status = 'closed', closed_on = ? WHERE id = ?",
                 (TODAY.isoformat(), ids[0]))
    made = propose_closed_credits(conn, actor="clerk1", at=AT, today=TODAY)
    assert [(m[0], m[1]) for m in made] == [("100-0001", 12000)]
    assert propose_closed_credits(conn, actor="clerk1", at=AT, today=TODAY) == []
    row_id = made[0][2]
    with pytest.raises(PermissionDenied, match="only a supervisor"):
        decide_refund(conn, row_id, approver=CLERK, approve=True, comment="ok", at=AT)
    decide_refund(conn, row_id, approver=SUPERVISOR, approve=True, comment="final bill paid",
                  at=AT)
    out = tmp_path / "ap.csv"
    assert export_refunds(conn, out, user=SUPERVISOR, at=AT, today=TODAY) == (1, 12000)
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["account_number"] == "100-0001" and rows[0]["amount"] == "120.00"
    assert balance_of(conn, ids[0]) == (0, 0)
    assert register_rows(conn, status="paid")[0].id == row_id
    with pytest.raises(InputError, match="no approved refunds"):
        export_refunds(conn, tmp_path / "again.csv", user=SUPERVISOR, at=AT, today=TODAY)
    assert check(conn).ok


def test_the_sweep_proposes_good_payers_only_and_once(conn: sqlite3.Connection,
                                                      tmp_path: Path) -> None:
    ids = small_district(conn, 3)
    for account_id in ids:
        hold_deposit(conn, account_id, 10000, date(2024, 1, 1))
    charge(conn, ids[1], 1000, date(2026, 7, 1), kind=EntryType.LATE_FEE)
    charge(conn, ids[1], 1000, date(2026, 9, 1), kind=EntryType.LATE_FEE)  # 2 late: no refund
    lines = sweep_deposits(conn, TODAY, actor="clerk1", at=AT)
    proposed = [line.history.number for line in lines if line.register_id]
    assert proposed == ["100-0001", "100-0003"]
    assert "2 late payments" in next(x for x in lines if x.history.number == "100-0002"
                                     ).verdict.text()
    again = sweep_deposits(conn, TODAY, actor="clerk1", at=AT)
    assert not any(line.register_id for line in again)
    pending = register_rows(conn, status="pending")
    decide_refund(conn, pending[0].id, approver=SUPERVISOR, approve=True, comment="good payer",
                  at=AT)
    decide_refund(conn, pending[1].id, approver=SUPERVISOR, approve=False,
                  comment="customer asked to keep it on account", at=AT)
    export_refunds(conn, tmp_path / "ap.csv", user=SUPERVISOR, at=AT, today=TODAY)
    assert balance_of(conn, ids[0])[1] == 0 and balance_of(conn, ids[2])[1] == 10000
    assert check(conn).ok


def test_a_deposit_refund_is_asked_once_and_blocks_applying(conn: sqlite3.Connection) -> None:
    small_district(conn, 1)
    collect_deposit(conn, "100-0001", 5000, actor="clerk1", comment="deposit", at=AT, today=TODAY)
    request_deposit_refund(conn, "100-0001", actor="clerk1", comment="good history", at=AT,
                           today=TODAY)
    with pytest.raises(ConflictError, match="already waits"):
        request_deposit_refund(conn, "100-0001", actor="clerk1", comment="again", at=AT,
                               today=TODAY)
    with pytest.raises(ConflictError, match="cancel it before applying"):
        apply_deposit(conn, "100-0001", actor="clerk1", comment="closing", at=AT, today=TODAY)
    with pytest.raises(InputError, match="comment"):
        collect_deposit(conn, "100-0001", 5000, actor="clerk1", comment="", at=AT, today=TODAY)


def test_the_sweep_counts_a_recorded_lockoff_as_a_disconnect(conn: sqlite3.Connection) -> None:
    """RULES.md §7: no disconnect in the window. A lock-off the crew recorded (shutoff_log)
    within it keeps the deposit; one before it does not."""
    ids = small_district(conn, 3)
    for account_id in ids:
        hold_deposit(conn, account_id, 10000, date(2024, 1, 1))
    with conn:
        conn.execute("INSERT INTO lockoff_lists (id, lockoff_on, made_by, made_at, candidates,"
                     " eligible) VALUES (1, '2026-06-01', 'clerk1', ?, 2, 2)", (AT,))
        for order, account_id, day in ((1, ids[0], "2026-06-01"), (2, ids[1], "2025-06-01")):
            conn.execute("INSERT INTO lockoff_orders (id, list_id, account_id, lockoff_on,"
                         " service_class, status, created_by, created_at) VALUES"
                         " (?, 1, ?, ?, 'residential', 'locked', 'clerk1', ?)",
                         (order, account_id, day, AT))
            conn.execute("INSERT INTO shutoff_log (order_id, account_id, service_class,"
                         " locked_on, past_due_cents, logged_by, logged_at) VALUES"
                         " (?, ?, 'residential', ?, 5000, 'crew1', ?)",
                         (order, account_id, day, AT))
    lines = {line.history.number: line for line in
             sweep_deposits(conn, TODAY, actor="clerk1", at=AT, propose=False)}
    locked = lines["100-0001"]
    assert not locked.verdict.eligible and locked.history.disconnects == 1
    assert "1 disconnect(s) since" in locked.verdict.text()
    assert lines["100-0002"].verdict.eligible  # its lock-off was before the 12 months
    assert "no disconnect since" in lines["100-0003"].verdict.text()
