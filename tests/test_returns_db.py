"""A returned check in one action: reversal, fee within §1719, note, CASH ONLY, delinquency back."""
from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from core.errors import InputError
from core.ledger import aging
from core.payments import parse_payment_line
from db.ledger import balance_of, check, entries_for
from db.payment_batches import open_batch, post_payment
from db.returned_payments import payments_of, plan_return, return_payment
from tests.payments_support import AT, TODAY, charge, small_district


def pay(conn: sqlite3.Connection, number: str, amount: str, check_no: str, on: date,
        method: str = "check") -> int:
    cents = int(float(amount) * 100)
    batch = open_batch(conn, control_total_cents=cents, deposit_date=on, actor="clerk1", at=AT)
    return post_payment(conn, batch.id, parse_payment_line(number, amount, method, check_no),
                        actor="clerk1", at=AT, today=on).entry_id


def test_one_action_reverses_charges_the_fee_notes_and_restores_delinquency(
        conn: sqlite3.Connection) -> None:
    ids = small_district(conn, 1)
    before = aging(entries_for(conn, ids[0]), TODAY)
    entry_id = pay(conn, "100-0001", "480.00", "1201", date(2026, 11, 10))
    assert aging(entries_for(conn, ids[0]), TODAY).total == 0
    assert [r["id"] for r in payments_of(conn, "100-0001", "1201")] == [entry_id]
    plan = return_payment(conn, entry_id, "NSF", actor="clerk1", comment="bank notice 4471",
                          at=AT, today=TODAY)
    assert plan.decision.fee_cents == 2500
    assert balance_of(conn, ids[0])[0] == 48000 + 2500
    after = aging(entries_for(conn, ids[0]), TODAY)
    # Every bill is as old as before the payment; only the fee is new.
    assert (after.d30, after.d60, after.d90) == (before.d30, before.d60, before.d90)
    assert after.current == before.current + 2500
    note = conn.execute("SELECT body FROM notes WHERE account_id = ?", (ids[0],)).fetchone()[0]
    assert "returned: insufficient funds" in note and "$25.00" in note
    with pytest.raises(InputError, match="already voided or returned"):
        plan_return(conn, entry_id, "NSF", today=TODAY)
    assert check(conn).ok


def test_the_second_return_in_12_months_costs_35_and_sets_cash_only(
        conn: sqlite3.Connection) -> None:
    ids = small_district(conn, 1)
    first = pay(conn, "100-0001", "80.00", "1", date(2026, 6, 20))
    return_payment(conn, first, "NSF", actor="clerk1", comment="", at=AT, today=date(2026, 6, 28))
    second = pay(conn, "100-0001", "80.00", "2", date(2026, 10, 20))
    plan = return_payment(conn, second, "NSF", actor="clerk1", comment="", at=AT, today=TODAY)
    assert plan.decision.fee_cents == 3500
    assert plan.decision.cash_only_until == date(2027, 11, 20)
    flag = conn.execute("SELECT expires_on FROM account_flags WHERE account_id = ? AND flag ="
                        " 'CASH ONLY'", (ids[0],)).fetchone()
    assert flag[0] == "2027-11-20"
    assert conn.execute("SELECT count(*) FROM returned_items").fetchone()[0] == 2
    assert check(conn).ok


def test_cash_cannot_come_back_and_an_ach_return_suspends_autopay(
        conn: sqlite3.Connection) -> None:
    ids = small_district(conn, 1)
    cash = pay(conn, "100-0001", "10.00", "", TODAY, method="cash")
    with pytest.raises(InputError, match="a bank cannot return it"):
        plan_return(conn, cash, "NSF", today=TODAY)
    conn.execute("INSERT INTO account_flags (account_id, flag, reason, author, set_on)"
                 " VALUES (?, 'AUTOPAY', 'draft', 'clerk1', '2025-01-01')", (ids[0],))
    ach = pay(conn, "100-0001", "20.00", "", TODAY, method="ach")
    plan = return_payment(conn, ach, "R03", actor="clerk1", comment="", at=AT, today=TODAY)
    assert plan.decision.fee_cents == 0
    assert conn.execute("SELECT cleared_on FROM account_flags WHERE flag = 'AUTOPAY'"
                        ).fetchone()[0] == "2026-11-20"
    assert "AUTOPAY suspended" in conn.execute(
        "SELECT body FROM notes ORDER BY id DESC").fetchone()[0]
    with pytest.raises(InputError, match="not a return reason"):
        plan_return(conn, ach, "R99", today=TODAY)
    charge(conn, ids[0], 100, TODAY)
    assert check(conn).ok
