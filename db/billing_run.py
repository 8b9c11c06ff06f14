"""A cycle-month's billing run: draft (posts nothing), approve (supervisor), freeze (one
transaction into the ledger, never twice) and the unbilled reconciliation."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from core.billing import AccountBill, Outcome, StoredLine
from core.errors import InputError, InputProblem
from core.rate_book import RateBook
from core.schedule import EventKind
from core.users import User, require_supervisor
from db import audit
from db.billing_draft import (
    CycleMonth,
    Draft,
    compute_draft,
    cycle_month,
)
from db.billing_inputs import draft_rows, inputs_mark, run_fingerprint, stored_rows
from db.billing_post import post_bills
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
    with write_transaction(conn):  # one snapshot: the bills and their inputs' digest agree
        draft = compute_draft(conn, dates, book, existing.id if existing else None)
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
              "", draft.count(Outcome.BILLED), draft.count(Outcome.HELD),
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
        conn.execute("DELETE FROM bill_rows WHERE run_id = ?", (run_id,))
        conn.execute("DELETE FROM bill_line_sets WHERE run_id = ?", (run_id,))
    _store_bills(conn, run_id, sorted(draft.bills, key=lambda b: b.account_id))
    # The mark last, after every write of the draft (its bills count as changes too).
    conn.execute("UPDATE billing_runs SET fingerprint = ?, inputs_mark = ? WHERE id = ?",
                 (run_fingerprint(conn, run_id), inputs_mark(conn, book), run_id))
    return run_id


def _store_bills(conn: sqlite3.Connection, run_id: int, bills: list[AccountBill]) -> None:
    """The bills in account order, and each distinct set of lines once (bills priced alike
    share one set); ids are given, so each table is one statement."""
    first_bill = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM bill_rows").fetchone()[0]
    first_set = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM bill_line_sets"
                             ).fetchone()[0]
    by_identity: dict[int, int] = {}  # the draft's memo shares one tuple of lines per pricing
    by_value: dict[tuple[StoredLine, ...], int] = {}
    sets: list[tuple[StoredLine, ...]] = []
    bill_rows = []
    for n, b in enumerate(bills):
        set_id = None
        if b.lines:
            set_id = by_identity.get(id(b.lines))
            if set_id is None:
                set_id = by_value.get(b.lines)
                if set_id is None:
                    set_id = by_value[b.lines] = first_set + len(sets)
                    sets.append(b.lines)
                by_identity[id(b.lines)] = set_id
        bill_rows.append((first_bill + n, run_id, b.account_id, b.outcome.value, b.reason,
                          b.rate_class, _iso(b.period_start), _iso(b.period_end),
                          str(b.usage_hcf), int(b.estimated), b.total_cents, b.history,
                          b.meter_reads, set_id))
    conn.executemany("INSERT INTO bill_line_sets (id, run_id) VALUES (?, ?)",
                     [(first_set + k, run_id) for k in range(len(sets))])
    conn.executemany(
        "INSERT INTO bill_set_lines (set_id, seq, component, label, quantity, unit, rate,"
        " amount_cents, explanation, rate_files, rate_sha256)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(first_set + k, seq, ln.component, ln.label, ln.quantity, ln.unit, ln.rate,
          ln.amount_cents, ln.explanation, ln.rate_files, ln.rate_sha256)
         for k, lines in enumerate(sets) for seq, ln in enumerate(lines, start=1)])
    conn.executemany(
        "INSERT INTO bill_rows (id, run_id, account_id, outcome, reason, rate_class,"
        " period_start, period_end, usage_hcf, estimated, total_cents, usage_history,"
        " meter_reads, line_set_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        bill_rows)


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
        # The preview equals the real run: the stored bills are the approved ones, and either
        # nothing they were computed from has moved or pricing again gives the same bills
        # (db/billing_inputs.py); then the stored bills are posted as they are.
        approved, mark = conn.execute("SELECT approved_fingerprint, inputs_mark FROM"
                                      " billing_runs WHERE id = ?", (run.id,)).fetchone()
        if run_fingerprint(conn, run.id) != approved or (
                mark != inputs_mark(conn, book)
                and draft_rows(compute_draft(conn, dates, book, run.id).bills)
                != stored_rows(conn, run.id)):
            raise InputError(InputProblem(
                "the bills changed since the draft was approved (reads, holds, accounts or "
                "rates moved): draft again and approve again", field="--cycle"))
        used_by = f"billing run {run.id} cycle {cycle_id} {dates.key}"
        bill_on = use_schedule_date(conn, month=dates.month, cycle_id=cycle_id,
                                    event=EventKind.BILL, used_by=used_by, actor=user.login,
                                    at=at)
        due_on = use_schedule_date(conn, month=dates.month, cycle_id=cycle_id,
                                   event=EventKind.DUE, used_by=used_by, actor=user.login, at=at)
        posted, cents = post_bills(conn, run.id, bill_on=bill_on, due_on=due_on,
                                   actor=user.login, at=at)
        if (posted, cents) != (run.billed, run.total_cents):
            raise InputError(InputProblem(
                f"the stored bills ({posted}, {cents} cents) do not match the approved run "
                f"({run.billed}, {run.total_cents} cents): draft again", field="--cycle"))
        conn.execute("UPDATE billing_runs SET status = 'frozen', frozen_by = ?, frozen_at = ?,"
                     " bill_date = ?, due_date = ? WHERE id = ?",
                     (user.login, at, bill_on.isoformat(), due_on.isoformat(), run.id))
        audit.record(conn, at=at, actor=user.login, action="billing.freeze",
                     object_type="billing_run", object_id=run.id,
                     after={"posted": posted, "total_cents": run.total_cents,
                            "bill_date": bill_on.isoformat(), "due_date": due_on.isoformat()})
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
    ledger_cents: int

    @property
    def ok(self) -> bool:
        return not self.unaccounted


# Every active account of the cycle beside its bill in the run, if any, in account order.
RECONCILE_SQL = """
SELECT a.number, b.outcome, b.reason, b.ledger_entry_id IS NOT NULL
  FROM routes r CROSS JOIN premises p ON p.route_id = r.id
  CROSS JOIN accounts a ON a.premise_id = p.id
  LEFT JOIN bills b ON b.run_id = :run AND b.account_id = a.id
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
    ledger = conn.execute("SELECT COALESCE(SUM(e.amount_cents), 0) FROM bills b"
                          " JOIN ledger_entries e ON e.id = b.ledger_entry_id"
                          " WHERE b.run_id = ?", (run.id,)).fetchone()[0]
    return Reconciliation(run, billed, held, excluded, unaccounted, ledger)
