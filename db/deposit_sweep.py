"""The good-payment deposit refund sweep: judge every held deposit, propose the ones earned.

A proposal is a pending row in the refund register (source `deposit_sweep`: the rule asked,
so whoever ran the sweep may approve it); nothing is paid until a supervisor approves it and
the register goes to accounts payable (docs/workflows/deposit-refund-sweep.md).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from core.deposit_refunds import DepositHistory, RefundVerdict, good_payment_verdict
from core.ledger import Book
from core.returns import months_before
from db import audit
from db.deposit_book import add_register_row
from db.settings import load_settings
from db.transaction import write_transaction

HISTORY_SQL = """
SELECT a.id, a.number, a.status, a.opened_on, b.deposit_cents,
       (SELECT count(*) FROM ledger_entries e WHERE e.account_id = a.id
         AND e.entry_type = 'late_fee' AND e.reverses_id IS NULL AND e.effective_on > :since
         AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.reverses_id = e.id)) AS late,
       (SELECT count(*) FROM ledger_entries e WHERE e.account_id = a.id
         AND e.entry_type = 'returned_payment' AND e.effective_on > :since) AS returned,
       EXISTS (SELECT 1 FROM refund_register g WHERE g.account_id = a.id AND g.book = 'deposit'
               AND g.status IN ('pending', 'approved')) AS pending,
       COALESCE(s.lockoffs, 0) AS disconnects
  FROM account_balances b JOIN accounts a ON a.id = b.account_id
  LEFT JOIN (SELECT account_id, count(*) AS lockoffs FROM shutoff_log
              WHERE locked_on > :since GROUP BY account_id) s ON s.account_id = a.id
 WHERE b.deposit_cents > 0
 ORDER BY a.number
"""


@dataclass(frozen=True)
class SweepLine:
    history: DepositHistory
    verdict: RefundVerdict
    register_id: int | None = None


def judge_deposits(conn: sqlite3.Connection, on: date) -> list[SweepLine]:
    """Every account holding a deposit, with the verdict of the good-payment rule."""
    settings = load_settings(conn)
    since = months_before(on, settings.deposit_refund_months)
    lines = []
    for row in conn.execute(HISTORY_SQL, {"since": since.isoformat()}):
        # A disconnect is a lock-off for non-payment the crew recorded (shutoff_log).
        history = DepositHistory(row["id"], row["number"], row["status"],
                                 date.fromisoformat(row["opened_on"]), row["deposit_cents"],
                                 row["late"], row["returned"], row["disconnects"],
                                 bool(row["pending"]))
        lines.append(SweepLine(history, good_payment_verdict(
            history, on=on, months=settings.deposit_refund_months,
            max_late=settings.deposit_refund_max_late)))
    return lines


def sweep_deposits(conn: sqlite3.Connection, on: date, *, actor: str, at: str,
                   propose: bool = True) -> list[SweepLine]:
    """Propose a refund for each deposit earned on `on` (one transaction); the rest say why not."""
    with write_transaction(conn):
        judged = judge_deposits(conn, on)
        done: list[SweepLine] = []
        for line in judged:
            if not (propose and line.verdict.eligible):
                done.append(line)
                continue
            register_id = add_register_row(
                conn, line.history.account_id, line.history.deposit_cents,
                source="deposit_sweep", book=Book.DEPOSIT,
                comment=f"Deposit refund sweep {on}: {line.verdict.text()}", actor=actor, at=at,
                today=on)
            done.append(SweepLine(line.history, line.verdict, register_id))
        proposed = [d.register_id for d in done if d.register_id]
        if propose:
            audit.record(conn, at=at, actor=actor, action="deposits.sweep",
                         object_type="deposit_sweep", object_id=on.isoformat(),
                         after={"judged": len(done), "proposed": proposed})
    return done
