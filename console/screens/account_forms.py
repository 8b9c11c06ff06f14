"""The account screen's guided changes: a note, an address, the customer's name or phone, and
move-out. Each is a short run of dialogs; database work runs on a thread, and a save names the
account version the screen read, so a stale save is refused ("changed by NAME at TIME").
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from textual.binding import Binding
from textual.screen import Screen

from console.messages import AccountChanged
from console.session import now_stamp
from console.widgets.forms import ChoiceModal, ConfirmModal, FormField, FormModal
from core.errors import InputError, InputProblem, PermissionDenied
from core.final_read import FinalReadRefused, may_accept_final_read
from core.model import Address
from core.money import format_money

if TYPE_CHECKING:
    from db.move_out import ClosingPreview

T = TypeVar("T")


class AccountForm(FormModal[T]):
    """The shared one-line-per-field form, with its notes wrapped to the dialog's width."""

    DEFAULT_CSS = """
    AccountForm > Vertical > Label { width: 100%; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="account.form_cancel")]


def _run(screen: Screen[Any], flow: Coroutine[Any, Any, None]) -> None:
    screen.run_worker(flow, group="account-form", exclusive=True, exit_on_error=False)


async def _db(screen: Screen[Any], action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one database call on a thread with its own connection."""
    def call() -> T:
        with screen.app.connect() as conn:  # type: ignore[attr-defined]
            return action(conn, *args, **kwargs)
    return await asyncio.to_thread(call)


def _actor(screen: Screen[Any]) -> str:
    return str(screen.app.session.user.login)  # type: ignore[attr-defined]


def _problem_text(error: InputError) -> str:
    return "; ".join(p.message if not p.field else f"{p.field}: {p.message}"
                     for p in error.problems)


# -- note --------------------------------------------------------------------------------
def add_note_flow(screen: Any) -> None:
    _run(screen, _note(screen))


async def _note(screen: Any) -> None:
    from db.account_edits import add_note

    def parse(values: dict[str, str]) -> str:
        if not values["note"]:
            raise InputError(InputProblem("type the note", field="note"))
        return values["note"]

    body = await screen.app.push_screen_wait(AccountForm(
        f"Note on account {screen.number}", [FormField("note", "Note", "",
                                                      "what was said or done")], parse,
        "Stamped with your name and the time; notes are never edited."))
    if body is None:
        return
    await _db(screen, add_note, screen.number, body, actor=_actor(screen), at=now_stamp())
    screen.post_message(AccountChanged(screen.number, "Note added.", tab="notes"))


# -- address -----------------------------------------------------------------------------
def address_flow(screen: Any) -> None:
    _run(screen, _address(screen))


def _address_fields(current: Address | None) -> list[FormField]:
    current = current or Address("", "")
    return [FormField("line1", "Street or PO Box", current.line1),
            FormField("line2", "Apt, suite, unit", current.line2),
            FormField("city", "City", current.city),
            FormField("state", "State", current.state or "CA"),
            FormField("zip", "ZIP", current.zip),
            FormField("reason", "Why it changes (required)", "",
                      "customer called, returned mail, USPS ACS")]


def _address_values(values: dict[str, str]) -> tuple[Address, str]:
    if not values["reason"]:
        raise InputError(InputProblem("say why the address changes", field="reason"))
    return Address(line1=values["line1"], line2=values["line2"], city=values["city"],
                   state=values["state"], zip=values["zip"]), values["reason"]


async def _address(screen: Any) -> None:
    from core.addresses import standardize
    from db.account_edits import change_address

    if screen.view is None:
        return
    kind = await screen.app.push_screen_wait(ChoiceModal(
        f"Which address of account {screen.number}?",
        [("mailing", "Mailing address: where bills and notices go"),
         ("service", "Service address: the premise itself (every account there)")]))
    if kind is None:
        return
    detail = screen.view.detail
    fields = _address_fields(detail.mailing if kind == "mailing" else detail.service)
    note = "Standardized to USPS abbreviations before it is saved; you confirm it next."
    while True:
        answer = await screen.app.push_screen_wait(AccountForm(
            f"New {kind} address, account {screen.number}", fields, _address_values, note))
        if answer is None:
            return
        typed, reason = answer
        fields = [FormField(f.name, f.label, v, f.placeholder)
                  for f, v in zip(fields, (typed.line1, typed.line2, typed.city, typed.state,
                                           typed.zip, reason), strict=True)]
        try:
            clean = await asyncio.to_thread(standardize, typed)
        except InputError as error:
            note = f"Fix: {_problem_text(error)}"
            continue
        break
    ok = await screen.app.push_screen_wait(ConfirmModal(
        f"Save the {kind} address?",
        [f"Typed:        {typed.one_line()}", f"Will be kept: {clean.address.one_line()}",
         f"How:          {clean.method.describe()}",
         *(["Note: this is a PO Box or mail drop."] if clean.is_box else []),
         f"Why:          {reason}", "",
         "The old address stays in the address history; the change is audited"
         + (" and a later name change within the Red Flag window raises an alert."
            if kind == "mailing" else ".")], "Save it?"))
    if not ok:
        return
    await _db(screen, change_address, screen.number, typed, kind=kind,
              read_version=screen.version, reason=reason, actor=_actor(screen),
              at=now_stamp(), today=screen.app.session.today)
    screen.post_message(AccountChanged(screen.number, f"{kind.title()} address saved: "
                                       f"{clean.address.one_line()}", tab="flags"))


# -- customer name and phone, with the Red Flag check ------------------------------------
def customer_flow(screen: Any) -> None:
    _run(screen, _customer(screen))


async def ask_identity(screen: Any, alerts: Sequence[Any], title: str) -> Any:
    """Show each Red Flag alert, then record how identity was verified (None: cancelled)."""
    from core.red_flags import IdDocument, IdentityCheck, Verification

    seen = await screen.app.push_screen_wait(ConfirmModal(
        f"RED FLAG — {title}",
        [*(f"ALERT {i}: {a.check.title()}\n  {a.message}" for i, a in enumerate(alerts, 1)),
         "", "16 CFR 681: verify identity before going on, and record how. If you cannot,",
         "refuse the request: the refusal is logged too."], "Record the verification now?"))
    if not seen:
        return None
    document = await screen.app.push_screen_wait(ChoiceModal(
        "What identification was shown?", [(d.value, d.describe()) for d in IdDocument]))
    if document is None:
        return None
    how = await screen.app.push_screen_wait(ChoiceModal(
        "How was identity verified?", [(v.value, v.describe()) for v in Verification]))
    if how is None:
        return None

    def parse(values: dict[str, str]) -> str:
        if not values["note"] and how != Verification.REFUSED.value:
            raise InputError(InputProblem("say what was checked", field="note"))
        return values["note"] or "refused"

    note = await screen.app.push_screen_wait(AccountForm(
        "What was checked", [FormField("note", "Details", "",
                                       "e.g. CA DL ending 1234, lease dated 2026-10-01")],
        parse, "Kept with the alerts in the Red Flag log; never the full ID number."))
    if note is None:
        return None
    return IdentityCheck(IdDocument(document), Verification(how), note)


async def _customer(screen: Any) -> None:
    from db.account_edits import change_customer, customer_change_alerts

    if screen.view is None:
        return
    detail = screen.view.detail

    def parse(values: dict[str, str]) -> tuple[str, str]:
        if not values["name"]:
            raise InputError(InputProblem("the name is required", field="name"))
        return values["name"], values["phone"]

    answer = await screen.app.push_screen_wait(AccountForm(
        f"Customer on account {screen.number}",
        [FormField("name", "Name", detail.customer_name),
         FormField("phone", "Phone", detail.phone, "(760) 555-0142")], parse,
        "A name change soon after a mailing-address change is a Red Flag."))
    if answer is None:
        return
    name, phone = answer
    today = screen.app.session.today
    alerts = await _db(screen, customer_change_alerts, screen.number, name, today)
    identity = None
    if alerts:
        identity = await ask_identity(screen, alerts, "name change")
        if identity is None:
            return
    await _db(screen, change_customer, screen.number, name=name, phone=phone,
              read_version=screen.version, identity=identity, actor=_actor(screen),
              at=now_stamp(), today=today)
    screen.post_message(AccountChanged(screen.number, "Customer saved"
                                       + (" with the Red Flag verification." if alerts else "."),
                                       tab="flags" if alerts else ""))


# -- move-out ----------------------------------------------------------------------------
def move_out_flow(screen: Any) -> None:
    _run(screen, _move_out(screen))


def _closing_values(values: dict[str, str]) -> dict[str, Any]:
    from core.addresses import parse_one_line
    from core.clock import parse_date

    problems = []
    reading = values["final"]
    if not reading.isdigit():
        problems.append(InputProblem(f"{reading!r} is not a whole number", field="final read"))
    try:
        on = parse_date(values["date"], field="date")
    except InputError as error:
        problems.extend(error.problems)
        on = None
    forwarding = None
    if values["forward"]:
        try:
            forwarding = parse_one_line(values["forward"], field="forwarding address")
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    return {"final_reading": int(reading), "close_on": on, "forwarding": forwarding,
            "transfer_to": values["transfer"] or None, "comment": values["comment"]}


async def _accept_read(screen: Any, refused: FinalReadRefused) -> str | None:
    """Show why the final read was refused; a supervisor who has checked it gives a reason,
    anyone else is told who may (db.move_out refuses them too)."""
    import textwrap

    lines = []
    for finding in refused.errors:
        lines.append(f"{finding.rule_id} (error, limit {finding.threshold or 'n/a'}):")
        lines.extend(textwrap.wrap(finding.explanation, 74, initial_indent="  ",
                                   subsequent_indent="  "))
    try:
        may_accept_final_read(screen.app.session.user)
    except PermissionDenied as denied:
        from console.screens.error import ErrorModal

        await screen.app.push_screen_wait(ErrorModal(
            f"Final read {refused.reading} fails the read audit", "\n".join(
                [*lines, "", f"Refused: {denied}.", "Check the reading and fix it; if it is "
                 "right, a supervisor closes the account. Nothing was changed."])))
        return None
    lines += ["", "Check the reading first: ask the customer, or send field staff to re-read.",
              "If it is right, you may close on it with a reason: your name, the time, the",
              "rule and the reason are audited with the close. n: back to fix the reading."]
    ok = await screen.app.push_screen_wait(ConfirmModal(
        f"Final read {refused.reading} fails the read audit", lines,
        "The reading is right: accept it?"))
    if not ok:
        return None

    def parse(values: dict[str, str]) -> str:
        if not values["reason"]:
            raise InputError(InputProblem("say why the reading is right", field="reason"))
        return values["reason"]

    return await screen.app.push_screen_wait(AccountForm(
        f"Accept final read {refused.reading}", [FormField(
            "reason", "Why the reading is right", "", "re-read by field staff, pool filled")],
        parse, "Audited with the close: who, when, the rule overridden and this reason."))


def _who_accepts(screen: Any) -> str:
    """What the person at the keyboard may do with a final read the read audit refuses."""
    try:
        may_accept_final_read(screen.app.session.user)
    except PermissionDenied:
        return "Fix it; if it is right, a supervisor closes the account."
    return "Fix it, or save it again and accept it with a reason."


async def _checked_preview(screen: Any, request: dict[str, Any]) -> ClosingPreview | None:
    """The closing preview; a final read the read audit refuses is accepted with a reason or
    sent back (None) for the clerk to fix."""
    from db.move_out import closing_preview

    today = screen.app.session.today
    try:
        return await _db(screen, closing_preview, screen.number, today=today, **request)
    except FinalReadRefused as refused:
        reason = await _accept_read(screen, refused)
        if reason is None:
            return None
        request["accept_read"] = reason
        request["accepted_by"] = screen.app.session.user
        return await _db(screen, closing_preview, screen.number, today=today, **request)


async def _move_out(screen: Any) -> None:
    from console.commands.account import closing_text
    from db.move_out import close_account

    if screen.view is None:
        return
    if screen.view.detail.status == "closed":
        screen.app.show_error("Already closed", f"Account {screen.number} is closed.")
        return
    today = screen.app.session.today
    fields = [FormField("final", "Final read", "", "the meter's reading today"),
              FormField("date", "Closing date", today.isoformat()),
              FormField("transfer", "Move a credit to account", "",
                        "blank: the refund register"),
              FormField("forward", "Forwarding address", "",
                        "974 Camino Real, Portland, OR 97201"),
              FormField("comment", "Comment", "Customer moved out")]
    reads = screen.view.reads
    last = f", last read {reads[0][2]} on {reads[0][0]}" if reads else ""
    note = (f"Meter {screen.view.detail.meter}{last}. A credit left over goes to the refund "
            "register unless you name an active account. Nothing is written until you "
            "confirm.")
    while True:
        values = await screen.app.push_screen_wait(AccountForm(
            f"Move-out: close account {screen.number}", fields, _closing_values, note))
        if values is None:
            return
        typed = [str(values["final_reading"]), str(values["close_on"]),
                 values["transfer_to"] or "", fields[3].value, values["comment"]]
        fields = [FormField(f.name, f.label, v, f.placeholder)
                  for f, v in zip(fields, typed, strict=True)]
        request = {k: values[k] for k in ("final_reading", "close_on", "transfer_to",
                                          "forwarding")}
        try:
            preview = await _checked_preview(screen, request)
        except InputError as error:
            note = f"Fix: {_problem_text(error)}"
            continue
        if preview is None:
            note = (f"Check final read {values['final_reading']}: it fails the read audit. "
                    + _who_accepts(screen))
            continue
        break
    ok = await screen.app.push_screen_wait(ConfirmModal(
        f"Close account {screen.number}?", closing_text(preview, None, width=74).splitlines(),
        "Close the account?"))
    if not ok:
        return
    closed = await _db(screen, close_account, screen.number, today=today,
                       actor=_actor(screen), at=now_stamp(), read_version=screen.version,
                       comment=values["comment"], **request)
    s, target = closed.preview.settlement, closed.preview.transfer_to
    what = (f"refund register #{closed.refund_id} for {format_money(s.refund_cents)}"
            if closed.refund_id else
            f"credit moved to {target.number}" if target and s.transfer_cents else
            f"{format_money(s.owed_cents)} left for collection" if s.owed_cents else "settled")
    screen.post_message(AccountChanged(screen.number, f"Closed: closing bill "
                                       f"#{closed.bill_id}, {what}.", tab="bills"))
