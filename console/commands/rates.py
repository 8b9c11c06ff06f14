"""`meterline rates quote|check`: what a customer will pay, and whether rate files are sound."""
from __future__ import annotations

import argparse
import json
import textwrap
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from console.commands import CommandContext, signed_in
from core.bill_lines import PricedBill, hcf, plural
from core.clock import parse_date
from core.errors import InputError, InputProblem
from core.model import METER_SIZES
from core.money import format_money
from core.rate_book import RateBook

DEMO_NOTE = ("Priced with the demo district's rates bundled with Meterline; a district sets "
             "its own folder in the rates_folder setting (docs/rates.md).")


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    rates = commands.add_parser("rates", parents=[common], help="rate quotes and rate files")
    actions = rates.add_subparsers(dest="rates_command", metavar="ACTION", required=True)
    quote = actions.add_parser(
        "quote", parents=[common], help="what a customer will pay: the lines and the total",
        description="Price one bill with the rates in force. The period starts on --date and "
                    "runs --days days; any number of days but 30 is quoted as an opening or "
                    "closing bill (monthly charges × days/30).")
    quote.add_argument("--meter-size", help=f"meter size: {', '.join(METER_SIZES)}")
    quote.add_argument("--hcf", required=True, help="usage in HCF (1 HCF = 748 gallons)")
    quote.add_argument("--class", dest="rate_class",
                       help="rate class (residential, or the only class of --rates FILE)")
    quote.add_argument("--units", type=int, default=1, help="dwelling units (1)")
    quote.add_argument("--days", type=int, default=30, help="days of service (30)")
    quote.add_argument("--date", metavar="YYYY-MM-DD", help="first day of the period (today)")
    quote.add_argument("--rates", metavar="FILE",
                       help="a rate file (priced for any date: a what-if) or a rate folder")
    quote.add_argument("--format", choices=("table", "json"), default="table")
    quote.add_argument("--edus", help="equivalent dwelling units for sewer (the units)")
    quote.add_argument("--household", type=int, help="people per dwelling unit (water budget)")
    quote.add_argument("--landscape-sqft", type=int, default=0,
                       help="irrigated area in square feet (water budget)")
    quote.add_argument("--winter-hcf", help="Dec-Feb average use in HCF (winter-average sewer)")
    quote.set_defaults(handler=quote_bill)
    check = actions.add_parser("check", parents=[common],
                               help="check rate files and list the schedules")
    check.add_argument("path", nargs="?", metavar="FILE|DIR",
                       help="a rate file or folder (the district's folder)")
    check.set_defaults(handler=check_rates)


def load_book(path: str | None, context: CommandContext) -> tuple[RateBook, bool]:
    """The rate book from --rates, else the district's folder; True when it is the demo's."""
    from core.rate_book import load_rates

    if path:
        return load_rates(Path(path)), False
    from db.rates import rates_folder

    with signed_in(context) as (_, conn, _at):
        folder, is_demo = rates_folder(conn)
    return load_rates(folder), is_demo


def _decimal(text: str | None, flag: str, places: int = 4) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    exponent = value.as_tuple().exponent
    if not value.is_finite() or value < 0 or (isinstance(exponent, int) and -exponent > places):
        raise InputError(InputProblem(f"{text!r} is not a number >= 0 with at most {places} "
                                      "decimals", field=flag))
    return value


def meter_size(text: str | None) -> str | None:
    """A meter size as the rate files write it: 5/8" and 5/8in are 5/8; 1 1/2 is 1.5."""
    if text is None:
        return None
    size = text.strip().removesuffix('"').removesuffix("in").strip()
    size = {"1 1/2": "1.5", "1-1/2": "1.5"}.get(size, size)
    if size not in METER_SIZES:
        raise InputError(InputProblem(f"{text!r} is not a meter size (one of "
                                      f"{', '.join(METER_SIZES)})", field="--meter-size"))
    return size


def quote_bill(args: argparse.Namespace, context: CommandContext) -> int:
    from core.bill_lines import Period, Service
    from core.rate_engine import price

    usage = _decimal(args.hcf, "--hcf")
    if args.days < 1 or args.days > 366:
        raise InputError(InputProblem("must be from 1 to 366 days", field="--days"))
    if args.units < 1:
        raise InputError(InputProblem("must be at least 1", field="--units"))
    start = parse_date(args.date, field="--date") if args.date else context.today
    book, is_demo = load_book(args.rates, context)
    rate_class = args.rate_class or (book.classes()[0] if len(book.classes()) == 1
                                     else "residential")
    service = Service(rate_class=rate_class, meter_size=meter_size(args.meter_size),
                      dwelling_units=args.units, edus=_decimal(args.edus, "--edus"),
                      household_size=args.household, landscape_sqft=args.landscape_sqft,
                      winter_average_hcf=_decimal(args.winter_hcf, "--winter-hcf"),
                      rental_started_on=start)
    # RULES.md §5.1: any period but a whole 30-day month is an opening or closing bill.
    period = Period(start, start + timedelta(days=args.days), prorated=args.days != 30)
    _refuse_usage_without_charge(book, service, period, usage or Decimal(0))
    bill = price(book, service, period, usage or Decimal(0))
    if args.format == "json":
        print(json.dumps(quote_json(bill, book, is_demo), indent=2))
    else:
        print(quote_table(bill, book, is_demo))
    return 0


def _refuse_usage_without_charge(book: RateBook, service: Any, period: Any,
                                 usage: Decimal) -> None:
    """A flat-rate schedule bills no usage; quoting usage on it is a mistake worth saying."""
    if usage == 0:
        return
    for segment in book.segments(service.rate_class, period.start, period.end):
        if segment.schedule.commodity is None and not any(
                s.per_hcf is not None for s in segment.schedule.surcharges):
            raise InputError(InputProblem(
                f"{service.rate_class} rates ({segment.schedule.ref.file}) bill no usage; "
                "quote with --hcf 0", field="--hcf"))


def quote_table(bill: PricedBill, book: RateBook, is_demo: bool) -> str:
    """The quote for the counter: what was priced, the lines, the total, and the rate files."""
    from tabulate import tabulate

    service, period = bill.service, bill.period
    head = [f"Quote: {service.rate_class}"
            + (f", {service.meter_size}\" meter" if service.meter_size else "")
            + f", {hcf(bill.usage_hcf)} HCF, {service.dwelling_units} "
            + plural("dwelling unit", service.dwelling_units),  # type: ignore[arg-type]
            f"Period: {period.start} to {period.end}, {period.days} days"
            + (" (opening or closing bill: × days/30)" if period.prorated else " (a month)")]
    split = any(line.days != period.days for line in bill.lines)
    rows: list[list[str]] = []
    for line in bill.lines:
        what = line.label + (f" ({line.tier_range})" if line.tier_range else "")
        per = {"usage": "/HCF", "daily": "/day"}.get(line.kind, "/mo")
        unit = "HCF" if line.unit.startswith("HCF") else line.unit.split(" ")[0]
        quantity = "" if line.kind == "minimum" else f"{hcf(line.quantity)} {unit}"
        factor = line.factor_text if line.kind in ("monthly", "minimum") else ""
        rows.append([what, quantity, f"${line.rate}{per}", *([str(line.days)] if split else []),
                     factor, format_money(line.amount_cents)])
    rows.append(["Total", "", "", *([""] if split else []), "", format_money(bill.total_cents)])
    headers = ("Line", "Quantity", "Rate", *(("Days",) if split else ()), "Factor", "Amount")
    table = tabulate(rows, headers=headers, colalign=("left",) + ("right",) * (len(headers) - 1),
                     maxcolwidths=[28 if split else 33] + [None] * (len(headers) - 1),
                     disable_numparse=True)
    tail = []
    for budget in bill.budgets:
        tail.append(f"Water budget: indoor {hcf(budget.indoor_hcf)} + outdoor "
                    f"{hcf(budget.outdoor_hcf)} = {hcf(budget.total_hcf)} HCF (ETo "
                    f"{hcf(budget.eto_inches)} in)")
    for segment in bill.segments:
        tail.append(f"Rates: {segment.ref.file}, effective {segment.ref.effective} "
                    f"({segment.ref.adopted}) for {segment.days} days")
    if book.what_if:
        tail.append(f"What-if: every day priced with {book.folder}, whatever its effective date.")
    if is_demo:
        tail.append(DEMO_NOTE)
    return "\n".join([*head, "", table, "", *(textwrap.fill(t, 79, subsequent_indent="  ")
                                               for t in tail)])


def quote_json(bill: PricedBill, book: RateBook, is_demo: bool) -> dict[str, Any]:
    """The quote as data: every line with its explanation, amounts in cents and as text."""
    service, period = bill.service, bill.period
    return {
        "service": {"class": service.rate_class, "meter_size": service.meter_size,
                    "dwelling_units": service.dwelling_units,
                    "edus": None if service.edus is None else str(service.edus),
                    "household_size": service.household_size,
                    "landscape_sqft": service.landscape_sqft,
                    "winter_average_hcf": None if service.winter_average_hcf is None
                    else str(service.winter_average_hcf)},
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(),
                   "days": period.days, "prorated": period.prorated},
        "usage_hcf": str(bill.usage_hcf),
        "lines": [{"component": line.component, "label": line.label,
                   "tier_range": line.tier_range, "quantity": hcf(line.quantity),
                   "quantity_exact": str(line.quantity), "unit": line.unit,
                   "rate": str(line.rate), "days": line.days, "factor": line.factor_text,
                   "amount_cents": line.amount_cents,
                   "amount": format_money(line.amount_cents), "rate_files": list(line.rate_files),
                   "explanation": line.explain()} for line in bill.lines],
        "total_cents": bill.total_cents,
        "total": format_money(bill.total_cents),
        "budgets": [{"rate_file": b.ref.file, "indoor_hcf": str(b.indoor_hcf),
                     "outdoor_hcf": str(b.outdoor_hcf), "total_hcf": str(b.total_hcf),
                     "eto_inches": str(b.eto_inches)} for b in bill.budgets],
        "rate_files": [{"file": s.ref.file, "version": s.ref.version,
                        "effective": s.ref.effective.isoformat(), "adopted": s.ref.adopted,
                        "sha256": s.ref.sha256, "start": s.start.isoformat(),
                        "end": s.end.isoformat(), "days": s.days} for s in bill.segments],
        "what_if": book.what_if,
        "demo_rates": is_demo,
    }


def check_rates(args: argparse.Namespace, context: CommandContext) -> int:
    """Check every rate file; list the schedules and which is in force today."""
    book, is_demo = load_book(args.path, context)
    count = 0
    for rate_class in book.classes():
        versions = book.versions(rate_class)
        for schedule in versions:
            later = [s for s in versions if s.ref.effective > schedule.ref.effective]
            if schedule.ref.effective > context.today:
                status = "FUTURE"
            elif later and later[0].ref.effective <= context.today:
                status = "SUPERSEDED"
            else:
                status = "IN FORCE"
            count += 1
            print(f"{status:<11} {rate_class:<12} {schedule.ref.effective}  {schedule.ref.file}")
            print(textwrap.fill(describe(schedule), 79, initial_indent=" " * 12,
                                subsequent_indent=" " * 12))
    print()
    print(textwrap.fill(f"{count} rate {'file' if count == 1 else 'files'} in {book.folder}: "
                        f"every key checked, no problems (status as of {context.today}).", 79))
    if is_demo:
        print(textwrap.fill(DEMO_NOTE, 79))
    return 0


def describe(schedule: Any) -> str:
    """A schedule's charges in a few words, for the check listing."""
    parts = []
    if schedule.fixed is not None:
        parts.append("fixed by meter size" if schedule.fixed.amount is None else "flat charge")
    if schedule.rental is not None:
        parts.append("rental by day")
    if schedule.commodity is not None:
        kind = "budget" if schedule.budget is not None else schedule.commodity.pricing.replace(
            "_", "-")
        parts.append(f"{len(schedule.commodity.tiers)} {kind} tiers")
    if schedule.wastewater is not None:
        parts.append(f"sewer per {schedule.wastewater.basis.replace('_', ' ')}")
    if schedule.surcharges:
        parts.append(", ".join(f"surcharge {s.label}" for s in schedule.surcharges))
    if schedule.minimum is not None:
        parts.append("minimum")
    return "; ".join(parts)
