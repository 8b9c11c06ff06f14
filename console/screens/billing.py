"""Billing (F6): a cycle's run, draft → diff → approve → freeze → print file, bills explained."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, Static
from textual.worker import Worker, WorkerState

from console.session import now_stamp
from console.widgets.paged_table import Column, PagedRow, PagedTable
from console.worker_errors import ReportsWorkerErrors
from core.bill_lines import plural
from core.billing import DEMO_HISTORY
from core.money import format_money

DIFF_ROWS = 8
STEP_NAMES = {"draft": "draft", "approve": "approval", "freeze": "freeze",
              "print": "print file"}


class RunBillsSource:
    """The run's bills in account order, paged by keyset on the account number."""

    columns = (Column("Account", 11), Column("Status", 9), Column("HCF", 7, "right"),
               Column("Amount", 11, "right"), Column("Class or reason", 36))

    def __init__(self) -> None:
        self.run_id = 0

    def count(self, conn: sqlite3.Connection) -> int:
        from db.billing_run import count_run_bills

        return count_run_bills(conn, self.run_id)

    def page(self, conn: sqlite3.Connection, *, after: str | None, offset: int,
             limit: int) -> list[PagedRow]:
        from db.billing_run import run_bill_page

        rows = run_bill_page(conn, self.run_id, after=after, offset=offset, limit=limit)
        return [PagedRow(r[1], (r[1], r[2].upper(), r[3],
                                format_money(r[4]) if r[2] == "billed" else "",
                                r[5] if r[2] == "billed" else r[6]), detail=r[0])
                for r in rows]


@dataclass
class RunLoaded(Message):
    """The cycle-month's run as stored (None: not drafted yet), and what to say about it."""

    cycle_id: int
    month: date
    run: Any
    note: str


@dataclass
class BillExplained(Message):
    number: str
    text: str


class BillingScreen(ReportsWorkerErrors, Screen[None]):
    """One cycle-month's billing run at a time; [ and ] change the cycle."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="billing.back", show=False),
                Binding("d", "draft", "Draft", id="billing.draft"),
                Binding("v", "diff", "Diff", id="billing.diff"),
                Binding("a", "approve", "Approve", id="billing.approve"),
                Binding("f", "freeze", "Freeze", id="billing.freeze"),
                Binding("p", "print_file", "Print", id="billing.print"),
                Binding("right_square_bracket", "cycle(1)", "Next cycle", id="billing.next",
                        show=False),
                Binding("left_square_bracket", "cycle(-1)", "Prev cycle", id="billing.prev",
                        show=False),
                Binding("greater_than_sign", "month(1)", "Next month", id="billing.next_month",
                        show=False),
                Binding("less_than_sign", "month(-1)", "Prev month", id="billing.prev_month",
                        show=False)]
    CSS_PATH = "billing.tcss"

    def __init__(self) -> None:
        super().__init__()
        self.source = RunBillsSource()
        self.cycle_id = 1
        self.month = date(2000, 1, 1)
        self.run: Any = None
        # The write step under way (draft, approve, freeze, print), None when none is: a thread
        # worker cannot be stopped, so a second step key pressed meanwhile is refused rather
        # than starting another step beside it on the same run.
        self.step_running: str | None = None

    def compose(self) -> ComposeResult:
        yield Label("Billing", id="billing-title", markup=False)
        yield Label("", id="billing-status", markup=False)
        yield PagedTable(self.source, self.app.connect,  # type: ignore[attr-defined]
                         id="billing-table")
        yield Static("", id="billing-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        # Back where the clerk left it this session; else cycle 1 of this month.
        self.cycle_id, self.month = self.app.places.get(  # type: ignore[attr-defined]
            "billing", (1, self.app.session.today.replace(day=1)))  # type: ignore[attr-defined]
        self.query_one(PagedTable).focus()
        self._load("")
        self._warm()

    @work(thread=True, exclusive=True, group="billing-warm", exit_on_error=False)
    def _warm(self) -> None:
        """A large district's second process starts while the clerk reads the screen, so the
        first draft of the session does not wait for it (db.billing_parts)."""
        from db.billing_parts import warm_second_process

        with self.app.connect() as conn:  # type: ignore[attr-defined]
            warm_second_process(conn)

    # --- choosing the cycle-month ------------------------------------------------------

    def action_cycle(self, step: int) -> None:
        self.cycle_id = max(1, self.cycle_id + step)
        self._load("")

    def action_month(self, step: int) -> None:
        month = self.month.month - 1 + step
        self.month = date(self.month.year + month // 12, month % 12 + 1, 1)
        self._load("")

    @work(thread=True, exclusive=True, group="billing", exit_on_error=False)
    def _load(self, note: str) -> None:
        from db.billing_run import find_run
        from db.schedule import last_cycle_id

        cycle_id, month = self.cycle_id, self.month
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            last = last_cycle_id(conn) or 1
            if cycle_id > last:
                cycle_id = self.cycle_id = last
            run = find_run(conn, cycle_id, month)
        self.post_message(RunLoaded(cycle_id, month, run, note))

    @on(RunLoaded)
    def _loaded(self, event: RunLoaded) -> None:
        if (event.cycle_id, event.month) != (self.cycle_id, self.month):
            return
        self.app.places["billing"] = (event.cycle_id, event.month)  # type: ignore[attr-defined]
        self.run = event.run
        run = event.run
        head = f"Billing — cycle {event.cycle_id} · {event.month:%Y-%m}"
        if run is None:
            head += " · NOT DRAFTED"
            status = event.note or "d drafts the run (posts nothing) · [ ] cycle · < > month"
        else:
            head += f" · run {run.id} {run.status.upper()}"
            status = (f"{run.billed:,} billed {format_money(run.total_cents)} · {run.held:,} "
                      f"HELD · {run.excluded:,} EXCLUDED · due {run.due_date}\n"
                      + (event.note or _next_step(run.status, run.fingerprint)))
        self.query_one("#billing-title", Label).update(head)
        self.query_one("#billing-status", Label).update(status)
        self.source.run_id = run.id if run is not None else 0
        self.query_one(PagedTable).reload()

    # --- the steps -----------------------------------------------------------------------

    def action_draft(self) -> None:
        if self._still_running():
            return
        if self.run is not None and self.run.status == "frozen":
            self.app.show_error(  # type: ignore[attr-defined]
                "Already frozen", "This cycle-month is frozen: it is never billed twice.")
            return
        self.query_one("#billing-status", Label).update("Drafting every bill of the cycle…")
        self._start("draft")

    def action_approve(self) -> None:
        if not self._still_running():
            self._start("approve")

    def action_freeze(self) -> None:
        if not self._still_running():
            self.query_one("#billing-status", Label).update("Freezing: posting every bill…")
            self._start("freeze")

    def action_print_file(self) -> None:
        if not self._still_running():
            self._start("print")

    def _still_running(self) -> bool:
        """Whether a write step is under way; if so the clerk is told, and nothing starts."""
        if self.step_running is None:
            return False
        self.notify(f"The {STEP_NAMES[self.step_running]} is still running: wait for it to "
                    "finish, then press the key again.", title="Billing", severity="warning",
                    timeout=5)
        return True

    def _start(self, step: str) -> None:
        self.step_running = step
        self._step(step)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.worker.group == "billing-write" and event.state in (
                WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self.step_running = None

    @work(thread=True, exclusive=True, group="billing-write", exit_on_error=False)
    def _step(self, step: str) -> None:
        from db import billing_run
        from db.rates import load_rate_book

        session = self.app.session  # type: ignore[attr-defined]
        cycle_id, month = self.cycle_id, self.month
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            if step == "draft":
                run, _ = billing_run.draft_run(conn, cycle_id, month, load_rate_book(conn),
                                               user=session.user, at=now_stamp())
                note = (f"DRAFTED: nothing posted. v shows the diff; a supervisor approves "
                        f"(a). {run.held:,} held, {run.excluded:,} excluded.")
            elif step == "approve":
                run = billing_run.approve_run(conn, cycle_id, month, user=session.user,
                                              at=now_stamp())
                note = f"APPROVED by {run.approved_by}. f freezes (posts to the ledger)."
            elif step == "freeze":
                done = billing_run.freeze_run(conn, cycle_id, month, load_rate_book(conn),
                                              user=session.user, at=now_stamp())
                note = ("Already FROZEN: nothing posted again." if done.already else
                        f"FROZEN: {done.posted:,} {plural('bill', done.posted)} posted, due"
                        f" {done.run.due_date}. "
                        "p writes the print file.")
            else:
                note = self._print(conn, cycle_id, month)
            stored = billing_run.find_run(conn, cycle_id, month)
        self.post_message(RunLoaded(cycle_id, month, stored, note))

    def _print(self, conn: sqlite3.Connection, cycle_id: int, month: date) -> str:
        from db.bill_print import write_print_file

        folder = Path(self.app.session.db_path).parent  # type: ignore[attr-defined]
        out = folder / f"bills-cycle{cycle_id}-{month:%Y-%m}.txt"
        written = write_print_file(conn, cycle_id, month, out, generated_at=now_stamp())
        return (f"PRINT FILE written: {written.path} ({written.bills:,}"
                f" {plural('bill', written.bills)}, "
                f"{format_money(written.current_cents)}) and its manifest.")

    # --- the diff and one bill's lines -----------------------------------------------------

    def action_diff(self) -> None:
        self._diff()

    @work(thread=True, exclusive=True, group="billing-detail", exit_on_error=False)
    def _diff(self) -> None:
        from db.billing_diff import diff_run

        with self.app.connect() as conn:  # type: ignore[attr-defined]
            found = diff_run(conn, self.cycle_id, self.month)
        lines = [f"Diff, holds first then the biggest changes; last cycle: {found.basis}",
                 f"Total {format_money(found.total_cents)} (last "
                 f"{format_money(found.last_total_cents)}, change "
                 f"{format_money(found.total_cents - found.last_total_cents)})"]
        for r in found.rows[:DIFF_ROWS]:
            if r.outcome.value == "billed":
                last = "new" if r.last_cents is None else format_money(r.last_cents)
                lines.append(f"{r.number} {format_money(r.total_cents):>10} was {last:>10} "
                             f"({format_money(r.change_cents)}) {r.usage_hcf} HCF")
            else:
                lines.append(f"{r.number} {r.outcome.value.upper()}: {r.reason}")
        lines[2:] = [line if len(line) <= 76 else line[:75] + "…" for line in lines[2:]]
        self.post_message(BillExplained("diff", "\n".join(lines)))

    @on(PagedTable.RowChosen)
    def _chosen(self, event: PagedTable.RowChosen) -> None:
        self._explain(event.key)

    @work(thread=True, exclusive=True, group="billing-detail", exit_on_error=False)
    def _explain(self, number: str) -> None:
        from db.billing_run import bill_lines, run_bill

        with self.app.connect() as conn:  # type: ignore[attr-defined]
            bill = run_bill(conn, self.source.run_id, number)
            lines = [] if bill is None else bill_lines(conn, bill["id"])
        if bill is None:
            text = f"{number}: not in this run."
        elif bill["outcome"] != "billed":
            text = f"{number} {bill['outcome'].upper()}: {bill['reason']}"
        else:
            text = "\n".join([f"{number}: {bill['period_start']} to {bill['period_end']}, "
                              f"{bill['usage_hcf']} HCF"
                              f"{' (ESTIMATED)' if bill['estimated'] else ''}, "
                              f"{bill['rate_class']}: {format_money(bill['total_cents'])}"]
                             + [f"· {row['explanation']}" for row in lines])
        self.post_message(BillExplained(number, text))

    @on(BillExplained)
    def _explained(self, event: BillExplained) -> None:
        self.query_one("#billing-detail", Static).update(Text(event.text))


def _next_step(status: str, fingerprint: str = "") -> str:
    if fingerprint == DEMO_HISTORY:
        return "FROZEN: demo history (demo prices) · next month diffs against it"
    return {"draft": "DRAFT: v diff · Enter explains a bill · a approve (supervisor) · d redraft",
            "approved": "APPROVED: f freezes (posts every bill once) · d redraft clears it",
            "frozen": "FROZEN: posted to the ledger · p writes the print file"}[status]
