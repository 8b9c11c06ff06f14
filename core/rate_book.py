"""The rate book: every rate file in a folder, by class and effective date (docs/rates.md).

A schedule is in force from its effective date until the next file of the same class takes
effect; a billing period that crosses an effective date is split there (RULES.md §5.1).
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.errors import InputError, InputProblem
from core.eto import EtoTable, parse_eto
from core.model import PremiseKind, ServiceType
from core.rate_file import parse_schedule
from core.rate_schedule import Schedule


@dataclass(frozen=True)
class Segment:
    """Part of a billing period priced by one schedule: from `start` up to (not incl.) `end`."""

    schedule: Schedule
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True, eq=False)
class RateBook:
    """The schedules of one folder (or one what-if file), by class, oldest first."""

    folder: str
    by_class: dict[str, tuple[Schedule, ...]]
    what_if: bool = False  # one file priced for any date: a draft ordinance, --rates FILE

    def classes(self) -> tuple[str, ...]:
        return tuple(sorted(self.by_class))

    def schedules(self) -> list[Schedule]:
        return [s for name in self.classes() for s in self.by_class[name]]

    def versions(self, rate_class: str) -> tuple[Schedule, ...]:
        found = self.by_class.get(rate_class)
        if found is None:
            raise InputError(InputProblem(
                f"there is no rate class {rate_class!r} in {self.folder} (classes: "
                f"{', '.join(self.classes()) or 'none'})", field="class"))
        return found

    def uses_winter_average(self, rate_class: str) -> bool:
        """Whether any schedule of the class bills wastewater on winter-average use: only then
        does a bill need the account's winter average."""
        return any(s.wastewater is not None and s.wastewater.basis == "winter_average"
                   for s in self.versions(rate_class))

    def in_force(self, rate_class: str, on: date) -> Schedule:
        """The schedule of a class in force on a date."""
        return self.segments(rate_class, on, date.fromordinal(on.toordinal() + 1))[0].schedule

    def segments(self, rate_class: str, start: date, end: date) -> list[Segment]:
        """The period split at each effective date inside it, each part with its schedule."""
        versions = self.versions(rate_class)
        if self.what_if:
            return [Segment(versions[-1], start, end)]
        earlier = [s for s in versions if s.ref.effective <= start]
        if not earlier:
            first = versions[0]
            raise InputError(InputProblem(
                f"no {rate_class} rates are in force on {start}: the earliest file, "
                f"{first.ref.file}, takes effect {first.ref.effective}", field="date"))
        current = earlier[-1]
        parts: list[Segment] = []
        cursor = start
        for later in (s for s in versions if start < s.ref.effective < end):
            parts.append(Segment(current, cursor, later.ref.effective))
            current, cursor = later, later.ref.effective
        parts.append(Segment(current, cursor, end))
        return parts

    def class_for(self, premise_kind: str, service_type: str) -> str:
        """The rate class an account bills on, from the files' premise_kinds and service_types."""
        for name in self.classes():
            if self.by_class[name][-1].matches(premise_kind, service_type):
                return name
        raise InputError(InputProblem(
            f"no rate class in {self.folder} covers a {premise_kind} premise with "
            f"{service_type} service (set premise_kinds / service_types in a rate file)",
            field="class"))


def book_from_schedules(schedules: Iterable[Schedule], folder: str, *,
                        what_if: bool = False) -> RateBook:
    """Group schedules by class, refusing two files for one date and overlapping classes."""
    problems: list[InputProblem] = []
    by_class: dict[str, list[Schedule]] = {}
    for schedule in schedules:
        by_class.setdefault(schedule.rate_class, []).append(schedule)
    for name, versions in by_class.items():
        versions.sort(key=lambda s: s.ref.effective)
        for older, newer in itertools.pairwise(versions):
            if older.ref.effective == newer.ref.effective:
                problems.append(InputProblem(
                    f"{older.ref.file} and {newer.ref.file} both set {name} rates effective "
                    f"{newer.ref.effective}; keep one", source=newer.ref.path,
                    field="schedule.effective"))
            if (older.premise_kinds, older.service_types) != (
                    newer.premise_kinds, newer.service_types):
                problems.append(InputProblem(
                    f"premise_kinds and service_types must match {older.ref.file}, the "
                    f"{name} file before it", source=newer.ref.path, field="schedule"))
    latest = {name: versions[-1] for name, versions in by_class.items()}
    clashes: set[tuple[str, str]] = set()
    for kind, kind_type in itertools.product(PremiseKind, ServiceType):
        matching = sorted(n for n, s in latest.items() if s.matches(kind.value, kind_type.value))
        for first, second in itertools.combinations(matching, 2):
            if (first, second) not in clashes:
                clashes.add((first, second))
                problems.append(InputProblem(
                    f"classes {first} ({latest[first].ref.file}) and {second} "
                    f"({latest[second].ref.file}) both cover a {kind.value} premise with "
                    f"{kind_type.value} service; narrow premise_kinds or service_types",
                    source=latest[second].ref.path, field="schedule.premise_kinds"))
    if problems:
        raise InputError(problems)
    return RateBook(folder=folder, by_class={k: tuple(v) for k, v in by_class.items()},
                    what_if=what_if)


class _EtoFiles:
    """Reads each ETo file a folder's schedules name once, relative to the rate file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.tables: dict[Path, EtoTable] = {}

    def __call__(self, name: str) -> EtoTable:
        path = (self.folder / name).resolve()
        if path not in self.tables:
            shown = str(self.folder / name)
            self.tables[path] = parse_eto(path.read_bytes().decode("utf-8", "replace"),
                                          source=shown)
        return self.tables[path]


def read_schedule(path: Path, eto_files: _EtoFiles | None = None) -> Schedule:
    """Read and check one rate file (ETo files are read from beside it)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(InputProblem(f"cannot be read ({exc.strerror})",
                                      source=str(path))) from None
    return parse_schedule(data, source=str(path),
                          load_eto=eto_files or _EtoFiles(path.parent))


def load_rate_folder(folder: Path) -> RateBook:
    """Every *.toml file in the folder, each checked; all problems are reported together."""
    if not folder.is_dir():
        raise InputError(InputProblem("is not a folder of rate files", source=str(folder)))
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise InputError(InputProblem("has no rate files (*.toml)", source=str(folder)))
    eto_files = _EtoFiles(folder)
    problems: list[InputProblem] = []
    schedules: list[Schedule] = []
    for path in files:
        try:
            schedules.append(read_schedule(path, eto_files))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return book_from_schedules(schedules, str(folder))


def load_rates(path: Path) -> RateBook:
    """A folder as the rate book, or one file as a what-if book priced for any date."""
    if path.is_dir():
        return load_rate_folder(path)
    schedule = read_schedule(path)
    return book_from_schedules([schedule], str(path), what_if=True)
