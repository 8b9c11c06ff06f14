"""A cycle-month's billing run: draft (posts nothing), approve (supervisor), freeze (one
transaction into the ledger, never twice) and the unbilled reconciliation."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from core.billing import Outcome
from core.errors import InputError, InputProblem
from core.rate_book import RateBook
from core.schedule import EventKind
from core.users import User, require_supervisor
from db import audit
from db.billing_draft import (
    Draft,
    cycle_month,
)
from db.billing_inputs import draft_rows, inputs_mark, run_fingerprint, stored_rows
from db.billing_parts import compute_draft_in_parts
from db.billing_post import post_bills
from db.billing_store import DraftStore
from db.connection import checkpoint_deferred, checkpoint_in_background
from db.schedule import use_schedule_date
from db.transaction import write_transaction


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
    # One snapshot: the bills and their inputs' digest agree. The pages are copied into the
    # database file after the commit, on another thread (db.connection).
    with checkpoint_deferred(conn), write_transaction(conn):
        store = DraftStore(conn, dates, book, user=user, at=at)
        draft = compute_draft_in_parts(conn, dates, book, existing.id if existing else None,
                                       on_part=store.write)
        run_id = store.finish(draft, book)
        audit.record(conn, at=at, actor=user.login, action="billing.draft",
                     object_type="billing_run", object_id=run_id,
                     after={"cycle": cycle_id, "month": dates.key,
                            "billed": draft.count(Outcome.BILLED),
                            "held": draft.count(Outcome.HELD),
                            "excluded": draft.count(Outcome.EXCLUDED),
                            "total_cents": draft.total_cents})
    checkpoint_in_background(conn)
    return require_run(conn, cycle_id, month), draft


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
    with checkpoint_deferred(conn), write_transaction(conn):  # pages copied after, on a thread
        run = require_run(conn, cycle_id, month)
        if run.status == "frozen":
            return Frozen(run, 0, True)
        if run.status != "approved":
            raise InputError(InputProblem("the draft is not approved: a supervisor approves "
                                          "it after reading the diff", field="--cycle"))
        dates = cycle_month(conn, cycle_id, month)
        # The preview equals the real run: the stored bills are the approved ones, and either
        # nothing they were computed from has moved or pricing again gives the same bills
        # (db/billing_inputs.py); then the stored bills are posted as they are.
        # The print file's bills are rendered from this snapshot, before the run is posted,
        # and kept with the run (migration 0014); for a large run, on the other core from as
        # soon as the inputs are known not to have moved (the common case: the checks and the
        # posting go on meanwhile; otherwise the second process prices the cycle again first).
        # db.print_bodies imports this module, so it is imported here.
        from db.print_bodies import Rendering, store_body
        approved, mark = conn.execute("SELECT approved_fingerprint, inputs_mark FROM"
                                      " billing_runs WHERE id = ?", (run.id,)).fetchone()
        unmoved = mark == inputs_mark(conn, book)  # before the calendar's dates are marked used
        used_by = f"billing run {run.id} cycle {cycle_id} {dates.key}"
        bill_on = use_schedule_date(conn, month=dates.month, cycle_id=cycle_id,
                                    event=EventKind.BILL, used_by=used_by, actor=user.login,
                                    at=at)
        due_on = use_schedule_date(conn, month=dates.month, cycle_id=cycle_id,
                                   event=EventKind.DUE, used_by=used_by, actor=user.login, at=at)
        rendering = Rendering(conn, run, bill_on, due_on) if unmoved else None
        try:
            if run_fingerprint(conn, run.id) != approved or (
                    not unmoved and draft_rows(compute_draft_in_parts(
                        conn, dates, book, run.id).rows) != stored_rows(conn, run.id)):
                raise InputError(InputProblem(
                    "the bills changed since the draft was approved (reads, holds, accounts or "
                    "rates moved): draft again and approve again", field="--cycle"))
            rendering = rendering or Rendering(conn, run, bill_on, due_on)
            body, (posted, cents) = rendering.while_posting(lambda: post_bills(
                conn, run.id, bill_on=bill_on, due_on=due_on, actor=user.login, at=at))
        finally:  # refused: the second process stops rendering after its chunk
            if rendering is not None:
                rendering.close()
        if (posted, cents) != (run.billed, run.total_cents):
            raise InputError(InputProblem(
                f"the stored bills ({posted}, {cents} cents) do not match the approved run "
                f"({run.billed}, {run.total_cents} cents): draft again", field="--cycle"))
        if (body.bills, body.current_cents) != (posted, cents):
            raise InputError(InputProblem(
                f"the print file's bills ({body.bills}, {body.current_cents} cents) do not "
                f"match the posted run ({posted}, {cents} cents): nothing was frozen",
                field="--cycle"))
        store_body(conn, body)
        conn.execute("UPDATE billing_runs SET status = 'frozen', frozen_by = ?, frozen_at = ?,"
                     " bill_date = ?, due_date = ? WHERE id = ?",
                     (user.login, at, bill_on.isoformat(), due_on.isoformat(), run.id))
        audit.record(conn, at=at, actor=user.login, action="billing.freeze",
                     object_type="billing_run", object_id=run.id,
                     after={"posted": posted, "total_cents": run.total_cents,
                            "bill_date": bill_on.isoformat(), "due_date": due_on.isoformat()})
    checkpoint_in_background(conn)
    return Frozen(require_run(conn, cycle_id, month), posted, False)


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
    ledger_cents: int  # the run's bills' ledger entries, summed
    ledger_entries: int  # and counted

    @property
    def ok(self) -> bool:
        return not self.unaccounted


# Every active account of the cycle beside its bill in the run, if any, in account order.
RECONCILE_SQL = """
SELECT a.number, b.outcome, b.reason, l.entry_id IS NOT NULL
  FROM routes r CROSS JOIN premises p ON p.route_id = r.id
  CROSS JOIN accounts a ON a.premise_id = p.id
  LEFT JOIN bill_rows b ON b.run_id = :run AND b.account_id = a.id
  LEFT JOIN bill_entries l ON l.bill_id = b.id
 WHERE r.cycle_id = :cycle AND a.status = 'active'
 ORDER BY a.number
"""


def reconcile(conn: sqlite3.Connection, cycle_id: int, month: date) -> Reconciliation:
    """Each active account of the cycle is exactly one of billed (with its ledger entry),
    held (reason) or excluded (reason); anything else is unaccounted for."""
    run = require_run(conn, cycle_id, month)
    held, excluded, unaccounted = [], [], []
    billed = 0
    frozen = run.status == "frozen"
    for number, outcome, reason, posted in conn.execute(RECONCILE_SQL, {"run": run.id,
                                                                        "cycle": cycle_id}):
        if outcome is None:
            unaccounted.append((number, "active in the cycle but not in the run"
                                " (opened or moved in after the draft)"))
        elif outcome == "billed":
            if frozen and not posted:
                unaccounted.append((number, "billed in the run but not in the ledger"))
            else:
                billed += 1
        elif outcome == "held":
            held.append((number, reason))
        else:
            excluded.append((number, reason))
    if not frozen:
        unaccounted.append(("(run)", f"the run is {run.status}, not frozen: nothing is billed"))
    cents, entries = conn.execute(
        "SELECT COALESCE(SUM(e.amount_cents), 0), COUNT(*) FROM bill_rows b"
        " JOIN bill_entries l ON l.bill_id = b.id JOIN ledger_entries e ON e.id = l.entry_id"
        " WHERE b.run_id = ?", (run.id,)).fetchone()
    return Reconciliation(run, billed, held, excluded, unaccounted, cents, entries)


RUN_BILLS_SQL = ("SELECT b.id, a.number, b.outcome, b.usage_hcf, b.total_cents, b.rate_class,"
                 " b.reason FROM bills b JOIN accounts a ON a.id = b.account_id"
                 " WHERE b.run_id = ?")


def count_run_bills(conn: sqlite3.Connection, run_id: int) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM bills WHERE run_id = ?",
                            (run_id,)).fetchone()[0])


def run_bill_page(conn: sqlite3.Connection, run_id: int, *, after: str | None, offset: int,
                  limit: int) -> list[sqlite3.Row]:
    """One page of the run's bills in account order: by keyset on the number when `after`."""
    if after is None:
        return conn.execute(RUN_BILLS_SQL + " ORDER BY a.number LIMIT ? OFFSET ?",
                            (run_id, limit, offset)).fetchall()
    return conn.execute(RUN_BILLS_SQL + " AND a.number > ? ORDER BY a.number LIMIT ?",
                        (run_id, after, limit)).fetchall()


def run_bill(conn: sqlite3.Connection, run_id: int, number: str) -> sqlite3.Row | None:
    """The run's bill for the account with this number, or None when it is not in the run."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT b.* FROM bills b JOIN accounts a ON a.id = b.account_id"
        " WHERE b.run_id = ? AND a.number = ?", (run_id, number)).fetchone()
    return row
