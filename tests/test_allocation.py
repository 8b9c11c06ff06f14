"""Allocation: credits pay the oldest charge first, reversals cancel, overpayment is a credit."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.allocation import OpenCharge, allocate, apply_payment, net_reversals
from core.ledger import Book, EntryType, LedgerEntry, aging

DAY = date(2026, 1, 1)


def entry(entry_id: int, kind: EntryType, cents: int, day: int = 0, *,
          reverses: int | None = None, book: Book = Book.RECEIVABLE) -> LedgerEntry:
    return LedgerEntry(account_id=1, entry_type=kind, amount_cents=cents,
                       effective_on=DAY + timedelta(days=day), actor="t", reason_code="T",
                       comment="t", book=book, reverses_id=reverses, id=entry_id)


def test_payment_pays_the_oldest_charge_first_then_leaves_a_credit() -> None:
    entries = [entry(2, EntryType.BILL, 5000, 30), entry(1, EntryType.BILL, 4000, 0),
               entry(3, EntryType.PAYMENT, -10000, 40)]
    result = allocate(entries)
    assert [(c.entry_id, c.open_cents) for c in result.charges] == [(1, 0), (2, 0)]
    assert result.credit_cents == -1000 and result.balance_cents == -1000


def test_a_partial_payment_leaves_the_newest_charge_open() -> None:
    entries = [entry(1, EntryType.BILL, 4000, 0), entry(2, EntryType.BILL, 5000, 30),
               entry(3, EntryType.PAYMENT, -6000, 40)]
    assert [c.open_cents for c in allocate(entries).charges] == [0, 3000]


def test_same_day_charges_go_by_entry_id() -> None:
    entries = [entry(9, EntryType.FEE, 2500, 5), entry(4, EntryType.BILL, 4000, 5),
               entry(10, EntryType.PAYMENT, -4000, 6)]
    assert [(c.entry_id, c.open_cents) for c in allocate(entries).charges] == [(4, 0), (9, 2500)]


def test_a_returned_payment_reopens_the_charges_it_paid_with_their_own_dates() -> None:
    bill = entry(1, EntryType.BILL, 8000, 0)
    paid = entry(2, EntryType.PAYMENT, -8000, 20)
    returned = entry(3, EntryType.RETURNED_PAYMENT, 8000, 70, reverses=2)
    fee = entry(4, EntryType.FEE, 2500, 70)
    today = DAY + timedelta(days=75)
    # As if the payment never came: the bill is 75 days old again, the fee is current.
    assert aging([bill, returned, fee, paid], today).as_dict() == {
        "current": 2500, "30": 0, "60": 8000, "90+": 0, "credit": 0}
    assert aging([bill], today).d60 == 8000
    assert net_reversals([bill, paid, returned]) == [bill]


def test_deposit_book_entries_are_not_allocated() -> None:
    held = entry(1, EntryType.DEPOSIT, 10000, 0, book=Book.DEPOSIT)
    assert allocate([held]).charges == () and allocate([held]).credit_cents == 0


def test_apply_payment_says_where_a_new_payment_goes() -> None:
    charges = [OpenCharge(1, DAY, 4000, 4000), OpenCharge(2, DAY, 5000, 5000)]
    applied = apply_payment(charges, 6000)
    assert [(c.entry_id, cents) for c, cents in applied.paid] == [(1, 4000), (2, 2000)]
    assert applied.credit_cents == 0 and "part of 1" in applied.summary()
    over = apply_payment(charges, 10000)
    assert over.credit_cents == 1000 and "$10.00 credit" in over.summary()


amounts = st.integers(min_value=1, max_value=50_000)
event = st.one_of(
    st.tuples(st.just("charge"), amounts, st.integers(0, 400)),
    st.tuples(st.just("credit"), amounts, st.integers(0, 400)),
    st.tuples(st.just("reverse"), st.integers(0, 40), st.integers(0, 400)))


def build(events: list[tuple[str, int, int]]) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    reversed_ids: set[int] = set()
    for kind, value, day in events:
        next_id = len(entries) + 1
        if kind == "charge":
            entries.append(entry(next_id, EntryType.BILL, value, day))
        elif kind == "credit":
            entries.append(entry(next_id, EntryType.PAYMENT, -value, day))
        else:
            candidates = [e for e in entries if e.reverses_id is None and e.id not in reversed_ids]
            if not candidates:
                continue
            original = candidates[value % len(candidates)]
            reversed_ids.add(original.id)
            kind_of = (EntryType.RETURNED_PAYMENT if original.entry_type == EntryType.PAYMENT
                       else original.entry_type)
            day = max(day, (original.effective_on - DAY).days)
            entries.append(entry(next_id, kind_of, -original.amount_cents, day,
                                 reverses=original.id))
    return entries


@settings(max_examples=200, deadline=None)
@given(st.lists(event, max_size=40))
def test_allocation_always_balances_and_is_oldest_first(events: list[tuple[str, int, int]]) -> None:
    entries = build(events)
    result = allocate(entries)
    assert result.balance_cents == sum(e.amount_cents for e in entries)
    assert result.credit_cents <= 0
    assert all(0 <= c.open_cents <= c.amount_cents for c in result.charges)
    # Oldest first: once a charge is (partly) open, every later charge is wholly open.
    seen_open = False
    for charge in result.charges:
        if seen_open:
            assert charge.open_cents == charge.amount_cents
        seen_open = seen_open or charge.open_cents > 0
    # A credit is left only when every charge is paid.
    assert result.credit_cents == 0 or result.open_cents == 0
    assert [c.charged_on for c in result.charges] == sorted(c.charged_on for c in result.charges)
