"""Changes to an account: addresses (standardized, with history), the customer, notes.

Every save names the account version the clerk read; a save against an older version is
refused with "changed by NAME at TIME — reload", never a silent overwrite. Each change is
audited in the same transaction.
"""
from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from core.addresses import StandardAddress, standardize
from core.errors import ConflictError, InputError, InputProblem
from core.model import Address
from core.red_flags import (
    IdentityCheck,
    RedFlagAlert,
    Verification,
    format_phone,
    name_change_alerts,
)
from db import audit
from db.settings import load_settings
from db.transaction import write_transaction


@dataclass(frozen=True)
class AccountRef:
    """The account being changed, as the clerk last read it."""

    id: int
    number: str
    customer_id: int
    premise_id: int
    version: int


def account_ref(conn: sqlite3.Connection, number: str) -> AccountRef:
    row = conn.execute("SELECT id, number, customer_id, premise_id, version FROM accounts"
                       " WHERE number = ?", (number.strip(),)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"there is no account {number.strip()}", field="account"))
    return AccountRef(row[0], row[1], row[2], row[3], row[4])


def _who(conn: sqlite3.Connection, login: str) -> str:
    row = conn.execute("SELECT full_name FROM users WHERE login = ?", (login,)).fetchone()
    return f"{row[0]} ({login})" if row and row[0] else login or "another user"


def refuse_stale(conn: sqlite3.Connection, account_id: int, read_version: int) -> None:
    """Refuse, by name and time, a save based on an account version that has moved on."""
    row = conn.execute("SELECT number, version, updated_by, updated_at FROM accounts"
                       " WHERE id = ?", (account_id,)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"account id {account_id} does not exist", field="account"))
    if row["version"] != read_version:
        when = row["updated_at"].replace("T", " ")[:16] or "an earlier time"
        raise ConflictError(f"Account {row['number']} was changed by "
                            f"{_who(conn, row['updated_by'])} at {when} — reload")


def claim_version(conn: sqlite3.Connection, account_id: int, read_version: int, *,
                  actor: str, at: str) -> int:
    """Take the account for this save: refuse if it moved since it was read; bump the version.

    Call inside the write transaction, before changing anything.
    """
    refuse_stale(conn, account_id, read_version)
    conn.execute("UPDATE accounts SET version = version + 1, updated_by = ?, updated_at = ?"
                 " WHERE id = ? AND version = ?", (actor, at, account_id, read_version))
    return read_version + 1


def _mailing(conn: sqlite3.Connection, account_id: int) -> Address:
    row = conn.execute("SELECT mail_line1, mail_line2, mail_city, mail_state, mail_zip"
                       " FROM accounts WHERE id = ?", (account_id,)).fetchone()
    return Address(line1=row[0], line2=row[1], city=row[2], state=row[3], zip=row[4])


def _service(conn: sqlite3.Connection, premise_id: int) -> Address:
    row = conn.execute("SELECT line1, line2, city, state, zip FROM premises WHERE id = ?",
                       (premise_id,)).fetchone()
    return Address(line1=row[0], line2=row[1], city=row[2], state=row[3], zip=row[4])


def record_address(conn: sqlite3.Connection, *, account_id: int, premise_id: int | None,
                   kind: str, old: Address, new: StandardAddress, typed: Address, reason: str,
                   actor: str, at: str, today: date) -> None:
    """One row of address history; the caller owns the transaction."""
    conn.execute(
        "INSERT INTO address_history (account_id, premise_id, kind, old_line1, old_line2,"
        " old_city, old_state, old_zip, new_line1, new_line2, new_city, new_state, new_zip,"
        " typed, standardized_by, reason, changed_by, changed_on, changed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (account_id, premise_id, kind, old.line1, old.line2, old.city, old.state, old.zip,
         new.address.line1, new.address.line2, new.address.city, new.address.state,
         new.address.zip, typed.one_line(), new.method.value, reason, actor, today.isoformat(),
         at))


def change_address(conn: sqlite3.Connection, number: str, typed: Address, *, kind: str,
                   read_version: int, reason: str, actor: str, at: str,
                   today: date) -> StandardAddress:
    """Standardize and store a mailing or service address, with history and audit."""
    if kind not in ("mailing", "service"):
        raise InputError(InputProblem("must be mailing or service", field="kind"))
    if not reason.strip():
        raise InputError(InputProblem("say why the address changes (e.g. customer called, "
                                      "returned mail, USPS ACS notice)", field="reason"))
    clean = standardize(typed)
    ref = account_ref(conn, number)
    with write_transaction(conn):
        claim_version(conn, ref.id, read_version, actor=actor, at=at)
        if kind == "mailing":
            old = _mailing(conn, ref.id)
            conn.execute("UPDATE accounts SET mail_line1 = ?, mail_line2 = ?, mail_city = ?,"
                         " mail_state = ?, mail_zip = ? WHERE id = ?",
                         (clean.address.line1, clean.address.line2, clean.address.city,
                          clean.address.state, clean.address.zip, ref.id))
        else:
            old = _service(conn, ref.premise_id)
            conn.execute("UPDATE premises SET line1 = ?, line2 = ?, city = ?, state = ?, zip = ?"
                         " WHERE id = ?", (clean.address.line1, clean.address.line2,
                                           clean.address.city, clean.address.state,
                                           clean.address.zip, ref.premise_id))
        record_address(conn, account_id=ref.id,
                       premise_id=ref.premise_id if kind == "service" else None, kind=kind,
                       old=old, new=clean, typed=typed, reason=reason.strip(), actor=actor,
                       at=at, today=today)
        audit.record(conn, at=at, actor=actor, action=f"account.{kind}_address",
                     object_type="account", object_id=ref.number, before=asdict(old),
                     after={**asdict(clean.address), "standardized_by": clean.method.value,
                            "reason": reason.strip()})
    return clean


def last_mailing_change(conn: sqlite3.Connection, account_id: int) -> date | None:
    row = conn.execute("SELECT max(changed_on) FROM address_history WHERE account_id = ?"
                       " AND kind = 'mailing'", (account_id,)).fetchone()
    return date.fromisoformat(row[0]) if row and row[0] else None


def customer_change_alerts(conn: sqlite3.Connection, number: str, new_name: str,
                           today: date) -> list[RedFlagAlert]:
    """The Red Flag alerts a name change would raise (RULES.md §11, #19 adapted)."""
    ref = account_ref(conn, number)
    old = conn.execute("SELECT name FROM customers WHERE id = ?", (ref.customer_id,)).fetchone()
    settings = load_settings(conn)
    return name_change_alerts(old_name=old[0], new_name=new_name, today=today,
                              mailing_changed_on=last_mailing_change(conn, ref.id),
                              window_days=settings.red_flag_name_change_days)


def log_identity(conn: sqlite3.Connection, *, occasion: str, account_id: int | None,
                 customer_id: int | None, applicant: str, identity: IdentityCheck,
                 alerts: list[RedFlagAlert], actor: str, at: str, today: date) -> int:
    """The verification record and its alerts; the caller owns the transaction."""
    if identity.verification is Verification.REFUSED:
        outcome = "refused"
    else:
        outcome = "verified" if alerts else "no_alerts"
    verification_id = int(conn.execute(
        "INSERT INTO identity_verifications (occasion, account_id, customer_id, applicant_name,"
        " document, verification, outcome, note, verified_by, verified_on, verified_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (occasion, account_id, customer_id, applicant, identity.document.value,
         identity.verification.value if identity.verification else None, outcome,
         identity.note.strip(), actor, today.isoformat(), at)).lastrowid or 0)
    conn.executemany(
        "INSERT INTO red_flag_alerts (verification_id, account_id, check_code, message,"
        " raised_by, raised_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(verification_id, account_id, a.check.value, a.message, actor, at) for a in alerts])
    if alerts:
        audit.record(conn, at=at, actor=actor, action=f"red_flag.{outcome}",
                     object_type="account" if account_id else "applicant",
                     object_id=account_id or applicant,
                     after={"occasion": occasion, "alerts": [a.check.value for a in alerts],
                            "verification": identity.verification, "note": identity.note})
    return verification_id


def change_customer(conn: sqlite3.Connection, number: str, *, name: str, phone: str,
                    read_version: int, identity: IdentityCheck | None, actor: str, at: str,
                    today: date) -> list[RedFlagAlert]:
    """Change the customer's name or phone; a Red Flag alert needs a recorded verification."""
    if not name.strip():
        raise InputError(InputProblem("the customer's name is required", field="name"))
    ref = account_ref(conn, number)
    refuse_stale(conn, ref.id, read_version)  # a stale screen hears that first
    alerts = customer_change_alerts(conn, number, name.strip(), today)
    if alerts and identity is None:
        raise InputError(InputProblem(
            "Red Flag: " + "; ".join(a.message for a in alerts) + ". Record how identity "
            "was verified (or that it was refused) to go on", field="verification"))
    if alerts and identity is not None and identity.verification is Verification.REFUSED:
        with write_transaction(conn):  # refused: logged, nothing else changes
            log_identity(conn, occasion="name_change", account_id=ref.id,
                         customer_id=ref.customer_id, applicant=name.strip(),
                         identity=identity, alerts=alerts, actor=actor, at=at, today=today)
    if identity is not None:
        identity.check_answers(alerts)
    with write_transaction(conn):
        claim_version(conn, ref.id, read_version, actor=actor, at=at)
        old = conn.execute("SELECT name, phone FROM customers WHERE id = ?",
                           (ref.customer_id,)).fetchone()
        conn.execute("UPDATE customers SET name = ?, phone = ? WHERE id = ?",
                     (name.strip(), format_phone(phone), ref.customer_id))
        if identity is not None and alerts:
            log_identity(conn, occasion="name_change", account_id=ref.id,
                         customer_id=ref.customer_id, applicant=name.strip(),
                         identity=identity, alerts=alerts, actor=actor, at=at, today=today)
            window = load_settings(conn).red_flag_name_change_days
            conn.execute(
                "INSERT INTO account_flags (account_id, flag, reason, author, set_on, expires_on)"
                " VALUES (?, 'RED FLAG', ?, ?, ?, ?)",
                (ref.id, f"Name change after an address change; identity verified "
                 f"({identity.verification}): {identity.note.strip()}", actor,
                 today.isoformat(), (today + timedelta(days=window)).isoformat()))
        audit.record(conn, at=at, actor=actor, action="account.customer", object_type="account",
                     object_id=ref.number, before={"name": old[0], "phone": old[1]},
                     after={"name": name.strip(), "phone": format_phone(phone)})
    return alerts


def add_note(conn: sqlite3.Connection, number: str, body: str, *, actor: str,
             at: str) -> int:
    """A note on the account, stamped with its author and time; notes are never edited."""
    text = " ".join(body.split())
    if not text:
        raise InputError(InputProblem("the note is empty", field="note"))
    ref = account_ref(conn, number)
    with write_transaction(conn):
        note_id = int(conn.execute(
            "INSERT INTO notes (account_id, author, at, body) VALUES (?, ?, ?, ?)",
            (ref.id, actor, at, text)).lastrowid or 0)
        audit.record(conn, at=at, actor=actor, action="account.note", object_type="account",
                     object_id=ref.number, after={"note": note_id})
    return note_id

