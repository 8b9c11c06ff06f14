"""Returned payments (RULES.md §8): why the bank sent it back, the fee, and when CASH ONLY starts.

One action reverses the payment, charges the fee, notes the account and, after the configured
number of returns in 12 months, sets CASH ONLY (docs/workflows/returned-check.md).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from core.errors import InputError, InputProblem
from core.money import Cents


@dataclass(frozen=True)
class ReturnReason:
    """A bank's reason for returning an item and what the district does about it (§8)."""

    code: str
    meaning: str
    fee: bool  # Civil Code §1719: a service charge for a check passed on insufficient funds
    cash_only_point: bool  # counts towards CASH ONLY
    autopay: str = ""  # "", "suspend" or "revoke"


RETURN_REASONS: tuple[ReturnReason, ...] = (
    ReturnReason("NSF", "insufficient funds (NSF check)", True, True),
    ReturnReason("UNCOLLECTED", "uncollected funds", True, True),
    ReturnReason("CLOSED", "account closed", False, True),
    ReturnReason("STOP", "payment stopped by the maker", False, True),
    ReturnReason("R01", "ACH return R01 insufficient funds", True, True),
    ReturnReason("R09", "ACH return R09 uncollected funds", True, True),
    ReturnReason("R02", "ACH return R02 account closed", False, False, "suspend"),
    ReturnReason("R03", "ACH return R03 no account / unable to locate", False, False, "suspend"),
    ReturnReason("R04", "ACH return R04 invalid account number", False, False, "suspend"),
    ReturnReason("R16", "ACH return R16 account frozen", False, False, "suspend"),
    ReturnReason("R20", "ACH return R20 non-transaction account", False, False, "suspend"),
    ReturnReason("R08", "ACH return R08 payment stopped", False, False, "suspend"),
    ReturnReason("R07", "ACH return R07 authorization revoked", False, False, "revoke"),
    ReturnReason("R10", "ACH return R10 not authorized", False, False, "revoke"),
    ReturnReason("R05", "ACH return R05 unauthorized debit", False, False, "revoke"),
    ReturnReason("R11", "ACH return R11 not in accordance with terms", False, False, "revoke"),
    ReturnReason("R29", "ACH return R29 corporate not authorized", False, False, "revoke"),
)
_BY_CODE = {r.code: r for r in RETURN_REASONS}


def return_reason(code: str) -> ReturnReason:
    found = _BY_CODE.get(code.strip().upper())
    if found is None:
        raise InputError(InputProblem(
            f"{code.strip()!r} is not a return reason ({', '.join(_BY_CODE)})", field="reason"))
    return found


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the last day of a shorter month)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def months_after(day: date, months: int) -> date:
    return months_before(day, -months)


@dataclass(frozen=True)
class ReturnDecision:
    """What returning one payment does: the fee (0 for none), and CASH ONLY until a date."""

    fee_cents: Cents
    fee_words: str
    returns_in_window: int
    cash_only_until: date | None

    def lines(self) -> list[str]:
        from core.money import format_money

        out = [f"Fee: {format_money(self.fee_cents)} ({self.fee_words})" if self.fee_cents
               else f"No fee ({self.fee_words})"]
        if self.cash_only_until:
            out.append(f"CASH ONLY until {self.cash_only_until}: {self.returns_in_window} "
                       "returns in the window")
        return out


def decide_return(reason: ReturnReason, *, returned_on: date, earlier_returns: Sequence[date],
                  earlier_fees: int, fee_first_cents: Cents, fee_later_cents: Cents,
                  cash_only_after: int, cash_only_months: int) -> ReturnDecision:
    """The fee and CASH ONLY decision for one return.

    Civil Code §1719(a)(1): at most $25 for the first check passed on insufficient funds and
    $35 for each later one to the same payee; the district's fees are settings within those
    caps. `earlier_fees` counts the returned-check fees already charged on the account, so the
    first fee is the first one ever. CASH ONLY (RULES.md §8, Skamania PUD): the Nth return
    that counts within `cash_only_months` sets it for `cash_only_months` from this return.
    """
    if reason.fee:
        first = earlier_fees == 0
        fee = fee_first_cents if first else fee_later_cents
        words = ("first returned check, Civil Code §1719(a)(1)" if first
                 else "a later returned check, Civil Code §1719(a)(1)")
    else:
        fee, words = 0, f"{reason.code} carries no returned-check fee"
    since = months_before(returned_on, cash_only_months)
    window = sum(1 for d in earlier_returns if since < d <= returned_on)
    window += 1 if reason.cash_only_point else 0
    until = (months_after(returned_on, cash_only_months)
             if reason.cash_only_point and window >= cash_only_after else None)
    return ReturnDecision(fee, words, window, until)
