"""Move-in (open an account), guided: find the premise, take the application, show the deposit
rule's answer and every Red Flag alert, record how identity was verified, then open it.
"""
from __future__ import annotations

from typing import Any

from console.screens.account_forms import (
    AccountForm,
    ConfirmModal,
    _db,
    _problem_text,
    _run,
    ask_identity,
)
from console.session import now_stamp
from console.widgets.forms import ChoiceModal, FormField
from core.errors import InputError, InputProblem
from core.money import format_money

DOCUMENTS = {"1": "driver_license", "2": "state_id", "3": "passport", "4": "other_document",
             "5": "none"}


def start_move_in(screen: Any, premise_id: int | None = None) -> None:
    """Start the move-in dialogs over `screen`."""
    _run(screen, _move_in(screen, premise_id))


def _yes(values: dict[str, str], name: str, label: str) -> bool:
    answer = values[name].strip().lower()
    if answer not in ("y", "yes", "n", "no"):
        raise InputError(InputProblem("answer y or n", field=label))
    return answer.startswith("y")


def _charges(text: str) -> tuple[Any, ...]:
    """ "labor 85.00 Set meter box; materials 42.10 Box and lid" -> the charges."""
    from core.move_in import parse_charge

    charges = []
    for part in (p.strip() for p in text.split(";") if p.strip()):
        words = part.split(maxsplit=2)
        if len(words) < 3:
            raise InputError(InputProblem(f"{part!r}: write kind, amount, what for (e.g. "
                                          "labor 85.00 Set meter box)", field="charges"))
        charges.append(parse_charge(words[0].lower(), words[2], words[1]))
    return tuple(charges)


def _application(premise_id: int, returning: dict[str, Any]) -> Any:
    from core.addresses import parse_one_line
    from core.clock import parse_date
    from core.move_in import MoveInRequest
    from core.red_flags import IdDocument

    def parse(values: dict[str, str]) -> Any:
        returning["values"] = dict(values)
        problems: list[InputProblem] = []

        def attempt(action: Any) -> Any:
            try:
                return action()
            except InputError as error:
                problems.extend(error.problems)
                return None

        start_on = attempt(lambda: parse_date(values["start_on"], field="start date"))
        reading = values["start_read"]
        if reading and not reading.isdigit():
            problems.append(InputProblem(f"{reading!r} is not a whole number",
                                         field="start read"))
        mailing = attempt(lambda: parse_one_line(values["mailing"], field="mailing address")
                          ) if values["mailing"] else None
        if values["document"] not in DOCUMENTS:
            problems.append(InputProblem("type 1 to 5", field="ID shown"))
        matches = attempt(lambda: _yes(values, "id_matches", "ID matches"))
        cut_off = attempt(lambda: _yes(values, "cut_off", "cut off lately"))
        paid = attempt(lambda: _yes(values, "paid_now", "deposit paid now"))
        charges = attempt(lambda: _charges(values["charges"])) or ()
        if not values["name"] and not values["returning"]:
            problems.append(InputProblem("the customer's name is required", field="name"))
        if problems:
            raise InputError(problems)
        returning["text"] = values["returning"]
        return MoveInRequest(
            premise_id=premise_id, start_on=start_on, start_reading=int(reading) if reading
            else None, name=values["name"], phone=values["phone"], email=values["email"],
            tax_id=values["tax_id"], mailing=mailing,
            document=IdDocument(DOCUMENTS[values["document"]]), id_matches=bool(matches),
            disconnected_recently=bool(cut_off), deposit_paid_now=bool(paid), charges=charges)
    return parse


def _fields(today: str) -> list[FormField]:
    return [
        FormField("returning", "Returning customer's acct", "", "blank: a new customer"),
        FormField("name", "Customer name", "", "Last, First or business name"),
        FormField("phone", "Phone", "", "(760) 555-0142"),
        FormField("email", "E-mail", ""),
        FormField("tax_id", "SSN / ITIN / EIN", "", "kept only as a hash + last 4"),
        FormField("mailing", "Mailing address", "", "blank: the service address"),
        FormField("start_on", "Start date", today),
        FormField("start_read", "Start read", "", "the meter's reading on the start date"),
        FormField("document", "ID shown (1-5, see above)", "1"),
        FormField("id_matches", "ID matches applicant? y/n", "y"),
        FormField("cut_off", "Cut off for nonpayment lately?", "n"),
        FormField("paid_now", "Deposit paid now? y/n", "y"),
        FormField("charges", "New-service charges", "",
                  "labor 85.00 Set meter box; materials 42 Lid"),
    ]


def _customer_id(conn: Any, number: str) -> int:
    from db.accounts import customer_id_of

    found = customer_id_of(conn, number.strip())
    if found is None:
        raise InputError(InputProblem(f"there is no account {number.strip()}",
                                      field="returning customer's account"))
    return found


def _preview_lines(preview: Any, request: Any) -> list[str]:
    deposit = preview.deposit
    lines = [f"New account {preview.number} for {preview.customer_name}",
             f"Service at {preview.premise.address} ({preview.premise.service_class}, "
             f"{preview.premise.kind.replace('_', ' ')}), meter {preview.premise.meter}",
             f"Start {request.start_on}, read {request.start_reading}"
             + (f" (last reading {preview.last_reading[1]} on {preview.last_reading[0]})"
                if preview.last_reading else ""),
             f"Bills to {preview.mailing.address.one_line()} "
             + (f"({preview.mailing.method.describe()})" if request.mailing is not None
                else "(the service address)")]
    if deposit.required:
        lines.append(f"DEPOSIT {format_money(deposit.amount_cents)}: "
                     + ("received now, held" if request.deposit_paid_now
                        else "billed on the account"))
        lines += [f"  because {why}" for why in deposit.reasons]
        lines.append(f"  amount: {deposit.amount_rule}")
    else:
        lines.append("No deposit: the district's rule does not ask for one here.")
    for charge in request.charges:
        lines.append(f"INVOICE {charge.charge}: {charge.description} "
                     f"{format_money(charge.amount_cents)}")
    if preview.alerts:
        lines.append(f"RED FLAG: {len(preview.alerts)} alert(s); you record the verification "
                     "next.")
        lines += [f"  {a.check.title()}: {a.message}" for a in preview.alerts]
    else:
        lines.append("Red Flag checks: no alerts.")
    return lines


async def _pick_premise(screen: Any) -> int | None:
    from db.move_in import premise_choices

    note = "Type the address, an account number at the premise, or the meter serial."
    while True:
        found = await screen.app.push_screen_wait(AccountForm(
            "Move-in: which premise?", [FormField("where", "Premise", "", "9800 la contenta")],
            lambda v: v["where"], note))
        if not found:
            return None
        choices = await _db(screen, premise_choices, found)
        if not choices:
            note = f"Nothing matches {found!r}; try the street number and name."
            continue
        picked = await screen.app.push_screen_wait(ChoiceModal(
            "Pick the premise", [(str(c.id), f"{c.address[:40]} — "
                                 + (f"ACTIVE {c.occupied_by}" if c.occupied_by else "VACANT"))
                                 for c in choices]))
        if picked is not None:
            return int(picked)


async def _move_in(screen: Any, premise_id: int | None) -> None:
    from core.red_flags import IdentityCheck
    from db.move_in import move_in_preview, open_account

    premise_id = premise_id or await _pick_premise(screen)
    if premise_id is None:
        return
    today = screen.app.session.today
    fields = _fields(today.isoformat())
    returning: dict[str, Any] = {}
    note = ("ID shown: 1 driver's license, 2 state ID card, 3 passport, 4 a document without a "
            "photo, 5 none seen. Nothing is written until you confirm.")
    while True:
        request = await screen.app.push_screen_wait(AccountForm(
            "Move-in: the application", fields, _application(premise_id, returning), note))
        if request is None:
            return
        typed = returning.get("values", {})  # what was typed, for another try
        fields = [FormField(f.name, f.label, typed.get(f.name, f.value), f.placeholder)
                  for f in fields]
        try:
            if returning.get("text"):
                from dataclasses import replace

                customer_id = await _db(screen, _customer_id, returning["text"])
                request = replace(request, customer_id=customer_id)
            preview = await _db(screen, move_in_preview, request, today)
        except InputError as error:
            note = f"Fix: {_problem_text(error)}"
            continue
        break
    ok = await screen.app.push_screen_wait(ConfirmModal(
        "Open this account?", _preview_lines(preview, request), "Go on?"))
    if not ok:
        return
    identity = IdentityCheck(request.document, None)
    if preview.alerts:
        identity = await ask_identity(screen, preview.alerts, "new account")
        if identity is None:
            return
    opened = await _db(screen, open_account, request, identity,
                       actor=str(screen.app.session.user.login), at=now_stamp(), today=today)
    screen.app.notify(f"Account {opened.number} opened for {preview.customer_name}.",
                      title="Move-in", timeout=8)
    screen.app.open_account(opened.number)
