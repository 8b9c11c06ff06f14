"""Read-audit rules at their boundaries: each fires one unit past its threshold, not at it."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.read_audit import audit_read
from core.read_bands import ReadAuditPolicy, band_for, parse_bands
from core.read_rules import Severity
from core.reads import (
    AmrFlags,
    MeterChain,
    Occupancy,
    ReadPoint,
    ReadUnderAudit,
    expected_usage,
    premise_periods,
    read_facts,
)
from core.settings import DistrictSettings

START = date(2025, 10, 1)
POLICY = ReadAuditPolicy(bands=parse_bands(DistrictSettings().read_bands))


def day(k: int) -> date:
    """Reads exactly 30 days apart, so expected usage needs no scaling."""
    return START + timedelta(days=30 * k)


def case(readings: list[int], current: int | None, *, occupancy: Occupancy = Occupancy.ACTIVE,
         dials: int = 4, estimated: tuple[int, ...] = (), current_estimated: bool = False,
         flags: AmrFlags | None = None, skip: str = "") -> ReadUnderAudit:
    points = tuple(ReadPoint(day(k), r, k in estimated) for k, r in enumerate(readings))
    return ReadUnderAudit(1, "NP26-0000001", dials, day(len(readings)), current, occupancy,
                          (MeterChain(1, "NP26-0000001", dials, points),), current_estimated,
                          flags or AmrFlags(), skip)


def steady(per_period: int, periods: int = 12, start: int = 1000) -> list[int]:
    return [start + per_period * k for k in range(periods + 1)]


def rules(read: ReadUnderAudit, policy: ReadAuditPolicy = POLICY) -> dict[str, tuple[str, str]]:
    return {f.rule_id: (f.severity.value, f.verdict) for f in audit_read(read, policy)}


def with_usage(per_period: int, usage: int, **kw: object) -> ReadUnderAudit:
    history = steady(per_period)
    return case(history, history[-1] + usage, **kw)  # type: ignore[arg-type]


# --- high and low against the band table -----------------------------------------------------

def test_expected_usage_is_the_average_of_the_last_three_actual_periods() -> None:
    history = [1000, 1010, 1030, 1060, 1100]  # periods 10, 20, 30, 40
    facts = read_facts(case(history, 1140))
    expected = expected_usage(facts, "last3", 3)
    assert expected is not None and expected.usage == 30  # (20 + 30 + 40) / 3
    assert "20, 30, 40 over 90 days" in expected.basis


def test_estimated_periods_are_left_out_of_expected_usage() -> None:
    history = [1000, 1010, 1030, 1130, 1160]  # the 100 period is an estimate
    facts = read_facts(case(history, 1190, estimated=(3,)))
    expected = expected_usage(facts, "last3", 3)
    assert expected is not None and expected.usage == 20  # (10 + 20 + 30) / 3


def test_high_warning_fires_one_unit_past_plus_70_percent_in_the_first_band() -> None:
    assert "HIGH" not in rules(with_usage(20, 34))  # exactly +70%
    assert rules(with_usage(20, 35))["HIGH"] == ("warning", "high")


def test_first_band_has_no_error_however_high() -> None:
    assert rules(with_usage(20, 2000))["HIGH"][0] == "warning"


def test_band_100_warns_past_60_and_errs_past_65_percent() -> None:
    assert "HIGH" not in rules(with_usage(200, 320))
    assert rules(with_usage(200, 321))["HIGH"] == ("warning", "high")
    assert rules(with_usage(200, 330))["HIGH"] == ("warning", "high")
    assert rules(with_usage(200, 331))["HIGH"] == ("error", "high")


def test_band_1000_has_only_error_limits() -> None:
    read = case(steady(1000, start=10_000), None)
    top = read.chains[0].points[-1].reading
    assert "HIGH" not in rules(case(steady(1000, start=10_000), top + 1500, dials=6))
    assert rules(case(steady(1000, start=10_000), top + 1501, dials=6))["HIGH"][0] == "error"
    assert "LOW" not in rules(case(steady(1000, start=10_000), top + 800, dials=6))
    assert rules(case(steady(1000, start=10_000), top + 799, dials=6))["LOW"][0] == "error"


def test_low_warning_fires_one_unit_past_minus_40_percent() -> None:
    assert "LOW" not in rules(with_usage(20, 12))  # exactly -40%
    assert rules(with_usage(20, 11))["LOW"] == ("warning", "low")


def test_the_sentence_names_expected_actual_threshold_and_history() -> None:
    finding = next(f for f in audit_read(with_usage(200, 331), POLICY) if f.rule_id == "HIGH")
    assert finding.expected == 200 and finding.actual == 331
    assert "Usage 331 is 66% above the expected 200" in finding.explanation
    assert "average of the last 3 actual periods (200, 200, 200 over 90 days" in \
        finding.explanation
    assert "+65% before an error" in finding.explanation and finding.threshold == "+65%"


def test_band_for_picks_the_highest_band_reached() -> None:
    bands = parse_bands(DistrictSettings().read_bands)
    assert [band_for(bands, u).from_usage for u in (0, 99, 100, 999, 1000, 10**6)] == \
        [0, 0, 100, 100, 1000, 1000]


@pytest.mark.parametrize("text, words", [
    ("", "empty"), ("5: warning +1/-1", "start at 0"), ("0: loud +1/-1", "must read like"),
    ("0: warning +1/-150", "more than 100%"), ("0: warning +60/-30, error +50/-35", "at least"),
    ("0: warning +1/-1; 0: error +2/-2", "rise"),
])
def test_a_bad_band_table_is_refused_with_a_reason(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_bands(text)


# --- zero, inactive, stuck ---------------------------------------------------------------------

def test_zero_use_on_an_active_account_is_flagged_but_not_on_an_inactive_one() -> None:
    assert rules(with_usage(20, 0))["ZERO"] == ("warning", "zero use")
    assert "LOW" not in rules(with_usage(20, 0))  # zero explains low
    assert "ZERO" not in rules(with_usage(20, 0, occupancy=Occupancy.INACTIVE))


def test_zero_periods_setting_needs_that_many_zero_periods_running() -> None:
    two = ReadAuditPolicy(bands=POLICY.bands, zero_periods=2, stuck_periods=5)  # not STUCK
    history = [*steady(20), steady(20)[-1] + 1]  # the last period used 1
    assert "ZERO" not in rules(case(history, history[-1]), two)
    history = [*steady(20), steady(20)[-1]]  # the last period used 0
    assert rules(case(history, history[-1]), two)["ZERO"][0] == "warning"


def test_use_on_an_inactive_or_vacant_service_fires_above_the_allowance() -> None:
    assert "INACTIVE" not in rules(with_usage(0, 0, occupancy=Occupancy.INACTIVE))
    assert rules(with_usage(0, 1, occupancy=Occupancy.INACTIVE))["INACTIVE"][0] == "error"
    assert rules(with_usage(0, 1, occupancy=Occupancy.VACANT))["INACTIVE"][0] == "error"
    five = ReadAuditPolicy(bands=POLICY.bands, inactive_max_units=5)
    assert "INACTIVE" not in rules(with_usage(0, 5, occupancy=Occupancy.VACANT), five)
    assert "INACTIVE" in rules(with_usage(0, 6, occupancy=Occupancy.VACANT), five)
    assert "HIGH" not in rules(with_usage(0, 6, occupancy=Occupancy.VACANT))


def test_stuck_fires_on_the_third_identical_read_and_explains_zero() -> None:
    history = [*steady(20)[:-1], steady(20)[-2]]  # the last two reads are equal
    assert "STUCK" not in rules(case(history[:-1], history[-1]))  # only two equal so far
    found = rules(case(history, history[-1]))
    assert found["STUCK"] == ("error", "stuck meter") and "ZERO" not in found


def test_stuck_is_not_judged_on_a_vacant_premise() -> None:
    history = [500] * 13
    assert "STUCK" not in rules(case(history, 500, occupancy=Occupancy.VACANT))


def test_stuck_periods_setting() -> None:
    four = ReadAuditPolicy(bands=POLICY.bands, stuck_periods=4)
    history = [*steady(20)[:-2], 1300, 1300]
    assert "STUCK" not in rules(case(history, 1300), four)
    assert "STUCK" in rules(case([*history, 1300], 1300), four)


# --- negative consumption ---------------------------------------------------------------------

def test_a_small_wrap_is_one_rollover_with_its_wrapped_usage() -> None:
    finding = next(f for f in audit_read(case([9700, 9800, 9900], 10), POLICY))
    assert (finding.rule_id, finding.verdict, finding.actual) == ("NEGATIVE", "rollover", 110)
    assert finding.severity is Severity.WARNING
    assert "at most one rollover per period" in finding.explanation


def test_rollover_boundary_is_ten_percent_of_the_register() -> None:
    assert rules(case([8000, 9000], 0))["NEGATIVE"][1] == "rollover"  # wraps 1,000 = 10%
    assert rules(case([8000, 8999], 0))["NEGATIVE"][1] == "probable misread"  # 1,001


def test_a_small_drop_is_reverse_flow_and_a_larger_one_a_misread() -> None:
    assert rules(case([5000, 5100], 5095))["NEGATIVE"] == ("error", "reverse flow")
    assert rules(case([5000, 5100], 5094))["NEGATIVE"] == ("error", "probable misread")


def test_a_backflow_flag_makes_a_drop_reverse_flow() -> None:
    found = rules(case([5000, 5100], 5000, flags=AmrFlags(backflow=1)))
    assert found["NEGATIVE"] == ("error", "reverse flow") and "BACKFLOW" in found


def test_negative_use_silences_the_usage_rules() -> None:
    assert set(rules(case(steady(20), 100))) == {"NEGATIVE"}


# --- missing, estimates, AMR flags ----------------------------------------------------------

def test_a_meter_not_read_is_only_missing_and_names_the_skip_code() -> None:
    finding = audit_read(case(steady(20), None, skip="DOG"), POLICY)
    assert [f.rule_id for f in finding] == ["MISSING"]
    assert "skip code DOG" in finding[0].explanation


def test_the_fourth_estimate_in_a_row_is_flagged() -> None:
    history = steady(20)
    assert "ESTIMATES" not in rules(case(history, 1260, estimated=(11, 12),
                                         current_estimated=True))
    found = rules(case(history, 1260, estimated=(10, 11, 12), current_estimated=True))
    assert found["ESTIMATES"] == ("warning", "too many estimates")


@pytest.mark.parametrize("flags, rule, severity", [
    (AmrFlags(leak=1), "LEAK", "warning"), (AmrFlags(leak=2), "LEAK", "error"),
    (AmrFlags(tamper=1), "TAMPER", "error"), (AmrFlags(backflow=1), "BACKFLOW", "warning"),
    (AmrFlags(backflow=2), "BACKFLOW", "error"),
])
def test_amr_flags(flags: AmrFlags, rule: str, severity: str) -> None:
    assert rules(with_usage(20, 20, flags=flags))[rule][0] == severity


def test_a_normal_read_fires_nothing() -> None:
    assert audit_read(with_usage(20, 20), POLICY) == []


# --- change-outs and periods ----------------------------------------------------------------

def change_out_case(final: int, initial: int, current: int) -> ReadUnderAudit:
    old = MeterChain(1, "OLD-1", 4, (ReadPoint(day(0), 1000), ReadPoint(day(1), 1020),
                                     ReadPoint(day(2), 1040),
                                     ReadPoint(day(2) + timedelta(days=10), final, False, True)))
    new = MeterChain(2, "NEW-2", 5, (ReadPoint(day(2) + timedelta(days=10), initial, False,
                                               True),))
    return ReadUnderAudit(2, "NEW-2", 5, day(3), current, Occupancy.ACTIVE, (old, new))


def test_a_change_out_in_the_period_sums_both_meters() -> None:
    facts = read_facts(change_out_case(final=1047, initial=0, current=13))
    assert facts.usage == 7 + 13
    finding = next(f for f in audit_read(change_out_case(1047, 0, 13), POLICY))
    assert finding.rule_id == "CHANGE-OUT" and finding.actual == 20
    assert "OLD-1" in finding.explanation and "NEW-2" in finding.explanation


def test_premise_periods_put_each_meters_usage_in_the_period_it_ends_in() -> None:
    old = MeterChain(1, "A", 4, (ReadPoint(day(0), 100), ReadPoint(day(1), 130),
                                 ReadPoint(day(1) + timedelta(days=5), 140, False, True)))
    new = MeterChain(2, "B", 4, (ReadPoint(day(1) + timedelta(days=5), 0, False, True),
                                 ReadPoint(day(2), 25)))
    periods = premise_periods([old, new])
    assert [(p.end, p.usage) for p in periods] == [(day(1), 30), (day(2), 35)]


def test_expected_from_same_period_last_year() -> None:
    history = steady(20)
    history[1] = history[0] + 50  # the period ending a year before the read used 50
    for k in range(2, len(history)):
        history[k] = history[k - 1] + 20
    facts = read_facts(case(history, history[-1] + 50))
    expected = expected_usage(facts, "last_year", 3)
    assert expected is not None and expected.usage == 50
    assert "same period last year" in expected.basis
