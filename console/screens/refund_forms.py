"""The Refunds screen's words and dialogs: what a register row says, approve or cancel with a
comment, and the A/P file's name.

Each parse function turns typed text into what `db.refunds` takes, or raises an InputError
naming the field; the form shows it and stays open, and nothing is stored.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from console.screens.register_screen import short_stamp
from console.widgets.forms import FormField, FormModal
from core.adjustments import check_comment
from core.errors import InputError, InputProblem
from core.money import format_money

# The register's `source`: short for the list, in full for the detail pane.
WHY_SHORT = {"closed_credit": "closed credit", "deposit_sweep": "deposit sweep",
             "deposit_refund": "deposit asked", "move_out": "move-out"}
WHY_LONG = {"closed_credit": "credit left on a closed account (closed-credits run)",
            "deposit_sweep": "good-payment deposit refund (the deposit sweep)",
            "deposit_refund": "deposit refund asked for by hand",
            "move_out": "credit left at move-out (closing bill)"}


def why_short(refund: Any) -> str:
    return WHY_SHORT.get(refund["source"], refund["source"].replace("_", " "))


def status_day(refund: Any) -> str:
    """The day that goes with the refund's status: paid, decided, or asked for."""
    if refund["status"] == "paid" and refund["exported_on"]:
        return str(refund["exported_on"])
    if refund["status"] in ("approved", "cancelled") and refund["decided_at"]:
        return str(refund["decided_at"])[:10]
    return str(refund["requested_on"])


def refund_lines(refund: Any) -> list[str]:
    """Five lines for the current refund: what, payee, why and how much, note, history."""
    deposit = refund["book"] == "deposit"
    head = (f"#{refund['id']} {refund['status'].upper()} · "
            f"{format_money(refund['amount_cents'])} · account {refund['account_number']} "
            f"({refund['account_status'].upper()}) · from the {'DEPOSIT' if deposit else 'CREDIT'}")
    address = ", ".join(part for part in (
        refund["payee_line1"], refund["payee_line2"],
        f"{refund['payee_city']} {refund['payee_state']} {refund['payee_zip']}".strip()) if part)
    payee = f"Pay {refund['payee_name']}, {address}"
    return [head, payee, _how(refund, deposit), f"Note: {refund['comment'] or '(none)'}",
            _history(refund)]


def _how(refund: Any, deposit: bool) -> str:
    """How the amount was found, and what the account holds now (the export re-checks it)."""
    cents = refund["amount_cents"]
    balance = refund["balance_cents"] or 0
    held = refund["deposit_cents"] or 0
    how = f"Why: {WHY_LONG.get(refund['source'], refund['source'])}. "
    if deposit:
        how += (f"Amount: the deposit held when asked; now held {format_money(held)},"
                f" balance {format_money(balance)}.")
        short = held < cents
    else:
        credit = max(-balance, 0)
        how += (f"Amount: the credit when asked; now a credit of {format_money(credit)},"
                f" deposit held {format_money(held)}.")
        short = credit < cents
    if short and refund["status"] in ("pending", "approved"):
        how += " LESS THAN THE REFUND: paying it will be refused; cancel and ask again."
    return how


def _history(refund: Any) -> str:
    text = f"Asked by {refund['requested_by']} {short_stamp(refund['requested_at'])}"
    if refund["approved"]:  # cancelled after it was approved: "super1 2026-11-20T10:00:00"
        who, _, when = str(refund["approved"]).partition(" ")
        text += f" · APPROVED by {who} {short_stamp(when)}"
    if refund["decided_by"]:
        decided = "CANCELLED" if refund["status"] == "cancelled" else "APPROVED"
        text += (f" · {decided} by {refund['decided_by']} {short_stamp(refund['decided_at'])}:"
                 f" {refund['decision_comment']}")
    if refund["status"] == "paid":
        text += (f" · PAID {refund['exported_on']} in {refund['export_file']},"
                 f" entry {refund['paid_entry_id']}")
    return text


def decision_form(refund: Any, approve: bool) -> FormModal[str]:
    """Approve or cancel: a comment saying why is required either way (db.refunds asks too)."""
    verb = "Approve" if approve else "Cancel"
    was = "It was APPROVED; nothing was paid or posted yet.\n" \
        if refund["status"] == "approved" else ""
    happens = ("It becomes APPROVED and is paid with the next A/P file (p)." if approve
               else f"{was}It becomes CANCELLED and is never paid; the credit or deposit stays.")
    note = (f"{format_money(refund['amount_cents'])} to {refund['payee_name']}, account "
            f"{refund['account_number']}\nWhy: {WHY_LONG.get(refund['source'], refund['source'])}"
            f"\n{happens}")
    name = "comment" if approve else "reason"

    def parse(values: dict[str, str]) -> str:
        try:
            return check_comment(values[name])
        except InputError:
            raise InputError(InputProblem(f"a {name} saying why is required (3 letters or"
                                          " more)", field=name)) from None

    return FormModal(f"{verb} refund #{refund['id']}",
                     [FormField(name, f"{name.capitalize()} (required)", "",
                                "why, for the audit log")], parse, note)


def export_form(today: date, folder: Path) -> FormModal[Path]:
    """The A/P file to write; an existing file is refused, as `meterline refunds export` does."""
    def parse(values: dict[str, str]) -> Path:
        if not values["file"]:
            raise InputError(InputProblem("the file to write is required", field="file"))
        out = Path(values["file"]).expanduser().absolute()
        if out.exists():
            raise InputError(InputProblem(f"{out} already exists; choose a new file name",
                                          field="file"))
        if not out.parent.is_dir():
            raise InputError(InputProblem(f"there is no folder {out.parent}", field="file"))
        return out

    return FormModal("Pay the approved refunds: the A/P file",
                     [FormField("file", "File to write (CSV)",
                                str(folder / f"refunds-{today.isoformat()}.csv"))],
                     parse, "Pays EVERY approved refund, not only this one: posts each refund"
                     " entry\nand writes it to this file for accounts payable, all or nothing.")
