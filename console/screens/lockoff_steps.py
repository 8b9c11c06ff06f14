"""The delinquency steps from the Lock-off screen (F8, key `s`): pick a step and its date, see
what it would do, confirm, and it runs in a worker. Each step is idempotent for its date
(issue 8 item 2), so running a date again adds nothing and says so.

Steps: `notices` — the past-due reminders, SB 998 notices (§116908(a)(1)) and door hangers
(G6) the calendar puts on the date, logged and written as the print vendor's file; `late-fees`
— the late fees of the cycles whose late-fee date it is (RULES.md, settings formula);
`orders` — the field orders for the screen's stored list, every gate checked again first
(db.lockoff_orders.make_orders, the one `meterline lockoff orders` uses).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from textual import work
from textual.message import Message

from console.session import now_stamp
from core.errors import InputError, InputProblem
from core.money import format_money

STEPS = (("notices", "Notices: past-due reminders, SB 998 notices, door hangers"),
         ("late-fees", "Late fees"))
STEP_NAMES = {"notices": "Notices", "late-fees": "Late fees",  # short, for titles and status
              "orders": "Field orders"}


@dataclass
class StepPreviewed(Message):
    """A step's preview was worked out (nothing written)."""

    step: str
    on: date
    lines: list[str]
    runnable: bool      # the calendar has the step on the date
    nothing_new: bool   # an earlier run for the date already did everything


@dataclass
class StepRan(Message):
    """A step ran; its result in words."""

    step: str
    on: date
    lines: list[str]


def notices_file(db_path: str | Path, on: date) -> Path:
    """Where the screen writes the date's notice file for the print vendor."""
    return Path(db_path).parent / "print" / f"notices-{on}.csv"


def late_fee_preview_lines(run: Any) -> list[str]:
    """A late-fee preview in words (what the run would do)."""
    if not run.cycles:
        return [f"No cycle's late-fee date is {run.on} in the stored calendar."]
    return [f"{run.on}: {', '.join(run.cycles)}.",
            f"{run.charged:,} late fees to post, {format_money(run.charged_cents)} in all.",
            f"{run.exempt:,} exempt (plan); {run.waived:,} to waive (low income, once in 12"
            f" months); {run.already:,} already done by an earlier run."]


def orders_preview(conn: Any, on: date) -> StepPreviewed:
    """What `make_orders` would do for the date's stored list: db.lockoff.recheck (the check
    make_orders runs first) and the orders the list already has; nothing is written."""
    from db.lockoff import latest_list, recheck
    from db.lockoff_orders import ordered_accounts

    stored = latest_list(conn, on)
    if stored is None:
        return StepPreviewed("orders", on, [f"no lock-off list has been made for {on}: press m"
                                            " first."], False, False)
    checked = recheck(conn, stored)
    have, elsewhere = ordered_accounts(conn, stored.id)
    fresh = [e for e in checked.still_on if e.candidate.account_id not in have]
    twice = sum(1 for e in fresh if e.candidate.account_id in elsewhere)
    new = len(fresh) - twice
    off = taken_off_lines(checked.taken_off)
    if twice:
        off.insert(0, f"NOTE: {twice:,} of them already have an open order from an earlier"
                      " list: that order stands, no second one is opened.")
    if new == 0:
        if twice:
            said = (f"{twice:,} accounts still ON LIST already have an open order from an"
                    " earlier list; nothing new to open.")
        elif have:
            said = (f"already made for list {stored.id}; nothing new to open ({len(have):,}"
                    " open or done).")
        else:
            said = "no account is still ON LIST; no orders to open."
        return StepPreviewed("orders", on, [said, *taken_off_numbers(checked.taken_off)],
                             True, True)
    return StepPreviewed("orders", on, [
        f"List {stored.id}: {len(checked.still_on):,} accounts still ON LIST after checking"
        " every gate again.",
        f"{new:,} new lock-off orders to open" + (f"; {len(checked.still_on) - new:,} already"
                                                  " have one." if len(checked.still_on) > new
                                                  else "."),
        *off], True, False)


def taken_off_lines(taken_off: list[tuple[str, str]]) -> list[str]:
    """The accounts taken off since the list was made, each with why: they get no order."""
    if not taken_off:
        return []
    return [f"{len(taken_off):,} TAKEN OFF since the list was made (no order):",
            *(f"TAKEN OFF {number}: {why}" for number, why in taken_off)]


def taken_off_numbers(taken_off: list[tuple[str, str]], shown: int = 8) -> list[str]:
    """The accounts taken off, by number only, short enough for the status line."""
    if not taken_off:
        return []
    numbers = ", ".join(number for number, _ in taken_off[:shown])
    more = f" and {len(taken_off) - shown:,} more" if len(taken_off) > shown else ""
    return [f"TAKEN OFF, no order: {numbers}{more}."]


def run_orders(conn: Any, on: date, login: str) -> list[str]:
    """Open the date's field orders (db.lockoff_orders.make_orders); the result in words."""
    from db.lockoff import latest_list
    from db.lockoff_orders import make_orders

    stored = latest_list(conn, on)
    if stored is None:
        raise InputError(InputProblem(f"no lock-off list has been made for {on}: press m first",
                                      field="date"))
    made = make_orders(conn, stored, actor=login, at=now_stamp())
    lines = [f"{made.created:,} lock-off orders opened for {on} (list {stored.id})."]
    if made.already_open:
        lines.append(f"{len(made.already_open):,} already had an open order from an earlier"
                     " list (no second one).")
    return lines + taken_off_numbers(made.taken_off)


class LockoffSteps:
    """Mixin for the Lock-off screen: the step chooser, its preview, its run."""

    def _step_status(self, text: str) -> None:
        from textual.widgets import Static

        self.query_one("#lockoff-status", Static).update(text)  # type: ignore[attr-defined]

    def action_steps(self) -> None:
        from console.widgets.forms import ChoiceModal

        on_date = self.on_date  # type: ignore[attr-defined]

        def picked(step: str | None) -> None:
            if step == "orders" and on_date is not None:
                self._step_status(f"Field orders for {on_date}: checking every gate again…")
                self._preview_step(step, on_date)
            elif step is not None:
                self._ask_step_date(step)

        steps = STEPS if on_date is None else (
            *STEPS, ("orders", f"Field orders for the lock-off list of {on_date}"))
        self.app.push_screen(ChoiceModal(  # type: ignore[attr-defined]
            "Run a delinquency step", steps,
            note="Each step runs once per date; running a date again adds nothing."), picked)

    def _ask_step_date(self, step: str) -> None:
        from console.widgets.forms import FormField, FormModal
        from core.clock import parse_date

        def parse(values: dict[str, str]) -> date:
            return parse_date(values["date"], field="date")

        def chosen(on: Any) -> None:
            if on is not None:
                self._step_status(f"{STEP_NAMES[step]} for {on}: working out what it would do…")
                self._preview_step(step, on)

        today = self.app.session.today  # type: ignore[attr-defined]
        self.app.push_screen(FormModal(  # type: ignore[attr-defined]
            f"{STEP_NAMES[step]} — for which date?",
            [FormField("date", "Date (YYYY-MM-DD)", str(today))], parse), chosen)

    @work(thread=True, exclusive=True, group="lockoff-step", exit_on_error=False)
    def _preview_step(self, step: str, on: date) -> None:
        from db.late_fees import preview_late_fees
        from db.notices import preview_notices

        login = self.app.session.user.login  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            if step == "orders":
                message = orders_preview(conn, on)
            elif step == "late-fees":
                run = preview_late_fees(conn, on, actor=login, at=now_stamp())
                message = StepPreviewed(step, on, late_fee_preview_lines(run), bool(run.cycles),
                                        run.already_run)
            else:
                seen = preview_notices(conn, on, actor=login, at=now_stamp())
                message = StepPreviewed(step, on, seen.lines(), bool(seen.cycles),
                                        seen.notices == 0 and seen.already > 0)
        self.post_message(message)  # type: ignore[attr-defined]

    def on_step_previewed(self, event: StepPreviewed) -> None:
        from console.widgets.forms import ConfirmModal

        name = STEP_NAMES[event.step]
        if not event.runnable:
            self._step_status(f"{name}: " + " ".join(event.lines))
            return
        if event.nothing_new and event.step == "late-fees":
            self._step_status(f"{name} for {event.on}: already run for this date; nothing new"
                              " to post.")
            return
        if event.nothing_new and event.step == "orders":
            self._step_status(f"{name} for {event.on}: " + " ".join(event.lines))
            return
        title = f"{name} for {event.on}"
        lines, question = event.lines, "Run it?"
        if event.step == "orders":
            question = "Open these orders?"
        if event.nothing_new:
            lines = ["Already run for this date: nothing new to log.", *lines]
            question = "Write the print file again?"

        def answered(yes: bool | None) -> None:
            if yes:
                self._step_status(f"{name} for {event.on}: running…")
                self._run_step(event.step, event.on)
            else:
                self._step_status(f"{name} for {event.on}: not run; nothing changed.")

        self.app.push_screen(ConfirmModal(title, lines, question),  # type: ignore
                             answered)

    @work(thread=True, exclusive=True, group="lockoff-step", exit_on_error=False)
    def _run_step(self, step: str, on: date) -> None:
        from db.late_fees import run_late_fees
        from db.notices import run_notices

        session = self.app.session  # type: ignore[attr-defined]
        login = session.user.login
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            if step == "orders":
                lines = run_orders(conn, on, login)
            elif step == "late-fees":
                fees = run_late_fees(conn, on, actor=login, at=now_stamp())
                lines = fees.lines()
            else:
                out = notices_file(session.db_path, on)
                run = run_notices(conn, on, out, actor=login, at=now_stamp())
                lines = [*run.lines(), f"Wrote {out}."]
        self.post_message(StepRan(step, on, lines))  # type: ignore[attr-defined]

    def on_step_ran(self, event: StepRan) -> None:
        self._step_status(f"{STEP_NAMES[event.step]} done. " + " ".join(event.lines))
