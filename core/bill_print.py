"""The print vendor's bill file (FORMATS.md §4.2; docs/formats/bill-print-file.md): one
pipe-delimited record a line, a leading record type, cents, ISO dates, a trailer of counts."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from core.reads import MeterUsage

LAYOUT_VERSION = "1"
RECORD_TYPES = ("H", "B", "R", "C", "U", "M", "T")
B_FIELDS = ("account", "bill_id", "customer_name", "mail_line1", "mail_line2", "mail_city",
            "mail_state", "mail_zip", "service_address", "bill_date", "due_date", "period_from",
            "period_to", "days", "previous_balance", "payments", "adjustments",
            "current_charges", "past_due", "total_due", "amount_after_due", "autopay",
            "autopay_text", "paperless", "email", "delinquency", "imb_tracking",
            "imb_routing", "scan_line")
R_FIELDS = ("meter_id", "register", "prev_read_date", "prev_read", "curr_read_date",
            "curr_read", "read_type", "multiplier", "consumption", "unit")
C_FIELDS = ("service", "description", "tier_text", "quantity", "rate", "amount")


_UNSAFE = str.maketrans({"|": "/", "\r": " ", "\n": " "})


def clean(value: object) -> str:
    """A field as written: no pipes or line breaks inside (customer text is replaced, not
    escaped: the vendor's parser splits on every pipe)."""
    if value.__class__ is int:
        return str(value)
    text = "" if value is None else str(value)
    if "|" in text or "\n" in text or "\r" in text:  # rare: three scans beat a translate
        text = text.translate(_UNSAFE)
    return text.strip()


def clean_fields(values: Sequence[object]) -> str:
    """The fields pipe-joined, each as `clean` writes it; customer text rarely needs cleaning,
    so the joined text is tested once and the fields are cleaned one by one only if it fails."""
    try:
        text = "|".join(values)  # type: ignore[arg-type]  # a number or None: the slow way
    except TypeError:
        return "|".join(map(clean, values))
    # In printable text the space is the only character strip() removes (line breaks, tabs
    # and the other Unicode spaces are not printable): no field holds a pipe if the joined
    # text has one per separator, and none starts or ends with a space if none is beside one.
    if (text.isprintable() and text.count("|") == len(values) - 1
            and "| " not in text and " |" not in text and text[:1] != " "
            and text[-1:] != " "):
        return text
    return "|".join(map(clean, values))


def read_records(meters: Iterable[MeterUsage], unit: str) -> str:
    """A bill's R records, one a line: each meter's two reads and its use (R_FIELDS); `unit`
    already cleaned."""
    return "\n".join(
        f"R|{m.meter_id}|S|{m.from_day}|{m.from_reading}|{m.to_day}|{m.to_reading}|"
        f"{'E' if m.estimated else 'A'}|1|{m.usage}|{unit}" for m in meters)


def record(rec: str, values: Sequence[object]) -> str:
    return "|".join([rec, *(clean(v) for v in values)])


@dataclass(frozen=True)
class BillRecords:
    """Some bills' records as written (each bill's B, R, C, U and M lines, in bill order),
    with their counts and the amounts the trailer adds up."""

    text: str  # the records, one a line, without a final line break
    counts: Counter[str]
    bills: int
    current_cents: int
    total_due_cents: int


@dataclass
class PrintFile:
    """Records in order, with the counts and totals the trailer and the manifest carry."""

    lines: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    current_cents: int = 0
    total_due_cents: int = 0
    bills: int = 0

    def add(self, rec: str, values: Sequence[object]) -> None:
        self.lines.append(record(rec, values))
        self.counts[rec] += 1

    def add_bills(self, records: BillRecords) -> None:
        """Bills already written, a slice of the run at a time (db.bill_print.bill_records)."""
        if records.text:
            self.lines.append(records.text)
        self.counts.update(records.counts)
        self.bills += records.bills
        self.current_cents += records.current_cents
        self.total_due_cents += records.total_due_cents

    def trailer(self) -> None:
        counts = [f"{rec}={self.counts[rec]}" for rec in RECORD_TYPES[:-1]]
        self.add("T", [*counts, self.bills, self.current_cents, self.total_due_cents])

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"
