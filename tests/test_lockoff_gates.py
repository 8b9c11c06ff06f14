"""Lock-off gates at their boundaries (RULES.md §1.7): 59/60 days, 6/7 business days, a
holiday in the notice window, a plan defaulting on day 60, the three conditions, commercial."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from core.business_days import DistrictCalendar
from core.delinquency import delinquency, ladder_position
from core.lockoff_gates import (
    Candidate,
    NoticeLog,
    PlanRecord,
    Protection,
    add_months,
    eligible,
    evaluate,
)
from core.schedule import EventKind
from core.settings import DistrictSettings

LOCKOFF = date(2026, 12, 7)          # a Monday
SETTINGS = DistrictSettings()
# A fixed holiday list so the tests do not depend on the holidays package.
HOLIDAYS = {date(2026, 11, 26): "Thanksgiving Day", date(2026, 11, 27): "Day After Thanksgiving"}
CAL = DistrictCalendar((), lambda year: HOLIDAYS if year == 2026 else {})


@dataclass(frozen=True)
class _E:
    id: int
    amount_cents: int
    effective_on: date
    reverses_id: int | None = None
    entry_type: str = "bill"


def _candidate(days_past_due: int = 70, **changes: object) -> Candidate:
    due = LOCKOFF - timedelta(days=days_past_due)
    state = delinquency([_E(1, 9000, due - timedelta(days=21))], {1: due}, LOCKOFF)
    base = Candidate(account_id=1, number="100-0001", name="Rosa Delgado",
                     address="1 Canyon Rd, Mesa Verde", service_class="residential",
                     premise_kind="single_family", dwelling_units=1, owner_is_customer=False,
                     mail_differs=False, delinquency=state,
                     notices=(NoticeLog("sb998", date(2026, 11, 20)),))
    return replace(base, **changes)  # type: ignore[arg-type]


def _gate(candidate: Candidate, code: str, on: date = LOCKOFF) -> tuple[bool | None, str]:
    gate = next(g for g in evaluate(candidate, on, CAL, SETTINGS) if g.code == code)
    return gate.passed, gate.why


def test_a_clean_account_is_on_the_list() -> None:
    gates = evaluate(_candidate(), LOCKOFF, CAL, SETTINGS)
    assert eligible(gates), [g for g in gates if g.passed is False]


def test_g1_59_days_fails_and_60_days_passes() -> None:
    assert _gate(_candidate(59), "G1")[0] is False
    passed, why = _gate(_candidate(60), "G1")
    assert passed is True and "60 days" in why and "§116908(a)(1)(A)" in why


def test_g2_six_business_days_fail_seven_pass() -> None:
    # Mon 2026-12-07: 7 business days back is Tue 2026-11-24 (Thanksgiving and the Friday
    # after are closed), 6 is Wed 2026-11-25.
    seven = _candidate(notices=(NoticeLog("sb998", date(2026, 11, 24)),))
    six = _candidate(notices=(NoticeLog("sb998", date(2026, 11, 25)),))
    assert _gate(seven, "G2")[0] is True
    assert _gate(six, "G2")[0] is False


def test_a_holiday_inside_the_notice_window_does_not_count() -> None:
    # Lock-off Tue 2026-12-01. Mailed Wed 11-18: 9 weekdays, 7 business days. Mailed Thu
    # 11-19: 8 weekdays would pass, but Thanksgiving and the day after leave 6.
    on = date(2026, 12, 1)
    passed, why = _gate(_candidate(notices=(NoticeLog("sb998", date(2026, 11, 18)),)), "G2", on)
    assert passed is True and "7 business days" in why and "Thanksgiving" in why
    passed, why = _gate(_candidate(notices=(NoticeLog("sb998", date(2026, 11, 19)),)), "G2", on)
    assert passed is False and "6 business days" in why


def test_g9_ten_calendar_days_and_a_failed_notice_does_not_count() -> None:
    assert _gate(_candidate(notices=(NoticeLog("sb998", LOCKOFF - timedelta(10)),)), "G9")[0]
    assert not _gate(_candidate(notices=(NoticeLog("sb998", LOCKOFF - timedelta(9)),)), "G9")[0]
    returned = _candidate(notices=(NoticeLog("sb998", date(2026, 11, 2), "returned"),))
    assert _gate(returned, "G2")[0] is False


def test_occupant_copy_needed_only_when_mail_goes_elsewhere() -> None:
    assert _gate(_candidate(), "G4")[0] is None
    away = _candidate(mail_differs=True)
    assert _gate(away, "G4")[0] is False
    copied = replace(away, notices=(*away.notices, NoticeLog("occupant", date(2026, 11, 20))))
    assert _gate(copied, "G4")[0] is True


def test_door_hanger_when_mail_came_back() -> None:
    returned = _candidate(returned_mail="RETURNED MAIL flag set 2026-10-01: moved")
    assert _gate(returned, "G6")[0] is False
    hung = replace(returned, notices=(
        *returned.notices, NoticeLog("door_hanger", LOCKOFF - timedelta(days=2))))
    assert _gate(hung, "G6")[0] is True
    late = replace(returned, notices=(
        *returned.notices, NoticeLog("door_hanger", LOCKOFF - timedelta(days=1))))
    assert _gate(late, "G6")[0] is False


def test_pending_appeal_keeps_the_account_off() -> None:
    passed, why = _gate(_candidate(appeal="APPEAL flag set 2026-11-01: bill review"), "G7")
    assert passed is False and "§116908(b)" in why


def _plan(paid: int) -> PlanRecord:
    return PlanRecord(starts_on=date(2026, 8, 1), first_due_on=date(2026, 9, 1), months=6,
                      installment_cents=5000, total_cents=30000, paid_cents=paid)


def test_a_plan_defaults_on_day_60() -> None:
    # Sep 1 installment paid, Oct 1 unpaid: default on Oct 1 + 60 days = Nov 30.
    plan = _plan(paid=5000)
    assert plan.missed_installment(date(2026, 11, 29)) == date(2026, 10, 1)
    assert plan.default_on(date(2026, 11, 29)) is None
    assert plan.default_on(date(2026, 11, 30)) == date(2026, 11, 30)
    day59, day60 = date(2026, 11, 29), date(2026, 11, 30)
    assert _gate(_candidate(plans=(plan,)), "PLAN", day59)[0] is False
    assert _gate(_candidate(plans=(plan,)), "PLAN", day60)[0] is True


def test_a_kept_plan_and_a_plan_flag_keep_the_account_off() -> None:
    passed, why = _gate(_candidate(plans=(_plan(paid=30000),)), "PLAN")
    assert passed is False and "KEPT" in why
    assert _gate(_candidate(plan_flag="PAYMENT PLAN flag set 2026-10-01"), "PLAN")[0] is False


def test_prong_a_plan_not_kept_says_so_with_its_numbers() -> None:
    plan = _plan(paid=5000)
    passed, why = _gate(_candidate(plans=(plan,)), "PLAN", date(2026, 11, 29))
    assert passed is False and "LATE" in why and "§116910(c)(A)" in why
    assert "installment of $50.00 due Thu 2026-10-01" in why and "59 days" in why
    assert "default on Mon 2026-11-30 (day 60)" in why
    passed, why = _gate(_candidate(plans=(plan,)), "PLAN", date(2026, 11, 30))
    assert passed is True and "BROKEN by §116910(c)(A)" in why and "60 days" in why


def _plan_with_bill(paid: int) -> PlanRecord:
    # Installments of $50.00 from Sep 1; a current bill of $40.00 issued after the plan
    # started, due Sep 20. Payments settle whatever falls due first.
    return replace(_plan(paid), current_bills=((date(2026, 9, 20), 4000),))


def test_prong_b_current_charges_unpaid_59_days_protect_60_days_default() -> None:
    plan = _plan_with_bill(paid=5000)    # Sep 1 installment paid, Sep 20 bill not
    day59, day60 = date(2026, 11, 18), date(2026, 11, 19)
    lapse = plan.lapse(day59)
    assert lapse is not None and (lapse.prong, lapse.due_on) == ("B", date(2026, 9, 20))
    assert plan.default_on(day59) is None
    assert plan.default_on(day60) == day60          # a plan defaulting on day 60 (prong B)
    passed, why = _gate(_candidate(plans=(plan,)), "PLAN", day59)
    assert passed is False and "§116910(c)(B) current charges unpaid" in why
    assert "current bill (issued after the plan started) of $40.00 due Sun 2026-09-20" in why
    assert "$40.00 unpaid for 59 days" in why and "default on Thu 2026-11-19 (day 60)" in why
    passed, why = _gate(_candidate(plans=(plan,)), "PLAN", day60)
    assert passed is True and "BROKEN by §116910(c)(B)" in why and "60 days" in why


def test_prong_b_a_partly_paid_bill_and_a_paid_bill() -> None:
    short = _plan_with_bill(paid=7500)   # $25.00 of the $40.00 bill paid
    lapse = short.lapse(date(2026, 9, 30))
    assert lapse is not None and (lapse.prong, lapse.short_cents) == ("B", 1500)
    paid = _plan_with_bill(paid=9000)    # installment and bill paid: the plan is kept
    assert paid.lapse(date(2026, 9, 30)) is None
    passed, why = _gate(_candidate(plans=(paid,)), "PLAN", date(2026, 9, 30))
    assert passed is False and "KEPT" in why
    # On Oct 1 the next installment falls due; unpaid, it starts prong A's clock, not B's.
    lapse = paid.lapse(date(2026, 10, 1))
    assert lapse is not None and (lapse.prong, lapse.due_on) == ("A", date(2026, 10, 1))


@given(st.integers(0, 40000), st.integers(0, 40000), st.integers(0, 200))
def test_paying_more_never_brings_the_default_sooner(paid: int, more: int, day: int) -> None:
    on = date(2026, 8, 1) + timedelta(days=day)
    less, most = _plan_with_bill(paid), _plan_with_bill(paid + more)
    low, high = less.lapse(on), most.lapse(on)
    if low is None:
        assert high is None
    elif high is not None:
        assert high.due_on >= low.due_on
    default = less.default_on(on)
    assert default is None or (low is not None and (on - low.due_on).days >= 60)


def test_the_three_conditions_bar_only_all_together() -> None:
    start = date(2026, 10, 1)
    medical = Protection("medical", start, date(2027, 4, 1), "Dr. Ruiz letter")
    financial = Protection("financial", start, None, "CalFresh card")
    willing = Protection("willing", start, None, "signed request")
    assert _gate(_candidate(protections=(medical, financial)), "§1.3")[0] is True
    passed, why = _gate(_candidate(protections=(medical, financial, willing)), "§1.3")
    assert passed is False and "§116910(a)" in why
    expired = replace(medical, expires_on=date(2026, 12, 1))
    assert _gate(_candidate(protections=(expired, financial, willing)), "§1.3")[0] is True


def test_tenant_notice_ten_days_multi_unit_seven_detached() -> None:
    owner = _candidate(owner_is_customer=True, mail_differs=True, premise_kind="multi_unit",
                       dwelling_units=8, notices=(NoticeLog("tenant", LOCKOFF - timedelta(9)),))
    assert _gate(owner, "§1.5")[0] is False
    house = replace(owner, premise_kind="single_family", dwelling_units=1)
    assert _gate(house, "§1.5")[0] is True


def test_g10_no_lock_off_on_a_closed_day_or_the_eve_of_one() -> None:
    assert _gate(_candidate(), "G10", date(2026, 11, 26))[0] is False   # Thanksgiving
    assert _gate(_candidate(), "G10", date(2026, 12, 4))[0] is False    # Friday: eve of weekend


def test_commercial_follows_district_settings_and_sb998_is_not_applied() -> None:
    shop = _candidate(45, service_class="commercial",
                      notices=(NoticeLog("commercial", date(2026, 11, 27 - 1)),))
    gates = {g.code: g for g in evaluate(shop, LOCKOFF, CAL, SETTINGS)}
    assert gates["G1"].passed is True        # 30 days for commercial
    assert gates["G9"].passed is None and gates["§1.3"].passed is None
    assert eligible(list(gates.values()))


def test_minimum_past_due() -> None:
    small = delinquency([_E(1, 4999, date(2026, 9, 1))], {1: date(2026, 9, 20)}, LOCKOFF)
    assert _gate(_candidate(delinquency=small), "MIN")[0] is False


def test_delinquency_pays_oldest_first_and_counts_from_the_due_date() -> None:
    entries = [_E(1, 9000, date(2026, 8, 7)), _E(2, 8000, date(2026, 9, 7)),
               _E(3, -9000, date(2026, 9, 15), entry_type="payment"),
               _E(4, 1000, date(2026, 9, 20), entry_type="late_fee")]
    state = delinquency(entries, {1: date(2026, 8, 28), 2: date(2026, 9, 28)}, LOCKOFF)
    assert state.oldest_due == date(2026, 9, 28)
    assert state.days_past_due == (LOCKOFF - date(2026, 9, 28)).days
    assert state.past_due_cents == 9000


def test_ladder_position_from_calendar_dates() -> None:
    dates = {EventKind.REMINDER: date(2026, 10, 5), EventKind.LATE_FEE: date(2026, 10, 10),
             EventKind.NOTICE: date(2026, 11, 17), EventKind.DOOR_HANGER: date(2026, 11, 25),
             EventKind.LOCKOFF: date(2026, 11, 30)}
    position = ladder_position(dates, date(2026, 11, 20))
    assert (position.reached, position.next_step, position.next_on) == (
        "SB 998 notice", "door hanger", date(2026, 11, 25))


@given(st.lists(st.integers(1, 50000), min_size=1, max_size=6), st.integers(0, 300000))
def test_past_due_never_exceeds_what_is_owed(bills: list[int], paid: int) -> None:
    entries = [_E(i + 1, cents, date(2026, 1 + i, 1)) for i, cents in enumerate(bills)]
    if paid:
        entries.append(_E(99, -paid, date(2026, 8, 1), entry_type="payment"))
    dues = {i + 1: date(2026, 1 + i, 21) for i in range(len(bills))}
    state = delinquency(entries, dues, LOCKOFF)
    assert 0 <= state.past_due_cents <= max(0, sum(bills) - paid)
    assert state.past_due_cents == max(0, sum(bills) - paid)


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
