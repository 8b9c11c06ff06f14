"""A cycle-month's billing run: draft (posts nothing), approve (supervisor), freeze (one
transaction into the ledger, never twice) and the unbilled reconciliation."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from core.billing import Outcome, fingerprint
from core.errors import InputError, InputProblem
from core.ledger import EntryType, Posting
from core.rate_book import RateBook
from core.schedule import EventKind
from core.users import User, require_supervisor
from db import audit
from db.billing_draft import CycleMonth, Draft, compute_draft, cycle_accounts, cycle_month
from db.ledger import post
from db.schedule import use_schedule_date
from db.transaction import write_transaction

BILL_REASON = "BILL"


@dataclass(frozen=True)
class Run:
    """A stored billing run, as the screens and the CLI show it."""

    id: int
    cycle_id: int
    month: str
    status: str
    bill_date: str
    due_date: str
    fingerprint: str
    billed: int
    held: int
    excluded: int
    total_cents: int
    drafted_by: str
    approved_by: str | None
    frozen_by: str | None


def find_run(conn: sqlite3.Connection, cycle_id: int, month: date) -> Run | None:
    row = conn.execute("SELECT * FROM billing_runs WHERE cycle_id = ? AND month = ?",
                       (cycle_id, f"{month:%Y-%m}")).fetchone()
    if row is None:
        return None
    return Run(row["id"], row["cycle_id"], row["month"], row["status"], row["bill_date"],
               row["due_date"], row["fingerprint"], row["billed_count"], row["held_count"],
               row["excluded_count"], row["total_cents"], row["drafted_by"],
               row["approved_by"], row["frozen_by"])


def require_run(conn: sqlite3.Connection, cycle_id: int, month: date) -> Run:
    run = find_run(conn, cycle_id, month)
    if run is None:
        raise InputError(InputProblem(f"cycle {cycle_id} has no billing run for {month:%Y-%m}:"
                                      " draft it first", field="--cycle"))
    return run


def draft_run(conn: sqlite3.Connection, cycle_id: int, month: date, book: RateBook, *,
              user: User, at: str) -> tuple[Run, Draft]:
    """Compute and store the cycle-month's draft (again, replacing an earlier draft and its
    approval); posts nothing. A frozen run is refused."""
    dates = cycle_month(conn, cycle_id, month)
    existing = find_run(conn, cycle_id, month)
    if existing is not None and existing.status == "frozen":
        raise InputError(InputProblem(
            f"cycle {cycle_id} {dates.key} was frozen by {existing.frozen_by}: it is never "
            "billed twice", field="--cycle"))
    draft = compute_draft(conn, dates, book, existing.id if existing else None)
    with write_transaction(conn):
        run_id = _store(conn, dates, draft, book, user=user, at=at)
        audit.record(conn, at=at, actor=user.login, action="billing.draft",
                     object_type="billing_run", object_id=run_id,
                     after={"cycle": cycle_id, "month": dates.key,
                            "billed": draft.count(Outcome.BILLED),
                            "held": draft.count(Outcome.HELD),
                            "excluded": draft.count(Outcome.EXCLUDED),
                            "total_cents": draft.total_cents})
    return require_run(conn, cycle_id, month), draft


def _store(conn: sqlite3.Connection, dates: CycleMonth, draft: Draft, book: RateBook, *,
           user: User, at: str) -> int:
    values = (dates.bill_date.isoformat(), dates.due_date.isoformat(), book.folder,
              fingerprint(draft.bills), draft.count(Outcome.BILLED), draft.count(Outcome.HELD),
              draft.count(Outcome.EXCLUDED), draft.total_cents, user.login, at)
    row = conn.execute("SELECT id FROM billing_runs WHERE cycle_id = ? AND month = ?",
                       (dates.cycle_id, dates.key)).fetchone()
    if row is None:
        run_id = int(conn.execute(
            "INSERT INTO billing_runs (cycle_id, month, status, bill_date, due_date, rate_folder,"
            " fingerprint, billed_count, held_count, excluded_count, total_cents, drafted_by,"
            " drafted_at) VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (dates.cycle_id, dates.key, *values)).lastrowid or 0)
    else:
        run_id = row[0]
        conn.execute(
            "UPDATE billing_runs SET status = 'draft', bill_date = ?, due_date = ?,"
            " rate_folder = ?, fingerprint = ?, billed_count = ?, held_count = ?,"
            " excluded_count = ?, total_cents = ?, drafted_by = ?, drafted_at = ?,"
            " approved_by = NULL, approved_at = NULL, approved_fingerprint = NULL"
            " WHERE id = ?", (*values, run_id))
        conn.execute("DELETE FROM bills WHERE run_id = ?", (run_id,))
    # Ids are given, not taken from lastrowid, so the bills and lines go in two statements.
    first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM bills").fetchone()[0]
    conn.executemany(
        "INSERT INTO bills (id, run_id, account_id, outcome, reason, rate_class, period_start,"
        " period_end, usage_hcf, estimated, total_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(first + n, run_id, b.account_id, b.outcome.value, b.reason, b.rate_class,
          _iso(b.period_start), _iso(b.period_end), str(b.usage_hcf), int(b.estimated),
          b.total_cents) for n, b in enumerate(draft.bills)])
    conn.executemany(
        "INSERT INTO bill_lines (bill_id, seq, component, label, quantity, unit, rate,"
        " amount_cents, explanation, rate_files, rate_sha256)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(first + n, seq, ln.component, ln.label, ln.quantity, ln.unit, ln.rate,
          ln.amount_cents, ln.explanation, ln.rate_files, ln.rate_sha256)
         for n, b in enumerate(draft.bills) for seq, ln in enumerate(b.lines, start=1)])
    return run_id


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def approve_run(conn: sqlite3.Connection, cycle_id: int, month: date, *, user: User,
                at: str) -> Run:
    """The supervisor approves the stored draft as it is (its fingerprint)."""
    require_supervisor(user, "approve a billing run")
    with write_transaction(conn):
        run = require_run(conn, cycle_id, month)
        if run.status == "frozen":
            raise InputError(InputProblem(f"the run was already frozen by {run.frozen_by}",
                                          field="--cycle"))
        if run.status == "approved":
            return run
        conn.execute("UPDATE billing_runs SET status = 'approved', approved_by = ?,"
                     " approved_at = ?, approved_fingerprint = fingerprint WHERE id = ?",
                     (user.login, at, run.id))
        audit.record(conn, at=at, actor=user.login, action="billing.approve",
                     object_type="billing_run", object_id=run.id,
                     after={"fingerprint": run.fingerprint, "total_cents": run.total_cents})
    return require_run(conn, cycle_id, month)


@dataclass(frozen=True)
class Frozen:
    """What a freeze did: the run, and whether this call posted it (False: it already was)."""

    run: Run
    posted: int
    already: bool


def freeze_run(conn: sqlite3.Connection, cycle_id: int, month: date, book: RateBook, *,
               user: User, at: str) -> Frozen:
    """Post every billed account's bill to the ledger in one transaction, with the stored
    calendar's bill and due dates; all or nothing, and never twice."""
    require_supervisor(user, "freeze a billing run")
    with write_transaction(conn):
        run = require_run(conn, cycle_id, month)
        if run.status == "frozen":
            return Frozen(run, 0, True)
        if run.status != "approved":
            raise InputError(InputProblem("the draft is not approved: a supervisor approves "
                                          "it after reading the diff", field="--cycle"))
        dates = cycle_month(conn, cycle_id, month)
        # The preview equals the real run: recompute now and refuse anything that moved.
        draft = compute_draft(conn, dates, book, run.id)
        if fingerprint(draft.bills) != run.fingerprint:
            raise InputError(InputProblem(
                "the bills changed since the draft was approved (reads, holds or rates moved):"
                " draft again and approve again", field="--cycle"))
        used_by = f"billing run {run.id} cycle {cycle_id} {dates.key}"
        bill_on = use_schedule_date(conn, month=dates.month, cycle_id=cycle_id,
                                    event=EventKind.BILL, used_by=used_by, actor=user.login,
                                    at=at)
        due_on = use_schedule_date(conn, month=dates.month, cycle_id=cycle_id,
                                   event=EventKind.DUE, used_by=used_by, actor=user.login, at=at)
        rows = conn.execute("SELECT id, account_id, total_cents, rate_class, period_start,"
                            " period_end, usage_hcf FROM bills WHERE run_id = ?"
                            " AND outcome = 'billed' ORDER BY account_id", (run.id,)).fetchall()
        posted: list[tuple[int, int]] = []
        for row in rows:
            entry_id = post(conn, Posting(
                account_id=row["account_id"], entry_type=EntryType.BILL,
                amount_cents=row["total_cents"], effective_on=bill_on, actor=user.login,
                reason_code=BILL_REASON, due_on=due_on,
                comment=(f"Water service {row['period_start']} to {row['period_end']}: "
                         f"{row['usage_hcf']} HCF, {row['rate_class']} rates"),
                reference=f"RUN {run.id} BILL {row['id']}"), posted_at=at)
            posted.append((entry_id, row["id"]))
        conn.executemany("UPDATE bills SET ledger_entry_id = ? WHERE id = ?", posted)
        conn.execute("UPDATE billing_runs SET status = 'frozen', frozen_by = ?, frozen_at = ?,"
                     " bill_date = ?, due_date = ? WHERE id = ?",
                     (user.login, at, bill_on.isoformat(), due_on.isoformat(), run.id))
        audit.record(conn, at=at, actor=user.login, action="billing.freeze",
                     object_type="billing_run", object_id=run.id,
                     after={"posted": len(rows), "total_cents": run.total_cents,
                            "bill_date": bill_on.isoformat(), "due_date": due_on.isoformat()})
    return Frozen(require_run(conn, cycle_id, month), len(rows), False)


def stored_bills(conn: sqlite3.Connection, run_id: int) -> list[sqlite3.Row]:
    """The run's bills with the account number, in account order."""
    return conn.execute("SELECT b.*, a.number FROM bills b JOIN accounts a ON a.id = b.account_id"
                        " WHERE b.run_id = ? ORDER BY a.number", (run_id,)).fetchall()


def bill_lines(conn: sqlite3.Connection, bill_id: int) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM bill_lines WHERE bill_id = ? ORDER BY seq",
                        (bill_id,)).fetchall()


@dataclass(frozen=True)
class Reconciliation:
    """After freeze: every active account of the cycle, billed, held or excluded, or not."""

    run: Run
    billed: int
    held: list[tuple[str, str]]
    excluded: list[tuple[str, str]]
    unaccounted: list[tuple[str, str]]
    ledger_cents: int

    @property
    def ok(self) -> bool:
        return not self.unaccounted


def reconcile(conn: sqlite3.Connection, cycle_id: int, month: date) -> Reconciliation:
    """Each active account of the cycle is exactly one of billed (with its ledger entry),
    held (reason) or excluded (reason); anything else is unaccounted for."""
    run = require_run(conn, cycle_id, month)
    bills = {row["account_id"]: row for row in stored_bills(conn, run.id)}
    held, excluded, unaccounted = [], [], []
    billed = 0
    for row in cycle_accounts(conn, cycle_id):
        bill = bills.get(row["id"])
        if bill is None:
            unaccounted.append((row["number"], "active in the cycle but not in the run"
                                " (opened or moved in after the draft)"))
        elif bill["outcome"] == "billed":
            if run.status == "frozen" and bill["ledger_entry_id"] is None:
                unaccounted.append((row["number"], "billed in the run but not in the ledger"))
            else:
                billed += 1
        elif bill["outcome"] == "held":
            held.append((row["number"], bill["reason"]))
        else:
            excluded.append((row["number"], bill["reason"]))
    if run.status != "frozen":
        unaccounted.append(("(run)", f"the run is {run.status}, not frozen: nothing is billed"))
    ledger = conn.execute("SELECT COALESCE(SUM(e.amount_cents), 0) FROM bills b"
                          " JOIN ledger_entries e ON e.id = b.ledger_entry_id"
                          " WHERE b.run_id = ?", (run.id,)).fetchone()[0]
    return Reconciliation(run, billed, held, excluded, unaccounted, ledger)
