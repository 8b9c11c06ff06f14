"""Adjustment entry: parsing the form, and the approve, reject and reverse dialogs."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from console.messages import AdjustmentStored
from console.screens.account_forms import AccountForm, _db, _run
from console.session import now_stamp
from console.widgets.forms import FormField
from core.adjustments import RequestKind, check_comment
from core.clock import parse_date
from core.errors import InputError, InputProblem
from core.money import MoneyError, parse_money
from db.adjustment_requests import AdjustmentDraft

KIND_KEYS = {"a": RequestKind.AMOUNT, "l": RequestKind.LEAK, "b": RequestKind.BACKBILL,
             "f": RequestKind.METER_REFUND}


def parse_kind(text: str) -> RequestKind:
    raw = text.strip().lower() or "a"
    found = KIND_KEYS.get(raw) or next((k for k in KIND_KEYS.values() if k.value == raw), None)
    if found is None:
        raise InputError(InputProblem(f"{text.strip()!r} is not a kind (a amount, l leak, "
                                      "b back-bill, f fast-meter refund)", field="kind"))
    return found


def parse_draft(values: dict[str, str]) -> AdjustmentDraft:
    """The form's fields as a draft; every problem names its field, nothing is read or stored."""
    problems: list[InputProblem] = []
    account = values["account"].strip()
    if not account:
        problems.append(InputProblem("the account number is required", field="account"))
    try:
        kind = parse_kind(values["kind"])
    except InputError as exc:
        raise InputError([*problems, *exc.problems]) from None
    if kind is RequestKind.AMOUNT:
        cents = 0
        try:
            cents = parse_money(values["amount"])
            if cents == 0:
                problems.append(InputProblem("type -12.50 for a credit, 12.50 for a charge",
                                             field="amount"))
        except MoneyError as exc:
            problems.append(InputProblem(str(exc), field="amount"))
        if not values["reason"].strip():
            problems.append(InputProblem("a reason code is required", field="reason"))
        if problems:
            raise InputError(problems)
        return AdjustmentDraft(account, kind, values["reason"].strip().upper(), cents)
    dates = []
    for name in ("from", "to"):
        try:
            dates.append(parse_date(values[name], field=name))
        except InputError as exc:
            problems.extend(exc.problems)
    percent = None
    if values["percent"].strip():
        try:
            percent = Decimal(values["percent"].strip().rstrip("%"))
        except InvalidOperation:
            problems.append(InputProblem(f"{values['percent']!r} is not a percent",
                                         field="percent"))
    if problems:
        raise InputError(problems)
    method = values["method"].strip() or ("percent_fast" if kind is RequestKind.METER_REFUND
                                          else "")
    return AdjustmentDraft(account, kind, period_from=dates[0], period_to=dates[1],
                           method=method, percent=percent)


def decide_flow(screen: Any, request_id: int, what: str, approve: bool) -> None:
    _run(screen, _decide(screen, request_id, what, approve))


async def _decide(screen: Any, request_id: int, what: str, approve: bool) -> None:
    from db.adjustment_requests import approve_adjustment, reject_adjustment

    verb = "Approve" if approve else "Reject"
    comment = await screen.app.push_screen_wait(AccountForm(
        f"{verb} request {request_id}", [FormField("comment", "Comment", "")],
        lambda v: check_comment(v["comment"]), note=what))
    if comment is None:
        return
    session = screen.app.session
    if approve:
        entry_id = await _db(screen, approve_adjustment, request_id, approver=session.user,
                             comment=comment, at=now_stamp(), today=session.today)
        text = f"APPROVED request {request_id}: posted as entry {entry_id}."
    else:
        await _db(screen, reject_adjustment, request_id, user=session.user, comment=comment,
                  at=now_stamp())
        text = f"REJECTED request {request_id}: nothing posted."
    screen.post_message(AdjustmentStored(text))


def reverse_flow(screen: Any, entry_id: int, what: str) -> None:
    _run(screen, _reverse(screen, entry_id, what))


async def _reverse(screen: Any, entry_id: int, what: str) -> None:
    from db.adjustment_requests import reverse_adjustment

    comment = await screen.app.push_screen_wait(AccountForm(
        f"Reverse adjustment {entry_id}", [FormField("comment", "Why", "")],
        lambda v: check_comment(v["comment"]), note=what))
    if comment is None:
        return
    session = screen.app.session
    reversal = await _db(screen, reverse_adjustment, entry_id, user=session.user,
                         comment=comment, at=now_stamp(), today=session.today)
    screen.post_message(AdjustmentStored(f"REVERSED adjustment {entry_id} by entry {reversal}."))
