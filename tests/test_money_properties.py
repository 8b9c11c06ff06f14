"""Property: any sequence of payments, voids, returned checks, adjustments, deposits and refunds
leaves a ledger that balances (`ledger check`) and allocates credits oldest charge first."""
from __future__ import annotations

import itertools
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.adjustments import RequestKind
from core.allocation import allocate
from core.errors import ConflictError, InputError
from core.payments import parse_payment_line
from db.adjustment_requests import (
    AdjustmentDraft,
    approve_adjustment,
    reverse_adjustment,
    submit_adjustment,
)
from db.connection import open_database
from db.deposit_book import apply_deposit, collect_deposit, request_deposit_refund
from db.ledger import balance_of, check, entries_for
from db.payment_batches import open_batch, post_payment, void_payment
from db.payment_checks import batch_problems
from db.refunds import decide_refund, export_refunds, register_rows
from db.returned_payments import return_payment
from tests.payments_support import AT, CLERK, SUPERVISOR, TODAY, small_district

NUMBERS = ("100-0001", "100-0002")
COUNTER = itertools.count()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("money") / "template.db"
    conn = open_database(path, create=True)
    small_district(conn, 2)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


cents = st.integers(min_value=1, max_value=60_000)
step = st.one_of(
    st.tuples(st.just("pay"), st.sampled_from(NUMBERS), cents, st.sampled_from(("check", "cash"))),
    st.tuples(st.just("void"), st.integers(0, 20)),
    st.tuples(st.just("return"), st.integers(0, 20), st.sampled_from(("NSF", "R03", "STOP"))),
    st.tuples(st.just("adjust"), st.sampled_from(NUMBERS), st.integers(-30_000, 30_000)),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
    st.tuples(st.just("deposit"), st.sampled_from(NUMBERS), cents),
    st.tuples(st.just("apply"), st.sampled_from(NUMBERS)),
    st.tuples(st.just("refund"), st.sampled_from(NUMBERS)),
)


def run(conn: sqlite3.Connection, steps: list[tuple[object, ...]], folder: Path) -> None:
    batch = open_batch(conn, control_total_cents=1, deposit_date=TODAY, actor="clerk1", at=AT)
    payments: list[tuple[int, int]] = []  # (payment id, entry id)
    adjustments: list[int] = []
    for n, (kind, *args) in enumerate(steps):
        try:
            if kind == "pay":
                number, amount, method = args
                line = parse_payment_line(str(number), f"{int(amount) / 100:.2f}", str(method),
                                          str(n + 1) if method == "check" else "")
                posted = post_payment(conn, batch.id, line, actor="clerk1", at=AT, today=TODAY)
                payments.append((posted.payment_id, posted.entry_id))
            elif kind in ("void", "return") and payments:
                payment_id, entry_id = payments[int(args[0]) % len(payments)]
                if kind == "void":
                    void_payment(conn, payment_id, actor="clerk1", comment="slip", at=AT,
                                 today=TODAY)
                else:
                    return_payment(conn, entry_id, str(args[1]), actor="clerk1", comment="",
                                   at=AT, today=TODAY)
            elif kind == "adjust" and args[1]:
                draft = AdjustmentDraft(str(args[0]), RequestKind.AMOUNT, "BILL-ERR", int(args[1]))
                result = submit_adjustment(conn, draft, user=CLERK, comment="property test",
                                           at=AT, today=TODAY)
                entry_id = result.entry_id or approve_adjustment(
                    conn, result.request_id, approver=SUPERVISOR, comment="approved",
                    at=AT, today=TODAY)
                adjustments.append(entry_id)
            elif kind == "reverse" and adjustments:
                reverse_adjustment(conn, adjustments[int(args[0]) % len(adjustments)],
                                   user=SUPERVISOR, comment="undo", at=AT, today=TODAY)
            elif kind == "deposit":
                collect_deposit(conn, str(args[0]), int(args[1]), actor="clerk1",
                                comment="deposit", at=AT, today=TODAY)
            elif kind == "apply":
                apply_deposit(conn, str(args[0]), actor="clerk1", comment="closing", at=AT,
                              today=TODAY)
            elif kind == "refund":
                row_id = request_deposit_refund(conn, str(args[0]), actor="clerk1",
                                                comment="good payer", at=AT, today=TODAY)
                decide_refund(conn, row_id, approver=SUPERVISOR, approve=True, comment="ok fine",
                              at=AT)
                export_refunds(conn, folder / f"ap-{n}.csv", user=SUPERVISOR, at=AT, today=TODAY)
        except (InputError, ConflictError):
            pass  # refused: the rules said no, and nothing may have changed
        result = check(conn)
        assert result.ok and not batch_problems(conn), result.problems
    for number in NUMBERS:
        account_id = conn.execute("SELECT id FROM accounts WHERE number = ?",
                                  (number,)).fetchone()[0]
        entries = entries_for(conn, account_id)
        allocation = allocate(entries)
        assert allocation.balance_cents == balance_of(conn, account_id)[0]
        open_seen = False
        for charge in allocation.charges:  # oldest first
            assert not open_seen or charge.open_cents == charge.amount_cents
            open_seen = open_seen or charge.open_cents > 0
    assert all(r.status in ("pending", "approved", "paid") for r in register_rows(conn))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=14))
def test_any_sequence_keeps_the_ledger_balanced(template: Path,
                                                steps: list[tuple[object, ...]]) -> None:
    folder = template.parent / f"run-{next(COUNTER)}"
    folder.mkdir()
    path = folder / "district.db"
    shutil.copy(template, path)
    conn = open_database(path)
    try:
        run(conn, steps, folder)
    finally:
        conn.close()
