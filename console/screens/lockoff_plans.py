"""Payment arrangements from the Lock-off screen (F8, key `a`, issue 8 item 4): on the account
under the cursor, a form (months up to 12, down payment, start date), the installments in a
confirmation, then the plan is created in a worker by db.arrangements.create_plan (the one the
CLI's `meterline lockoff plan` uses) and the account's gates are checked again at once. Key
`e` ends the account's active plan (a reason, then the end date and a comment) through
db.arrangements.end_plan, the one `meterline lockoff plan-end` uses, and checks it again too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from textual import work
from textual.message import Message

from console.session import now_stamp
from core.errors import InputError, InputProblem
from core.lockoff_gates import PlanRecord, add_months, installment_for
from core.money import format_money


@dataclass(frozen=True)
class PlanRequest:
    """What the clerk typed in the plan form, checked."""

    number: str
    months: int
    down_cents: int
    starts_on: date


def parse_plan_form(number: str, values: dict[str, str], today: date) -> PlanRequest:
    """The plan form's values, or InputError naming the field in words."""
    from core.clock import parse_date
    from core.money import parse_money

    problems = []
    try:
        months = int(values["months"])
    except ValueError:
        months = 1
        problems.append(InputProblem("a whole number of months, 1 to 12", field="months"))
    if not 1 <= months <= 12:
        problems.append(InputProblem("a plan runs 1 to 12 months (SB 998 §116910(b))",
                                     field="months"))
    down = 0
    try:
        down = parse_money(values["down"] or "0")
    except InputError as error:
        problems.extend(InputProblem(p.message, field="down payment") for p in error.problems)
    if down < 0:
        problems.append(InputProblem("a down payment cannot be negative", field="down payment"))
    starts_on = today
    try:
        starts_on = parse_date(values["start"], field="start date")
    except InputError as error:
        problems.extend(error.problems)
    if starts_on > today:
        problems.append(InputProblem(f"a plan starts on the day it is agreed, not after {today}",
                                     field="start date"))
    if problems:
        raise InputError(problems)
    return PlanRequest(number, months, down, starts_on)


@dataclass(frozen=True)
class PlanEndRequest:
    """Which account's plan to end, why, from when, checked."""

    number: str
    reason: str
    ends_on: date
    comment: str
    plan_id: int | None = None


def parse_end_form(number: str, reason: str, values: dict[str, str], today: date
                   ) -> PlanEndRequest:
    """The end form's values, or InputError naming the field in words."""
    from core.clock import parse_date

    ends_on = parse_date(values["date"], field="end date")
    if ends_on > today:
        raise InputError(InputProblem(f"a plan cannot be ended after today ({today})",
                                      field="end date"))
    plan = values["plan"].strip()
    if plan and not plan.isdigit():
        raise InputError(InputProblem("the plan number is a whole number, or blank",
                                      field="plan"))
    return PlanEndRequest(number, reason, ends_on, values["comment"].strip(),
                          int(plan) if plan else None)


def plan_preview_lines(request: PlanRequest, past_due_cents: int,
                       open_plans: tuple[str, ...] = ()) -> list[str]:
    """The plan in words, one line per installment (raises InputError if there is no plan)."""
    total = past_due_cents - request.down_cents
    if past_due_cents <= 0:
        raise InputError(InputProblem(f"{request.number} has nothing past due on "
                                      f"{request.starts_on} to put on a plan", field="start date"))
    if total <= 0:
        raise InputError(InputProblem(f"the down payment covers all {format_money(past_due_cents)}"
                                      " past due: take it in Payments (F7); no plan needed",
                                      field="down payment"))
    first = add_months(request.starts_on, 1)
    plan = PlanRecord(request.starts_on, first, request.months,
                      installment_for(total, request.months), total, 0)
    lines = [f"{request.number}: {format_money(past_due_cents)} past due on "
             f"{request.starts_on:%a %Y-%m-%d}."]
    lines += [f"NOTE: already on {plan}, never ended; each plan is judged on its own."
              for plan in open_plans]
    if request.down_cents:
        lines.append(f"Down payment {format_money(request.down_cents)}: take it in Payments "
                     "(F7); it is not posted here.")
    lines.append(f"On the plan: {format_money(total)} in {request.months} monthly "
                 "installments:")
    lines += [f"  {k:>2}. due {due:%a %Y-%m-%d}  {format_money(amount):>12}"
              for k, (due, amount) in enumerate(plan.installments(), start=1)]
    lines.append("Broken (SB 998 §116910(c)) when an installment, or a bill issued from now")
    lines.append("on, is unpaid 60 days; until then the plan keeps the account off the list.")
    return lines


def recheck_account(conn: Any, on_date: date | None, number: str, login: str,
                    code: str = "PLAN") -> tuple[str, str, int]:
    """Check the account's row of the date's stored list again: status, the gate `code`
    (PLAN, or §1.3 after a condition is recorded), row."""
    from db.accounts import account_id
    from db.lockoff import entries_before, latest_list, recheck_entry

    stored = latest_list(conn, on_date) if on_date else None
    status, gate, row = "not on a made list", "", 0
    if stored is not None:
        account = account_id(conn, number)
        if account is None:
            raise InputError(InputProblem(f"no account numbered {number}", field="number"))
        entry = recheck_entry(conn, stored, account, actor=login, at=now_stamp())
        if entry is not None:
            status = "ON LIST" if entry.eligible else "OFF the list"
            found = next(g for g in entry.gates if g.code == code)
            gate = f"{found.status} {code} {found.why}"
            row = entries_before(conn, stored.id, entry.sort_key)
    return status, gate, row


@dataclass
class PlanPreviewed(Message):
    """A plan's installments were worked out (nothing written)."""

    request: PlanRequest
    lines: list[str]


@dataclass
class PlanCreated(Message):
    """A plan was created and the account's gates checked again."""

    number: str
    said: str
    status: str          # ON LIST / OFF the list, after the re-check
    plan_gate: str       # the PLAN gate's verdict and why
    row: int             # the account's row in the stored list, after the re-check


@dataclass
class ActivePlansFound(Message):
    """The account's active plans were looked up, before asking how to end one."""

    number: str
    name: str
    plans: list[tuple[int, str, str, int]]  # id, starts on, kind, total cents


@dataclass
class PlanEnded(Message):
    """A plan was ended and the account's gates checked again."""

    said: str
    status: str
    plan_gate: str
    row: int


class LockoffPlans:
    """Mixin for the Lock-off screen: the plan form, its preview and its creation."""

    def _plan_status(self, text: str) -> None:
        from textual.widgets import Static

        self.query_one("#lockoff-status", Static).update(text)  # type: ignore[attr-defined]

    def _account_or_say(self) -> Any:
        """The account under the cursor, or None after saying there is none."""
        detail = self._current()  # type: ignore[attr-defined]
        if detail is None:
            self._plan_status("No account under the cursor: make the list (m), then pick one.")
        return detail

    def _rechecked(self, said: str, status: str, plan_gate: str, row: int) -> None:
        self._plan_status(f"{said} Now {status}. {plan_gate}")
        self.cursor_after_load = row  # type: ignore[attr-defined]
        self._load(self.on_date)  # type: ignore[attr-defined]

    def action_plan(self) -> None:
        from console.widgets.forms import FormField, FormModal

        detail = self._account_or_say()
        if detail is None:
            return
        today = self.app.session.today  # type: ignore[attr-defined]

        def parse(values: dict[str, str]) -> PlanRequest:
            return parse_plan_form(detail.number, values, today)

        def chosen(request: Any) -> None:
            if request is not None:
                self._plan_status(f"Plan for {request.number}: working out the installments…")
                self._preview_plan(request)

        self.app.push_screen(FormModal(  # type: ignore[attr-defined]
            f"Payment plan for {detail.number} {detail.name}"[:76],
            [FormField("months", "Months (1 to 12)", "12"),
             FormField("down", "Down payment ($)", "0.00"),
             FormField("start", "Start date (YYYY-MM-DD)", str(today))], parse,
            note="Amortizes what is past due on the start date (SB 998 §116910(b))."), chosen)

    @work(thread=True, exclusive=True, group="lockoff-plan", exit_on_error=False)
    def _preview_plan(self, request: PlanRequest) -> None:
        from db.arrangements import active_plans
        from db.delinquency import account_delinquency

        with self.app.connect() as conn:  # type: ignore[attr-defined]
            found = account_delinquency(conn, request.number, request.starts_on)
            open_plans = tuple(f"plan {r[0]} from {r[1]}"
                               for r in active_plans(conn, request.number))
        past_due = found.state.past_due_cents if found else 0
        lines = plan_preview_lines(request, past_due, open_plans)
        self.post_message(PlanPreviewed(request, lines))  # type: ignore[attr-defined]

    def on_plan_previewed(self, event: PlanPreviewed) -> None:
        from console.widgets.forms import ConfirmModal

        request = event.request

        def answered(yes: bool | None) -> None:
            if yes:
                self._plan_status(f"Plan for {request.number}: creating…")
                self._create_plan(request)
            else:
                self._plan_status(f"Plan for {request.number}: not created; nothing changed.")

        self.app.push_screen(ConfirmModal(  # type: ignore[attr-defined]
            f"Payment plan for {request.number}", event.lines, "Create this plan?"),
            answered)

    @work(thread=True, exclusive=True, group="lockoff-plan", exit_on_error=False)
    def _create_plan(self, request: PlanRequest) -> None:
        from db.arrangements import create_plan
        from db.delinquency import account_delinquency

        login = self.app.session.user.login  # type: ignore[attr-defined]
        on_date = self.on_date  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            found = account_delinquency(conn, request.number, request.starts_on)
            past_due = found.state.past_due_cents if found else 0
            plan_preview_lines(request, past_due)  # the same checks as the preview, again
            said = create_plan(conn, request.number, months=request.months,
                               on=request.starts_on, total_cents=past_due - request.down_cents,
                               actor=login, at=now_stamp())
            status, gate, row = recheck_account(conn, on_date, request.number, login)
        self.post_message(PlanCreated(request.number, said, status, gate, row))  # type: ignore[attr-defined]

    def on_plan_created(self, event: PlanCreated) -> None:
        self._rechecked(event.said, event.status, event.plan_gate, event.row)

    def action_end_plan(self) -> None:
        detail = self._account_or_say()
        if detail is None:
            return
        self._plan_status(f"Plan for {detail.number}: looking for its active plan…")
        self._find_active_plans(detail.number, detail.name)

    @work(thread=True, exclusive=True, group="lockoff-plan", exit_on_error=False)
    def _find_active_plans(self, number: str, name: str) -> None:
        from db.arrangements import active_plans

        with self.app.connect() as conn:  # type: ignore[attr-defined]
            plans = active_plans(conn, number)
        self.post_message(ActivePlansFound(number, name, plans))  # type: ignore[attr-defined]

    def on_active_plans_found(self, event: ActivePlansFound) -> None:
        """No active plan: say so, and ask nothing. Else the reason, then the date and a
        comment (and which plan, only when there are two)."""
        from console.widgets.forms import ChoiceModal, FormField, FormModal
        from db.arrangements import END_REASONS

        number, plans = event.number, event.plans
        if not plans:
            self._plan_status(f"{number} has no active payment plan: nothing to end.")
            return
        today = self.app.session.today  # type: ignore[attr-defined]
        only = plans[0][0] if len(plans) == 1 else None
        which = (f"plan {only} from {plans[0][1]}" if only is not None else
                 f"{len(plans)} active plans ({', '.join(str(p[0]) for p in plans)})")

        def dated(request: Any) -> None:
            if request is None:
                self._plan_status(f"Plan for {number}: not ended; nothing changed.")
                return
            self._plan_status(f"Plan for {request.number}: ending…")
            self._end_plan(request)

        def reasoned(reason: str | None) -> None:
            if reason is None:
                self._plan_status(f"Plan for {number}: not ended; nothing changed.")
                return

            def parse(values: dict[str, str]) -> PlanEndRequest:
                return parse_end_form(number, reason, {**values, "plan": str(only)}
                                      if only is not None else values, today)

            fields = [FormField("date", "End date (YYYY-MM-DD)", str(today)),
                      FormField("comment", "Comment", "")]
            if only is None:
                fields.append(FormField("plan", "Plan number", ""))
            self.app.push_screen(FormModal(  # type: ignore[attr-defined]
                f"End {'a plan' if only is None else f'plan {only}'} of {number}: "
                f"{END_REASONS[reason]}"[:76], fields, parse,
                note="From the end date the plan no longer keeps the account off the list."),
                dated)

        self.app.push_screen(ChoiceModal(  # type: ignore[attr-defined]
            f"End {which} of {number} {event.name}"[:76], list(END_REASONS.items()),
            note="A plan in default (SB 998 §116910(c)) is judged by the PLAN gate itself."),
            reasoned)

    @work(thread=True, exclusive=True, group="lockoff-plan", exit_on_error=False)
    def _end_plan(self, request: PlanEndRequest) -> None:
        from db.arrangements import end_plan

        login = self.app.session.user.login  # type: ignore[attr-defined]
        today = self.app.session.today  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            said = end_plan(conn, request.number, on=request.ends_on, reason=request.reason,
                            today=today, comment=request.comment, plan_id=request.plan_id,
                            actor=login, at=now_stamp())
            status, gate, row = recheck_account(conn, self.on_date,  # type: ignore[attr-defined]
                                                request.number, login)
        self.post_message(PlanEnded(said, status, gate, row))  # type: ignore[attr-defined]

    def on_plan_ended(self, event: PlanEnded) -> None:
        self._rechecked(event.said, event.status, event.plan_gate, event.row)
