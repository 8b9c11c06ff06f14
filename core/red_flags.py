"""Red Flag checks at account opening and on changes (RULES.md §11, 16 CFR Part 681).

The checks only raise alerts; the clerk sees each one and records how identity was verified
(or that it could not be, and the request was refused). Both are logged with the change.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from core.errors import InputError, InputProblem


class RedFlagCheck(StrEnum):
    """Which check raised an alert, with its place in Supplement A to Appendix A of Part 681."""

    DUPLICATE_TAX_ID = "duplicate_tax_id"  # #12: SSN already used by another customer
    SHARED_PHONE = "shared_phone"  # #15: phone shared by other customers
    BOX_ON_RESIDENTIAL = "box_on_residential"  # #13: mail drop on a residential start
    ADDRESS_THEN_NAME = "address_then_name"  # #19 adapted: address change, then name change
    MISMATCHED_ID = "mismatched_id"  # #5-9: ID does not match the applicant or the file
    MAIL_ELSEWHERE_WEAK_ID = "mail_elsewhere_weak_id"  # billing != service with weak ID

    def title(self) -> str:
        return {"duplicate_tax_id": "Tax ID already on file",
                "shared_phone": "Phone shared with other customers",
                "box_on_residential": "PO Box or mail drop on a residential start",
                "address_then_name": "Name change soon after an address change",
                "mismatched_id": "Identification does not match",
                "mail_elsewhere_weak_id": "Mail goes elsewhere and the ID is weak"}[self.value]


class IdDocument(StrEnum):
    """What the applicant showed; the first three are photo ID ("strong")."""

    DRIVER_LICENSE = "driver_license"
    STATE_ID = "state_id"
    PASSPORT = "passport"
    OTHER_DOCUMENT = "other_document"  # lease, deed, another utility's bill
    NONE = "none"  # by phone or online: nothing seen

    @property
    def strong(self) -> bool:
        return self in (IdDocument.DRIVER_LICENSE, IdDocument.STATE_ID, IdDocument.PASSPORT)

    def describe(self) -> str:
        return {"driver_license": "driver's license", "state_id": "state ID card",
                "passport": "passport", "other_document": "a document without a photo",
                "none": "no document seen"}[self.value]


class Verification(StrEnum):
    """How the clerk resolved the alerts: verified in one of these ways, or refused."""

    PHOTO_ID = "photo_id"
    SECOND_DOCUMENT = "second_document"
    CALLBACK = "callback"
    KNOWN_CUSTOMER = "known_customer"
    REFUSED = "refused"

    def describe(self) -> str:
        return {"photo_id": "photo ID inspected in person and it matches",
                "second_document": "a second document (lease, deed, bill) matches",
                "callback": "called back at the phone already on file and confirmed",
                "known_customer": "known customer: details match the file",
                "refused": "could not verify identity: request refused"}[self.value]


@dataclass(frozen=True)
class RedFlagAlert:
    """One alert: which check, and a sentence saying what was found."""

    check: RedFlagCheck
    message: str


@dataclass(frozen=True)
class OpeningFacts:
    """What the checks look at when an account is opened."""

    residential: bool
    mailing_is_box: bool
    mailing_differs: bool  # the mailing address is not the service address
    document: IdDocument
    id_matches: bool  # the clerk's answer: the ID matches the applicant and the application
    tax_id_matches: tuple[str, ...]  # "NAME (account N)" of other customers with the tax ID
    phone_matches: int  # how many other customers have the phone
    phone: str


def tax_id_digits(text: str) -> str:
    """The nine digits of an SSN, ITIN or EIN as typed ("123-45-6789"), or an InputError."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) != 9 or any(ch not in "0123456789- " for ch in text.strip()):
        raise InputError(InputProblem("must be 9 digits (SSN, ITIN or EIN)", field="tax ID"))
    return digits


def tax_id_hash(digits: str, salt: str) -> str:
    """The stored form of a tax ID: sha256 of "salt:digits" (the number itself is not kept)."""
    return hashlib.sha256(f"{salt}:{digits}".encode()).hexdigest()


def phone_digits(phone: str) -> str:
    """The digits of a phone number, without a leading country code 1."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def format_phone(phone: str) -> str:
    """A 10-digit number as "(760) 555-0142"; anything else as typed."""
    digits = phone_digits(phone)
    if len(digits) == 10:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return phone.strip()


def opening_alerts(facts: OpeningFacts, shared_phone_min: int) -> list[RedFlagAlert]:
    """The alerts for a new account, in the order the clerk should look at them."""
    alerts = []
    if facts.tax_id_matches:
        alerts.append(RedFlagAlert(
            RedFlagCheck.DUPLICATE_TAX_ID,
            "The tax ID is already on file for " + "; ".join(facts.tax_id_matches[:3])
            + (f" and {len(facts.tax_id_matches) - 3} more" if len(facts.tax_id_matches) > 3
               else "")))
    if facts.phone and facts.phone_matches >= shared_phone_min:
        alerts.append(RedFlagAlert(
            RedFlagCheck.SHARED_PHONE,
            f"The phone {format_phone(facts.phone)} is on {facts.phone_matches} other "
            f"customer{'s' if facts.phone_matches != 1 else ''}"))
    if facts.residential and facts.mailing_is_box:
        alerts.append(RedFlagAlert(
            RedFlagCheck.BOX_ON_RESIDENTIAL,
            "Bills would go to a PO Box or mail drop on a residential start"))
    if not facts.id_matches:
        alerts.append(RedFlagAlert(
            RedFlagCheck.MISMATCHED_ID,
            f"The clerk found the {facts.document.describe()} does not match the applicant "
            "or the application"))
    if facts.mailing_differs and not facts.document.strong:
        alerts.append(RedFlagAlert(
            RedFlagCheck.MAIL_ELSEWHERE_WEAK_ID,
            f"Mail goes to another address and the ID is weak ({facts.document.describe()})"))
    return alerts


def name_change_alerts(*, old_name: str, new_name: str, today: date,
                       mailing_changed_on: date | None, window_days: int) -> list[RedFlagAlert]:
    """Flag #19 adapted: a name change within the window after a mailing-address change."""
    if old_name.strip().casefold() == new_name.strip().casefold() or mailing_changed_on is None:
        return []
    days = (today - mailing_changed_on).days
    if days > window_days:
        return []
    return [RedFlagAlert(
        RedFlagCheck.ADDRESS_THEN_NAME,
        f"The mailing address changed on {mailing_changed_on} ({days} days ago, within "
        f"{window_days}); now the name changes from {old_name!r} to {new_name!r}")]


@dataclass(frozen=True)
class IdentityCheck:
    """The clerk's record of how identity was checked, kept with the alerts it answers."""

    document: IdDocument
    verification: Verification | None  # None: there were no alerts to answer
    note: str = ""

    def check_answers(self, alerts: list[RedFlagAlert]) -> None:
        """Refuse to go on with alerts that have no recorded verification."""
        if alerts and self.verification is None:
            raise InputError(InputProblem(
                f"{len(alerts)} Red Flag alert{'s' if len(alerts) != 1 else ''} need a "
                "recorded verification (how identity was checked, or refused)",
                field="verification"))
        if self.verification is Verification.REFUSED:
            raise InputError(InputProblem(
                "identity could not be verified: the request is refused and logged",
                field="verification"))
        if alerts and not self.note.strip():
            raise InputError(InputProblem("say what was checked (e.g. CA DL ending 1234, "
                                          "lease dated 2026-10-01)", field="verification note"))
