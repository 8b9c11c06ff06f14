"""A billing run in plain Python: each account's outcome, the diff against last cycle and the
remittance scan line (FORMATS.md §4.3); db/billing_inputs.py keeps the run's fingerprint."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from typing import Final

from core import usage_history
from core.bill_lines import BillLine, PricedBill
from core.money import Cents
from core.rate_schedule import ScheduleRef
from core.reads import MeterChain, premise_periods, wrap_delta

# The fingerprint of the runs the demo district records as its history (fixtures/demo_bills.py).
DEMO_HISTORY = "demo history"


class Outcome(StrEnum):
    """Every active account of a cycle is exactly one of these (issue 5, reconciliation)."""

    BILLED = "billed"
    HELD = "held"
    EXCLUDED = "excluded"


@dataclass(frozen=True)
class StoredLine:
    """A bill line as the run keeps it: exact quantity, rate, amount and its explanation."""

    component: str
    label: str
    quantity: str
    unit: str
    rate: str
    amount_cents: Cents
    explanation: str
    rate_files: str
    rate_sha256: str


@dataclass(frozen=True)
class AccountBill:
    """One account's outcome in a run: its bill and lines, or why it is held or excluded."""

    account_id: int
    number: str
    outcome: Outcome
    reason: str = ""
    rate_class: str = ""
    period_start: date | None = None
    period_end: date | None = None
    usage_hcf: Decimal = Decimal(0)
    estimated: bool = False
    total_cents: Cents = 0
    lines: tuple[StoredLine, ...] = field(default=())
    history: str = ""  # core.usage_history text, this period last (the U record)
    meter_reads: str = ""  # the bill's R records, one a line (each meter's reads and use)


# An account's outcome as the run stores it (db.billing_store), in bill_rows' column order
# after the run: account id, number, outcome, reason, rate class, period start and end (ISO),
# usage (exact decimal text), estimated (0 or 1), total, history, meter reads and the lines.
# Plain values, so a draft's second process sends its bills as cheaply as pickle allows
# (a part is one pickle: bills priced alike still share one tuple of lines).
StoredBill = tuple[int, str, str, str, str, str | None, str | None, str, int, int, str, str,
                   tuple[StoredLine, ...]]
OUTCOMES = {outcome.value: outcome for outcome in Outcome}
# Places in a StoredBill.
STORED_OUTCOME: Final = 2
STORED_TOTAL: Final = 9


def account_bill(row: StoredBill) -> AccountBill:
    """The AccountBill a stored bill was made from."""
    (account_id, number, outcome, reason, rate_class, start, end, usage, estimated, total,
     history, reads, lines) = row
    return AccountBill(account_id, number, OUTCOMES[outcome], reason, rate_class,
                       date.fromisoformat(start) if start else None,
                       date.fromisoformat(end) if end else None, Decimal(usage),
                       bool(estimated), total, lines, history, reads)


LineCache = dict[tuple[int, int, int, int], StoredLine]


def stored_lines(bill: PricedBill, cache: LineCache | None = None) -> tuple[StoredLine, ...]:
    """The engine's explained lines, as the run stores them (rate files by version and hash).

    A run passes one `cache`: lines share their LineInfo by plan, so the same line (same info,
    quantity and amount) on many bills is explained once. Keyed by the info's identity, the
    cache must live no longer than the engine whose plans hold those infos.
    """
    by_file = {s.ref.file: s.ref for s in bill.segments}
    if cache is None:
        return tuple(_stored(line, by_file) for line in bill.lines)
    found = []
    for line in bill.lines:
        key = (id(line.info), line.numerator, line.denominator, line.amount_cents)
        stored = cache.get(key)
        if stored is None:
            stored = cache[key] = _stored(line, by_file)
        found.append(stored)
    return tuple(found)


def _stored(line: BillLine, by_file: dict[str, ScheduleRef]) -> StoredLine:
    refs = [by_file.get(name) for name in line.rate_files]
    versions = ", ".join(r.version if r is not None else name
                         for r, name in zip(refs, line.rate_files, strict=True))
    hashes = ",".join(r.sha256 for r in refs if r is not None)
    quantity = line.quantity
    return StoredLine(line.component, line.label, str(quantity), line.unit, str(line.rate),
                      line.amount_cents, line.explain(), versions, hashes)


@dataclass(frozen=True)
class DiffRow:
    """One account this cycle against last cycle: usage and amount, and the change."""

    account_id: int
    number: str
    outcome: Outcome
    reason: str
    usage_hcf: Decimal
    total_cents: Cents
    last_usage_hcf: Decimal | None
    last_cents: Cents | None

    @property
    def change_cents(self) -> Cents:
        return self.total_cents - (self.last_cents or 0)

    @property
    def change_percent(self) -> Decimal | None:
        if not self.last_cents:
            return None
        return (Decimal(self.change_cents) * 100 / Decimal(self.last_cents)).quantize(Decimal(1))


def biggest_changes_first(rows: Sequence[DiffRow]) -> list[DiffRow]:
    """Holds and exclusions first (they need a decision), then the largest changes in dollars."""
    return sorted(rows, key=lambda r: (r.outcome == Outcome.BILLED, -abs(r.change_cents),
                                       r.number))


def mod10_check_digit(payload: str) -> str:
    """FORMATS.md §4.3: weights 2,1,2,1… from the left, add the digits of each product,
    check = (10 − sum mod 10) mod 10 (Luhn for an odd-length payload)."""
    if not payload.isdigit() or not payload.isascii():
        raise ValueError(f"a scan line holds digits only: {payload!r}")
    # By table: a doubled place adds the digit sum of its double, the others their digit.
    codes = payload.encode()
    total = sum(codes[0::2].translate(_DOUBLED)) + sum(codes[1::2].translate(_SINGLE))
    return _CHECK[total % 10]


_DOUBLED = bytes.maketrans(b"0123456789", bytes((2 * d) // 10 + (2 * d) % 10 for d in range(10)))
_SINGLE = bytes.maketrans(b"0123456789", bytes(range(10)))
_CHECK = "0987654321"  # (10 − sum mod 10) mod 10, by the sum's last digit
_TEN_DIGITS = 10**10


@lru_cache(maxsize=64)
def _due_and_rate(due_on: date, rate_code: int) -> str:
    """The scan line's due date (MMDDYY) and rate code: the same for a whole run."""
    return f"{due_on:%m%d%y}" + f"{rate_code:04d}"[-4:]


def scan_line(account_number: str, due_on: date, rate_code: int, gross_cents: Cents,
              net_cents: Cents) -> str:
    """Account 11 + due date 6 (MMDDYY) + rate code 4 + gross 10 + net 10 + check = 42 digits."""
    digits = account_number.replace("-", "")  # "0012345-01", the usual form, at once
    if len(digits) != 11 or not digits.isdigit():
        if not digits.isdigit():
            digits = "".join(ch for ch in account_number if ch.isdigit())
        digits = digits.zfill(11)[-11:]
    if 0 <= gross_cents < _TEN_DIGITS and 0 <= net_cents < _TEN_DIGITS:  # nearly every bill
        payload = f"{digits}{_due_and_rate(due_on, rate_code)}{gross_cents:010d}{net_cents:010d}"
    else:
        payload = (digits + _due_and_rate(due_on, rate_code)
                   + f"{max(gross_cents, 0):010d}"[-10:] + f"{max(net_cents, 0):010d}"[-10:])
    return payload + mod10_check_digit(payload)


def period_uses(chains: Sequence[MeterChain]) -> list[tuple[date, int]]:
    """(period end, use) of each of the premise's periods, oldest first, as premise_periods
    gives them; one meter read on distinct days (nearly every premise) is simply its readings
    taken pairwise, so that case skips the general merge."""
    if len(chains) == 1:
        chain = chains[0]
        found = []
        for before, after in pairwise(chain.points):
            if before.boundary or after.boundary or after.day <= before.day:
                break
            found.append((after.day, wrap_delta(before.reading, after.reading, chain.dials)))
        else:
            return found
    return [(p.end, p.usage) for p in premise_periods(chains)]


def winter_average(chains: Sequence[MeterChain], close_on: date) -> Decimal | None:
    """Average use of the periods ending in December to February within the year before
    (core.usage_history.winter_average of the chains' periods, as db.closing_bill uses)."""
    return usage_history.winter_average(period_uses(chains), close_on)
