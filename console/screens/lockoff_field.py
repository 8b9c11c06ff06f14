"""Field work from the Lock-off screen (F8) on the account under the cursor: `o` records the
crew's result for its open lock-off order, `r` reconnects it and posts the fee, `c` records one
of the three SB 998 conditions (§116910(a), RULES.md §1.3). Each calls the db function the CLI
uses (`meterline lockoff complete|reconnect|condition`): db.lockoff_orders.complete_order,
db.lockoff_orders.reconnect (it posts the fee) and db.arrangements.record_condition.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn

from textual import work
from textual.message import Message

from console.session import now_stamp
from core.errors import InputError, InputProblem
from core.money import format_money

CREW_RESULTS = (("locked", "Locked: the crew shut the service off"),
                ("not-locked", "Not locked: paid at the door, plan, could not reach the meter…"))
HOURS = ("office", "after-hours")
CONDITIONS = (("medical", "Medical: primary care provider's certification (§116910(a)(1))"),
              ("financial", "Financial: unable to pay in the normal period (§116910(a)(2))"),
              ("willing", "Willing to enter a payment plan (§116910(a)(3))"))


@dataclass(frozen=True)
class CrewResult:
    """The crew's result for one lock-off order, checked."""

    order_id: int
    number: str
    locked: bool
    note: str
    on: date


@dataclass(frozen=True)
class ReconnectRequest:
    """Which account to reconnect, on which day, in or after office hours."""

    number: str
    after_hours: bool
    on: date


@dataclass(frozen=True)
class ConditionRequest:
    """One of the three SB 998 conditions as typed, checked."""

    number: str
    condition: str
    evidence: str
    received_on: date
    expires_on: date | None


def _day_not_after_today(text: str, field: str, today: date) -> date:
    from core.clock import parse_date

    day = parse_date(text, field=field)
    if day > today:
        raise InputError(InputProblem(f"not after today ({today})", field=field))
    return day


def parse_crew_form(order_id: int, number: str, locked: bool, values: dict[str, str],
                    today: date) -> CrewResult:
    """The crew form's values, or InputError naming the field in words."""
    note = values["note"].strip()
    if not note:
        raise InputError(InputProblem("say what the crew found or did", field="note"))
    return CrewResult(order_id, number, locked, note,
                      _day_not_after_today(values["date"], "date", today))


def parse_reconnect_form(number: str, after_hours: bool, values: dict[str, str],
                         today: date) -> ReconnectRequest:
    """The reconnection form's date, or InputError."""
    return ReconnectRequest(number, after_hours,
                            _day_not_after_today(values["date"], "reconnected on", today))


@dataclass(frozen=True)
class PhoneContact:
    """A call that reached the customer: the account, who was reached, the day."""

    number: str
    spoke_with: str
    on: date


def parse_phone_form(number: str, values: dict[str, str], today: date) -> PhoneContact:
    """The phone-contact form's values, or InputError naming the field in words."""
    who = values["spoke_with"].strip()
    if not who:
        raise InputError(InputProblem("name the person you spoke with", field="spoke with"))
    return PhoneContact(number, who, _day_not_after_today(values["on"], "date", today))


def parse_condition_form(number: str, condition: str, values: dict[str, str],
                         today: date) -> ConditionRequest:
    """The condition form's values, or InputError naming the field in words."""
    from core.clock import parse_date

    evidence = values["evidence"].strip()
    if not evidence:
        raise InputError(InputProblem("name the evidence (certification, program card, signed"
                                      " request)", field="evidence"))
    received = _day_not_after_today(values["received"], "received", today)
    expires = parse_date(values["expires"], field="expires") if values["expires"] else None
    if expires is not None and expires <= received:
        raise InputError(InputProblem("the expiry must come after the date received",
                                      field="expires"))
    return ConditionRequest(number, condition, evidence, received, expires)


def reconnect_fee_lines(settings: Any, request: ReconnectRequest, name: str,
                        locked_on: str, fee: Any) -> list[str]:
    """The confirmation in words, with the fee db.lockoff_orders.quote_reconnection quoted
    (a db.lockoff_orders.ReconnectionFee: the same reconnect posts)."""
    hours = "after hours" if request.after_hours else "in office hours"
    if fee.capped:
        charged = [f"Fee {format_money(fee.cents)}: {format_money(fee.tariff_cents)} {hours},"
                   " capped for a low-income", "household on file (SB 998 §116914(a))."]
    else:
        charged = [f"Fee {format_money(fee.cents)} {hours} (RULES.md §3.3)."]
        if not fee.low_income:
            charged.append("No low-income record on file, so no cap (SB 998 §116914(a)).")
    return [f"{request.number} {name}: locked off on {locked_on}.",
            f"Reconnect on {request.on:%a %Y-%m-%d}, {hours}.", *charged,
            "The fee is posted to the ledger as a fee, reason RECONNECT.",
            f"Refused while {format_money(settings.lockoff_min_past_due_cents)} or more is past"
            " due and there is no payment plan."]


def ask_crew_result(app: Any, order_id: int, number: str, name: str, today: date,
                    recorded: Callable[[CrewResult | None], None]) -> None:
    """Ask the crew's result for one lock-off order (locked or not, then the note and the
    day); `recorded` gets the checked result, or None when the clerk pressed Esc."""
    from console.widgets.forms import ChoiceModal, FormField, FormModal

    def picked(kind: str | None) -> None:
        if kind is None:
            recorded(None)
            return

        def parse(values: dict[str, str]) -> CrewResult:
            return parse_crew_form(order_id, number, kind == "locked", values, today)

        app.push_screen(FormModal(
            f"Order {order_id} of {number}: {kind.replace('-', ' ').upper()}",
            [FormField("note", "What the crew found or did", ""),
             FormField("date", "Date (YYYY-MM-DD)", str(today))], parse,
            note="LOCKED is checked again on the day (every gate, RULES.md §1.7)."), recorded)

    app.push_screen(ChoiceModal(f"Crew result, order {order_id}: {number} {name}"[:76],
                                CREW_RESULTS), picked)


@dataclass
class OpenOrdersFound(Message):
    """The account's open lock-off orders were looked up: (id, lock-off date, list)."""

    number: str
    name: str
    orders: list[tuple[int, str, int]]


@dataclass
class LockOffFound(Message):
    """The account's lock-off waiting for reconnection (None: none), and the settings."""

    number: str
    name: str
    locked_on: str | None
    settings: Any


@dataclass
class ReconnectQuoted(Message):
    """The fee a reconnection would charge was quoted (nothing posted)."""

    request: ReconnectRequest
    name: str
    locked_on: str
    fee: Any  # db.lockoff_orders.ReconnectionFee
    settings: Any


@dataclass
class FieldWorkDone(Message):
    """A crew result, reconnection or condition was recorded; what the db layer said."""

    said: str
    reload: bool = False
    row: int = 0


@dataclass
class FieldWorkRefused(Message):
    """The db layer refused; the error modal shows why, the status line that nothing changed."""

    said: str


class LockoffField:
    """Mixin for the Lock-off screen: crew result, reconnection and SB 998 conditions."""

    def _field_status(self, text: str) -> None:
        from textual.widgets import Static

        self.query_one("#lockoff-status", Static).update(text)  # type: ignore[attr-defined]

    def _refused(self, error: InputError, said: str) -> NoReturn:
        """Say on the status line that nothing changed; the error modal says why."""
        self.post_message(FieldWorkRefused(said))  # type: ignore[attr-defined]
        raise error

    # -- o: the crew's result ----------------------------------------------------------------
    def action_order_result(self) -> None:
        detail = self._account_or_say()  # type: ignore[attr-defined]
        if detail is not None:
            self._field_status(f"{detail.number}: looking for its open lock-off order…")
            self._find_open_orders(detail.number, detail.name)

    @work(thread=True, exclusive=True, group="lockoff-field", exit_on_error=False)
    def _find_open_orders(self, number: str, name: str) -> None:
        from db.lockoff_orders import open_orders

        with self.app.connect() as conn:  # type: ignore[attr-defined]
            orders = open_orders(conn, number)
        self.post_message(OpenOrdersFound(number, name, orders))  # type: ignore[attr-defined]

    def on_open_orders_found(self, event: OpenOrdersFound) -> None:
        from console.widgets.forms import ChoiceModal

        number = event.number
        if not event.orders:
            self._field_status(f"{number} has no open lock-off order: open the orders first"
                               " (s, then Field orders).")
            return
        if len(event.orders) == 1:
            self._ask_crew_result(number, event.name, event.orders[0][0])
            return

        def picked(order: str | None) -> None:
            if order is None:
                self._field_status(f"{number}: no result recorded; nothing changed.")
            else:
                self._ask_crew_result(number, event.name, int(order))

        self.app.push_screen(ChoiceModal(  # type: ignore[attr-defined]
            f"{number} has {len(event.orders)} open lock-off orders: which one?",
            [(str(i), f"Order {i}, lock-off {on}, list {lst}") for i, on, lst in event.orders]),
            picked)

    def _ask_crew_result(self, number: str, name: str, order_id: int) -> None:
        def recorded(result: CrewResult | None) -> None:
            if result is None:
                self._field_status(f"Order {order_id} ({number}): no result recorded; nothing"
                                   " changed.")
            else:
                self._field_status(f"Order {order_id} ({number}): recording the crew's result…")
                self._complete(result)

        ask_crew_result(self.app, order_id, number, name,  # type: ignore[attr-defined]
                        self.app.session.today, recorded)  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="lockoff-field", exit_on_error=False)
    def _complete(self, result: CrewResult) -> None:
        from db.lockoff_orders import complete_order

        login = self.app.session.user.login  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            try:
                said = complete_order(conn, result.order_id, locked=result.locked,
                                      note=result.note, on=result.on, actor=login,
                                      at=now_stamp())
            except InputError as error:
                self._refused(error, f"Order {result.order_id} ({result.number}): not recorded;"
                                     " nothing changed.")
        if result.locked:
            said += " Reconnect with r once it is paid or on a plan."
        self.post_message(FieldWorkDone(said))  # type: ignore[attr-defined]

    # -- r: reconnection ---------------------------------------------------------------------
    def action_reconnect(self) -> None:
        detail = self._account_or_say()  # type: ignore[attr-defined]
        if detail is not None:
            self._field_status(f"{detail.number}: looking for its lock-off…")
            self._find_lock_off(detail.number, detail.name)

    @work(thread=True, exclusive=True, group="lockoff-field", exit_on_error=False)
    def _find_lock_off(self, number: str, name: str) -> None:
        from db.lockoff_orders import awaiting_reconnection
        from db.settings import load_settings

        with self.app.connect() as conn:  # type: ignore[attr-defined]
            row = awaiting_reconnection(conn, number)
            settings = load_settings(conn)
        self.post_message(LockOffFound(  # type: ignore[attr-defined]
            number, name, str(row["locked_on"]) if row else None, settings))

    def on_lock_off_found(self, event: LockOffFound) -> None:
        from console.widgets.forms import ChoiceModal, FormField, FormModal

        number, s = event.number, event.settings
        if event.locked_on is None:
            self._field_status(f"{number} has no lock-off waiting for reconnection: nothing"
                               " to reconnect.")
            return
        today = self.app.session.today  # type: ignore[attr-defined]

        def dated(request: Any) -> None:
            if request is None:
                self._field_status(f"{number}: not reconnected; nothing changed.")
                return
            self._field_status(f"{number}: working out the fee…")
            self._quote(request, event.name, str(event.locked_on), s)

        def picked(hours: str | None) -> None:
            if hours is None:
                dated(None)
                return

            def parse(values: dict[str, str]) -> ReconnectRequest:
                return parse_reconnect_form(number, hours == "after-hours", values, today)

            hours_words = "after hours" if hours == "after-hours" else "in office hours"
            self.app.push_screen(FormModal(  # type: ignore[attr-defined]
                f"Reconnect {number} {hours_words}: on which day?",
                [FormField("date", "Reconnected on (YYYY-MM-DD)", str(today))], parse), dated)

        self.app.push_screen(ChoiceModal(  # type: ignore[attr-defined]
            f"Reconnect {number} {event.name} (locked off {event.locked_on})"[:76],
            [("office", f"In office hours: fee {format_money(s.reconnect_fee_cents)}"),
             ("after-hours", "After hours: fee "
              f"{format_money(s.reconnect_after_hours_fee_cents)}")],
            note="Low-income households pay less (SB 998 §116914(a)); the fee is shown next."),
            picked)

    @work(thread=True, exclusive=True, group="lockoff-field", exit_on_error=False)
    def _quote(self, request: ReconnectRequest, name: str, locked_on: str,
               settings: Any) -> None:
        from db.lockoff_orders import quote_reconnection

        with self.app.connect() as conn:  # type: ignore[attr-defined]
            try:
                fee = quote_reconnection(conn, request.number, on=request.on,
                                         after_hours=request.after_hours)
            except InputError as error:
                self._refused(error, f"{request.number}: not reconnected; nothing changed.")
        self.post_message(ReconnectQuoted(  # type: ignore[attr-defined]
            request, name, locked_on, fee, settings))

    def on_reconnect_quoted(self, event: ReconnectQuoted) -> None:
        from console.widgets.forms import ConfirmModal

        request, number = event.request, event.request.number

        def answered(yes: bool | None) -> None:
            if yes:
                self._field_status(f"{number}: reconnecting and posting the fee…")
                self._reconnect(request)
            else:
                self._field_status(f"{number}: not reconnected; nothing changed.")

        self.app.push_screen(ConfirmModal(  # type: ignore[attr-defined]
            f"Reconnect {number}", reconnect_fee_lines(event.settings, request, event.name,
                                                       event.locked_on, event.fee),
            "Reconnect and post the fee?"), answered)

    @work(thread=True, exclusive=True, group="lockoff-field", exit_on_error=False)
    def _reconnect(self, request: ReconnectRequest) -> None:
        from db.lockoff_orders import reconnect

        login = self.app.session.user.login  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            try:
                said = reconnect(conn, request.number, on=request.on,
                                 after_hours=request.after_hours, actor=login, at=now_stamp())
            except InputError as error:
                self._refused(error, f"{request.number}: not reconnected; nothing changed.")
        self.post_message(FieldWorkDone(said))  # type: ignore[attr-defined]

    # -- c: an SB 998 condition --------------------------------------------------------------
    def action_condition(self) -> None:
        from console.widgets.forms import ChoiceModal, FormField, FormModal

        detail = self._account_or_say()  # type: ignore[attr-defined]
        if detail is None:
            return
        number, today = detail.number, self.app.session.today  # type: ignore[attr-defined]

        def recorded(request: Any) -> None:
            if request is None:
                self._field_status(f"{number}: no condition recorded; nothing changed.")
            else:
                self._field_status(f"{number}: recording the {request.condition} condition…")
                self._record_condition(request)

        def picked(condition: str | None) -> None:
            if condition is None:
                recorded(None)
                return

            def parse(values: dict[str, str]) -> ConditionRequest:
                return parse_condition_form(number, condition, values, today)

            self.app.push_screen(FormModal(  # type: ignore[attr-defined]
                f"{condition.capitalize()} condition for {number} {detail.name}"[:76],
                [FormField("evidence", "Evidence", ""),
                 FormField("received", "Received (YYYY-MM-DD)", str(today)),
                 FormField("expires", "Expires (YYYY-MM-DD or blank)", "")], parse,
                note="All three on file and unexpired bar the lock-off (§116910(a))."),
                recorded)

        self.app.push_screen(ChoiceModal(  # type: ignore[attr-defined]
            f"SB 998 condition for {number} {detail.name}"[:76], CONDITIONS), picked)

    @work(thread=True, exclusive=True, group="lockoff-field", exit_on_error=False)
    def _record_condition(self, request: ConditionRequest) -> None:
        from console.screens.lockoff_plans import recheck_account
        from db.arrangements import record_condition

        login = self.app.session.user.login  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            try:
                said = record_condition(conn, request.number, condition=request.condition,
                                        evidence=request.evidence,
                                        received_on=request.received_on,
                                        expires_on=request.expires_on, actor=login,
                                        at=now_stamp())
            except InputError as error:
                self._refused(error, f"{request.number}: no condition recorded; nothing"
                                     " changed.")
            status, gate, row = recheck_account(conn, self.on_date,  # type: ignore[attr-defined]
                                                request.number, login, code="§1.3")
        self.post_message(FieldWorkDone(  # type: ignore[attr-defined]
            f"{said} Now {status}. {gate}", reload=True, row=row))

    # -- t: a phone contact -------------------------------------------------------------------
    def action_phone_contact(self) -> None:
        from console.widgets.forms import FormField, FormModal

        detail = self._account_or_say()  # type: ignore[attr-defined]
        if detail is None:
            return
        number, today = detail.number, self.app.session.today  # type: ignore[attr-defined]

        def entered(request: Any) -> None:
            if request is None:
                self._field_status(f"{number}: no call logged; nothing changed.")
            else:
                self._field_status(f"{number}: logging the call…")
                self._log_call(request)

        self.app.push_screen(FormModal(  # type: ignore[attr-defined]
            f"Phone contact with {number} {detail.name}"[:76],
            [FormField("spoke_with", "Spoke with", ""),
             FormField("on", "Date (YYYY-MM-DD)", str(today))],
            lambda values: parse_phone_form(number, values, today),
            note="A call that reached them is the notice before a lock-off (§116908(a)(1))."),
            entered)

    @work(thread=True, exclusive=True, group="lockoff-field", exit_on_error=False)
    def _log_call(self, request: PhoneContact) -> None:
        from console.screens.lockoff_plans import recheck_account
        from db.notices import log_phone_contact

        login = self.app.session.user.login  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            try:
                said = log_phone_contact(conn, request.number, on=request.on,
                                         spoke_with=request.spoke_with, actor=login,
                                         at=now_stamp())
            except InputError as error:
                self._refused(error, f"{request.number}: no call logged; nothing changed.")
            status, gate, row = recheck_account(conn, self.on_date,  # type: ignore[attr-defined]
                                                request.number, login, code="G2")
        self.post_message(FieldWorkDone(  # type: ignore[attr-defined]
            f"{said} Now {status}. {gate}".rstrip(), reload=True, row=row))

    # -- results -----------------------------------------------------------------------------
    def on_field_work_done(self, event: FieldWorkDone) -> None:
        self._field_status(event.said)
        if event.reload:
            self.cursor_after_load = event.row  # type: ignore[attr-defined]
            self._load(self.on_date)  # type: ignore[attr-defined]

    def on_field_work_refused(self, event: FieldWorkRefused) -> None:
        self._field_status(event.said)
