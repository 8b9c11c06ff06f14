"""After lock-off (issue 8 item 5): which locked-off accounts get a final notice, are lien
candidates, go to the collection agency or into a write-off batch, and why.

Every threshold is district policy (`cfg` in core/settings.py): RULES.md has no statute for
these steps; write-offs route to a supervisor (RULES.md §6). An account counts here while its
latest lock-off has no reconnection and it still owes on the receivable book; an active
payment plan keeps it off every list.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.money import format_money
from core.settings import DistrictSettings

LISTS = ("final-notices", "liens", "agency", "write-offs")


@dataclass(frozen=True)
class LockedOff:
    """One account still off after a lock-off, with what it owes on the day."""

    account_id: int
    number: str
    name: str
    service_address: str
    service_class: str
    shutoff_id: int
    locked_on: date
    balance_cents: int
    owner_is_customer: bool
    in_plan: bool

    def days_off(self, on: date) -> int:
        return (on - self.locked_on).days


@dataclass(frozen=True)
class Finding:
    """An account on one after-lock-off list, with the reason in words."""

    account: LockedOff
    reason: str

    def as_dict(self, on: date) -> dict[str, object]:
        a = self.account
        return {"account": a.number, "name": a.name, "service_address": a.service_address,
                "service_class": a.service_class, "locked_on": a.locked_on.isoformat(),
                "days_off": a.days_off(on), "balance": format_money(a.balance_cents),
                "balance_cents": a.balance_cents, "owner_is_customer": a.owner_is_customer,
                "reason": self.reason}


def _owing(a: LockedOff, on: date, days: int, label: str) -> str | None:
    """The common test: still owing, no plan, off at least `days` days."""
    if a.balance_cents <= 0 or a.in_plan or a.days_off(on) < days:
        return None
    return (f"off {a.days_off(on)} days since the {a.locked_on} lock-off (≥ {days} for "
            f"{label}), {format_money(a.balance_cents)} unpaid")


def final_notice_reason(a: LockedOff, on: date, s: DistrictSettings) -> str | None:
    """Why the account gets the final notice, or None."""
    return _owing(a, on, s.collections_final_notice_days, "a final notice")


def lien_reason(a: LockedOff, on: date, s: DistrictSettings) -> str | None:
    """Why the account is a lien candidate: the owner is the customer and owes enough."""
    why = _owing(a, on, s.collections_lien_days, "a lien")
    if why is None or not a.owner_is_customer or a.balance_cents < s.collections_lien_min_cents:
        return None
    return (f"{why}; the property owner is the customer of record and owes at least "
            f"{format_money(s.collections_lien_min_cents)}")


def agency_reason(a: LockedOff, on: date, s: DistrictSettings) -> str | None:
    """Why the account goes to the collection agency; lien candidates stay with the district."""
    why = _owing(a, on, s.collections_agency_days, "the agency")
    if why is None or a.balance_cents < s.collections_agency_min_cents \
            or lien_reason(a, on, s) is not None:
        return None
    return f"{why}; at least {format_money(s.collections_agency_min_cents)} and no lien"


def write_off_reason(a: LockedOff, on: date, s: DistrictSettings) -> str | None:
    """Why the balance is proposed for write-off; lien candidates are secured, not written off."""
    why = _owing(a, on, s.collections_write_off_days, "a write-off")
    if why is None or lien_reason(a, on, s) is not None:
        return None
    return f"{why}; uncollected and not secured by a lien"


REASONS = {"final-notices": final_notice_reason, "liens": lien_reason,
           "agency": agency_reason, "write-offs": write_off_reason}


def findings(accounts: list[LockedOff], which: str, on: date,
             s: DistrictSettings) -> list[Finding]:
    """The accounts on list `which` on the day, each with its reason, by account number."""
    rule = REASONS[which]
    found = [Finding(a, why) for a in accounts if (why := rule(a, on, s)) is not None]
    return sorted(found, key=lambda f: f.account.number)
