"""Move-out: the closing bill's period, and how the account is settled after it.

Order (PRODUCT.md, move-out): final read → closing bill prorated by days (RULES.md §5.1:
monthly charges × days/30) → the held deposit applied → a credit left over is refunded
(refund register) or transferred to another account; a debt left over stays for collection
→ the account is closed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.errors import InputError, InputProblem
from core.money import Cents, format_credit, format_money


@dataclass(frozen=True)
class LastRead:
    """The reading the closing bill starts from: the last read the account was billed through."""

    read_on: date
    reading: int
    serial: str


def check_final_read(last: LastRead | None, *, final_reading: int, close_on: date,
                     opened_on: date, today: date, dials: int = 0) -> None:
    """Refuse a final read that cannot close the account, saying what to do instead."""
    problems = []
    if final_reading < 0:
        problems.append(InputProblem("must be 0 or more", field="final read"))
    elif dials and final_reading >= 10 ** dials:
        # As a read file's line is checked (FORMATS.md §6.1): the register holds `dials` digits.
        problems.append(InputProblem(
            f"{final_reading} has more digits than "
            f"{f'meter {last.serial}' if last else 'the meter'}'s {dials} dials; check the read",
            field="final read"))
    if close_on > today:
        problems.append(InputProblem(f"{close_on} is after today ({today}): take the final "
                                     "read on the day, then close", field="date"))
    if close_on < opened_on:
        problems.append(InputProblem(f"{close_on} is before the account opened ({opened_on})",
                                     field="date"))
    if last is not None:
        if close_on <= last.read_on:
            problems.append(InputProblem(
                f"{close_on} is not after the last billed read of {last.read_on}; the "
                "closing bill needs at least one day", field="date"))
        elif final_reading < last.reading:
            problems.append(InputProblem(
                f"{final_reading} is below the last reading {last.reading} of meter "
                f"{last.serial} on {last.read_on}; check the read (or record the meter "
                "change in Read audit first)", field="final read"))
    if problems:
        raise InputError(problems)


@dataclass(frozen=True)
class Settlement:
    """The money of a move-out, in the order it is posted (cents; + owed, − credit)."""

    balance_before_cents: Cents
    closing_bill_cents: Cents
    deposit_applied_cents: Cents  # the whole held deposit, as a positive amount
    balance_after_cents: Cents  # after the bill and the deposit, before refund or transfer
    refund_cents: Cents  # a credit put in the refund register (stays on the ledger until paid)
    transfer_cents: Cents  # a credit moved to another account
    owed_cents: Cents  # a debt left for collection

    def lines(self) -> list[str]:
        """The settlement as the clerk and the customer read it."""
        out = [f"Balance before closing      {format_credit(self.balance_before_cents):>14}",
               f"Closing bill                {format_money(self.closing_bill_cents):>14}"]
        if self.deposit_applied_cents:
            out.append(f"Deposit applied             "
                       f"{format_money(-self.deposit_applied_cents):>14}")
        out.append(f"Balance after               {format_credit(self.balance_after_cents):>14}")
        if self.refund_cents:
            out.append(f"Refund (refund register)    {format_money(self.refund_cents):>14}")
        if self.transfer_cents:
            out.append(f"Credit transferred          {format_money(self.transfer_cents):>14}")
        if self.owed_cents:
            out.append(f"Left owing, for collection  {format_money(self.owed_cents):>14}")
        return out


def settle(*, balance_cents: Cents, deposit_cents: Cents, closing_bill_cents: Cents,
           transfer: bool) -> Settlement:
    """Apply the closing bill and the whole held deposit; send a credit on or leave a debt."""
    if deposit_cents < 0:
        raise InputError(InputProblem("the deposit book is negative; run `meterline ledger "
                                      "check` and tell a supervisor", field="deposit"))
    if closing_bill_cents < 0:
        raise InputError(InputProblem("a closing bill cannot be a credit", field="closing bill"))
    after = balance_cents + closing_bill_cents - deposit_cents
    credit = -after if after < 0 else 0
    return Settlement(
        balance_before_cents=balance_cents, closing_bill_cents=closing_bill_cents,
        deposit_applied_cents=deposit_cents, balance_after_cents=after,
        refund_cents=0 if transfer else credit, transfer_cents=credit if transfer else 0,
        owed_cents=after if after > 0 else 0)
