"""Ledger rules in core: posting validation, reversals, balances, running balances, aging."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from core.errors import InputError
from core.ledger import (
    SIGNS,
    Aging,
    Book,
    EntryType,
    LedgerEntry,
    Posting,
    aging,
    balance,
    reversal_for,
    running_balances,
    validate_posting,
    with_id,
)

TODAY = date(2026, 6, 30)


def make(entry_type: EntryType, amount: int, *, book: Book = Book.RECEIVABLE,
         on: date = date(2026, 3, 1), entry_id: int = 1, reverses_id: int | None = None,
         account_id: int = 7) -> LedgerEntry:
    return LedgerEntry(account_id=account_id, entry_type=entry_type, amount_cents=amount,
                       effective_on=on, actor="mreyes", reason_code="TEST", comment="test",
                       book=book, reverses_id=reverses_id, reference="ref-1", id=entry_id,
                       posted_at="2026-03-01T09:00:00")


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def fields_refused(posting: Posting) -> list[str]:
    with pytest.raises(InputError) as refused:
        validate_posting(posting)
    return [p.field for p in refused.value.problems]


# --- validate_posting -------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "book", "sign"), [
    (kind, book, sign) for (kind, book), signs in SIGNS.items() for sign in sorted(signs)])
def test_every_allowed_type_book_and_sign_is_accepted(kind: EntryType, book: Book,
                                                       sign: int) -> None:
    validate_posting(make(kind, sign * 1234, book=book))


def test_zero_amount_is_refused() -> None:
    assert fields_refused(make(EntryType.ADJUSTMENT, 0)) == ["amount"]


@pytest.mark.parametrize("amount", [12.5, True, "100"])
def test_amount_must_be_whole_cents(amount: object) -> None:
    with pytest.raises(InputError, match="whole cents"):
        validate_posting(make(EntryType.BILL, amount))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["actor", "reason_code", "comment"])
@pytest.mark.parametrize("blank", ["", "   "])
def test_actor_reason_and_comment_are_required(name: str, blank: str) -> None:
    entry = replace(make(EntryType.PAYMENT, -500), **{name: blank})  # type: ignore[arg-type]
    with pytest.raises(InputError, match=f"{name.replace('_', ' ')} is required") as refused:
        validate_posting(entry)
    assert [p.field for p in refused.value.problems] == [name]


def test_every_problem_is_reported_at_once() -> None:
    entry = replace(make(EntryType.BILL, 0), actor="", reason_code="", comment="")
    assert fields_refused(entry) == ["amount", "actor", "reason_code", "comment"]


@pytest.mark.parametrize(("kind", "book", "amount", "word"), [
    (EntryType.PAYMENT, Book.RECEIVABLE, 500, "a charge"),
    (EntryType.BILL, Book.RECEIVABLE, -500, "a credit"),
    (EntryType.LATE_FEE, Book.RECEIVABLE, -1000, "a credit"),
    (EntryType.FEE, Book.RECEIVABLE, -2500, "a credit"),
    (EntryType.WRITE_OFF, Book.RECEIVABLE, 300, "a charge"),
    (EntryType.RETURNED_PAYMENT, Book.RECEIVABLE, -500, "a credit"),
    (EntryType.REFUND, Book.RECEIVABLE, -500, "a credit"),
    (EntryType.DEPOSIT, Book.DEPOSIT, -15000, "a credit"),
    (EntryType.DEPOSIT_APPLIED, Book.DEPOSIT, 15000, "a charge"),
    (EntryType.REFUND, Book.DEPOSIT, 15000, "a charge"),
])
def test_wrong_sign_for_type_and_book_is_refused(kind: EntryType, book: Book, amount: int,
                                                 word: str) -> None:
    with pytest.raises(InputError, match=f"cannot be {word}") as refused:
        validate_posting(make(kind, amount, book=book))
    assert [p.field for p in refused.value.problems] == ["amount"]


@pytest.mark.parametrize("kind", [EntryType.BILL, EntryType.PAYMENT, EntryType.LATE_FEE,
                                  EntryType.WRITE_OFF, EntryType.TRANSFER])
def test_types_that_never_touch_the_deposit_book_are_refused_there(kind: EntryType) -> None:
    with pytest.raises(InputError, match="cannot post to the deposit book") as refused:
        validate_posting(make(kind, 500, book=Book.DEPOSIT))
    assert [p.field for p in refused.value.problems] == ["book"]


# --- reversals ---------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "book", "amount"), [
    (EntryType.BILL, Book.RECEIVABLE, 4210),
    (EntryType.PAYMENT, Book.RECEIVABLE, -4210),
    (EntryType.ADJUSTMENT, Book.RECEIVABLE, -75),
    (EntryType.DEPOSIT, Book.DEPOSIT, 15000),
    (EntryType.REFUND, Book.DEPOSIT, -15000),
])
def test_reversal_nets_to_zero_and_points_at_the_original(kind: EntryType, book: Book,
                                                          amount: int) -> None:
    original = make(kind, amount, book=book, entry_id=41)
    reversal = reversal_for(original, actor="jlee", reason_code="ERR", comment="keyed twice",
                            effective_on=date(2026, 3, 5))
    assert reversal.amount_cents == -original.amount_cents
    assert balance([original, reversal], book) == 0
    assert reversal.reverses_id == 41
    assert (reversal.account_id, reversal.book, reversal.entry_type, reversal.reference) == (
        original.account_id, original.book, original.entry_type, original.reference)
    assert (reversal.actor, reversal.reason_code, reversal.comment) == ("jlee", "ERR",
                                                                       "keyed twice")
    assert reversal.effective_on == date(2026, 3, 5)


def test_a_reversal_cannot_be_reversed() -> None:
    reversal = make(EntryType.BILL, -4210, entry_id=42, reverses_id=41)
    with pytest.raises(InputError, match="entry 42 is itself a reversal"):
        reversal_for(reversal, actor="jlee", reason_code="ERR", comment="again",
                     effective_on=date(2026, 3, 6))


def test_returned_payment_reverses_a_payment() -> None:
    payment = make(EntryType.PAYMENT, -6000, entry_id=9)
    returned = reversal_for(payment, actor="jlee", reason_code="NSF", comment="check bounced",
                            effective_on=date(2026, 3, 9), entry_type=EntryType.RETURNED_PAYMENT)
    assert returned.entry_type == EntryType.RETURNED_PAYMENT
    assert returned.amount_cents == 6000
    assert returned.reverses_id == 9


@pytest.mark.parametrize("kind", [EntryType.BILL, EntryType.ADJUSTMENT, EntryType.LATE_FEE])
def test_returned_payment_cannot_reverse_anything_but_a_payment(kind: EntryType) -> None:
    original = make(kind, 6000, entry_id=9)
    with pytest.raises(InputError, match=f"a {kind} cannot be reversed by a returned_payment"):
        reversal_for(original, actor="jlee", reason_code="NSF", comment="no",
                     effective_on=date(2026, 3, 9), entry_type=EntryType.RETURNED_PAYMENT)


def test_reversal_still_needs_actor_reason_and_comment() -> None:
    with pytest.raises(InputError, match="comment is required"):
        reversal_for(make(EntryType.BILL, 100), actor="jlee", reason_code="ERR", comment=" ",
                     effective_on=date(2026, 3, 9))


# --- balances and running balances ------------------------------------------------------


def test_balance_sums_one_book_only() -> None:
    entries = [make(EntryType.BILL, 5000), make(EntryType.PAYMENT, -2000),
               make(EntryType.DEPOSIT, 15000, book=Book.DEPOSIT)]
    assert balance(entries) == 3000
    assert balance(entries, Book.DEPOSIT) == 15000
    assert balance([]) == 0


def test_running_balances_are_in_date_then_id_order_and_skip_the_deposit_book() -> None:
    late = make(EntryType.PAYMENT, -2000, on=date(2026, 3, 20), entry_id=2)
    bill = make(EntryType.BILL, 5000, on=date(2026, 3, 1), entry_id=3)
    fee = make(EntryType.LATE_FEE, 1000, on=date(2026, 3, 20), entry_id=5)
    held = make(EntryType.DEPOSIT, 15000, book=Book.DEPOSIT, on=date(2026, 3, 2), entry_id=4)
    rows = running_balances([fee, late, held, bill])
    assert [(e.id, after) for e, after in rows] == [(3, 5000), (2, 3000), (5, 4000)]
    assert rows[-1][1] == balance([fee, late, held, bill])


def test_with_id_keeps_every_field_of_the_posting() -> None:
    posting = Posting(account_id=3, entry_type=EntryType.BILL, amount_cents=100,
                      effective_on=date(2026, 3, 1), actor="a", reason_code="r", comment="c",
                      due_on=date(2026, 3, 22), reference="B-1")
    stored = with_id(posting, 12, "2026-03-01T09:00:00")
    assert (stored.id, stored.posted_at) == (12, "2026-03-01T09:00:00")
    assert stored.due_on == date(2026, 3, 22) and stored.reference == "B-1"
    assert replace(stored, id=0, posted_at="") == LedgerEntry(**posting.__dict__)


# --- aging -------------------------------------------------------------------------------


@pytest.mark.parametrize(("age", "bucket"), [
    (0, "current"), (29, "current"), (30, "30"), (59, "30"), (60, "60"), (89, "60"),
    (90, "90+"), (400, "90+"),
])
def test_aging_bucket_edges(age: int, bucket: str) -> None:
    aged = aging([make(EntryType.BILL, 1234, on=days_ago(age))], TODAY).as_dict()
    assert aged[bucket] == 1234
    assert sum(aged.values()) == 1234


def test_credits_pay_the_oldest_charge_first() -> None:
    entries = [
        make(EntryType.BILL, 4000, on=days_ago(95)),
        make(EntryType.BILL, 3000, on=days_ago(65)),
        make(EntryType.BILL, 2000, on=days_ago(35)),
        make(EntryType.BILL, 1000, on=days_ago(5)),
        make(EntryType.PAYMENT, -5000, on=days_ago(2)),
    ]
    assert aging(entries, TODAY) == Aging(current=1000, d30=2000, d60=2000, d90=0, credit=0)


def test_a_credit_posted_before_a_charge_still_pays_it() -> None:
    entries = [make(EntryType.PAYMENT, -500, on=days_ago(50)),
               make(EntryType.BILL, 2000, on=days_ago(40))]
    assert aging(entries, TODAY) == Aging(d30=1500)


def test_credit_balance_is_left_after_every_charge_is_paid() -> None:
    entries = [make(EntryType.BILL, 2000, on=days_ago(40)),
               make(EntryType.PAYMENT, -5000, on=days_ago(3))]
    aged = aging(entries, TODAY)
    assert aged == Aging(credit=-3000)
    assert aged.total == -3000 == balance(entries)


def test_aging_ignores_the_deposit_book_and_empty_accounts() -> None:
    assert aging([make(EntryType.DEPOSIT, 15000, book=Book.DEPOSIT, on=days_ago(200))],
                 TODAY) == Aging()
    assert aging([], TODAY).total == 0
