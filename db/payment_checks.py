"""Payment batches against their control totals, for `meterline ledger check`."""
from __future__ import annotations

import sqlite3

from core.money import format_money

BATCH_SQL = """
SELECT b.id, b.kind, b.status, b.control_total_cents,
       COALESCE((SELECT SUM(p.amount_cents) FROM payments p WHERE p.batch_id = b.id
                  AND NOT EXISTS (SELECT 1 FROM ledger_entries r
                                   WHERE r.reverses_id = p.ledger_entry_id
                                     AND r.entry_type = 'payment')), 0) AS posted,
       COALESCE((SELECT SUM(s.amount_cents) FROM payment_suspense s
                  WHERE s.batch_id = b.id AND s.status = 'open'), 0) AS held
  FROM payment_batches b
 WHERE b.status = 'closed'
"""

MISMATCHED_SQL = """
SELECT p.id, p.batch_id, a.number FROM payments p
  JOIN ledger_entries e ON e.id = p.ledger_entry_id
  JOIN accounts a ON a.id = p.account_id
 WHERE e.entry_type <> 'payment' OR e.account_id <> p.account_id
    OR e.amount_cents <> -p.amount_cents
"""


def batch_problems(conn: sqlite3.Connection) -> list[str]:
    """Every closed batch whose payments (less voids) and held suspense items do not add up to
    its control total, and every payment whose ledger entry does not match it."""
    problems = []
    for row in conn.execute(BATCH_SQL):
        total = row["posted"] + row["held"]
        if total != row["control_total_cents"]:
            problems.append(
                f"payment batch {row['id']} ({row['kind']}): payments "
                f"{format_money(row['posted'])} + suspense {format_money(row['held'])} = "
                f"{format_money(total)}, control total {format_money(row['control_total_cents'])}")
    for row in conn.execute(MISMATCHED_SQL):
        problems.append(f"payment {row['id']} in batch {row['batch_id']} (account "
                        f"{row['number']}) does not match its ledger entry")
    return problems
