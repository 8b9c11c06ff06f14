"""Golden bills computed by hand, one or more for every rate feature (RULES.md §5, §9)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from core.bill_lines import Period, Service
from core.errors import InputError
from core.rate_engine import RateEngine, price
from tests.rates_support import (
    MONTH,
    amounts,
    book_of,
    demo_book,
    hi_desert_book,
    quote,
    schedule_from,
    simple_schedule,
)


def test_hi_desert_published_sample_bill_8_hcf_is_60_03() -> None:
    # RULES.md §5.3: Tier 1 4 × $3.65 = $14.60; Tier 2 4 × $6.17 = $24.68; 5/8" $20.75.
    bill = quote(hi_desert_book(), 8)
    assert amounts(bill) == [('Water service charge, 5/8" meter', 2075),
                             ("Water use, Tier 1", 1460), ("Water use, Tier 2", 2468)]
    assert bill.total_cents == 6003
    assert [line.tier_range for line in bill.lines[1:]] == ["first 4 HCF",
                                                            "over 4 up to 12 HCF"]


def test_hi_desert_6_hcf_is_47_69_and_20_hcf_reaches_tier_3() -> None:
    assert quote(hi_desert_book(), 6).total_cents == 2075 + 1460 + 1234  # $47.69
    # 4 × 3.65 + 8 × 6.17 + 8 × 7.02 + 20.75 = 14.60 + 49.36 + 56.16 + 20.75
    assert quote(hi_desert_book(), 20).total_cents == 14087


def test_cumulative_and_single_level_price_the_same_use_differently() -> None:
    tiers = (("20", "4.12"), ("100", "4.58"), (None, "5.05"))
    cumulative = book_of(simple_schedule(tiers=tiers, fixed="0"))
    single = book_of(simple_schedule(tiers=tiers, fixed="0", pricing="single_level"))
    # cumulative: 20 × 4.12 + 5 × 4.58 = 82.40 + 22.90; single-level: 25 × 4.58
    assert quote(cumulative, 25).total_cents == 10530
    assert quote(single, 25).total_cents == 11450
    assert [line.label for line in quote(single, 25).lines if line.component == "usage"] == [
        "Water use, Tier 2"]
    assert quote(single, 20).total_cents == 8240  # 20 ends inside block 1: all at $4.12


@pytest.mark.parametrize(("size", "cents"), [("5/8", 2075), ("3/4", 3113), ("1", 5188),
                                             ("1.5", 10375), ("2", 16600), ("3", 33200),
                                             ("4", 51875)])
def test_fixed_charge_by_meter_size_for_every_demo_size(size: str, cents: int) -> None:
    bill = quote(demo_book(), 0, meter_size=size, period=Period(date(2026, 1, 3),
                                                                date(2026, 2, 3)))
    assert bill.lines[0].label == f'Water service charge, {size}" meter'
    assert bill.lines[0].amount_cents == cents


def test_multi_unit_tier_widths_times_dwelling_units() -> None:
    # HDWD: "(4 units x $3.65) x 2 Dwelling Units = $29.20"; Tier 2 is 8 × 2 = 16 HCF wide.
    bill = quote(demo_book(), 30, rate_class="multi_unit", meter_size="1", dwelling_units=2,
                 period=Period(date(2026, 1, 10), date(2026, 2, 10)))
    usage = [(line.tier_range, line.quantity, line.amount_cents) for line in bill.lines
             if line.component == "usage"]
    assert usage[0] == ("first 8 HCF; 0-4 HCF × 2 dwelling units", 8, 2920)
    assert usage[1] == ("over 8 up to 24 HCF; 4-12 HCF × 2 dwelling units", 16, 9872)
    assert usage[2][1:] == (6, 4212)  # 6 × $7.02
    sewer = [line for line in bill.lines if line.component == "wastewater"]
    assert [(s.quantity, s.amount_cents) for s in sewer] == [(2, 8550)]  # 2 × $42.75


def test_sewer_per_edu_rounds_half_up_once() -> None:
    # 1.5 EDU × $42.75 = $64.125 → $64.13 (half-up), on the commercial schedule.
    bill = quote(demo_book(), 3, rate_class="commercial", edus=Decimal("1.5"))
    sewer = next(line for line in bill.lines if line.component == "wastewater")
    assert (sewer.unit, sewer.quantity, sewer.amount_cents) == ("EDU", Fraction(3, 2), 6413)


def test_sewer_on_winter_average_use_mission_hills_structure() -> None:
    # RULES.md §5.1: $80.87 + $5.92 per unit of the Dec-Feb average; 7.5 HCF → $44.40.
    sewer = ('[wastewater]\nbasis = "winter_average"\ncharge = "80.87"\nrate = "5.92"\n'
             'no_history_hcf = "6"\n')
    book = book_of(simple_schedule(fixed="0", extra=sewer))
    bill = quote(book, 0, winter_average_hcf=Decimal("7.5"))
    assert amounts(bill) == [("Service charge", 0), ("Sewer service, base", 8087),
                             ("Sewer service, winter average use", 4440)]
    no_history = quote(book, 0)
    assert no_history.lines[-1].label == "Sewer service, winter average use (no winter history)"
    assert no_history.lines[-1].amount_cents == 3552  # 6 × $5.92


def test_closing_bill_prorates_fixed_charge_and_tier_widths_by_days_over_30() -> None:
    # 12 days: $20.75 × 12/30 = $8.30; Tier 1 is 4 × 12/30 = 1.6 HCF: 1.6 × 3.65 = $5.84;
    # the other 1.4 HCF at $6.17 = $8.638 → $8.64.
    closing = Period(date(2026, 1, 1), date(2026, 1, 13), prorated=True)
    bill = quote(hi_desert_book(), 3, period=closing)
    assert amounts(bill) == [('Water service charge, 5/8" meter', 830),
                             ("Water use, Tier 1", 584), ("Water use, Tier 2", 864)]
    assert bill.lines[0].factor_text == "12/30"
    assert bill.lines[1].quantity == Fraction(8, 5)
    assert "0-4 HCF × 12/30" in bill.lines[1].tier_range


def test_regular_bill_is_a_whole_month_whatever_its_days() -> None:
    for days in (28, 30, 33):
        period = Period(date(2026, 2, 1), date.fromordinal(date(2026, 2, 1).toordinal() + days))
        assert quote(hi_desert_book(), 8, period=period).total_cents == 6003


def test_rate_change_inside_the_period_splits_by_days() -> None:
    # Demo residential, 12 HCF, 2026-06-15 to 2026-07-15: 16 days on the 2025 rates and 14 on
    # the 2026 rates. Worked by hand in docs/rates.md ("A rate change inside the period").
    period = Period(date(2026, 6, 15), date(2026, 7, 15))
    bill = quote(demo_book(), 12, period=period)
    assert [line.amount_cents for line in bill.lines] == [
        1107, 997,  # $20.75 × 16/30 = 11.0667; $21.37 × 14/30 = 9.9727
        779, 702,  # Tier 1: 4 × 16/30 × 3.65 = 7.7867; 4 × 14/30 × 3.76 = 7.0187
        2633, 2374,  # Tier 2: (6.4 − 2.1333) × 6.17 = 26.3253; (5.6 − 1.8667) × 6.36 = 23.744
        1520, 1370,  # sewer base: 28.50 × 16/30; 29.35 × 14/30 = 13.6967
        992, 893,  # winter use (none on record: 6 HCF): 6 × 3.10 × 16/30; 6 × 3.19 × 14/30
        101,  # State Water Project: 12 × 14/30 = 5.6 HCF × 0.18 = 1.008
    ]
    assert bill.total_cents == 13468
    assert [s.ref.file for s in bill.segments] == ["residential-2025-07-01.toml",
                                                   "residential-2026-07-01.toml"]
    assert [(line.days, line.factor_text) for line in bill.lines[:2]] == [(16, "16/30"),
                                                                         (14, "14/30")]


def test_unchanged_line_is_not_split_at_a_rate_change() -> None:
    old = simple_schedule(effective="2026-01-01", tiers=((None, "3.00"),))
    new = simple_schedule(effective="2026-01-16", tiers=((None, "4.00"),))
    bill = quote(book_of(old, new), 10, period=MONTH)
    fixed = [line for line in bill.lines if line.component == "fixed"]
    assert [(f.days, f.factor_text, f.amount_cents) for f in fixed] == [(30, "1", 2075)]
    assert fixed[0].rate_files == ("file1.toml", "file2.toml")
    usage = [(u.days, u.quantity, u.amount_cents) for u in bill.lines if u.component == "usage"]
    assert usage == [(15, 5, 1500), (15, 5, 2000)]


def test_surcharges_per_hcf_and_by_meter_size() -> None:
    # Demo commercial 2026, 1" meter, 30 HCF single-level at Block 2 ($4.72), 1 EDU.
    bill = quote(demo_book(), 30, rate_class="commercial", meter_size="1",
                 period=Period(date(2026, 8, 1), date(2026, 8, 31)))
    assert amounts(bill) == [
        ('Water service charge, 1" meter', 5344), ("Water use, Block 2", 14160),
        ("Sewer service", 4403), ('Capital replacement charge, 1" meter', 500),
        ("State Water Project pass-through", 540)]  # 30 × $0.18


def test_minimum_charge_tops_water_charges_up() -> None:
    # Demo commercial 2025: $20.75 + 3 × $4.12 = $33.11 < $45.00 → $11.89 added.
    bill = quote(demo_book(), 3, rate_class="commercial")
    assert bill.lines[-1].component == "minimum"
    assert bill.lines[-1].amount_cents == 1189
    assert quote(demo_book(), 10, rate_class="commercial").lines[-1].component != "minimum"


def test_flat_rate_service_without_a_meter() -> None:
    closing = Period(date(2026, 1, 1), date(2026, 1, 13), prorated=True)
    bill = quote(demo_book(), 0, rate_class="flat", meter_size=None, dwelling_units=2,
                 period=closing)
    # 2 × $38.00 × 12/30 = $30.40; 2 × $42.75 × 12/30 = $34.20
    assert amounts(bill) == [("Flat-rate water service", 3040), ("Sewer service", 3420)]


WESTERN = """
[schedule]
class = "landscape"
effective = 2026-01-01
adopted = "test: Western MWD published example"

[budget]
eto_file = "eto.csv"
indoor_gpcd = "60"
household_default = 3
etaf = "0.8"
{rounding}

[commodity]
pricing = "cumulative"

[[commodity.tiers]]
up_to_budget = "indoor"
rate = "1.00"

[[commodity.tiers]]
up_to_budget = "100%"
rate = "2.00"

[[commodity.tiers]]
up_to_budget = "140%"
rate = "3.00"

[[commodity.tiers]]
rate = "4.00"
"""
JUNE_ETO = "period,eto_inches\n2026-06,5.72\n"


def test_water_budget_western_mwd_fixture_165_outdoor_7_2_indoor() -> None:
    rounding = "indoor_decimals = 1\noutdoor_decimals = 0"
    book = book_of(WESTERN.format(rounding=rounding), eto=JUNE_ETO)
    june = Period(date(2026, 6, 1), date(2026, 7, 1))
    bill = quote(book, 250, rate_class="landscape", meter_size=None, landscape_sqft=43560,
                 period=june)
    budget = bill.budgets[0]
    assert (budget.indoor_hcf, budget.outdoor_hcf) == (Fraction("7.2"), 165)
    # budget 172.2; 140% = 241.08: 7.2 × 1 + 165 × 2 + 68.88 × 3 + 8.92 × 4
    assert [(line.quantity, line.amount_cents) for line in bill.lines] == [
        (Fraction("7.2"), 720), (165, 33000), (Fraction("68.88"), 20664),
        (Fraction("8.92"), 3568)]
    assert bill.total_cents == 57952


def test_water_budget_unrounded_is_exact() -> None:
    book = book_of(WESTERN.format(rounding=""), eto=JUNE_ETO)
    june = Period(date(2026, 6, 1), date(2026, 7, 1))
    bill = quote(book, 0, rate_class="landscape", meter_size=None, landscape_sqft=43560,
                 period=june)
    assert bill.budgets[0].indoor_hcf == Fraction(5400, 748)  # 7.219
    assert round(float(bill.budgets[0].outdoor_hcf), 2) == 165.22


def test_hydrant_rental_first_day_then_per_day_and_bulk_tiers() -> None:
    # 10 days from Jan 5: $25 + 9 × $5 = $70; 40 HCF on the common tiers, not prorated:
    # 4 × 3.65 + 8 × 6.17 + 28 × 7.02 = 14.60 + 49.36 + 196.56.
    rental = Period(date(2026, 1, 5), date(2026, 1, 15), prorated=True)
    bill = quote(demo_book(), 40, rate_class="hydrant", meter_size="3", period=rental,
                 rental_started_on=date(2026, 1, 5))
    assert amounts(bill) == [("Hydrant meter rental, first day", 2500),
                             ("Hydrant meter rental", 4500), ("Bulk water, Tier 1", 1460),
                             ("Bulk water, Tier 2", 4936), ("Bulk water, Tier 3", 19656)]
    later = quote(demo_book(), 0, rate_class="hydrant", meter_size="3", period=MONTH,
                  rental_started_on=date(2025, 12, 1))
    assert amounts(later) == [("Hydrant meter rental", 15000)]  # 30 × $5


def test_rate_with_extra_decimals_rounds_each_line_once_half_up() -> None:
    book = book_of(simple_schedule(fixed="0", tiers=((None, "0.125"),)))
    assert quote(book, 1).total_cents == 13  # 0.125 → 0.13
    assert quote(book, 3).total_cents == 38  # 0.375 → 0.38, not 3 × 0.13


def test_fractional_usage_is_priced_exactly() -> None:
    assert quote(hi_desert_book(), "4.5").total_cents == 2075 + 1460 + 309  # 0.5 × 6.17 = 3.085


def test_every_line_names_its_rate_file_and_explains_itself() -> None:
    bill = quote(hi_desert_book(), 8)
    assert bill.lines[2].explain() == (
        "Water use, Tier 2 (over 4 up to 12 HCF): 4 HCF × $6.17/HCF = $24.68 "
        "(30 days; hi-desert-2020-02-01.toml)")
    assert bill.segments[0].ref.version.startswith("hi-desert-2020-02-01.toml@2020-02-01#")


def test_engine_reuses_plans_and_gives_the_same_bill_as_a_quote() -> None:
    engine = RateEngine(demo_book())
    service = Service("residential", "5/8", winter_average_hcf=Decimal("5"))
    period = Period(date(2026, 6, 15), date(2026, 7, 15))
    for usage in (0, 3, 12, 40):
        assert engine.price(service, period, usage) == price(demo_book(), service, period,
                                                             usage)
    assert len(engine._plans) == 1


def test_refusals_name_what_is_wrong() -> None:
    with pytest.raises(InputError, match="charge by meter size; give the meter size"):
        quote(demo_book(), 5, meter_size=None)
    with pytest.raises(InputError, match="no residential rates are in force on 2025-01-01"):
        quote(demo_book(), 5, period=Period(date(2025, 1, 1), date(2025, 1, 31)))
    with pytest.raises(InputError, match="no rate class 'irrigation'"):
        quote(demo_book(), 5, rate_class="irrigation")
    with pytest.raises(InputError, match="must not be negative"):
        quote(demo_book(), -1)
    with pytest.raises(InputError, match="must end after it starts"):
        quote(demo_book(), 1, period=Period(date(2026, 1, 5), date(2026, 1, 5)))
    small = schedule_from(simple_schedule(fixed="0").replace(
        '[fixed]\namount = "0"', '[fixed]\nby_meter_size = { "5/8" = "20.75" }'))
    with pytest.raises(InputError, match='has no charge for a 2" meter'):
        quote(book_of_schedule(small), 1, meter_size="2")


def book_of_schedule(schedule):  # type: ignore[no-untyped-def]
    from core.rate_book import book_from_schedules

    return book_from_schedules([schedule], "test")


def test_class_for_an_account_follows_the_files_selectors() -> None:
    book = demo_book()
    assert book.class_for("single_family", "metered") == "residential"
    assert book.class_for("multi_unit", "metered") == "multi_unit"
    assert book.class_for("landscape", "water_budget") == "landscape"
    assert book.class_for("hydrant", "bulk") == "hydrant"
    assert book.class_for("single_family", "flat") == "flat"
    with pytest.raises(InputError, match="covers a landscape premise with metered service"):
        book.class_for("landscape", "metered")


def test_water_budget_services_with_equal_budgets_share_one_plan() -> None:
    # outdoor_decimals = 0: 43,560 and 43,500 sq ft both come to 165 HCF outdoor in June.
    book = book_of(WESTERN.format(rounding="indoor_decimals = 1\noutdoor_decimals = 0"),
                   eto=JUNE_ETO)
    june = Period(date(2026, 6, 1), date(2026, 7, 1))
    engine = RateEngine(book)
    for sqft, plans in ((43560, 1), (43500, 1), (20000, 2)):
        service = Service(rate_class="landscape", meter_size=None, landscape_sqft=sqft)
        shared = engine.price(service, june, 250)
        alone = price(book, service, june, 250)
        assert (shared.lines, shared.total_cents, shared.budgets) == (
            alone.lines, alone.total_cents, alone.budgets)
        assert len(engine._plans) == plans
