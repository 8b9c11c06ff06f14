"""Rate files and ETo files: every demo file reads; every mistake names the file, line and key."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from core.errors import InputError, InputProblem
from core.eto import parse_eto
from core.rate_book import book_from_schedules, load_rate_folder, load_rates
from core.toml_lines import dotted, key_lines, locate
from tests.rates_support import DEMO_RATES, schedule_from, simple_schedule


def problems(text: str) -> list[InputProblem]:
    with pytest.raises(InputError) as caught:
        schedule_from(text)
    return caught.value.problems


def only(text: str) -> InputProblem:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def test_demo_folder_covers_every_feature_and_every_meter_size() -> None:
    book = load_rate_folder(DEMO_RATES)
    assert book.classes() == ("commercial", "flat", "hydrant", "landscape", "multi_unit",
                              "residential")
    schedules = book.schedules()
    assert any(s.commodity and s.commodity.pricing == "single_level" for s in schedules)
    assert any(s.commodity and s.commodity.widths == "per_dwelling_unit" for s in schedules)
    assert {s.wastewater.basis for s in schedules if s.wastewater} == {
        "dwelling_unit", "edu", "winter_average"}
    assert any(s.budget for s in schedules) and any(s.rental for s in schedules)
    assert any(s.minimum for s in schedules)
    assert any(x.per_hcf for s in schedules for x in s.surcharges)
    assert any(x.monthly for s in schedules for x in s.surcharges)
    sizes = {size for s in schedules if s.fixed for size, _ in s.fixed.by_meter_size}
    assert sizes == {"5/8", "3/4", "1", "1.5", "2", "3", "4"}
    residential = book.versions("residential")
    assert [s.ref.effective for s in residential] == [date(2025, 7, 1), date(2026, 7, 1)]
    assert book.in_force("residential", date(2026, 6, 30)).ref.file == \
        "residential-2025-07-01.toml"


def test_rates_are_exact_decimals() -> None:
    schedule = schedule_from(simple_schedule())
    assert schedule.commodity is not None
    assert schedule.commodity.tiers[0].rate == Decimal("3.65")
    assert schedule.fixed is not None and schedule.fixed.amount == Decimal("20.75")


def test_a_float_rate_is_refused_with_file_line_and_key() -> None:
    text = simple_schedule().replace('rate = "6.17"', "rate = 6.17")
    problem = only(text)
    assert problem.field == "commodity.tiers[2].rate"
    assert problem.line == text.splitlines().index("rate = 6.17") + 1
    assert 'write it in quotes (rate = "6.17")' in problem.message
    assert str(problem).startswith(f"test.toml:{problem.line}:commodity.tiers[2].rate: ")


def test_an_unknown_key_is_named_not_ignored() -> None:
    text = simple_schedule().replace('rate = "7.02"', 'rat = "7.02"')
    found = problems(text)
    fields = {p.field for p in found}
    assert "commodity.tiers[3].rat" in fields and "commodity.tiers[3]" in fields
    unknown = next(p for p in found if p.field == "commodity.tiers[3].rat")
    assert unknown.line == text.splitlines().index('rat = "7.02"') + 1
    assert "known: name, rate, up_to, up_to_budget" in unknown.message


def test_toml_syntax_errors_carry_tomllibs_line() -> None:
    problem = only(simple_schedule() + "\n[minimum\namount = 1\n")
    assert problem.line is not None and "not valid TOML" in problem.message


def test_pricing_must_be_said_and_tiers_must_rise() -> None:
    text = simple_schedule(tiers=(("12", "3.65"), ("4", "6.17"), (None, "7.02"))).replace(
        'pricing = "cumulative"\n', "")
    found = {(p.field, p.message) for p in problems(text)}
    assert ("commodity", "is missing the key `pricing`") in found
    assert any(f == "commodity.tiers[2].up_to" and "more than the tier before it" in m
               for f, m in found)


def test_last_tier_has_no_bound_and_others_need_one() -> None:
    text = simple_schedule(tiers=(("4", "3.65"), ("12", "6.17")))
    assert only(text).field == "commodity.tiers[2].up_to"
    text = simple_schedule(tiers=((None, "3.65"), (None, "6.17")))
    assert only(text).field == "commodity.tiers[1]"


def test_meter_sizes_must_be_the_districts() -> None:
    text = simple_schedule().replace('[fixed]\namount = "20.75"',
                                     '[fixed.by_meter_size]\n"5/8" = "20.75"\n"6" = "99.00"')
    problem = only(text)
    assert problem.field == 'fixed.by_meter_size.6' and "known: 5/8, 3/4" in problem.message


def test_schedule_header_is_checked() -> None:
    text = simple_schedule(rate_class="Residential Water").replace(
        'adopted = "test resolution"\n', "").replace("effective = 2020-01-01",
                                                     'effective = "July 2020"')
    found = {p.field: p.message for p in problems(text)}
    assert found["schedule"] == "is missing the key `adopted`"
    assert "lower-case letters" in found["schedule.class"]
    assert found["schedule.effective"] == "must be a date such as 2026-07-01"


def test_wastewater_keys_follow_the_basis() -> None:
    text = simple_schedule(extra='[wastewater]\nbasis = "edu"\nrate = "5.92"\n')
    found = {(p.field, p.message) for p in problems(text)}
    assert ("wastewater", "is missing `charge` (the monthly charge per edu)") in found
    assert ("wastewater.rate", "is only used when basis = \"winter_average\"") in found


def test_surcharge_needs_one_way_of_charging() -> None:
    text = simple_schedule(extra='[[surcharges]]\nlabel = "Drought"\n')
    assert "needs exactly one of `amount`" in only(text).message
    text = simple_schedule(extra='[[surcharges]]\nper_hcf = "0.25"\n')
    assert only(text).message == "is missing the key `label`"


def test_a_schedule_without_charges_is_refused() -> None:
    text = '[schedule]\nclass = "x"\neffective = 2026-01-01\nadopted = "r"\n'
    assert "has no charges" in only(text).message


def test_two_files_for_one_class_and_date_are_refused() -> None:
    first = schedule_from(simple_schedule(), "a.toml")
    second = schedule_from(simple_schedule(fixed="21.00"), "b.toml")
    with pytest.raises(InputError, match=r"a\.toml and b\.toml both set residential rates"):
        book_from_schedules([first, second], "folder")


def test_overlapping_classes_are_refused() -> None:
    header = '[schedule]\nclass = "{0}"\neffective = 2026-01-01\nadopted = "r"\n'
    one = schedule_from(header.format("one") + 'service_types = ["metered"]\n'
                        '[fixed]\namount = "1"\n', "one.toml")
    two = schedule_from(header.format("two") + 'premise_kinds = ["commercial"]\n'
                        '[fixed]\namount = "1"\n', "two.toml")
    with pytest.raises(InputError, match=r"classes one .* and two .* both cover a commercial "
                                         r"premise with metered service"):
        book_from_schedules([one, two], "folder")


def test_a_folder_reports_every_files_problems_together(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text(simple_schedule())
    (tmp_path / "bad1.toml").write_text(simple_schedule(rate_class="a").replace(
        '"3.65"', '"3.6.5"'))
    (tmp_path / "bad2.toml").write_text("not toml at all [")
    with pytest.raises(InputError) as caught:
        load_rate_folder(tmp_path)
    sources = sorted(Path(p.source).name for p in caught.value.problems)
    assert sources == ["bad1.toml", "bad2.toml"]
    with pytest.raises(InputError, match="is not a folder of rate files"):
        load_rate_folder(tmp_path / "bad1.toml")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="has no rate files"):
        load_rate_folder(tmp_path / "empty")


def test_budget_eto_file_is_read_beside_the_rate_file(tmp_path: Path) -> None:
    text = (DEMO_RATES / "landscape-2025-07-01.toml").read_text()
    (tmp_path / "landscape.toml").write_text(text)
    with pytest.raises(InputError) as caught:
        load_rates(tmp_path / "landscape.toml")
    assert caught.value.problems[0].field == "budget.eto_file"
    assert "'eto-high-mesa.csv' cannot be read" in caught.value.problems[0].message
    (tmp_path / "eto-high-mesa.csv").write_text("period,eto_inches\n01,2.0\n13,2.0\n")
    with pytest.raises(InputError) as caught:
        load_rates(tmp_path / "landscape.toml")
    problem = caught.value.problems[0]
    assert (Path(problem.source).name, problem.line, problem.field) == (
        "eto-high-mesa.csv", 3, "period")


def test_eto_precedence_day_over_month_over_normal_year() -> None:
    table = parse_eto("# comment\nperiod,eto_inches\n06,6.0\n2026-06,9.0\n2026-06-02,1.5\n"
                      "07,3.1\n", source="eto.csv")
    assert table.inches(date(2026, 6, 1), date(2026, 6, 3)) == Fraction(9, 30) + Fraction("1.5")
    assert table.inches(date(2025, 6, 1), date(2025, 7, 1)) == 6
    assert table.inches(date(2026, 7, 1), date(2026, 7, 11)) == Fraction("3.1") * 10 / 31
    with pytest.raises(InputError, match="has no ETo for 2026-08"):
        table.inches(date(2026, 7, 30), date(2026, 8, 2))


def test_eto_file_problems_name_the_line() -> None:
    with pytest.raises(InputError) as caught:
        parse_eto("period,eto_inches\n2026-02,abc\n2026-13,1\n01,1\n01,2\n", source="e.csv")
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (2, "eto_inches"), (3, "period"), (5, "period")]
    with pytest.raises(InputError, match="header period,eto_inches"):
        parse_eto("month,inches\n01,1\n", source="e.csv")


def test_key_lines_know_arrays_of_tables_and_quoted_keys() -> None:
    text = ('[schedule]\nclass = "x"\n[fixed.by_meter_size]\n"5/8" = "1"\n'
            '[[surcharges]]\nlabel = "a"\n[[surcharges]]\nlabel = "b"\n'
            '[surcharges.by_meter_size]\n"3/4" = "2"\n')
    lines = key_lines(text)
    assert lines[("fixed", "by_meter_size", "5/8")] == 4
    assert lines[("surcharges", 1, "label")] == 8
    assert lines[("surcharges", 1, "by_meter_size", "3/4")] == 10
    assert locate(lines, ("surcharges", 1, "amount")) == 7
    assert dotted(("surcharges", 1, "by_meter_size", "3/4")) == 'surcharges[2].by_meter_size."3/4"'
