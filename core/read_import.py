"""The neutral read layouts (FORMATS.md §6.1) and the checks every line of a read file must pass.

The database hands in what it knows (meters, accounts, read windows); nothing here reads it.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import NamedTuple

from core.csv_file import ProblemLog
from core.reads import ReadMethod

ROUTE_EXPORT_COLUMNS = (
    "cycle", "route", "read_seq", "account_number", "location_id", "service_point_id",
    "customer_name", "service_address", "meter_id", "meter_serial", "register", "endpoint_id",
    "endpoint_type", "meter_size", "dials", "multiplier", "unit", "prev_read", "prev_read_date",
    "low_limit", "high_limit", "instruction_codes", "location_code", "notes")
READ_IMPORT_COLUMNS = (
    "account_number", "meter_id", "register", "endpoint_id", "read_value", "read_datetime",
    "read_method", "read_code", "skip_code", "trouble_code", "note_text", "hi_lo", "leak",
    "backflow", "tamper", "no_usage_days", "reader_id", "new_read_seq", "latitude", "longitude")
METHODS = frozenset(m.value for m in ReadMethod)
METHOD_TEXT = {m.value: m.value for m in ReadMethod}  # one string per method, shared by reads
HI_LO = frozenset({"", "H", "L", "Z", "N"})
TEXT_LIMIT = 200
FLAG_UP_TO_1 = {"": 0, "0": 0, "1": 1}
FLAG_UP_TO_2 = {**FLAG_UP_TO_1, "2": 2}


class MeterRef(NamedTuple):
    """What the import needs to know about a meter."""

    id: int
    serial: str
    dials: int
    premise_id: int | None
    cycle_id: int | None
    route: str
    walk_order: int
    installed_on: date
    removed_on: date | None


class AccountRef(NamedTuple):
    id: int
    number: str
    premise_id: int
    status: str


@dataclass(frozen=True)
class ReadWindow:
    """The dates a cycle's reads may carry: the calendar's read window widened by the district's
    tolerance (readers start early, AMR uploads arrive late), never after today."""

    cycle_id: int
    read_start: date
    read_end: date
    first: date
    last: date
    from_calendar: bool

    @property
    def scheduled(self) -> date:
        return self.read_start

    def text(self) -> str:
        reads = (self.read_start.isoformat() if self.read_end == self.read_start
                 else f"{self.read_start.isoformat()} to {self.read_end.isoformat()}")
        where = "calendar read window" if self.from_calendar else \
            "read day (the calendar for the month is not generated)"
        return (f"cycle {self.cycle_id}'s read window {self.first.isoformat()} to "
                f"{self.last.isoformat()} ({where} {reads}, with the district's tolerance)")


def _month_day(year: int, month: int, day: int) -> date:
    index = year * 12 + month - 1
    return date(index // 12, index % 12 + 1, day)


def current_read_day(read_day: int, today: date, days_before: int) -> date:
    """The latest date on the cycle's read day whose window (opening `days_before` early) has
    opened by today: the read an import today is for."""
    scheduled = _month_day(today.year, today.month + 1, read_day)
    while scheduled - timedelta(days=days_before) > today:
        scheduled = _month_day(scheduled.year, scheduled.month - 1, read_day)
    return scheduled


def read_window(cycle_id: int, read_start: date, read_end: date, today: date, *,
                days_before: int, days_after: int, from_calendar: bool) -> ReadWindow:
    """The window around the reads [read_start, read_end], ending by today."""
    last = min(read_end + timedelta(days=days_after), today)
    return ReadWindow(cycle_id, read_start, read_end, read_start - timedelta(days=days_before),
                      last, from_calendar)


class ImportedRead(NamedTuple):
    """One checked line of a read file, ready to store (reading None: skipped)."""

    line: int
    meter_id: int
    account_id: int | None
    read_on: str  # YYYY-MM-DD
    read_at: str
    reading: int | None
    method: str
    read_code: str
    skip_code: str
    trouble_code: str
    note_text: str
    hi_lo: str
    leak: int
    backflow: int
    tamper: int
    no_usage_days: int | None
    reader_id: str
    endpoint_id: str


def parse_read_moment(text: str) -> tuple[date, str] | None:
    """A read date or date-time (YYYY-MM-DD, with an optional THH:MM[:SS] or space)."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw), raw
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        return None
    return moment.date(), moment.isoformat(timespec="seconds")


class ReadChecker:
    """Checks lines of one read file against the district's meters, accounts and read windows."""

    def __init__(self, *, log: ProblemLog, index: Mapping[str, int],
                 meters: Mapping[int, MeterRef], accounts: Mapping[str, AccountRef],
                 premise_accounts: Mapping[int, str], windows: Mapping[int, ReadWindow],
                 today: date, cycle_id: int | None) -> None:
        self.log, self.index, self.meters, self.accounts = log, index, meters, accounts
        self.premise_accounts, self.windows = premise_accounts, windows
        self.today, self.cycle_id = today, cycle_id
        self.seen: dict[int, int] = {}  # meter id -> first line that read it
        self._pick: Callable[[list[str]], tuple[str, ...]] | None = None
        self.routes: set[str] = set()
        self._days: dict[date, str] = {}

    def _day_text(self, day: date) -> str:
        """The day as ISO text, one string per day: a file's reads share a few days, and
        shared strings keep the checked reads small in memory and when sent to the worker."""
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = day.isoformat()
        return text

    def _flag(self, line: int, raw: str, name: str, top: int) -> int | None:
        if not raw:
            return 0
        if raw.isdigit() and int(raw) <= top:
            return int(raw)
        self.log.add(f"{raw!r} must be one of {', '.join(str(v) for v in range(top + 1))} or "
                     "blank", line=line, field=name)
        return None

    def check(self, line: int, fields: list[str]) -> ImportedRead | None:
        """The checked read, or None with every problem of the line logged."""
        add = self.log.add
        before = self.log.count
        pick = self._pick
        if pick is None:  # the header has been read by now: the columns' places are known
            pick = self._pick = itemgetter(*(self.index[name] for name in READ_IMPORT_COLUMNS))
        (account_number, meter_raw, register, endpoint_id, read_value, read_datetime, method,
         read_code, skip, trouble_code, note_text, hi_lo, leak_raw, backflow_raw, tamper_raw,
         no_usage, reader_id, seq, latitude, longitude) = map(str.strip, pick(fields))
        meter = self._meter(line, meter_raw)
        account_id = self._account(line, account_number, meter)
        register = register.upper()
        if register in ("H", "L"):
            add("compound registers (H/L) are not set up in Meterline; each meter has one "
                "register (S)", line=line, field="register")
        elif register not in ("", "S"):
            add(f"{register!r} is not a register; use S or leave it blank", line=line,
                field="register")
        moment = self._moment(line, read_datetime, meter)
        method = method.upper()
        if method not in METHODS:
            add(f"{method or 'blank'!r} is not a read method; use one of "
                f"{', '.join(sorted(METHODS))}", line=line, field="read_method")
        reading = self._reading(line, read_value, skip, meter)
        hi_lo = hi_lo.upper()
        if hi_lo not in HI_LO:
            add(f"{hi_lo!r} must be H, L, Z, N or blank", line=line, field="hi_lo")
        # The usual values from a table; anything else is judged (and reported) by _flag.
        leak = FLAG_UP_TO_2.get(leak_raw)
        if leak is None:
            leak = self._flag(line, leak_raw, "leak", 2)
        backflow = FLAG_UP_TO_2.get(backflow_raw)
        if backflow is None:
            backflow = self._flag(line, backflow_raw, "backflow", 2)
        tamper = FLAG_UP_TO_1.get(tamper_raw)
        if tamper is None:
            tamper = self._flag(line, tamper_raw, "tamper", 1)
        if no_usage and not (no_usage.isdigit() and int(no_usage) <= 999):
            add(f"{no_usage!r} is not a number of days", line=line, field="no_usage_days")
        if seq and not seq.isdigit():
            add(f"{seq!r} is not a walk-order number", line=line, field="new_read_seq")
        if latitude:
            self._coordinate(line, latitude, "latitude", 90)
        if longitude:
            self._coordinate(line, longitude, "longitude", 180)
        if max(len(read_code), len(skip), len(trouble_code), len(note_text), len(reader_id),
               len(endpoint_id)) > TEXT_LIMIT:
            for name, value in (("read_code", read_code), ("skip_code", skip),
                                ("trouble_code", trouble_code), ("note_text", note_text),
                                ("reader_id", reader_id), ("endpoint_id", endpoint_id)):
                if len(value) > TEXT_LIMIT:
                    add(f"is {len(value)} characters; at most {TEXT_LIMIT}", line=line,
                        field=name)
        if self.log.count > before or meter is None or moment is None:
            return None
        assert leak is not None and backflow is not None and tamper is not None
        return ImportedRead(
            line, meter.id, account_id, self._day_text(moment[0]), moment[1], reading,
            METHOD_TEXT.get(method, method),
            read_code, skip, trouble_code, note_text, hi_lo, leak, backflow, tamper,
            int(no_usage) if no_usage else None, reader_id, endpoint_id)

    def _meter(self, line: int, raw: str) -> MeterRef | None:
        meter = self.meters.get(int(raw)) if raw.isdigit() else None
        if meter is None:
            self.log.add(f"no meter {raw!r} in the district" if raw else "a meter id is required",
                         line=line, field="meter_id")
            return None
        first = self.seen.setdefault(meter.id, line)
        if first != line:
            self.log.add(f"meter {meter.id} is read twice in this file (first on line {first})",
                         line=line, field="meter_id")
        if meter.cycle_id is None:
            self.log.add(f"meter {meter.id} ({meter.serial}) is not on any route",
                         line=line, field="meter_id")
        elif self.cycle_id is not None and meter.cycle_id != self.cycle_id:
            self.log.add(f"meter {meter.id} is on route {meter.route} of cycle {meter.cycle_id}, "
                         f"not cycle {self.cycle_id}", line=line, field="meter_id")
        else:
            self.routes.add(meter.route)
        return meter

    def _account(self, line: int, number: str, meter: MeterRef | None) -> int | None:
        current = self.premise_accounts.get(meter.premise_id) if meter and meter.premise_id \
            else None
        if not number:
            if current:
                self.log.add(f"is blank, but meter {meter.id if meter else ''} serves account "
                             f"{current}", line=line, field="account_number")
            return None
        account = self.accounts.get(number)
        if account is None:
            self.log.add(f"no account {number!r} in the district", line=line,
                         field="account_number")
            return None
        if meter is not None and account.premise_id != meter.premise_id:
            self.log.add(f"meter {meter.id} is not at account {number}'s premise"
                         f"{f' (it serves {current})' if current else ''}", line=line,
                         field="account_number")
        elif account.status == "closed":
            self.log.add(f"account {number} is closed"
                         f"{f'; the premise is now account {current}' if current else ''}",
                         line=line, field="account_number")
        return account.id

    def _moment(self, line: int, raw: str, meter: MeterRef | None) -> tuple[date, str] | None:
        moment = parse_read_moment(raw)
        if moment is None:
            self.log.add(f"{raw!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)"
                         if raw else "a read date is required", line=line, field="read_datetime")
            return None
        day = moment[0]
        if day > self.today:
            self.log.add(f"{day.isoformat()} is after today ({self.today.isoformat()})",
                         line=line, field="read_datetime")
            return None
        if meter is None or meter.cycle_id is None:
            return moment
        window = self.windows.get(meter.cycle_id)
        if window is not None and not window.first <= day <= window.last:
            self.log.add(f"{day.isoformat()} is outside {window.text()}", line=line,
                         field="read_datetime")
        elif day < meter.installed_on or (meter.removed_on and day > meter.removed_on):
            removed = f", removed {meter.removed_on.isoformat()}" if meter.removed_on else ""
            self.log.add(f"meter {meter.id} was not in service on {day.isoformat()} "
                         f"(installed {meter.installed_on.isoformat()}{removed})",
                         line=line, field="read_datetime")
        return moment

    def _reading(self, line: int, raw: str, skip: str, meter: MeterRef | None) -> int | None:
        if not raw:
            if not skip:
                self.log.add("a reading or a skip code is required", line=line,
                             field="read_value")
            return None
        if skip:
            self.log.add(f"has both a reading and skip code {skip!r}", line=line,
                         field="skip_code")
        if not raw.isdigit():
            self.log.add(f"{raw!r} is not a whole-number reading", line=line,
                         field="read_value")
            return None
        value = int(raw)
        if meter is not None and value >= 10 ** meter.dials:
            self.log.add(f"reading {value} has more digits than meter {meter.id}'s "
                         f"{meter.dials} dials", line=line, field="read_value")
        return value

    def _coordinate(self, line: int, raw: str, name: str, limit: int) -> None:
        if not raw:
            return
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not -limit <= value <= limit:
            self.log.add(f"{raw!r} is not a {name} (-{limit} to {limit})", line=line,
                         field=name)

    def already_read(self, line: int, meter_id: int, read_on: date) -> None:
        """A meter with a stored read in its window takes no second one (checked in bulk)."""
        self.log.add(f"meter {meter_id} already has a read on {read_on.isoformat()} in this "
                     "read window", line=line, field="meter_id")
