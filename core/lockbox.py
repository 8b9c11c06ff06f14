"""The bank's lockbox remittance file (FORMATS.md §3, docs/formats/lockbox.md), line by line.

Every problem in the file is found before anything is written, each with its line and field;
one problem refuses the whole file. An account number Meterline does not know is not a
problem here: the payment goes to the suspense list (db/lockbox_import.py), never dropped.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from core.csv_file import CsvRows, ProblemLog
from core.errors import InputError, InputProblem
from core.money import Cents
from core.payments import MAX_PAYMENT_CENTS

COLUMNS = ("deposit_date", "lockbox_id", "batch", "item_seq", "account_number",
           "scan_amount_due", "amount_paid_cents", "check_number", "micr_routing",
           "micr_account", "payer_name", "scan_line_raw", "channel", "exception_code")
CHANNELS = ("LOCKBOX", "WEB", "IVR", "RPPS", "CSR")
LAYOUT_DOC = "docs/formats/lockbox.md"


@dataclass(frozen=True, slots=True)
class LockboxItem:
    """One remittance: a check (or web, phone, bill-pay payment) and the stub it came with."""

    line: int
    deposit_date: date
    lockbox_id: str
    batch: str
    item_seq: int
    account_number: str
    amount_cents: Cents
    check_number: str
    micr_routing: str
    micr_account: str
    payer_name: str
    channel: str
    exception_code: str
    scan_amount_due_cents: Cents | None = None

    @property
    def payer(self) -> str:
        """Who wrote the check: the MICR routing and account, when the bank read them."""
        return f"{self.micr_routing}/{self.micr_account}" if self.micr_account else ""

    @property
    def reference(self) -> str:
        head = f"LOCKBOX {self.lockbox_id}-{self.batch}-{self.item_seq}"
        return f"{head} CHECK #{self.check_number}" if self.check_number else head


@dataclass(frozen=True)
class LockboxFile:
    """A checked lockbox file: its items in file order and the totals per bank batch."""

    source: str
    items: tuple[LockboxItem, ...]
    batch_totals: dict[tuple[str, str], tuple[int, Cents]] = field(default_factory=dict)

    @property
    def total_cents(self) -> Cents:
        return sum(i.amount_cents for i in self.items)

    @property
    def deposit_dates(self) -> tuple[date, ...]:
        return tuple(sorted({i.deposit_date for i in self.items}))


def routing_is_valid(routing: str) -> bool:
    """ABA routing check digit: weights 3 7 1 on the nine digits, sum divisible by 10."""
    if len(routing) != 9 or not routing.isdigit():
        return False
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(routing, weights, strict=True)) % 10 == 0


def mod10_is_valid(line: str) -> bool:
    """A scan line ends in its mod-10 check digit (FORMATS.md §4.3: Luhn for odd payloads)."""
    if len(line) < 2 or not line.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(line)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def parse_deposit_date(text: str) -> date | None:
    """YYYY-MM-DD, or the bank's MMDDYYYY."""
    raw = text.strip()
    try:
        if len(raw) == 8 and raw.isdigit():
            return date(int(raw[4:]), int(raw[:2]), int(raw[2:4]))
        if len(raw) == 10:
            return date.fromisoformat(raw)
    except ValueError:
        return None
    return None


def _cents(text: str) -> int | None:
    raw = text.strip()
    if raw.startswith("-") and raw[1:].isdigit():
        return -int(raw[1:])
    return int(raw) if raw.isdigit() else None


class _Checker:
    """Checks one row at a time, logging every problem with its line and field."""

    def __init__(self, log: ProblemLog, today: date) -> None:
        self.log = log
        self.today = today
        self.seen_items: dict[tuple[str, str, int], int] = {}
        self.seen_checks: dict[tuple[str, str, str, str], int] = {}

    def row(self, line: int, get: dict[str, str]) -> LockboxItem | None:
        bad = self.log.count
        add = self.log.add
        deposit = parse_deposit_date(get["deposit_date"])
        if deposit is None:
            add(f"{get['deposit_date']!r} is not a date (YYYY-MM-DD or MMDDYYYY)", line=line,
                field="deposit_date")
        elif deposit > self.today:
            add(f"deposit date {deposit} is after today ({self.today})", line=line,
                field="deposit_date")
        lockbox, batch = get["lockbox_id"].strip(), get["batch"].strip()
        for name, value in (("lockbox_id", lockbox), ("batch", batch)):
            if not value:
                add("is empty", line=line, field=name)
        seq_text = get["item_seq"].strip()
        seq = int(seq_text) if seq_text.isdigit() and int(seq_text) > 0 else None
        if seq is None:
            add(f"{seq_text!r} is not an item number (1, 2, 3, …)", line=line, field="item_seq")
        elif (lockbox, batch, seq) in self.seen_items:
            add(f"item {seq} of batch {batch} is also on line "
                f"{self.seen_items[(lockbox, batch, seq)]}", line=line, field="item_seq")
        else:
            self.seen_items[(lockbox, batch, seq)] = line
        amount = _cents(get["amount_paid_cents"])
        if amount is None:
            add(f"{get['amount_paid_cents'].strip()!r} is not a whole number of cents",
                line=line, field="amount_paid_cents")
        elif amount <= 0:
            add(f"a payment must be more than 0 cents, not {amount}", line=line,
                field="amount_paid_cents")
        elif amount > MAX_PAYMENT_CENTS:
            add(f"{amount} cents is more than the {MAX_PAYMENT_CENTS} a payment may be",
                line=line, field="amount_paid_cents")
        due_text = get["scan_amount_due"].strip()
        due = _cents(due_text) if due_text else None
        if due_text and due is None:
            add(f"{due_text!r} is not a whole number of cents", line=line,
                field="scan_amount_due")
        check = get["check_number"].strip()
        if check and (not check.isdigit() or len(check) > 15):
            add(f"{check!r} is not a check number (digits only)", line=line,
                field="check_number")
        check = check.lstrip("0") or ("0" if check else "")
        routing, micr_account = get["micr_routing"].strip(), get["micr_account"].strip()
        if routing and not routing_is_valid(routing):
            add(f"{routing!r} is not a valid routing number (check digit)", line=line,
                field="micr_routing")
        if len(micr_account) > 20:
            add("is longer than 20 characters", line=line, field="micr_account")
        scan = get["scan_line_raw"].strip()
        if scan and not mod10_is_valid(scan):
            add("the scan line's check digit is wrong (misread stub?)", line=line,
                field="scan_line_raw")
        channel = get["channel"].strip().upper()
        if channel not in CHANNELS:
            add(f"{get['channel'].strip()!r} is not a channel ({'|'.join(CHANNELS)})",
                line=line, field="channel")
        account = get["account_number"].strip()
        if check:
            payer = (routing, micr_account) if micr_account else ("account", account)
            key = (lockbox + "/" + batch, *payer, check)
            if key in self.seen_checks:
                add(f"check #{check} from the same payer is already on line "
                    f"{self.seen_checks[key]} of batch {batch}: a duplicate check number",
                    line=line, field="check_number")
            else:
                self.seen_checks[key] = line
        if self.log.count > bad or deposit is None or seq is None or amount is None:
            return None
        return LockboxItem(line, deposit, lockbox, batch, seq, account, amount, check, routing,
                           micr_account, get["payer_name"].strip(), channel,
                           get["exception_code"].strip(), due)


def _relabel(problems: list[InputProblem]) -> list[InputProblem]:
    """The shared CSV reader names the read-file layout; a lockbox file has its own."""
    return [InputProblem(p.message.replace("docs/formats/read-import.md", LAYOUT_DOC)
                         .replace("no reads", "no payments"), p.source, p.line, p.field)
            for p in problems]


def parse_lockbox(raw_lines: Iterable[bytes], *, source: str, today: date,
                  control_total_cents: Cents | None = None) -> LockboxFile:
    """Check every line of a lockbox file; refuse it, with every problem located, if any."""
    log = ProblemLog(source)
    checker = _Checker(log, today)
    items: list[LockboxItem] = []
    try:
        rows = CsvRows(raw_lines, COLUMNS, log)
        for line, fields in rows:
            get = {name: fields[index] for name, index in rows.index.items()}
            item = checker.row(line, get)
            if item is not None:
                items.append(item)
        log.raise_if_any()
    except InputError as exc:
        raise InputError(_relabel(exc.problems)) from None
    totals: dict[tuple[str, str], tuple[int, Cents]] = {}
    for item in items:
        count, cents = totals.get((item.lockbox_id, item.batch), (0, 0))
        totals[(item.lockbox_id, item.batch)] = (count + 1, cents + item.amount_cents)
    found = LockboxFile(source, tuple(items), totals)
    if control_total_cents is not None and control_total_cents != found.total_cents:
        from core.money import format_money

        raise InputError(InputProblem(
            f"the file's payments total {format_money(found.total_cents)} but the bank's "
            f"deposit (control total) is {format_money(control_total_cents)}", source=source,
            field="--control-total"))
    return found
