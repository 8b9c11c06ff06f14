"""The lock-off gates: for one account and one lock-off date, every gate as pass or fail, and why.

RULES.md §1.7 (the predicate), from §1.2 (SB 998 gates G1-G10), §1.3 (the three-condition
bar), §1.4 (plans and the 60-day default), §1.5 (tenants) and §2 (commercial). An account is on
the list only if no gate fails; a gate that does not apply says so (N/A) and why.
"""
from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, timedelta

from core.business_days import DistrictCalendar
from core.delinquency import Delinquency
from core.money import format_money
from core.settings import DistrictSettings

PLAN_DEFAULT_DAYS = 60  # SB 998 §116910(c): fails to comply with the plan for >= 60 days


@dataclass(frozen=True)
class Gate:
    """One gate's verdict: passed True/False, or None when it does not apply."""

    code: str
    name: str
    passed: bool | None
    why: str

    @property
    def status(self) -> str:
        return {True: "PASS", False: "FAIL", None: "N/A"}[self.passed]

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "status": self.status, "why": self.why}


@dataclass(frozen=True)
class NoticeLog:
    """A logged notice: kind (sb998, occupant, tenant, door_hanger, commercial, phone)."""

    kind: str
    on: date
    outcome: str = "sent"


@dataclass(frozen=True)
class PlanLapse:
    """The oldest plan obligation left unpaid: an installment (prong A) or a current bill (B)."""

    prong: str                       # "A" installment not paid, "B" current charges not paid
    due_on: date
    amount_cents: int
    short_cents: int                 # what the payments left unpaid of it

    def words(self) -> str:
        what = ("installment" if self.prong == "A"
                else "current bill (issued after the plan started)")
        return (f"{what} of {format_money(self.amount_cents)} due {_day(self.due_on)}, "
                f"{format_money(self.short_cents)} unpaid")


@dataclass(frozen=True)
class PlanRecord:
    """A payment arrangement, the bills issued since it started, and what was paid since."""

    starts_on: date
    first_due_on: date
    months: int
    installment_cents: int
    total_cents: int
    paid_cents: int                  # payments effective from starts_on to the lock-off date
    ended_on: date | None = None
    kind: str = "amortization"
    current_bills: tuple[tuple[date, int], ...] = ()  # (due date, amount) of bills since start

    def installments(self) -> list[tuple[date, int]]:
        """(due date, amount) of every installment; the last one takes the remainder."""
        found = []
        for k in range(self.months):
            amount = (self.installment_cents if k < self.months - 1
                      else self.total_cents - self.installment_cents * (self.months - 1))
            found.append((add_months(self.first_due_on, k), amount))
        return found

    def active_on(self, on: date) -> bool:
        return self.starts_on <= on and (self.ended_on is None or self.ended_on > on)

    def lapse(self, on: date) -> PlanLapse | None:
        """The oldest installment or current bill due by `on` that payments do not cover.

        Payments since the plan started settle what falls due first, installments and current
        bills together (as core.allocation settles the oldest charge first); on the same day
        the installment comes first. This dates a default as late as the payments allow.
        """
        due = sorted([(d, 0, a) for d, a in self.installments() if d <= on]
                     + [(d, 1, a) for d, a in self.current_bills if d <= on and a > 0])
        owed = 0
        for day, rank, amount in due:
            owed += amount
            if self.paid_cents < owed:
                short = min(amount, owed - self.paid_cents)
                return PlanLapse("AB"[rank], day, amount, short)
        return None

    def missed_installment(self, on: date) -> date | None:
        """The due date of the oldest obligation not covered by payments on `on`, if any."""
        lapse = self.lapse(on)
        return lapse.due_on if lapse else None

    def default_on(self, on: date) -> date | None:
        """The day the plan is in default, when that is by `on`.

        SB 998 §116910(c): (A) the plan not kept for 60 days or more, or (B) current charges
        left unpaid for 60 days or more while on the plan (RULES.md §1.4).
        """
        lapse = self.lapse(on)
        if lapse is None:
            return None
        default = lapse.due_on + timedelta(days=PLAN_DEFAULT_DAYS)
        return default if default <= on else None

    def state_words(self, on: date) -> str:
        """KEPT, LATE (with the day it defaults) or BROKEN, with the prong and the numbers."""
        lapse = self.lapse(on)
        if lapse is None:
            return "KEPT: every installment and current bill due so far is paid"
        late = (on - lapse.due_on).days
        prong = ("§116910(c)(A) plan not kept" if lapse.prong == "A"
                 else "§116910(c)(B) current charges unpaid")
        default = lapse.due_on + timedelta(days=PLAN_DEFAULT_DAYS)
        if default <= on:
            return (f"BROKEN by {prong}: {lapse.words()} for {late} days "
                    f"(60 or more; in default since {_day(default)})")
        return (f"LATE, {prong}: {lapse.words()} for {late} days; "
                f"default on {_day(default)} (day 60)")


def installment_for(total_cents: int, months: int) -> int:
    """Each installment in whole cents, rounded up; the last one is smaller (§116910(b))."""
    return -(-total_cents // months)


def add_months(day: date, count: int) -> date:
    """The same day `count` months later, on the month's last day when it is shorter."""
    month = day.month - 1 + count
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Protection:
    """One of the three conditions of §116910(a) on file: medical, financial or willing."""

    condition: str
    received_on: date
    expires_on: date | None
    evidence: str

    def valid_on(self, on: date) -> bool:
        return self.received_on <= on and (self.expires_on is None or self.expires_on > on)


@dataclass(frozen=True)
class Candidate:
    """What the gates read about one account for one lock-off date."""

    account_id: int
    number: str
    name: str
    address: str
    service_class: str                        # residential or commercial
    premise_kind: str                         # single_family, multi_unit, ...
    dwelling_units: int
    owner_is_customer: bool
    mail_differs: bool                        # mailing address is not the service address
    delinquency: Delinquency
    notices: tuple[NoticeLog, ...] = ()
    returned_mail: str = ""                   # the RETURNED MAIL flag's reason, when set
    appeal: str = ""                          # a pending appeal or dispute, in words
    plans: tuple[PlanRecord, ...] = ()
    plan_flag: str = ""                       # a PAYMENT PLAN flag with no plan record
    protections: tuple[Protection, ...] = ()

    @property
    def residential(self) -> bool:
        return self.service_class == "residential"


def _day(day: date) -> str:
    return f"{day:%a %Y-%m-%d}"


def _latest(c: Candidate, kinds: tuple[str, ...], before: date) -> NoticeLog | None:
    found = [n for n in c.notices if n.kind in kinds and n.outcome == "sent" and n.on < before]
    return max(found, key=lambda n: n.on) if found else None


def _g1(c: Candidate, on: date, s: DistrictSettings) -> Gate:
    d = c.delinquency
    need = s.lockoff_min_days_delinquent if c.residential else s.commercial_lockoff_days_after_due
    law = ("SB 998 §116908(a)(1)(A)" if c.residential
           else "district policy for commercial service, RULES.md §2")
    if d.oldest_due is None:
        return Gate("G1", "delinquent long enough", False, "nothing is past due on this date")
    days = d.days_past_due
    return Gate("G1", "delinquent long enough", days >= need,
                f"oldest unpaid due date {_day(d.oldest_due)}: {days} days before the lock-off "
                f"({law}: at least {need})")


def _minimum(c: Candidate, s: DistrictSettings) -> Gate:
    owed, least = c.delinquency.past_due_cents, s.lockoff_min_past_due_cents
    return Gate("MIN", "past-due amount above the minimum", owed >= least,
                f"past due {format_money(owed)}; district minimum {format_money(least)}"
                " (setting lockoff_min_past_due_cents)")


def _notice(c: Candidate, on: date, cal: DistrictCalendar, s: DistrictSettings) -> Gate:
    kinds: tuple[str, ...] = ("sb998", "phone")
    need, code, law = (s.lockoff_notice_business_days, "G2",
                              "SB 998 §116908(a)(1)(A)")
    if not c.residential:
        kinds, need, code, law = (("commercial",), s.commercial_notice_business_days, "NOTICE",
                                  "district policy, RULES.md §2")
    notice = _latest(c, kinds, on)
    if notice is None:
        return Gate(code, "notice before the lock-off", False, "no notice or phone contact "
                    f"logged before {_day(on)} ({law}: at least {need} business days)")
    counted = cal.business_days_between(notice.on, on)
    closed = [f"{off.on:%m-%d} {off.name}" for off in cal.skipped(notice.on, on)
              if off.kind.value != "weekend"]
    held = f"; closed inside the window: {', '.join(closed)}" if closed else ""
    how = "phone contact" if notice.kind == "phone" else "notice mailed"
    return Gate(code, "notice before the lock-off", counted >= need,
                f"{how} {_day(notice.on)}: {counted} business days before ({law}: at least "
                f"{need}){held}")


def _occupant(c: Candidate, on: date, cal: DistrictCalendar, s: DistrictSettings) -> Gate:
    if not c.mail_differs:
        return Gate("G4", "\"Occupant\" copy", None, "the mailing address is the service address")
    copy = _latest(c, ("occupant",), on)
    need = s.lockoff_notice_business_days
    if copy is None:
        return Gate("G4", "\"Occupant\" copy", False, "mailing address differs from the service"
                    " address and no \"Occupant\" copy is logged (SB 998 §116908(a)(1)(C))")
    counted = cal.business_days_between(copy.on, on)
    return Gate("G4", "\"Occupant\" copy", counted >= need,
                f"\"Occupant\" copy mailed {_day(copy.on)}: {counted} business days before "
                f"(at least {need})")


def _g9(c: Candidate, on: date, s: DistrictSettings) -> Gate:
    need = s.lockoff_notice_min_days
    notice = _latest(c, ("sb998",), on)
    if notice is None:
        return Gate("G9", "mailed notice 10 days before", False,
                    f"no mailed notice logged (Gov. Code §60373(a): at least {need} days)")
    days = (on - notice.on).days
    return Gate("G9", "mailed notice 10 days before", days >= need,
                f"mailed {_day(notice.on)}: {days} days before (Gov. Code §60373(a): at least "
                f"{need})")


def _g6(c: Candidate, on: date, s: DistrictSettings) -> Gate:
    phoned = _latest(c, ("phone",), on)
    if not c.returned_mail or phoned is not None:
        why = ("mail was not returned" if not c.returned_mail
               else f"phone contact made {_day(phoned.on)}" if phoned else "")
        return Gate("G6", "door hanger when mail failed", None, f"not needed: {why}")
    lead_days = -(-s.door_hanger_lead_hours // 24)
    hanger = _latest(c, ("door_hanger",), on)
    if hanger is None:
        return Gate("G6", "door hanger when mail failed", False,
                    f"mail came back ({c.returned_mail}) and no door hanger is logged "
                    "(SB 998 §116908(a)(2))")
    return Gate("G6", "door hanger when mail failed", (on - hanger.on).days >= lead_days,
                f"door hanger posted {_day(hanger.on)}: {(on - hanger.on).days} days before "
                f"(district lead time {s.door_hanger_lead_hours} h, RULES.md G6a)")


def _g7(c: Candidate) -> Gate:
    if c.appeal:
        return Gate("G7", "no appeal or dispute pending", False,
                    f"pending: {c.appeal} (SB 998 §116908(b), Gov. Code §60372(b))")
    return Gate("G7", "no appeal or dispute pending", True, "none on file")


def _plan(c: Candidate, on: date) -> Gate:
    name = "no plan, or plan in default"
    active = [p for p in c.plans if p.active_on(on)]
    for plan in active:
        if plan.default_on(on) is None:
            return Gate("PLAN", name, False, f"{plan.kind} plan from {_day(plan.starts_on)}: "
                        f"{plan.state_words(on)} (SB 998 §116910(c): 60 days)")
    if c.plan_flag:
        return Gate("PLAN", name, False, f"PAYMENT PLAN flag: {c.plan_flag} (no plan record, "
                    "so no default can be judged: record the plan)")
    if active:
        plan = active[0]
        return Gate("PLAN", name, True, f"{plan.kind} plan from {_day(plan.starts_on)}: "
                    f"{plan.state_words(on)}")
    return Gate("PLAN", name, True, "no active payment plan")


_CONDITIONS = (("medical", "medical certification"), ("financial", "financial inability"),
               ("willing", "willing to enter a plan"))


def _three_conditions(c: Candidate, on: date) -> Gate:
    held = {p.condition for p in c.protections if p.valid_on(on)}
    have = [words for key, words in _CONDITIONS if key in held]
    lack = [words for key, words in _CONDITIONS if key not in held]
    if not lack:
        return Gate("§1.3", "not protected by the three conditions", False,
                    "all three on file: " + ", ".join(have) + " (SB 998 §116910(a))")
    on_file = ("on file: " + ", ".join(have) + "; ") if have else ""
    return Gate("§1.3", "not protected by the three conditions", True,
                f"{on_file}missing: " + ", ".join(lack))


def _tenants(c: Candidate, on: date) -> Gate:
    multi = c.premise_kind == "multi_unit" or c.dwelling_units > 1
    if not (c.owner_is_customer and (multi or c.mail_differs)):
        return Gate("§1.5", "tenant notice", None, "no tenants: the customer is not an owner"
                    " renting the premises out")
    need = 10 if multi else 7  # HSC §116916 (RULES.md §1.5): 10 multi-unit, 7 detached SFD
    notice = _latest(c, ("tenant",), on)
    if notice is None:
        return Gate("§1.5", "tenant notice", False, f"owner is the customer; no tenant notice "
                    f"logged (HSC §116916: at least {need} days)")
    days = (on - notice.on).days
    return Gate("§1.5", "tenant notice", days >= need, f"tenant notice {_day(notice.on)}: "
                f"{days} days before (HSC §116916: at least {need})")


def _g10(on: date, cal: DistrictCalendar, s: DistrictSettings) -> Gate:
    off = cal.day_off(on)
    if off is not None:
        return Gate("G10", "business day, office open", False,
                    f"{_day(on)} the office is closed: {off.words()} (Gov. Code §60374)")
    if s.lockoff_skip_day_before_closure and cal.is_eve_of_closed_day(on):
        return Gate("G10", "business day, office open", False, f"{_day(on)} is the last "
                    "business day before the office closes: no time to restore service")
    return Gate("G10", "business day, office open", True, f"{_day(on)} is a business day")


def _not_applicable(code: str, name: str) -> Gate:
    return Gate(code, name, None, "SB 998 does not apply to commercial service (RULES.md §2)")


def evaluate(c: Candidate, on: date, cal: DistrictCalendar, s: DistrictSettings) -> list[Gate]:
    """Every gate for `c` on lock-off date `on` (RULES.md §1.7), in the order a clerk reads them."""
    if not c.residential:
        return [_g1(c, on, s), _minimum(c, s), _notice(c, on, cal, s),
                _not_applicable("G4", "\"Occupant\" copy"),
                _not_applicable("G9", "mailed notice 10 days before"),
                _not_applicable("G6", "door hanger when mail failed"),
                _not_applicable("G7", "no appeal or dispute pending"),
                _not_applicable("PLAN", "no plan, or plan in default"),
                _not_applicable("§1.3", "not protected by the three conditions"),
                _not_applicable("§1.5", "tenant notice"), _g10(on, cal, s)]
    return [_g1(c, on, s), _minimum(c, s), _notice(c, on, cal, s), _occupant(c, on, cal, s),
            _g9(c, on, s), _g6(c, on, s), _g7(c), _plan(c, on), _three_conditions(c, on),
            _tenants(c, on), _g10(on, cal, s)]


def eligible(gates: list[Gate]) -> bool:
    """On the list only when no gate fails (RULES.md §1.7: all must hold)."""
    return all(g.passed is not False for g in gates)


def blocked_by(gates: list[Gate]) -> str:
    return " ".join(g.code for g in gates if g.passed is False)
