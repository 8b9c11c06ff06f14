"""Helpers for rate tests: schedules from TOML text, the demo and Hi-Desert books, short prices."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from core.bill_lines import Period, PricedBill, Service
from core.eto import EtoTable, parse_eto
from core.rate_book import RateBook, book_from_schedules, load_rates
from core.rate_engine import price
from core.rate_file import parse_schedule
from core.rate_schedule import Schedule

ROOT = Path(__file__).resolve().parent.parent
DEMO_RATES = ROOT / "fixtures" / "rates"
HI_DESERT = ROOT / "fixtures" / "samples" / "hi-desert-2020-02-01.toml"

MONTH = Period(date(2026, 1, 1), date(2026, 1, 31))  # a regular 30-day bill


def schedule_from(text: str, name: str = "test.toml", eto: str | None = None) -> Schedule:
    """A schedule from TOML text; `eto` is the text of the ETo file it names, if any."""
    def load_eto(file: str) -> EtoTable:
        assert eto is not None, f"the schedule names {file} but the test gave no ETo text"
        return parse_eto(eto, source=file)

    return parse_schedule(text.encode(), source=name, load_eto=load_eto)


def book_of(*texts: str, eto: str | None = None) -> RateBook:
    schedules = [schedule_from(text, f"file{index}.toml", eto) for index, text in
                 enumerate(texts, 1)]
    return book_from_schedules(schedules, "test rates")


def demo_book() -> RateBook:
    return load_rates(DEMO_RATES)


def hi_desert_book() -> RateBook:
    return load_rates(HI_DESERT)


def amounts(bill: PricedBill) -> list[tuple[str, int]]:
    """(label, cents) for each line, for golden comparisons."""
    return [(line.label, line.amount_cents) for line in bill.lines]


def quote(book: RateBook, usage: int | str, *, period: Period = MONTH,
          **service: object) -> PricedBill:
    fields: dict[str, object] = {"rate_class": "residential", "meter_size": "5/8", **service}
    return price(book, Service(**fields), period, Decimal(str(usage)))  # type: ignore[arg-type]


def simple_schedule(*, rate_class: str = "residential", effective: str = "2020-01-01",
                    tiers: tuple[tuple[str | None, str], ...] = (("4", "3.65"), ("12", "6.17"),
                                                                 (None, "7.02")),
                    pricing: str = "cumulative", widths: str = "per_account",
                    fixed: str = "20.75", extra: str = "") -> str:
    """A schedule's TOML: a flat monthly fixed charge and the given tiers."""
    tier_text = "".join(
        f'\n[[commodity.tiers]]\nrate = "{rate}"\n' + (f'up_to = "{up_to}"\n' if up_to else "")
        for up_to, rate in tiers)
    return (f'[schedule]\nclass = "{rate_class}"\neffective = {effective}\n'
            f'adopted = "test resolution"\n\n[fixed]\namount = "{fixed}"\n\n'
            f'[commodity]\npricing = "{pricing}"\nwidths = "{widths}"\n{tier_text}\n{extra}')
