"""Reading one rate file (TOML) into a Schedule, checking every key (layout: docs/rates.md).

Every problem is reported at once, each naming the file, the line and the key. Money and
HCF values are exact Decimals: written in quotes ("3.65") or as whole numbers, never as TOML
floats, which cannot hold 3.65 exactly.
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from core.errors import InputError, InputProblem
from core.eto import EtoTable
from core.model import METER_SIZES, PremiseKind, ServiceType
from core.rate_schedule import (
    CHARGE_PER,
    PRICING_MODES,
    TIER_WIDTHS,
    WASTEWATER_BASES,
    BudgetRule,
    Commodity,
    MinimumCharge,
    MonthlyCharge,
    Rental,
    Schedule,
    ScheduleRef,
    Surcharge,
    Tier,
    Wastewater,
)
from core.toml_lines import KeyPath, dotted, key_lines, locate

RATE_PLACES = 6  # rates may carry up to six decimals (RULES.md §5.1); amounts round to cents
CLASS_NAME = re.compile(r"[a-z][a-z0-9_-]*")
TABLES = ("schedule", "fixed", "commodity", "budget", "wastewater", "surcharges", "minimum",
          "rental")
EtoLoader = Callable[[str], EtoTable]


class _Reader:
    """Walks the parsed TOML, collecting located problems instead of stopping at the first."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.lines = key_lines(text)
        self.problems: list[InputProblem] = []

    def fail(self, path: KeyPath, message: str) -> None:
        self.problems.append(InputProblem(message, source=self.source,
                                          line=locate(self.lines, path), field=dotted(path)))

    def table(self, value: Any, path: KeyPath, known: tuple[str, ...],
              required: tuple[str, ...] = ()) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(path, f"must be a table [{dotted(path)}]")
            return None
        for key in value:
            if key not in known:
                self.fail((*path, key), f"is not a key Meterline knows here (known: "
                                        f"{', '.join(known)})")
        for key in required:
            if key not in value:
                self.fail(path, f"is missing the key `{key}`")
        return value

    def text(self, table: dict[str, Any], path: KeyPath, key: str, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or (key in table and not value.strip()):
            self.fail((*path, key), "must be text in quotes")
            return default
        return value.strip()

    def number(self, table: dict[str, Any], path: KeyPath, key: str, *, places: int = RATE_PLACES,
               positive: bool = False) -> Decimal | None:
        """A Decimal from a quoted string or a whole number; None (reported) when it is bad."""
        if key not in table:
            return None
        value = table[key]
        where = (*path, key)
        if isinstance(value, float):
            self.fail(where, f"{value!r} is written as a TOML float; write it in quotes "
                             f"({key} = \"{value}\") so the amount is exact")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            self.fail(where, "must be a number in quotes, such as \"3.65\"")
            return None
        try:
            number = Decimal(value.strip().replace(",", "") if isinstance(value, str) else value)
        except InvalidOperation:
            self.fail(where, f"{value!r} is not a number (write it like \"3.65\")")
            return None
        exponent = number.as_tuple().exponent
        if not number.is_finite() or not isinstance(exponent, int):
            self.fail(where, f"{value!r} is not a number (write it like \"3.65\")")
        elif -exponent > places:
            self.fail(where, f"{value!r} has more than {places} decimal places")
        elif number < 0:
            self.fail(where, f"{value!r} must not be negative")
        elif number <= 0 and positive:
            self.fail(where, f"{value!r} must be more than zero")
        else:
            return number
        return None

    def whole(self, table: dict[str, Any], path: KeyPath, key: str, default: int | None,
              low: int, high: int) -> int | None:
        value = table.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail((*path, key), f"must be a whole number from {low} to {high}, not {value!r}")
            return default
        return value

    def choice(self, table: dict[str, Any], path: KeyPath, key: str, choices: tuple[str, ...],
               default: str | None = None) -> str:
        value = table.get(key, default)
        if value not in choices:
            shown = "is missing" if value is None else f"is {value!r}"
            self.fail((*path, key) if key in table else path,
                      f"`{key}` {shown}; it must be one of {', '.join(choices)}")
            return choices[0]
        return str(value)

    def names(self, table: dict[str, Any], path: KeyPath, key: str,
              allowed: tuple[str, ...]) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail((*path, key), "must be a list of names in quotes")
            return ()
        for item in value:
            if item not in allowed:
                self.fail((*path, key), f"{item!r} is not one of {', '.join(allowed)}")
        return tuple(value)


def parse_schedule(data: bytes, *, source: str, load_eto: EtoLoader | None = None) -> Schedule:
    """Parse and check one rate file; raises InputError listing every located problem."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(InputProblem(f"is not UTF-8 text (byte {exc.start})",
                                      source=source)) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(found.group(1)) if found else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise InputError(InputProblem(f"is not valid TOML: {message}", source=source,
                                      line=line)) from None
    reader = _Reader(source, text)
    top = reader.table(raw, (), TABLES, required=("schedule",))
    if top is None or "schedule" not in top:
        raise InputError(reader.problems)
    ref, header = _schedule_header(reader, top["schedule"], source,
                                   hashlib.sha256(data).hexdigest())
    budget = _budget(reader, top["budget"], load_eto) if "budget" in top else None
    schedule = Schedule(
        ref=ref, name=header["name"], premise_kinds=header["premise_kinds"],
        service_types=header["service_types"], proration_days=header["proration_days"],
        fixed=_monthly(reader, top["fixed"], ("fixed",), "Service charge")
        if "fixed" in top else None,
        commodity=_commodity(reader, top["commodity"], budget is not None)
        if "commodity" in top else None,
        budget=budget,
        wastewater=_wastewater(reader, top["wastewater"]) if "wastewater" in top else None,
        surcharges=_surcharges(reader, top.get("surcharges", [])),
        minimum=_minimum(reader, top["minimum"]) if "minimum" in top else None,
        rental=_rental(reader, top["rental"]) if "rental" in top else None)
    if budget is not None and schedule.commodity is None:
        reader.fail(("budget",), "a water budget needs a [commodity] table with its tiers")
    if not any((schedule.fixed, schedule.commodity, schedule.wastewater, schedule.surcharges,
                schedule.rental)):
        reader.fail((), "has no charges: add [fixed], [commodity], [wastewater], [rental] or "
                        "[[surcharges]]")
    if reader.problems:
        raise InputError(reader.problems)
    return schedule


def _schedule_header(reader: _Reader, value: Any, source: str,
                     sha256: str) -> tuple[ScheduleRef, dict[str, Any]]:
    path: KeyPath = ("schedule",)
    table = reader.table(value, path, ("class", "name", "effective", "adopted", "premise_kinds",
                                       "service_types", "proration_days"),
                         required=("class", "effective", "adopted")) or {}
    rate_class = reader.text(table, path, "class")
    if rate_class and not CLASS_NAME.fullmatch(rate_class):
        reader.fail((*path, "class"), f"{rate_class!r} must be lower-case letters, digits, _ "
                                      "or - (it is typed as --class)")
    effective = table.get("effective")
    if isinstance(effective, str):
        try:
            effective = date.fromisoformat(effective.strip())
        except ValueError:
            effective = None
    if "effective" in table and (not isinstance(effective, date) or hasattr(effective, "hour")):
        reader.fail((*path, "effective"), "must be a date such as 2026-07-01")
        effective = None
    ref = ScheduleRef(file=PurePath(source).name, path=source, rate_class=rate_class,
                      effective=effective or date.min,
                      adopted=reader.text(table, path, "adopted"), sha256=sha256)
    header = {
        "name": reader.text(table, path, "name", rate_class.replace("_", " ").capitalize()),
        "premise_kinds": reader.names(table, path, "premise_kinds",
                                      tuple(k.value for k in PremiseKind)),
        "service_types": reader.names(table, path, "service_types",
                                      tuple(t.value for t in ServiceType)),
        # RULES.md §5.1: opening and closing bills are prorated by days/30 (CVWD 30-day basis).
        "proration_days": reader.whole(table, path, "proration_days", 30, 1, 31) or 30,
    }
    return ref, header


def _monthly(reader: _Reader, value: Any, path: KeyPath, label: str) -> MonthlyCharge | None:
    table = reader.table(value, path, ("label", "amount", "by_meter_size", "per"))
    if table is None:
        return None
    has_amount, has_sizes = "amount" in table, "by_meter_size" in table
    if has_amount == has_sizes:
        reader.fail(path, "needs exactly one of `amount` (one monthly amount) or a "
                          "`by_meter_size` table" + (" (or `per_hcf`)" if path[0] == "surcharges"
                                                     else ""))
    sizes: list[tuple[str, Decimal]] = []
    if has_sizes:
        size_table = reader.table(table["by_meter_size"], (*path, "by_meter_size"),
                                  METER_SIZES) or {}
        for size in METER_SIZES:
            amount = reader.number(size_table, (*path, "by_meter_size"), size)
            if amount is not None:
                sizes.append((size, amount))
    return MonthlyCharge(
        label=reader.text(table, path, "label", label),
        amount=reader.number(table, path, "amount") if has_amount else None,
        by_meter_size=tuple(sizes), per=reader.choice(table, path, "per", CHARGE_PER, "account"))


def _commodity(reader: _Reader, value: Any, budgeted: bool) -> Commodity | None:
    path: KeyPath = ("commodity",)
    table = reader.table(value, path, ("label", "pricing", "widths", "prorate_tiers", "tiers"),
                         required=("pricing", "tiers"))
    if table is None:
        return None
    pricing = reader.choice(table, path, "pricing", PRICING_MODES)
    widths = reader.choice(table, path, "widths", TIER_WIDTHS, "per_account")
    if budgeted and widths != "per_account":
        reader.fail((*path, "widths"), "a water budget already counts dwelling units; "
                                       "leave widths as per_account")
    prorate = table.get("prorate_tiers", True)
    if not isinstance(prorate, bool):
        reader.fail((*path, "prorate_tiers"), "must be true or false")
        prorate = True
    raw_tiers = table.get("tiers", [])
    if not isinstance(raw_tiers, list) or not raw_tiers:
        reader.fail((*path, "tiers"), "needs at least one [[commodity.tiers]] table")
        raw_tiers = []
    tiers = [_tier(reader, raw, (*path, "tiers", index), index == len(raw_tiers) - 1, budgeted)
             for index, raw in enumerate(raw_tiers)]
    _check_increasing(reader, tiers)
    return Commodity(label=reader.text(table, path, "label", "Water use"), pricing=pricing,
                     widths=widths, prorate_tiers=prorate, tiers=tuple(tiers))


def _tier(reader: _Reader, value: Any, path: KeyPath, last: bool, budgeted: bool) -> Tier:
    position = int(path[-1]) + 1
    table = reader.table(value, path, ("name", "rate", "up_to", "up_to_budget"),
                         required=("rate",)) or {}
    rate = reader.number(table, path, "rate") or Decimal(0)
    name = reader.text(table, path, "name", f"Tier {position}")
    bound_key = "up_to_budget" if budgeted else "up_to"
    wrong_key = "up_to" if budgeted else "up_to_budget"
    if wrong_key in table:
        reader.fail((*path, wrong_key), f"use `{bound_key}` in this schedule" +
                    (" (tiers follow the water budget)" if budgeted else
                     " (up_to_budget needs a [budget] table)"))
    if last:
        if bound_key in table:
            reader.fail((*path, bound_key), "the last tier has no upper bound; remove it (the "
                                            "last tier takes all remaining use)")
        return Tier(name=name, rate=rate)
    if bound_key not in table:
        reader.fail(path, f"is missing `{bound_key}` (every tier but the last needs one)")
        return Tier(name=name, rate=rate, up_to=Decimal(0))
    if not budgeted:
        return Tier(name=name, rate=rate,
                    up_to=reader.number(table, path, "up_to", places=4, positive=True)
                    or Decimal(0))
    bound = table["up_to_budget"]
    if bound == "indoor":
        if position != 1:
            reader.fail((*path, "up_to_budget"), "only the first tier can end at the indoor "
                                                 "allowance")
        return Tier(name=name, rate=rate, up_to_indoor=True)
    if isinstance(bound, str) and bound.strip().endswith("%"):
        percent = reader.number({"up_to_budget": bound.strip()[:-1]}, path, "up_to_budget",
                                places=2, positive=True)
        return Tier(name=name, rate=rate, up_to_percent=percent or Decimal(0))
    reader.fail((*path, "up_to_budget"), f"{bound!r} must be \"indoor\" or a percent of the "
                                         "budget such as \"100%\"")
    return Tier(name=name, rate=rate, up_to_percent=Decimal(0))


def _check_increasing(reader: _Reader, tiers: list[Tier]) -> None:
    previous: Decimal | None = None
    for index, tier in enumerate(tiers[:-1]):
        bound = tier.up_to if tier.up_to is not None else tier.up_to_percent
        if bound is None:
            continue
        if previous is not None and bound <= previous and bound > 0:
            key = "up_to" if tier.up_to is not None else "up_to_budget"
            reader.fail(("commodity", "tiers", index, key),
                        f"{bound} must be more than the tier before it ({previous})")
        previous = bound


def _budget(reader: _Reader, value: Any, load_eto: EtoLoader | None) -> BudgetRule | None:
    path: KeyPath = ("budget",)
    table = reader.table(value, path, ("eto_file", "indoor_gpcd", "household_default", "etaf",
                                       "indoor_decimals", "outdoor_decimals"),
                         required=("eto_file", "indoor_gpcd", "etaf"))
    if table is None:
        return None
    eto_file = reader.text(table, path, "eto_file")
    eto: EtoTable | None = None
    if eto_file and load_eto is None:
        reader.fail((*path, "eto_file"), "an ETo file can only be read from a rate folder")
    elif eto_file and load_eto is not None:
        try:
            eto = load_eto(eto_file)
        except InputError as exc:
            reader.problems.extend(exc.problems)
        except OSError as exc:
            reader.fail((*path, "eto_file"), f"{eto_file!r} cannot be read ({exc.strerror})")
    gpcd = reader.number(table, path, "indoor_gpcd", places=2)
    etaf = reader.number(table, path, "etaf", places=3)
    if etaf is not None and etaf > Decimal("1.5"):
        reader.fail((*path, "etaf"), f"{etaf} is not a landscape factor (0 to 1.5; MWELO "
                                     "allows at most 0.55 residential)")
    return BudgetRule(
        eto=eto or EtoTable(source=eto_file), eto_file=eto_file,
        indoor_gpcd=gpcd or Decimal(0),
        household_default=reader.whole(table, path, "household_default", 3, 0, 20) or 0,
        etaf=etaf or Decimal(0),
        indoor_decimals=reader.whole(table, path, "indoor_decimals", None, 0, 4),
        outdoor_decimals=reader.whole(table, path, "outdoor_decimals", None, 0, 4))


def _wastewater(reader: _Reader, value: Any) -> Wastewater | None:
    path: KeyPath = ("wastewater",)
    table = reader.table(value, path, ("label", "basis", "charge", "rate", "no_history_hcf"),
                         required=("basis",))
    if table is None:
        return None
    basis = reader.choice(table, path, "basis", WASTEWATER_BASES)
    if basis == "winter_average":
        for key in ("rate", "no_history_hcf"):
            if key not in table:
                reader.fail(path, f"is missing `{key}` (needed when basis = \"winter_average\")")
    else:
        if "charge" not in table:
            reader.fail(path, f"is missing `charge` (the monthly charge per {basis})")
        for key in ("rate", "no_history_hcf"):
            if key in table:
                reader.fail((*path, key), "is only used when basis = \"winter_average\"")
    return Wastewater(
        label=reader.text(table, path, "label", "Sewer service"), basis=basis,
        charge=reader.number(table, path, "charge") or Decimal(0),
        rate=reader.number(table, path, "rate"),
        no_history_hcf=reader.number(table, path, "no_history_hcf", places=4))


def _surcharges(reader: _Reader, value: Any) -> tuple[Surcharge, ...]:
    if not isinstance(value, list):
        reader.fail(("surcharges",), "must be written as [[surcharges]] tables")
        return ()
    found: list[Surcharge] = []
    for index, raw in enumerate(value):
        path: KeyPath = ("surcharges", index)
        if isinstance(raw, dict) and "per_hcf" in raw:
            table = reader.table(raw, path, ("label", "per_hcf"), required=("label",)) or {}
            found.append(Surcharge(label=reader.text(table, path, "label"),
                                   per_hcf=reader.number(table, path, "per_hcf"), monthly=None))
            continue
        monthly = _monthly(reader, raw, path, "")
        if monthly is None:
            continue
        if not monthly.label:
            reader.fail(path, "is missing the key `label` (the line's name on the bill)")
        found.append(Surcharge(label=monthly.label, per_hcf=None, monthly=monthly))
    return tuple(found)


def _minimum(reader: _Reader, value: Any) -> MinimumCharge | None:
    path: KeyPath = ("minimum",)
    table = reader.table(value, path, ("label", "amount"), required=("amount",))
    if table is None:
        return None
    return MinimumCharge(label=reader.text(table, path, "label", "Minimum charge"),
                         amount=reader.number(table, path, "amount") or Decimal(0))


def _rental(reader: _Reader, value: Any) -> Rental | None:
    path: KeyPath = ("rental",)
    table = reader.table(value, path, ("label", "first_day", "per_day"),
                         required=("first_day", "per_day"))
    if table is None:
        return None
    return Rental(label=reader.text(table, path, "label", "Meter rental"),
                  first_day=reader.number(table, path, "first_day") or Decimal(0),
                  per_day=reader.number(table, path, "per_day") or Decimal(0))
