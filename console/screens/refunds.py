"""Refunds: the refund register paged from SQLite, where a supervisor approves a pending
refund, cancels one not yet paid, and pays the approved ones in one A/P file, through the same
`db.refunds` functions (and their checks) as `meterline refunds`.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from console.messages import RefundRegisterChanged
from console.screens.refund_forms import refund_lines, status_day, why_short
from console.session import now_stamp
from console.widgets.paged_table import Column, PagedRow, PagedTable
from console.worker_errors import ReportsWorkerErrors
from core.errors import ConflictError, PermissionDenied
from core.money import format_money
from core.users import require_supervisor
from db.refunds import PAY_ACTION, check_decision, count_refunds, refund_page

# What `f` cycles through: the refunds waiting for a supervisor first (the register's statuses).
REGISTER_VIEWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pending", ("pending",)), ("all", ()), ("approved", ("approved",)), ("paid", ("paid",)),
    ("cancelled", ("cancelled",)))
PANE = ("head", "payee", "how", "note", "history")


class RefundRegisterSource:
    """Register rows with the chosen statuses, newest first; each row carries its refund."""

    columns = (Column("Refund", 6, "right"), Column("Status", 9), Column("Account", 10),
               Column("Payee", 13), Column("Amount", 10, "right"), Column("Why", 13),
               Column("Date", 10))

    def __init__(self, statuses: tuple[str, ...]) -> None:
        self.statuses = statuses

    def count(self, conn: sqlite3.Connection) -> int:
        return count_refunds(conn, self.statuses)

    def page(self, conn: sqlite3.Connection, *, after: str | None, offset: int,
             limit: int) -> list[PagedRow]:
        found = refund_page(conn, self.statuses, offset=offset, limit=limit,
                            after=int(after) if after is not None else None)
        return [PagedRow(str(r["id"]), (str(r["id"]), r["status"].upper(), r["account_number"],
                                        r["payee_name"], format_money(r["amount_cents"]),
                                        why_short(r), status_day(r)), dict(r))
                for r in found]


class RefundsScreen(ReportsWorkerErrors, Screen[None]):
    """The refund register: see why each refund is owed, decide it, send the approved to A/P."""

    CSS_PATH = "refunds.tcss"
    BINDINGS = [
        Binding("a", "approve", "Approve", id="refunds.approve"),
        Binding("c", "cancel_refund", "Cancel refund", id="refunds.cancel"),
        Binding("p", "pay", "Pay A/P", id="refunds.pay"),
        Binding("f", "next_view", "Status filter", id="refunds.filter"),
        Binding("ctrl+r", "reload", "Refresh", id="refunds.refresh", show=False),
        Binding("escape", "app.pop_screen", "Back", id="refunds.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = 0

    def compose(self) -> ComposeResult:
        yield Label("Refunds", id="refunds-title", markup=False)
        yield PagedTable(RefundRegisterSource(REGISTER_VIEWS[0][1]),
                         self.app.connect,  # type: ignore[attr-defined]
                         id="refunds-list")
        with Vertical(id="refunds-detail"):
            yield Static("Loading the refund register…", id="refunds-head", markup=False)
            for name in PANE[1:]:
                yield Static("", id=f"refunds-{name}", markup=False)
        yield Static("A supervisor approves, cancels and pays · Enter opens the account · "
                     "F1 every key", id="refunds-status", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    @property
    def register(self) -> PagedTable:
        return self.query_one("#refunds-list", PagedTable)

    def on_mount(self) -> None:
        self.register.focus()
        self.watch(self.register, "cursor", lambda _cursor: self._describe(), init=False)
        self._title()

    def on_screen_resume(self) -> None:
        if self.is_mounted:  # the CLI or another supervisor may have decided a refund
            self.register.reload()

    def _say(self, text: str) -> None:
        self.query_one("#refunds-status", Static).update(text)

    def _title(self) -> None:
        shown = self.register.row_count
        self.query_one("#refunds-title", Label).update(
            f"Refunds — {'…' if shown < 0 else f'{shown:,}'} "
            f"{REGISTER_VIEWS[self.view][0].upper()} — newest first")

    @on(PagedTable.CountLoaded)
    @on(PagedTable.PageLoaded)
    def _register_arrived(self) -> None:
        self._title()
        self._describe()

    def selected(self) -> dict[str, Any] | None:
        return self.register.cursor_detail  # type: ignore[no-any-return]

    def _describe(self) -> None:
        refund = self.selected()
        if refund is not None:
            lines = refund_lines(refund)
        elif self.register.row_count == 0:
            lines = ["No refunds have this status; f shows another.", "", "", "", ""]
        else:
            lines = ["Loading…", "", "", "", ""]
        for name, line in zip(PANE, lines, strict=True):
            self.query_one(f"#refunds-{name}", Static).update(line)

    # -- approve, cancel, pay ----------------------------------------------------------------
    def _decidable(self, verb: str) -> dict[str, Any] | None:
        """The selected refund if this user may `verb` it now; else say why, change nothing."""
        refund = self.selected()
        if refund is None:
            self._say("No refund is selected.")
            return None
        user = self.app.session.user  # type: ignore[attr-defined]
        try:  # the checks db.refunds.decide_refund applies, said before the dialog opens
            check_decision(refund, user, approve=verb == "approve")
        except (PermissionDenied, ConflictError) as refused:
            self._say(f"Refused: {refused}. Nothing was changed.")
            return None
        return refund

    def _decide(self, approve: bool) -> None:
        from console.screens.refund_forms import decision_form

        refund = self._decidable("approve" if approve else "cancel")
        if refund is None:
            return

        def decided(comment: str | None) -> None:
            if comment is not None:
                self._store(lambda conn: _decision(conn, refund["id"], approve, comment,
                                                   self.app.session.user))  # type: ignore[attr-defined]

        self.app.push_screen(decision_form(refund, approve), decided)

    def action_approve(self) -> None:
        self._decide(True)

    def action_cancel_refund(self) -> None:
        self._decide(False)

    def action_pay(self) -> None:
        from console.screens.refund_forms import export_form

        session = self.app.session  # type: ignore[attr-defined]
        try:  # db.refunds.export_refunds refuses too; say so before the dialog opens
            require_supervisor(session.user, PAY_ACTION)
        except PermissionDenied as refused:
            self._say(f"Refused: {refused}. Nothing was changed.")
            return

        def chosen(out: Path | None) -> None:
            if out is not None:
                self._store(lambda conn: _pay(conn, out, session.user, session.today))

        self.app.push_screen(export_form(session.today, Path.cwd()), chosen)

    @work(thread=True, exclusive=True, group="refunds-store", exit_on_error=False)
    def _store(self, write: Callable[[sqlite3.Connection], str]) -> None:
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            said = write(conn)
        self.post_message(RefundRegisterChanged(said))

    @on(RefundRegisterChanged)
    def _stored(self, event: RefundRegisterChanged) -> None:
        self._say(event.message)
        self.register.reload()

    # -- filter, refresh, open ---------------------------------------------------------------
    def action_next_view(self) -> None:
        self.view = (self.view + 1) % len(REGISTER_VIEWS)
        self.register.show_source(RefundRegisterSource(REGISTER_VIEWS[self.view][1]))
        self._title()

    def action_reload(self) -> None:
        self.register.reload()

    @on(PagedTable.RowChosen)
    def _open_account(self) -> None:
        refund = self.selected()
        if refund is not None:
            self.app.open_account(refund["account_number"])  # type: ignore[attr-defined]


def _decision(conn: sqlite3.Connection, refund_id: int, approve: bool, comment: str,
              user: Any) -> str:
    from db.refunds import decide_refund

    status = decide_refund(conn, refund_id, approver=user, approve=approve, comment=comment,
                           at=now_stamp())
    return f"Refund {refund_id} is {status.upper()}." + (
        " It is paid with the next A/P file (p)." if status == "approved" else
        " It is never paid; the credit or deposit stays.")


def _pay(conn: sqlite3.Connection, out: Path, user: Any, today: Any) -> str:
    from db.refunds import export_refunds

    count, total = export_refunds(conn, out, user=user, at=now_stamp(), today=today)
    return (f"PAID {count} refunds, {format_money(total)}: wrote {out} for accounts payable;"
            " each refund entry is posted.")
