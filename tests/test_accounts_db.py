"""Accounts on a real SQLite file: search kept in step, edits, locking, move-in and move-out."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.errors import ConflictError, InputError, PermissionDenied
from core.final_read import FinalReadRefused
from core.model import Address
from core.move_in import MoveInRequest, ServiceCharge
from core.red_flags import IdDocument, IdentityCheck, RedFlagCheck, Verification
from core.users import Role, User
from db.account_edits import add_note, change_address, change_customer
from db.account_search import search_accounts
from db.account_view import account_view, ledger_page
from db.connection import open_database
from db.ledger import balance_of, check
from db.move_in import move_in_preview, open_account, premise_choices
from db.move_out import close_account, closing_preview
from db.settings import save_settings
from tests.accounts_support import (
    STRICT_READ_BANDS,
    active_account,
    build_accounts_district,
    copy_to,
    last_reading,
)
from tests.console_support import TODAY

AT = "2026-11-20T10:15:00"


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_accounts_district(tmp_path_factory.mktemp("accounts"))


@pytest.fixture
def db(district: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = open_database(copy_to(district, tmp_path))
    yield conn
    conn.close()


def _audit(conn: sqlite3.Connection, number: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT action FROM audit_log WHERE object_id = ? ORDER BY id", (number,))]


# -- search ------------------------------------------------------------------------------
def test_exact_number_comes_first_then_words_match_anywhere(db: sqlite3.Connection) -> None:
    number = active_account(db)
    result = search_accounts(db, number)
    assert result.hits[0].number == number and result.hits[0].matched == "number"
    name = db.execute("SELECT c.name FROM customers c JOIN accounts a ON a.customer_id = c.id"
                      " WHERE a.number = ?", (number,)).fetchone()[0]
    found = search_accounts(db, name.split()[0][:4] + " " + name.split()[-1][:3])
    assert number in [h.number for h in found.hits]


def test_search_index_follows_every_change(db: sqlite3.Connection) -> None:
    number = active_account(db)
    row = db.execute("SELECT customer_id, premise_id, version FROM accounts WHERE number = ?",
                     (number,)).fetchone()
    db.execute("UPDATE customers SET name = 'Zebulon Quixote', phone = '(760) 555-9911'"
               " WHERE id = ?", (row[0],))
    assert search_accounts(db, "zebul quix").hits[0].number == number
    assert search_accounts(db, "555-9911").hits[0].number == number
    assert search_accounts(db, "7605559911").hits[0].number == number
    change_address(db, number, Address("PO Box 4410", "Joshua Flats", "CA", "92252"),
                   kind="mailing", read_version=row[2], reason="test", actor="clerk1", at=AT,
                   today=TODAY)
    assert [h.number for h in search_accounts(db, "box 4410 joshua").hits] == [number]
    db.execute("INSERT INTO meters (serial, size, dials, premise_id, installed_on)"
               " VALUES ('ZZ99-1234567', '5/8', 4, ?, '2026-11-01')", (row[1],))
    assert search_accounts(db, "ZZ99-12345").hits[0].number == number
    assert search_accounts(db, "zebulon").total == 1


def test_accents_and_apostrophes_are_found_without_typing_them(db: sqlite3.Connection) -> None:
    number = active_account(db, offset=3)
    db.execute("UPDATE customers SET name = 'O''Núñez-Brontë' WHERE id = (SELECT customer_id"
               " FROM accounts WHERE number = ?)", (number,))
    for typed in ("onunez", "nunez bront", "o'núñez"):
        assert number in [h.number for h in search_accounts(db, typed).hits], typed


# -- edits and optimistic locking ----------------------------------------------------------
def test_second_save_on_a_stale_version_is_refused_by_name(district: Path,
                                                          tmp_path: Path) -> None:
    path = copy_to(district, tmp_path)
    first, second = open_database(path), open_database(path)
    try:
        first.execute("INSERT INTO users (login, role, full_name, added_by, added_at) VALUES"
                      " ('mreyes', 'clerk', 'Maria Reyes', 'tester', ?)", (AT,))
        number = active_account(first)
        version = account_view(first, number, TODAY).detail.version  # type: ignore[union-attr]
        seen_by_second = account_view(second, number, TODAY)
        assert seen_by_second is not None and seen_by_second.detail.version == version
        change_address(first, number, Address("12 Canyon Rd", "High Mesa", "CA", "92284"),
                       kind="mailing", read_version=version, reason="called", actor="mreyes",
                       at="2026-11-20T10:02:41", today=TODAY)
        with pytest.raises(ConflictError) as caught:
            change_customer(second, number, name="Someone Else", phone="",
                            read_version=version, identity=None, actor="clerk1", at=AT,
                            today=TODAY)
        assert str(caught.value) == (f"Account {number} was changed by Maria Reyes (mreyes) "
                                     "at 2026-11-20 10:02 — reload")
        name = second.execute("SELECT c.name FROM customers c JOIN accounts a ON"
                              " a.customer_id = c.id WHERE a.number = ?", (number,)).fetchone()
        assert name[0] != "Someone Else"  # nothing was overwritten
    finally:
        first.close()
        second.close()


def test_address_change_is_standardized_kept_in_history_and_audited(
        db: sqlite3.Connection) -> None:
    number = active_account(db)
    version = db.execute("SELECT version FROM accounts WHERE number = ?", (number,)).fetchone()[0]
    clean = change_address(db, number, Address("4500 w. elm avenue", "Boise", "id",
                                               "83702-1234", "suite 200"),
                           kind="mailing", read_version=version, reason="moved",
                           actor="clerk1", at=AT, today=TODAY)
    assert clean.address.line1 == "4500 W ELM AVE" and clean.address.line2 == "STE 200"
    row = db.execute("SELECT mail_line1, mail_state, version, updated_by FROM accounts"
                     " WHERE number = ?", (number,)).fetchone()
    assert tuple(row) == ("4500 W ELM AVE", "ID", version + 1, "clerk1")
    history = db.execute("SELECT kind, new_line1, standardized_by, typed FROM address_history"
                         " WHERE account_id = (SELECT id FROM accounts WHERE number = ?)",
                         (number,)).fetchone()
    assert tuple(history[:3]) == ("mailing", "4500 W ELM AVE", "usps")
    assert "4500 w. elm avenue" in history[3]
    assert "account.mailing_address" in _audit(db, number)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM address_history")


def test_name_change_after_mailing_change_needs_verification(db: sqlite3.Connection) -> None:
    number = active_account(db)
    version = db.execute("SELECT version FROM accounts WHERE number = ?", (number,)).fetchone()[0]
    change_address(db, number, Address("PO Box 9", "High Mesa", "CA", "92284"), kind="mailing",
                   read_version=version, reason="called", actor="clerk1", at=AT, today=TODAY)
    with pytest.raises(InputError, match="Red Flag"):
        change_customer(db, number, name="Mallory Thief", phone="", read_version=version + 1,
                        identity=None, actor="clerk1", at=AT, today=TODAY + timedelta(days=3))
    refused = IdentityCheck(IdDocument.NONE, Verification.REFUSED, "caller had no ID")
    with pytest.raises(InputError, match="refused"):
        change_customer(db, number, name="Mallory Thief", phone="", read_version=version + 1,
                        identity=refused, actor="clerk1", at=AT, today=TODAY)
    logged = db.execute("SELECT outcome, occasion FROM identity_verifications").fetchall()
    assert [tuple(r) for r in logged] == [("refused", "name_change")]
    verified = IdentityCheck(IdDocument.PASSPORT, Verification.PHOTO_ID, "passport 0042")
    alerts = change_customer(db, number, name="Rosa Smith", phone="760-555-0100",
                             read_version=version + 1, identity=verified, actor="clerk1",
                             at=AT, today=TODAY)
    assert [a.check for a in alerts] == [RedFlagCheck.ADDRESS_THEN_NAME]
    view = account_view(db, number, TODAY)
    assert view is not None and view.detail.customer_name == "Rosa Smith"
    assert view.detail.phone == "(760) 555-0100"
    assert any(f.kind.value == "RED FLAG" for f in view.detail.flags)
    assert [a[3] for a in view.alerts] == ["VERIFIED", "REFUSED"]  # newest first, both kept


def test_notes_are_stamped_and_never_edited(db: sqlite3.Connection) -> None:
    number = active_account(db)
    add_note(db, number, "  Customer   called about a leak ", actor="clerk1", at=AT)
    view = account_view(db, number, TODAY)
    assert view is not None and view.notes[0] == (AT, "clerk1", "Customer called about a leak")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE notes SET body = 'x'")
    with pytest.raises(InputError):
        add_note(db, number, "   ", actor="clerk1", at=AT)


def test_ledger_pages_newest_first_with_the_running_balance(db: sqlite3.Connection) -> None:
    number = active_account(db)
    view = account_view(db, number, TODAY)
    assert view is not None
    rows = ledger_page(db, view.detail.id, offset=0, limit=500)
    assert rows[0]["running"] == view.detail.balance_cents
    dates = [r["effective_on"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    assert sum(r["amount_cents"] for r in rows) == view.detail.balance_cents
    assert len(view.usage) <= 13 and view.reads


# -- move-out ------------------------------------------------------------------------------
def test_move_out_bills_applies_the_deposit_refunds_and_closes(db: sqlite3.Connection) -> None:
    number = active_account(db, deposit=True)
    account_id = db.execute("SELECT id FROM accounts WHERE number = ?", (number,)).fetchone()[0]
    balance, deposit = balance_of(db, account_id)
    final = last_reading(db, number) + 6
    preview = closing_preview(db, number, final_reading=final, close_on=TODAY, today=TODAY)
    assert preview.closing.bill.period.prorated and preview.closing.usage_units >= 6
    assert preview.read_audit is not None and preview.read_audit.findings == ()
    closed = close_account(db, number, final_reading=final, close_on=TODAY, today=TODAY,
                           actor="clerk1", at=AT)
    bill = closed.preview.closing.bill.total_cents
    after_balance, after_deposit = balance_of(db, account_id)
    assert after_deposit == 0
    assert after_balance == balance + bill - deposit
    lines = db.execute("SELECT count(*), sum(amount_cents) FROM closing_bill_lines WHERE"
                       " bill_id = ?", (closed.bill_id,)).fetchone()
    assert lines[0] == len(closed.preview.closing.bill.lines) and lines[1] == bill
    status = db.execute("SELECT status, closed_on FROM accounts WHERE id = ?",
                        (account_id,)).fetchone()
    assert tuple(status) == ("closed", TODAY.isoformat())
    if after_balance < 0:
        refund = db.execute("SELECT amount_cents, status, source FROM refund_register"
                            " WHERE id = ?", (closed.refund_id,)).fetchone()
        assert tuple(refund) == (-after_balance, "pending", "move_out")
    read = db.execute("SELECT reading, source FROM meter_reads WHERE account_id = ? AND"
                      " read_on = ?", (account_id, TODAY.isoformat())).fetchone()
    assert tuple(read) == (final, "move-out")
    assert check(db).ok
    assert {"account.close"} <= set(_audit(db, number))
    assert "account.final_read_accepted" not in _audit(db, number)
    assert _close_row(db, number)["read_audit"] == []
    flags = db.execute("SELECT count(*) FROM account_flags WHERE account_id = ? AND flag ="
                       " 'DEPOSIT HELD' AND cleared_on IS NULL", (account_id,)).fetchone()[0]
    assert flags == 0
    with pytest.raises(InputError, match="already closed"):
        closing_preview(db, number, final_reading=final, close_on=TODAY, today=TODAY)


def test_move_out_credit_can_go_to_another_account(db: sqlite3.Connection) -> None:
    number = active_account(db, deposit=True, offset=1)
    target = active_account(db, deposit=False, offset=2)
    ids = {n: db.execute("SELECT id FROM accounts WHERE number = ?", (n,)).fetchone()[0]
           for n in (number, target)}
    # A large credit on the closing account, so something is left to transfer.
    db.execute("INSERT INTO ledger_entries (account_id, entry_type, amount_cents, effective_on,"
               " posted_at, actor, reason_code, comment) VALUES (?, 'payment', -50000, ?, ?,"
               " 'clerk1', 'TEST', 'overpayment')", (ids[number], TODAY.isoformat(), AT))
    before = balance_of(db, ids[target])[0]
    closed = close_account(db, number, final_reading=last_reading(db, number) + 1,
                           close_on=TODAY, today=TODAY, actor="clerk1", at=AT,
                           transfer_to=target)
    moved = closed.preview.settlement.transfer_cents
    assert moved > 0 and closed.refund_id is None
    assert balance_of(db, ids[number])[0] == 0
    assert balance_of(db, ids[target])[0] == before - moved
    assert check(db).ok


def test_move_out_leaves_a_debt_for_collection(db: sqlite3.Connection) -> None:
    number = active_account(db, deposit=False, offset=4)
    closed = close_account(db, number, final_reading=last_reading(db, number) + 2,
                           close_on=TODAY, today=TODAY, actor="clerk1", at=AT)
    s = closed.preview.settlement
    assert s.refund_cents == 0 and s.owed_cents == max(s.balance_after_cents, 0)
    assert closed.due_on >= TODAY + timedelta(days=21)


def test_move_out_refuses_a_bad_final_read_or_target(db: sqlite3.Connection) -> None:
    number = active_account(db)
    with pytest.raises(InputError, match="below the last reading"):
        closing_preview(db, number, final_reading=0, close_on=TODAY, today=TODAY)
    with pytest.raises(InputError, match="cannot transfer"):
        closing_preview(db, number, final_reading=last_reading(db, number), close_on=TODAY,
                        today=TODAY, transfer_to=number)


def _close_row(db: sqlite3.Connection, number: str,
               action: str = "account.close") -> dict[str, Any]:
    row = db.execute("SELECT actor, at, after FROM audit_log WHERE object_id = ? AND action = ?",
                     (number, action)).fetchone()
    return {"actor": row[0], "at": row[1], **json.loads(row[2])}


def _footprint(db: sqlite3.Connection, number: str) -> tuple[object, ...]:
    return (*(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in (
        "meter_reads", "ledger_entries", "closing_bills", "refund_register", "audit_log")),
            *db.execute("SELECT status, version FROM accounts WHERE number = ?",
                        (number,)).fetchone())


def test_move_out_refuses_an_absurd_final_read_naming_the_rule(db: sqlite3.Connection) -> None:
    save_settings(db, {"read_bands": STRICT_READ_BANDS}, actor="tester", at=AT)
    number = active_account(db, deposit=True)
    absurd = last_reading(db, number) + 500
    before = _footprint(db, number)
    with pytest.raises(FinalReadRefused) as previewed:
        closing_preview(db, number, final_reading=absurd, close_on=TODAY, today=TODAY)
    with pytest.raises(FinalReadRefused) as refused:
        close_account(db, number, final_reading=absurd, close_on=TODAY, today=TODAY,
                      actor="clerk1", at=AT)
    message = str(refused.value)
    assert str(previewed.value) == message
    assert f"{absurd} fails HIGH (error, limit +300%): Usage 500 is" in message
    assert "above the expected" in message and "--accept-read" in message
    assert _footprint(db, number) == before


def test_move_out_closes_on_an_accepted_read_with_the_reason_audited(
        db: sqlite3.Connection) -> None:
    save_settings(db, {"read_bands": STRICT_READ_BANDS}, actor="tester", at=AT)
    number = active_account(db, deposit=True)
    absurd = last_reading(db, number) + 500
    reason = "Re-read by field staff: pool filled before move-out"
    closed = close_account(db, number, final_reading=absurd, close_on=TODAY, today=TODAY,
                           actor="super1", at=AT, accept_read=reason,
                           accepted_by=User("super1", Role.SUPERVISOR))
    checked = closed.preview.read_audit
    assert checked is not None and checked.accepted_reason == reason
    assert closed.preview.closing.usage_units >= 500
    accepted = _close_row(db, number, "account.final_read_accepted")
    assert (accepted["actor"], accepted["at"], accepted["rules"], accepted["reason"],
            accepted["accepted_by"]) == ("super1", AT, ["HIGH"], reason, "super1")
    assert accepted["findings"][0]["threshold"] == "+300%"
    assert _close_row(db, number)["read_accepted"] == reason
    assert check(db).ok


def test_only_a_supervisor_may_close_on_a_refused_final_read(db: sqlite3.Connection) -> None:
    save_settings(db, {"read_bands": STRICT_READ_BANDS}, actor="tester", at=AT)
    number = active_account(db, deposit=True)
    absurd = last_reading(db, number) + 500
    before = _footprint(db, number)
    clerk = User("clerk1", Role.CLERK)
    with pytest.raises(PermissionDenied) as previewed:
        closing_preview(db, number, final_reading=absurd, close_on=TODAY, today=TODAY,
                        accept_read="pool filled", accepted_by=clerk)
    with pytest.raises(PermissionDenied) as refused:
        close_account(db, number, final_reading=absurd, close_on=TODAY, today=TODAY,
                      actor="clerk1", at=AT, accept_read="pool filled", accepted_by=clerk)
    assert str(previewed.value) == str(refused.value) == (
        "only a supervisor can accept a final read the read audit calls an error; clerk1 is"
        " a clerk")
    with pytest.raises(PermissionDenied, match="no one signed in accepted it"):
        close_account(db, number, final_reading=absurd, close_on=TODAY, today=TODAY,
                      actor="clerk1", at=AT, accept_read="pool filled")
    assert _footprint(db, number) == before


def test_move_out_warning_is_shown_and_recorded_but_does_not_block(
        db: sqlite3.Connection) -> None:
    number = active_account(db, deposit=True)
    final = last_reading(db, number) + 1
    preview = closing_preview(db, number, final_reading=final, close_on=TODAY, today=TODAY)
    checked = preview.read_audit
    assert checked is not None and checked.warnings and not checked.errors
    warning = checked.warnings[0]
    assert any(warning.explanation in line for line in checked.lines())
    close_account(db, number, final_reading=final, close_on=TODAY, today=TODAY,
                  actor="clerk1", at=AT)
    recorded = _close_row(db, number)
    assert recorded["status"] == "closed" and recorded["read_accepted"] is None
    assert [(f["rule"], f["severity"]) for f in recorded["read_audit"]] == [
        (f.rule_id, "warning") for f in checked.findings]


# -- move-in -------------------------------------------------------------------------------
def _vacant_premise(db: sqlite3.Connection) -> int:
    number = active_account(db, deposit=True, offset=5)
    close_account(db, number, final_reading=last_reading(db, number) + 1, close_on=TODAY,
                  today=TODAY, actor="clerk1", at=AT)
    return int(db.execute("SELECT premise_id FROM accounts WHERE number = ?",
                          (number,)).fetchone()[0])


def test_move_in_opens_with_deposit_invoices_and_red_flag_log(db: sqlite3.Connection) -> None:
    premise_id = _vacant_premise(db)
    assert any(c.id == premise_id and not c.occupied_by for c in premise_choices(
        db, db.execute("SELECT line1 FROM premises WHERE id = ?", (premise_id,)).fetchone()[0]))
    request = MoveInRequest(
        premise_id=premise_id, start_on=TODAY, start_reading=last_reading_at(db, premise_id),
        name="Garcia, Ana", phone="760 555 8026", tax_id="", mailing=Address(
            "P.O. Box 9", "High Mesa", "CA", "92284"), document=IdDocument.DRIVER_LICENSE,
        deposit_paid_now=True, charges=(ServiceCharge("labor", "Set meter box", 8500),
                                        ServiceCharge("materials", "Box and lid", 4210)))
    preview = move_in_preview(db, request, TODAY)
    assert preview.deposit.required and preview.deposit.amount_cents >= 10000
    assert RedFlagCheck.BOX_ON_RESIDENTIAL in [a.check for a in preview.alerts]
    with pytest.raises(InputError, match="need a recorded verification"):
        open_account(db, request, IdentityCheck(IdDocument.DRIVER_LICENSE, None),
                     actor="clerk1", at=AT, today=TODAY)
    identity = IdentityCheck(IdDocument.DRIVER_LICENSE, Verification.PHOTO_ID, "CA DL 7710")
    opened = open_account(db, request, identity, actor="clerk1", at=AT, today=TODAY)
    balance, deposit = balance_of(db, opened.account_id)
    assert deposit == preview.deposit.amount_cents and balance == 8500 + 4210
    invoices = db.execute("SELECT charge, amount_cents FROM misc_invoices WHERE account_id = ?"
                          " ORDER BY id", (opened.account_id,)).fetchall()
    assert [tuple(r) for r in invoices] == [("labor", 8500), ("materials", 4210)]
    view = account_view(db, opened.number, TODAY)
    assert view is not None and view.detail.mailing_address.startswith("PO BOX 9")
    flags = {f.kind.value for f in view.detail.flags}
    assert {"DEPOSIT HELD", "RED FLAG"} <= flags
    assert [b.kind for b in view.bills][:2] == ["INVOICE", "INVOICE"]
    assert db.execute("SELECT outcome FROM identity_verifications WHERE account_id = ?",
                      (opened.account_id,)).fetchone()[0] == "verified"
    assert "account.open" in _audit(db, opened.number)
    assert check(db).ok
    assert search_accounts(db, "garcia ana").hits[0].number == opened.number


def last_reading_at(db: sqlite3.Connection, premise_id: int) -> int:
    return int(db.execute("SELECT max(r.reading) FROM meter_reads r JOIN meters m ON"
                          " m.id = r.meter_id WHERE m.premise_id = ? AND m.removed_on IS NULL",
                          (premise_id,)).fetchone()[0])


def test_duplicate_tax_id_alert_and_a_refusal_opens_nothing(db: sqlite3.Connection) -> None:
    from core.red_flags import tax_id_hash
    from db.settings import load_settings

    premise_id = _vacant_premise(db)
    salt = load_settings(db).tax_id_salt
    existing = db.execute("SELECT id, name FROM customers LIMIT 1").fetchone()
    db.execute("UPDATE customers SET tax_id_hash = ? WHERE id = ?",
               (tax_id_hash("123456789", salt), existing[0]))
    request = MoveInRequest(premise_id=premise_id, start_on=TODAY,
                            start_reading=last_reading_at(db, premise_id), name="Ann Other",
                            tax_id="123-45-6789", document=IdDocument.NONE, id_matches=False)
    preview = move_in_preview(db, request, TODAY)
    checks = [a.check for a in preview.alerts]
    assert RedFlagCheck.DUPLICATE_TAX_ID in checks and RedFlagCheck.MISMATCHED_ID in checks
    assert existing[1] in preview.alerts[0].message
    accounts = db.execute("SELECT count(*) FROM accounts").fetchone()[0]
    with pytest.raises(InputError, match="refused"):
        open_account(db, request, IdentityCheck(IdDocument.NONE, Verification.REFUSED, "none"),
                     actor="clerk1", at=AT, today=TODAY)
    assert db.execute("SELECT count(*) FROM accounts").fetchone()[0] == accounts
    logged = db.execute("SELECT v.outcome, v.account_id, count(a.id) FROM identity_verifications"
                        " v JOIN red_flag_alerts a ON a.verification_id = v.id").fetchone()
    assert (logged[0], logged[1], logged[2]) == ("refused", None, len(preview.alerts))


def test_move_in_refuses_an_occupied_premise_and_a_low_read(db: sqlite3.Connection) -> None:
    number = active_account(db)
    premise_id = db.execute("SELECT premise_id FROM accounts WHERE number = ?",
                            (number,)).fetchone()[0]
    with pytest.raises(InputError, match=f"active account {number}"):
        move_in_preview(db, MoveInRequest(premise_id=premise_id, start_on=TODAY,
                                          start_reading=0, name="X"), TODAY)
    vacant = _vacant_premise(db)
    with pytest.raises(InputError, match="below the last reading"):
        move_in_preview(db, MoveInRequest(premise_id=vacant, start_on=TODAY, start_reading=0,
                                          name="X"), TODAY)
    with pytest.raises(InputError, match="after today"):
        move_in_preview(db, MoveInRequest(premise_id=vacant, start_on=date(2027, 1, 1),
                                          start_reading=0, name="X"), TODAY)


def test_the_search_index_can_be_rebuilt_from_its_source(db: sqlite3.Connection) -> None:
    from db.account_search import rebuild_search_index

    number = active_account(db)
    before = [h.number for h in search_accounts(db, number).hits]
    assert rebuild_search_index(db) == db.execute("SELECT count(*) FROM accounts").fetchone()[0]
    assert [h.number for h in search_accounts(db, number).hits] == before
