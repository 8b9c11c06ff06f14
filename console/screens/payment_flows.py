"""The payments screen's dialogs: a new batch, the control total, a void, a returned check, a
lockbox file. Each is a short run of dialogs; database work runs on a thread."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from console.messages import BatchLoaded, PaymentsChanged
from console.screens.account_forms import _db, _run
from console.session import now_stamp
from console.widgets.entry_input import HeldKeys
from console.widgets.forms import ChoiceModal, ConfirmModal, FormField, FormModal
from core.clock import parse_date
from core.errors import InputError, InputProblem
from core.money import MoneyError, format_money, parse_money


def _cents(text: str, field: str, *, required: bool = True) -> int | None:
    if not text and not required:
        return None
    try:
        cents = parse_money(text)
    except MoneyError as exc:
        raise InputError(InputProblem(str(exc), field=field)) from None
    if cents <= 0:
        raise InputError(InputProblem("must be more than $0.00", field=field))
    return cents


def _session(screen: Any) -> Any:
    return screen.app.session


# -- a new batch and its control total ----------------------------------------------------
def new_batch_flow(screen: Any, typed: HeldKeys | None = None) -> None:
    """Ask for the new batch's control total and deposit date, and open it; `typed`: the keys
    held until the form is mounted (typed before it opened), for the control total."""
    _run(screen, _new_batch(screen, typed))


async def _new_batch(screen: Any, typed: HeldKeys | None) -> None:
    from db.payment_batches import batch_lines, batch_totals, open_batch

    today = _session(screen).today

    def parse(values: dict[str, str]) -> tuple[int, date]:
        cents = _cents(values["control"], "control total")
        day = parse_date(values["date"] or today.isoformat(), field="deposit date")
        assert cents is not None
        return cents, day

    answer = await screen.app.push_screen_wait(FormModal(
        "Open a payment batch", [FormField("control", "Control total (tape)", "", "1,234.56"),
                                 FormField("date", "Deposit date", today.isoformat())],
        parse, note="It closes only when what you post equals this total.", typed=typed))
    if answer is None:
        return
    cents, day = answer
    login = _session(screen).user.login
    batch = await _db(screen, open_batch, control_total_cents=cents, deposit_date=day,
                      actor=login, at=now_stamp())
    totals = await _db(screen, batch_totals, batch.id)
    lines = await _db(screen, batch_lines, batch.id)
    screen.post_message(BatchLoaded(batch, totals, lines))


def control_total_flow(screen: Any, batch_id: int, current: int) -> None:
    _run(screen, _control_total(screen, batch_id, current))


async def _control_total(screen: Any, batch_id: int, current: int) -> None:
    from db.payment_batches import set_control_total

    cents = await screen.app.push_screen_wait(FormModal(
        f"Correct batch {batch_id}'s control total",
        [FormField("control", "Control total", f"{current / 100:.2f}")],
        lambda v: _cents(v["control"], "control total")))
    if cents is None:
        return
    await _db(screen, set_control_total, batch_id, cents, actor=_session(screen).user.login,
              at=now_stamp())
    screen.post_message(PaymentsChanged(f"Batch {batch_id}: control total now "
                                        f"{format_money(cents)}."))


# -- void ---------------------------------------------------------------------------------
def void_flow(screen: Any, payment_id: int, what: str) -> None:
    _run(screen, _void(screen, payment_id, what))


async def _void(screen: Any, payment_id: int, what: str) -> None:
    from db.payment_batches import void_payment

    comment = await screen.app.push_screen_wait(FormModal(
        f"Void {what}", [FormField("why", "Why", "keyed in error")],
        lambda v: v["why"] or "keyed in error",
        note="Reversed on the ledger; key it again correctly."))
    if comment is None:
        return
    session = _session(screen)
    await _db(screen, void_payment, payment_id, actor=session.user.login, comment=comment,
              at=now_stamp(), today=session.today)
    screen.post_message(PaymentsChanged(f"VOIDED {what}."))


# -- returned check -----------------------------------------------------------------------
def returned_flow(screen: Any, account: str = "", check: str = "") -> None:
    _run(screen, _returned(screen, account, check))


async def _returned(screen: Any, account: str, check: str) -> None:
    from core.returns import RETURN_REASONS, return_reason
    from db.returned_payments import payments_of, plan_return, return_payment

    def parse(values: dict[str, str]) -> dict[str, str]:
        if not values["account"]:
            raise InputError(InputProblem("the account number is required", field="account"))
        return_reason(values["reason"] or "NSF")
        return values

    codes = ", ".join(r.code for r in RETURN_REASONS[:6]) + ", R02…R29"
    values = await screen.app.push_screen_wait(FormModal(
        "Returned check", [FormField("account", "Account", account),
                           FormField("check", "Check number (blank: newest)", check),
                           FormField("reason", "Reason", "NSF", codes),
                           FormField("comment", "Bank notice / comment", "")], parse))
    if values is None:
        return
    session = _session(screen)
    found = await _db(screen, payments_of, values["account"], values["check"])
    if not found:
        raise InputError(InputProblem(
            f"account {values['account']} has no payment"
            + (f" by check #{values['check']}" if values["check"] else "")
            + " that can still be returned", field="check"))
    entry_id = found[0]["id"]
    plan = await _db(screen, plan_return, entry_id, values["reason"] or "NSF",
                     today=session.today)
    ok = await screen.app.push_screen_wait(ConfirmModal(
        "Return this payment?", [*plan.lines(), "", "One action: reverse the payment, charge "
                                 "the fee, note the account, CASH ONLY if it is due."],
        "Post the return?"))
    if not ok:
        return
    done = await _db(screen, return_payment, entry_id, values["reason"] or "NSF",
                     actor=session.user.login, comment=values["comment"], at=now_stamp(),
                     today=session.today)
    screen.post_message(PaymentsChanged("RETURNED: " + " · ".join(done.lines()[1:])))


# -- lockbox file -------------------------------------------------------------------------
def import_flow(screen: Any) -> None:
    _run(screen, _import(screen))


async def _import(screen: Any) -> None:
    from db.lockbox_import import import_lockbox

    def parse(values: dict[str, str]) -> tuple[Path, int | None]:
        path = Path(values["file"]).expanduser()
        if not values["file"] or not path.is_file():
            raise InputError(InputProblem(f"no file at {values['file']!r}", field="file"))
        return path, _cents(values["control"], "deposit total", required=False)

    answer = await screen.app.push_screen_wait(FormModal(
        "Post a lockbox file", [FormField("file", "File", "", "/srv/bank/lockbox.csv"),
                                FormField("control", "Bank deposit total", "", "optional")],
        parse, note="One bad line refuses the file; the same file posts once."))
    if answer is None:
        return
    path, control = answer
    session = _session(screen)
    result = await _db(screen, import_lockbox, path, actor=session.user.login, at=now_stamp(),
                       today=session.today, control_total_cents=control)
    if result.already_posted:
        text = (f"{path.name} was already posted as batch {result.batch_id} by "
                f"{result.posted_by}: nothing changed.")
    else:
        text = (f"POSTED {path.name} as batch {result.batch_id}: {result.posted:,} payments "
                f"{format_money(result.posted_cents)}; {result.suspense:,} to suspense "
                f"{format_money(result.suspense_cents)}.")
    screen.post_message(PaymentsChanged(text))


# -- suspense -----------------------------------------------------------------------------
def suspense_flow(screen: Any) -> None:
    _run(screen, _suspense(screen))


async def _suspense(screen: Any) -> None:
    from db.payment_suspense import resolve_suspense, suspense_items

    items = await _db(screen, suspense_items, limit=200)
    if not items:
        screen.post_message(PaymentsChanged("The suspense list is empty: every lockbox "
                                            "payment is on an account."))
        return
    chosen = await screen.app.push_screen_wait(ChoiceModal(
        f"Suspense: {len(items)} lockbox payments without an account",
        [(str(i.id), f"{format_money(i.amount_cents):>10}  {(i.account_text or '-')[:13]:<13}"
                     f"  {i.payer_name[:16]:<16}  "
                     f"{'unknown account' if i.reason.startswith('no ') else i.reason}"[:60])
         for i in items[:60]],
        note="Choose one to post it to the right account."))
    if chosen is None:
        return
    item = next(i for i in items if str(i.id) == chosen)

    def parse(values: dict[str, str]) -> dict[str, str]:
        if not values["account"]:
            raise InputError(InputProblem("the account it belongs to is required",
                                          field="account"))
        if len(values["comment"]) < 3:
            raise InputError(InputProblem("say how the account was found", field="comment"))
        return values

    values = await screen.app.push_screen_wait(FormModal(
        f"Post suspense item {item.id}: {format_money(item.amount_cents)}",
        [FormField("account", "Account", ""), FormField("comment", "How it was found", "")],
        parse, note=f"Stub said {item.account_text or '(nothing)'}; payer {item.payer_name}."))
    if values is None:
        return
    session = _session(screen)
    entry_id, words = await _db(screen, resolve_suspense, item.id, values["account"],
                                actor=session.user.login, comment=values["comment"],
                                at=now_stamp(), today=session.today)
    screen.post_message(PaymentsChanged(f"POSTED suspense item {item.id} to "
                                        f"{values['account']} (entry {entry_id}): {words}."))
