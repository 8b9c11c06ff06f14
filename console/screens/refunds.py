"""Refunds: the refund register paged from SQLite, where a supervisor approves a pending
refund, cancels one not yet paid, and pays the approved ones in one A/P file, through the same
`db.refunds` functions (and their checks) as `meterline refunds`; a clerk runs the deposit
sweep here as `meterline deposits sweep` does.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from textual import on, work
from textual.binding import Binding
from textual.message import Message

from console.messages import RefundRegisterChanged
from console.screens.refund_forms import refund_lines, status_day, why_short
from console.screens.register_screen import RegisterScreen, Row, StatusFilters, register_keys
from console.session import now_stamp
from console.widgets.paged_table import Column, PagedRow
from core.errors import ConflictError, PermissionDenied
from core.money import format_money
from core.users import require_supervisor
from db.refunds import PAY_ACTION, check_decision, count_refunds, refund_page

# What `f` cycles through: the refunds waiting for a supervisor first (the register's statuses).
REGISTER_VIEWS: StatusFilters = (
    ("pending", ("pending",)), ("all", ()), ("approved", ("approved",)), ("paid", ("paid",)),
    ("cancelled", ("cancelled",)))


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


@dataclass
class DepositSweepPreviewed(Message):
    """The sweep's dry run for `on`: how many deposits it would propose, and their total."""

    on: date
    judged: int
    proposed: int
    total_cents: int


class RefundsScreen(RegisterScreen):
    """The refund register: see why each refund is owed, decide it, send the approved to A/P."""

    CSS_PATH = ["register_screen.tcss", "refunds.tcss"]
    BINDINGS = [
        Binding("a", "approve", "Approve", id="refunds.approve"),
        Binding("c", "cancel_refund", "Cancel refund", id="refunds.cancel"),
        Binding("p", "pay", "Pay A/P", id="refunds.pay"),
        # Off the footer (a, c, p, f, Esc fill 80 columns); the status line's hint and F1 say it.
        Binding("s", "sweep", "Deposit sweep", id="refunds.sweep", show=False),
        *register_keys("refunds"),
    ]
    NAME = "Refunds"
    PREFIX = "refunds"
    FILTERS = REGISTER_VIEWS
    PANE = ("head", "payee", "how", "note", "history")
    LOADING = "Loading the refund register…"
    EMPTY = "No refunds have this status; f shows another."
    HINT = ("s runs the deposit sweep · a supervisor approves, cancels and pays · Enter opens"
            " the account · F1 every key")
    NONE_SELECTED = "No refund is selected."

    def page_source(self, statuses: tuple[str, ...]) -> RefundRegisterSource:
        return RefundRegisterSource(statuses)

    def pane_lines(self, row: Row) -> list[str]:
        return refund_lines(row)

    def changed(self, said: str) -> RefundRegisterChanged:
        return RefundRegisterChanged(said)

    @on(RefundRegisterChanged)
    def _stored(self, event: RefundRegisterChanged) -> None:
        self.stored(event.message)

    # -- approve, cancel, pay ----------------------------------------------------------------
    def _decide(self, approve: bool) -> None:
        from console.screens.refund_forms import decision_form

        user = self.app.session.user  # type: ignore[attr-defined]
        # The checks db.refunds.decide_refund applies, said before the dialog opens.
        self.act_on_selected(
            lambda refund: _refused(lambda: check_decision(refund, user, approve=approve)),
            lambda refund: decision_form(refund, approve),
            lambda conn, refund, comment: _decision(conn, refund["id"], approve, comment, user))

    def action_approve(self) -> None:
        self._decide(True)

    def action_cancel_refund(self) -> None:
        self._decide(False)

    def action_pay(self) -> None:
        from console.screens.refund_forms import export_form

        session = self.app.session  # type: ignore[attr-defined]
        # db.refunds.export_refunds refuses too; say so before the dialog opens.
        refused = _refused(lambda: require_supervisor(session.user, PAY_ACTION))
        if refused is not None:
            self.say(refused)
            return
        self.open_form(export_form(session.today, Path.cwd()),
                       lambda conn, out: _pay(conn, out, session.user, session.today))

    # -- s: the good-payment deposit sweep (docs/workflows/deposit-refund-sweep.md) ----------
    def action_sweep(self) -> None:
        # Anyone signed in may run it, as `meterline deposits sweep` lets them: it only asks.
        self.say("Deposit sweep: judging the held deposits…")
        self._preview_sweep(self.app.session)  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="refunds-sweep", exit_on_error=False)
    def _preview_sweep(self, session: Any) -> None:
        from db.deposit_sweep import sweep_deposits

        with self.app.connect() as conn:  # type: ignore[attr-defined]
            # The CLI's --dry-run: the same rule and function, nothing stored.
            lines = sweep_deposits(conn, session.today, actor=session.user.login,
                                   at=now_stamp(), propose=False)
        earned = [line.history.deposit_cents for line in lines if line.verdict.eligible]
        self.post_message(DepositSweepPreviewed(session.today, len(lines), len(earned),
                                                sum(earned)))

    @on(DepositSweepPreviewed)
    def _sweep_previewed(self, event: DepositSweepPreviewed) -> None:
        from console.widgets.forms import ConfirmModal

        title = f"Deposit sweep {event.on}"
        if not event.proposed:
            self.say(f"{title}: 0 refunds to propose ({event.judged:,} held deposits judged;"
                     " any already proposed wait in the register). Nothing was proposed.")
            return
        session = self.app.session  # type: ignore[attr-defined]

        def answered(yes: bool | None) -> None:
            if yes:
                self.say(f"{title}: proposing…")
                self.store(lambda conn: _sweep(conn, event.on, session.user.login))
            else:
                self.say(f"{title}: not run. Nothing was proposed.")

        self.app.push_screen(ConfirmModal(title, sweep_lines(event), (
            f"Propose {_refunds(event.proposed)} ({format_money(event.total_cents)})?")),
            answered)


def sweep_lines(event: DepositSweepPreviewed) -> list[str]:
    """What the confirmation says: the count and total, and what becomes of them."""
    return [f"{_refunds(event.proposed)} to propose, {format_money(event.total_cents)} in all:"
            f" {event.proposed:,} of the {event.judged:,} held deposits have earned their refund"
            " by the good-payment rule (RULES.md §7).",
            "Each becomes a PENDING refund (why: deposit sweep) for a supervisor to approve;"
            " no money moves until it is paid to A/P."]


def _refunds(count: int) -> str:
    return f"{count:,} refund{'s' if count != 1 else ''}"


def _sweep(conn: sqlite3.Connection, on: date, actor: str) -> str:
    """`meterline deposits sweep --date ON`: one transaction; a deposit is never proposed twice."""
    from db.deposit_sweep import sweep_deposits

    lines = sweep_deposits(conn, on, actor=actor, at=now_stamp())
    proposed = [line.history.deposit_cents for line in lines if line.register_id]
    return (f"Deposit sweep {on}: {_refunds(len(proposed))} proposed"
            f" ({format_money(sum(proposed))}), pending a supervisor's approval.")


def _refused(check: Callable[[], object]) -> str | None:
    """What the clerk is told when `check` refuses (nothing is changed), or None."""
    try:
        check()
    except (PermissionDenied, ConflictError) as refused:
        return f"Refused: {refused}. Nothing was changed."
    return None


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
