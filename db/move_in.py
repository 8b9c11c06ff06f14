"""Move-in: find the premise, work out the deposit and the Red Flag alerts, open the account.

`move_in_preview` reads only; `open_account` repeats it inside one write transaction and
writes the customer, the account, the start read, the deposit, the new-service invoices,
the identity verification with its alerts, and an audit row for each.
"""
from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from core.addresses import StandardAddress, StandardizedBy, standardize
from core.errors import InputError, InputProblem
from core.ledger import Book, EntryType, Posting
from core.model import Address
from core.move_in import MoveInRequest, check_request, next_account_number
from core.move_in_deposit import DepositDecision, DepositFacts, deposit_for
from core.red_flags import (
    IdentityCheck,
    OpeningFacts,
    RedFlagAlert,
    Verification,
    format_phone,
    opening_alerts,
    tax_id_digits,
    tax_id_hash,
)
from db import audit
from db.account_edits import log_identity
from db.account_search import search_accounts
from db.ledger import post
from db.settings import load_settings
from db.transaction import write_transaction


@dataclass(frozen=True)
class PremiseChoice:
    """A premise a clerk can open service at, and who is there now."""

    id: int
    address: str
    service_class: str
    kind: str
    occupied_by: str  # the active account's number, or "" when vacant
    meter: str


def premise_choices(conn: sqlite3.Connection, text: str, limit: int = 12) -> list[PremiseChoice]:
    """Premises whose accounts match the text (address, an account number there, a meter)."""
    ids = list(dict.fromkeys(
        conn.execute("SELECT premise_id FROM accounts WHERE id = ?", (hit.account_id,))
        .fetchone()[0] for hit in search_accounts(conn, text, limit=limit * 3).hits))[:limit]
    return [premise_choices_by_id(conn, premise_id) for premise_id in ids]


@dataclass(frozen=True)
class MoveInPreview:
    """What opening the account will do: its number, deposit, alerts and addresses."""

    number: str
    premise: PremiseChoice
    service: Address
    mailing: StandardAddress
    meter_id: int | None
    last_reading: tuple[date, int] | None
    customer_name: str
    deposit: DepositDecision
    alerts: tuple[RedFlagAlert, ...]


def _premise(conn: sqlite3.Connection, premise_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM premises WHERE id = ?", (premise_id,)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"there is no premise {premise_id}", field="premise"))
    return row


def _deposit_facts(conn: sqlite3.Connection, request: MoveInRequest,
                   owner_id: int | None) -> DepositFacts:
    unpaid: tuple[str, ...] = ()
    if request.customer_id is not None:
        unpaid = tuple(r[0] for r in conn.execute(
            "SELECT a.number FROM accounts a JOIN account_balances b ON b.account_id = a.id"
            " WHERE a.customer_id = ? AND a.status = 'closed' AND b.balance_cents > 0",
            (request.customer_id,)))
    # The premise's monthly bills of the last 12 months (at most 12), whoever lived there.
    since = (request.start_on - timedelta(days=365)).isoformat()
    bills = [r[0] for r in conn.execute(
        "SELECT e.amount_cents FROM ledger_entries e"
        " JOIN accounts a ON a.id = e.account_id WHERE a.premise_id = ?"
        " AND e.entry_type = 'bill' AND e.reverses_id IS NULL AND e.effective_on > ?"
        " AND e.effective_on <= ? ORDER BY e.effective_on DESC LIMIT 12",
        (request.premise_id, since, request.start_on.isoformat()))]
    return DepositFacts(
        is_owner=request.customer_id is not None and request.customer_id == owner_id,
        disconnected_recently=request.disconnected_recently, unpaid_closed_accounts=unpaid,
        recent_bills_cents=bills, months_of_bills=len(bills))


def move_in_preview(conn: sqlite3.Connection, request: MoveInRequest,
                    today: date) -> MoveInPreview:
    """Everything opening the account will do, checked; nothing is written."""
    check_request(request, today)
    settings = load_settings(conn)
    premise = _premise(conn, request.premise_id)
    choice = premise_choices_by_id(conn, request.premise_id)
    if choice.occupied_by:
        raise InputError(InputProblem(
            f"{choice.address} is served by active account {choice.occupied_by}: close it "
            "first (move-out)", field="premise"))
    meter = conn.execute("SELECT id, serial FROM meters WHERE premise_id = ? AND removed_on"
                         " IS NULL ORDER BY installed_on DESC LIMIT 1",
                         (request.premise_id,)).fetchone()
    last = None
    if meter is not None:
        if request.start_reading is None:
            raise InputError(InputProblem(f"read meter {meter['serial']} on the start date",
                                          field="start read"))
        row = conn.execute("SELECT read_on, reading FROM meter_reads WHERE meter_id = ? AND"
                           " read_on <= ? ORDER BY read_on DESC, id DESC LIMIT 1",
                           (meter["id"], request.start_on.isoformat())).fetchone()
        if row is not None:
            last = (date.fromisoformat(row[0]), row[1])
            if request.start_reading < row[1]:
                raise InputError(InputProblem(
                    f"{request.start_reading} is below the last reading {row[1]} of meter "
                    f"{meter['serial']} on {row[0]}; check the read", field="start read"))
    name, phone, hash_ = request.name.strip(), format_phone(request.phone), ""
    if request.customer_id is not None:
        known = conn.execute("SELECT name, phone, tax_id_hash FROM customers WHERE id = ?",
                             (request.customer_id,)).fetchone()
        if known is None:
            raise InputError(InputProblem(f"there is no customer {request.customer_id}",
                                          field="customer"))
        name, phone = name or known[0], phone or known[1]
        hash_ = known[2]
    if request.tax_id.strip():
        hash_ = tax_id_hash(tax_id_digits(request.tax_id), settings.tax_id_salt)
    other = -1 if request.customer_id is None else request.customer_id
    matches = tuple(
        f"{r[0]} (account {r[1] or 'none'})" for r in conn.execute(
            "SELECT c.name, (SELECT number FROM accounts WHERE customer_id = c.id"
            " ORDER BY opened_on DESC LIMIT 1) FROM customers c"
            " WHERE c.tax_id_hash = ? AND c.id <> ? LIMIT 10", (hash_, other))) if hash_ else ()
    phones = conn.execute("SELECT count(*) FROM customers WHERE phone = ? AND id <> ?",
                          (phone, other)).fetchone()[0] if phone else 0
    service = Address(line1=premise["line1"], line2=premise["line2"], city=premise["city"],
                      state=premise["state"], zip=premise["zip"])
    if request.mailing is not None:
        mailing = standardize(request.mailing)
    else:
        mailing = StandardAddress(service, StandardizedBy.USPS, False)
    differs = (mailing.address.line1.upper(), mailing.address.city.upper()) != (
        service.line1.upper(), service.city.upper())
    alerts = opening_alerts(OpeningFacts(
        residential=premise["service_class"] == "residential", mailing_is_box=mailing.is_box,
        mailing_differs=differs, document=request.document, id_matches=request.id_matches,
        tax_id_matches=matches, phone_matches=phones, phone=phone),
        settings.red_flag_shared_phone_customers)
    deposit = deposit_for(_deposit_facts(conn, request, premise["owner_customer_id"]), settings)
    numbers = [r[0] for r in conn.execute("SELECT number FROM accounts WHERE premise_id = ?",
                                          (request.premise_id,))]
    highest = conn.execute("SELECT max(CAST(substr(number, 1, instr(number, '-') - 1) AS"
                           " INTEGER)) FROM accounts WHERE instr(number, '-') > 0").fetchone()[0]
    return MoveInPreview(next_account_number(numbers, highest or 0), choice, service, mailing,
                         meter["id"] if meter else None, last, name, deposit, tuple(alerts))


def premise_choices_by_id(conn: sqlite3.Connection, premise_id: int) -> PremiseChoice:
    row = conn.execute(
        "SELECT p.*, (SELECT number FROM accounts WHERE premise_id = p.id AND status = 'active'"
        " LIMIT 1) AS occupied, (SELECT serial FROM meters WHERE premise_id = p.id AND"
        " removed_on IS NULL ORDER BY installed_on DESC LIMIT 1) AS serial FROM premises p"
        " WHERE p.id = ?", (premise_id,)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"there is no premise {premise_id}", field="premise"))
    address = ", ".join(x for x in (row["line1"], row["line2"], row["city"]) if x)
    return PremiseChoice(row["id"], address, row["service_class"], row["kind"],
                         row["occupied"] or "", row["serial"] or "no meter")


@dataclass(frozen=True)
class Opened:
    """The account opened, and what the preview said when it was written."""

    account_id: int
    number: str
    preview: MoveInPreview


def _entry(account_id: int, entry_type: EntryType, cents: int, on: date, actor: str,
           reason: str, comment: str, book: Book = Book.RECEIVABLE,
           due_on: date | None = None, reference: str = "") -> Posting:
    return Posting(account_id=account_id, entry_type=entry_type, amount_cents=cents,
                   effective_on=on, actor=actor, reason_code=reason, comment=comment, book=book,
                   due_on=due_on, reference=reference)


def open_account(conn: sqlite3.Connection, request: MoveInRequest, identity: IdentityCheck, *,
                 actor: str, at: str, today: date) -> Opened:
    """Open the account in one transaction; a refused identity is logged and nothing opens."""
    preview = move_in_preview(conn, request, today)
    alerts = list(preview.alerts)
    if alerts and identity.verification is Verification.REFUSED:
        with write_transaction(conn):
            log_identity(conn, occasion="move_in", account_id=None,
                         customer_id=request.customer_id, applicant=preview.customer_name,
                         identity=identity, alerts=alerts, actor=actor, at=at, today=today)
    identity.check_answers(alerts)
    settings = load_settings(conn)
    with write_transaction(conn):
        preview = move_in_preview(conn, request, today)  # again, inside the transaction
        customer_id = request.customer_id
        if customer_id is None:
            digits = tax_id_digits(request.tax_id) if request.tax_id.strip() else ""
            customer_id = int(conn.execute(
                "INSERT INTO customers (name, phone, email, tax_id_hash, tax_id_last4,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (preview.customer_name, format_phone(request.phone), request.email.strip(),
                 tax_id_hash(digits, settings.tax_id_salt) if digits else "", digits[-4:],
                 at)).lastrowid or 0)
        mail = preview.mailing.address
        account_id = int(conn.execute(
            "INSERT INTO accounts (number, customer_id, premise_id, status, service_type,"
            " mail_line1, mail_line2, mail_city, mail_state, mail_zip, opened_on, updated_by,"
            " updated_at) VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (preview.number, customer_id, request.premise_id, request.service_type, mail.line1,
             mail.line2, mail.city, mail.state, mail.zip, request.start_on.isoformat(), actor,
             at)).lastrowid or 0)
        if preview.meter_id is not None and request.start_reading is not None:
            conn.execute(
                "INSERT INTO meter_reads (meter_id, account_id, read_on, reading, kind, source,"
                " read_method, created_by, created_at) VALUES (?, ?, ?, ?, 'actual', 'move-in',"
                " 'MANUAL', ?, ?)", (preview.meter_id, account_id, request.start_on.isoformat(),
                                     request.start_reading, actor, at))
        due_on = request.start_on + timedelta(days=settings.due_days)
        deposit = preview.deposit
        if deposit.required:
            why = "; ".join(deposit.reasons)
            if request.deposit_paid_now:
                post(conn, _entry(account_id, EntryType.DEPOSIT, deposit.amount_cents,
                                  request.start_on, actor, "MOVE-IN-DEPOSIT",
                                  f"Deposit received at opening: {why}", book=Book.DEPOSIT),
                     posted_at=at)
                conn.execute("INSERT INTO account_flags (account_id, flag, reason, author,"
                             " set_on) VALUES (?, 'DEPOSIT HELD', ?, ?, ?)",
                             (account_id, f"Deposit taken at opening ({deposit.amount_rule})",
                              actor, request.start_on.isoformat()))
            else:
                post(conn, _entry(account_id, EntryType.DEPOSIT, deposit.amount_cents,
                                  request.start_on, actor, "MOVE-IN-DEPOSIT",
                                  f"Deposit billed at opening: {why}", due_on=due_on),
                     posted_at=at)
        for charge in request.charges:
            entry_id = post(conn, _entry(account_id, EntryType.FEE, charge.amount_cents,
                                         request.start_on, actor, "NEW-SERVICE",
                                         f"New service, {charge.charge}: {charge.description}",
                                         due_on=due_on, reference=f"INVOICE {preview.number}"),
                            posted_at=at)
            conn.execute(
                "INSERT INTO misc_invoices (account_id, charge, description, amount_cents,"
                " invoiced_on, due_on, ledger_entry_id, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (account_id, charge.charge, charge.description, charge.amount_cents,
                 request.start_on.isoformat(), due_on.isoformat(), entry_id, actor, at))
        log_identity(conn, occasion="move_in", account_id=account_id, customer_id=customer_id,
                     applicant=preview.customer_name, identity=identity, alerts=alerts,
                     actor=actor, at=at, today=today)
        if alerts:
            conn.execute(
                "INSERT INTO account_flags (account_id, flag, reason, author, set_on,"
                " expires_on) VALUES (?, 'RED FLAG', ?, ?, ?, ?)",
                (account_id, f"{len(alerts)} Red Flag alert(s) at opening; identity verified "
                 f"({identity.verification}): {identity.note.strip()}", actor,
                 today.isoformat(),
                 (today + timedelta(days=settings.red_flag_name_change_days)).isoformat()))
        audit.record(conn, at=at, actor=actor, action="account.open", object_type="account",
                     object_id=preview.number,
                     after={"customer_id": customer_id, "premise_id": request.premise_id,
                            "start_on": request.start_on, "start_reading": request.start_reading,
                            "mailing": asdict(mail), "standardized_by": preview.mailing.method,
                            "deposit": asdict(deposit),
                            "deposit_paid_now": request.deposit_paid_now,
                            "charges": [asdict(c) for c in request.charges],
                            "alerts": [a.check.value for a in alerts]})
    return Opened(account_id, preview.number, preview)
