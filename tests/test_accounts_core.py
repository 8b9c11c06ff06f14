"""Accounts in core/: addresses, Red Flag checks, search order, the deposit rule, move-out."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.account_search import matched_text, plan_search, relevance
from core.addresses import StandardizedBy, looks_like_box, parse_one_line, standardize
from core.errors import InputError
from core.model import Address
from core.move_in import next_account_number, parse_charge
from core.move_in_deposit import DepositFacts, deposit_for
from core.move_out import LastRead, check_final_read, settle
from core.red_flags import (
    IdDocument,
    IdentityCheck,
    OpeningFacts,
    RedFlagCheck,
    Verification,
    format_phone,
    name_change_alerts,
    opening_alerts,
    tax_id_digits,
    tax_id_hash,
)
from core.settings import DistrictSettings, settings_from_mapping


# -- addresses (FORMATS.md §7) -------------------------------------------------------------
def test_street_address_takes_usps_abbreviations() -> None:
    clean = standardize(Address("123 North Main Street", "Springfield", "Illinois", "62704",
                                "Apartment 4B"))
    assert clean.address == Address("123 N MAIN ST", "SPRINGFIELD", "IL", "62704", "APT 4B")
    assert clean.method is StandardizedBy.USPS and not clean.is_box


@pytest.mark.parametrize(("typed", "kept"), [
    ("P.O. Box 44", "PO BOX 44"), ("post office box 7", "PO BOX 7"),
    ("RR 2 Box 15", "RR 2 BOX 15"), ("HC 1 Box 5", "HC 1 BOX 5")])
def test_po_box_and_rural_route_fall_back_to_usaddress(typed: str, kept: str) -> None:
    clean = standardize(Address(typed, "Yucca Valley", "ca", "92284"))
    assert clean.address.line1 == kept and clean.address.city == "YUCCA VALLEY"
    assert clean.method is StandardizedBy.BOX and clean.is_box


def test_an_address_nothing_can_parse_is_kept_as_typed_and_says_so() -> None:
    clean = standardize(Address("Lot 5 [/] rear", "High Mesa", "CA", "92284"))
    assert clean.address.line1 == "LOT 5 [/] REAR"
    assert clean.method is StandardizedBy.AS_TYPED
    assert "NOT standardized" in clean.method.describe()


def test_a_private_mailbox_counts_as_a_mail_drop() -> None:
    assert looks_like_box(Address("123 Main St", "High Mesa", line2="PMB 204"))
    assert not looks_like_box(Address("9800 La Contenta Rd", "High Mesa"))


def test_missing_city_and_bad_zip_are_named() -> None:
    with pytest.raises(InputError) as caught:
        standardize(Address("12 Canyon Rd", "", "CA", "9228"))
    fields = {p.field for p in caught.value.problems}
    assert fields == {"address city", "address ZIP"}


def test_one_line_address_is_split_for_the_cli() -> None:
    assert parse_one_line("123 Main St Apt 4, Portland, OR 97201") == Address(
        "123 Main St", "Portland", "OR", "97201", "Apt 4")
    with pytest.raises(InputError):
        parse_one_line("somewhere nice")


# -- Red Flags (RULES.md §11) ------------------------------------------------------------
def _opening(**changes: object) -> OpeningFacts:
    values: dict[str, object] = dict(
        residential=True, mailing_is_box=False, mailing_differs=False,
        document=IdDocument.DRIVER_LICENSE, id_matches=True, tax_id_matches=(),
        phone_matches=0, phone="(760) 555-0142")
    values.update(changes)
    return OpeningFacts(**values)  # type: ignore[arg-type]


def test_a_clean_application_raises_no_alert() -> None:
    assert opening_alerts(_opening(), shared_phone_min=1) == []


def test_each_opening_check_raises_its_alert() -> None:
    alerts = opening_alerts(_opening(
        mailing_is_box=True, mailing_differs=True, document=IdDocument.OTHER_DOCUMENT,
        id_matches=False, tax_id_matches=("Rosa Delgado (account 0100001-01)",),
        phone_matches=2), shared_phone_min=1)
    assert [a.check for a in alerts] == [
        RedFlagCheck.DUPLICATE_TAX_ID, RedFlagCheck.SHARED_PHONE,
        RedFlagCheck.BOX_ON_RESIDENTIAL, RedFlagCheck.MISMATCHED_ID,
        RedFlagCheck.MAIL_ELSEWHERE_WEAK_ID]
    assert "Rosa Delgado" in alerts[0].message and "2 other customers" in alerts[1].message


def test_a_box_on_a_commercial_start_and_a_phone_below_the_threshold_pass() -> None:
    alerts = opening_alerts(_opening(residential=False, mailing_is_box=True, phone_matches=2),
                            shared_phone_min=3)
    assert alerts == []


def test_name_change_inside_the_window_after_a_mailing_change_is_an_alert() -> None:
    moved = date(2026, 10, 1)
    inside = name_change_alerts(old_name="Rosa Delgado", new_name="Rosa D. Smith",
                                today=date(2026, 11, 20), mailing_changed_on=moved,
                                window_days=60)
    assert [a.check for a in inside] == [RedFlagCheck.ADDRESS_THEN_NAME]
    assert "50 days ago" in inside[0].message
    assert name_change_alerts(old_name="Rosa Delgado", new_name="Rosa Smith",
                              today=date(2026, 12, 15), mailing_changed_on=moved,
                              window_days=60) == []
    assert name_change_alerts(old_name="Rosa Delgado", new_name="ROSA DELGADO",
                              today=date(2026, 10, 2), mailing_changed_on=moved,
                              window_days=60) == []


def test_alerts_need_a_recorded_verification_and_a_refusal_stops() -> None:
    alerts = opening_alerts(_opening(id_matches=False), shared_phone_min=1)
    with pytest.raises(InputError, match="need a recorded verification"):
        IdentityCheck(IdDocument.STATE_ID, None).check_answers(alerts)
    with pytest.raises(InputError, match="say what was checked"):
        IdentityCheck(IdDocument.STATE_ID, Verification.PHOTO_ID).check_answers(alerts)
    with pytest.raises(InputError, match="refused"):
        IdentityCheck(IdDocument.NONE, Verification.REFUSED, "no ID").check_answers(alerts)
    IdentityCheck(IdDocument.STATE_ID, Verification.PHOTO_ID, "CA ID 1234").check_answers(alerts)


def test_tax_ids_are_nine_digits_kept_as_a_salted_hash() -> None:
    assert tax_id_digits("123-45-6789") == "123456789"
    with pytest.raises(InputError):
        tax_id_digits("12-345")
    assert tax_id_hash("123456789", "salt") != tax_id_hash("123456789", "other")
    assert format_phone("760.555.0142") == "(760) 555-0142"
    assert format_phone("+1 760 555 0142") == "(760) 555-0142"


# -- search order --------------------------------------------------------------------------
def test_search_plan_quotes_words_as_prefixes_and_sees_a_number() -> None:
    plan = plan_search("  0100295-0 ")
    assert plan.number == "0100295-0" and plan.fts_query == '"0100295"* AND "0"*'
    assert plan_search("Núñez AND").fts_query == '"nunez"* AND "and"*'
    assert not plan_search("a").searchable


def test_exact_number_then_prefix_then_name_before_address() -> None:
    plan = plan_search("0100")
    assert relevance(plan, {"number": "0100"}, "closed") < relevance(
        plan, {"number": "0100295-01"}, "active")
    words = plan_search("mesa")
    by_name = relevance(words, {"name": "Mesa Realty", "service": "1 Elm St"}, "active")
    by_address = relevance(words, {"name": "Rosa", "service": "1 Mesa Rd"}, "active")
    closed_name = relevance(words, {"name": "Mesa Realty", "service": "1 Elm St"}, "closed")
    assert by_name < closed_name < by_address
    assert matched_text(words, {"name": "Rosa", "service": "1 Mesa Rd",
                                "mailing": "PO Box 1 High Mesa"}) == "service addr, mail addr"


# -- deposit rule (RULES.md §7) ------------------------------------------------------------
def _facts(**changes: object) -> DepositFacts:
    values: dict[str, object] = dict(is_owner=True, disconnected_recently=False,
                                     unpaid_closed_accounts=(), recent_bills_cents=[],
                                     months_of_bills=0)
    values.update(changes)
    return DepositFacts(**values)  # type: ignore[arg-type]


def test_an_owner_with_a_clean_history_pays_no_deposit() -> None:
    decision = deposit_for(_facts(), DistrictSettings())
    assert not decision.required and decision.amount_cents == 0


def test_a_renter_pays_twice_the_average_bill_or_the_minimum() -> None:
    settings = DistrictSettings()
    high = deposit_for(_facts(is_owner=False, recent_bills_cents=[9000, 11001],
                              months_of_bills=2), settings)
    assert high.required and high.amount_cents == 2 * 10001  # average rounded once, half-up
    low = deposit_for(_facts(is_owner=False, recent_bills_cents=[3000], months_of_bills=1),
                      settings)
    assert low.amount_cents == settings.deposit_minimum_cents and "is less" in low.amount_rule


def test_a_past_cut_off_or_unpaid_closed_account_asks_a_deposit_of_an_owner() -> None:
    decision = deposit_for(_facts(disconnected_recently=True,
                                  unpaid_closed_accounts=("0100010-01",)), DistrictSettings())
    assert decision.required and len(decision.reasons) == 2


def test_the_renter_rule_can_be_turned_off_and_settings_are_checked() -> None:
    settings = settings_from_mapping({"deposit_for_renters": False})
    assert not deposit_for(_facts(is_owner=False), settings).required
    with pytest.raises(InputError) as caught:
        settings_from_mapping({"red_flag_name_change_days": 0})
    assert caught.value.problems[0].field == "red_flag_name_change_days"


# -- move-out ------------------------------------------------------------------------------
@given(balance=st.integers(-100_000, 100_000), deposit=st.integers(0, 50_000),
       bill=st.integers(0, 100_000), transfer=st.booleans())
def test_settlement_always_adds_up(balance: int, deposit: int, bill: int,
                                   transfer: bool) -> None:
    s = settle(balance_cents=balance, deposit_cents=deposit, closing_bill_cents=bill,
               transfer=transfer)
    assert s.balance_after_cents == balance + bill - deposit
    assert s.deposit_applied_cents == deposit  # the whole held deposit is applied
    # What is left is exactly one of: refunded, transferred, owed, or nothing.
    assert s.refund_cents + s.transfer_cents - s.owed_cents == -s.balance_after_cents
    assert min(s.refund_cents, s.transfer_cents, s.owed_cents) == 0
    assert (s.refund_cents and s.transfer_cents) == 0
    assert (s.transfer_cents > 0) <= transfer and (s.refund_cents > 0) <= (not transfer)


def test_final_read_must_be_after_the_last_read_and_not_below_it() -> None:
    last = LastRead(date(2026, 11, 3), 4488, "NP08-0000001")
    check_final_read(last, final_reading=4490, close_on=date(2026, 11, 20),
                     opened_on=date(2020, 1, 1), today=date(2026, 11, 20))
    with pytest.raises(InputError, match="below the last reading 4488"):
        check_final_read(last, final_reading=4400, close_on=date(2026, 11, 20),
                         opened_on=date(2020, 1, 1), today=date(2026, 11, 20))
    with pytest.raises(InputError, match="after today"):
        check_final_read(last, final_reading=4490, close_on=date(2026, 11, 21),
                         opened_on=date(2020, 1, 1), today=date(2026, 11, 20))
    with pytest.raises(InputError, match="not after the last billed read"):
        check_final_read(last, final_reading=4490, close_on=date(2026, 11, 3),
                         opened_on=date(2020, 1, 1), today=date(2026, 11, 20))


# -- move-in -------------------------------------------------------------------------------
def test_account_numbers_follow_the_premise_or_start_a_new_one() -> None:
    assert next_account_number(["0100295-01", "0100295-02"], 199_499) == "0100295-03"
    assert next_account_number([], 199_499) == "0199500-01"


def test_new_service_charges_are_parsed_with_a_reason() -> None:
    assert parse_charge("labor", "Set  meter box", "85.00").amount_cents == 8500
    with pytest.raises(InputError) as caught:
        parse_charge("snacks", "", "-1")
    assert {p.field for p in caught.value.problems} == {
        "charge", "charge description", "charge amount"}


def test_settings_namespace_is_enough_for_the_rule() -> None:
    settings = SimpleNamespace(deposit_for_renters=True, deposit_after_disconnection_months=0,
                               deposit_minimum_cents=5000, deposit_average_bill_multiple=3)
    decision = deposit_for(_facts(disconnected_recently=True), settings)
    assert not decision.required  # a zero look-back turns the cut-off rule off
