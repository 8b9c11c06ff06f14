"""Shared by the payments, deposits, refunds, adjust and bill commands: amounts and rows."""
from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from typing import Any

from core.errors import InputError, InputProblem
from core.money import MoneyError, parse_money

FORMATS = ("table", "csv", "json")


def amount_flag(text: str, flag: str, *, allow_negative: bool = False) -> int:
    """A dollar amount from a flag ("12.34", "-5", "$1,200"), as cents."""
    try:
        cents = parse_money(text)
    except MoneyError as exc:
        raise InputError(InputProblem(str(exc), field=flag)) from None
    if cents == 0 or (cents < 0 and not allow_negative):
        raise InputError(InputProblem(f"{text.strip()!r} must be more than $0.00", field=flag))
    return cents


def print_rows(rows: Sequence[dict[str, Any]], headers: Sequence[str], fmt: str, *,
               empty: str, extra: dict[str, Any] | None = None) -> None:
    """Rows as a table (tabulate), CSV or JSON; the table says `empty` when there are none."""
    if fmt == "json":
        print(json.dumps({**(extra or {}), "rows": list(rows)}, indent=2, default=str))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(headers), extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    elif not rows:
        print(empty)
    else:
        from tabulate import tabulate

        print(tabulate([[row.get(h, "") for h in headers] for row in rows], headers=headers,
                       disable_numparse=True))
