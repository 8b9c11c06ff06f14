"""A meter change-out as a clerk records it: the old meter's final read, the new meter, its reads.

The period's usage is then the sum over both meters (FORMATS.md §4.2: two R lines, one set of
charges): old final minus old previous, plus new current minus new initial.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.errors import InputProblem
from core.model import METER_SIZES


@dataclass(frozen=True)
class ChangeOutEntry:
    """What the clerk types for a change-out."""

    changed_on: date
    final_reading: int
    new_serial: str
    new_size: str
    new_dials: int
    initial_reading: int
    current_reading: int | None = None  # the new meter's reading on the read day


def change_out_problems(entry: ChangeOutEntry, *, old_dials: int, previous_day: date | None,
                        read_day: date, serial_taken: bool) -> list[InputProblem]:
    """Every problem with the entry, each naming its field."""
    problems: list[InputProblem] = []
    if previous_day is not None and entry.changed_on < previous_day:
        problems.append(InputProblem(
            f"{entry.changed_on.isoformat()} is before the old meter's last read "
            f"({previous_day.isoformat()})", field="changed_on"))
    if entry.changed_on > read_day:
        problems.append(InputProblem(
            f"{entry.changed_on.isoformat()} is after this read ({read_day.isoformat()})",
            field="changed_on"))
    if not 0 <= entry.final_reading < 10 ** old_dials:
        problems.append(InputProblem(f"{entry.final_reading} does not fit the old meter's "
                                     f"{old_dials} dials", field="final_reading"))
    serial = entry.new_serial.strip()
    if not serial:
        problems.append(InputProblem("the new meter's serial is required", field="new_serial"))
    elif serial_taken:
        problems.append(InputProblem(f"serial {serial} is already a meter in the district",
                                     field="new_serial"))
    if entry.new_size not in METER_SIZES:
        problems.append(InputProblem(f"{entry.new_size!r} is not a meter size; use one of "
                                     f"{', '.join(METER_SIZES)}", field="new_size"))
    if not 3 <= entry.new_dials <= 9:
        problems.append(InputProblem("a register has 3 to 9 dials", field="new_dials"))
        return problems
    for name, value in (("initial_reading", entry.initial_reading),
                        ("current_reading", entry.current_reading)):
        if value is not None and not 0 <= value < 10 ** entry.new_dials:
            problems.append(InputProblem(f"{value} does not fit the new meter's "
                                         f"{entry.new_dials} dials", field=name))
    if entry.current_reading is not None and entry.current_reading < entry.initial_reading:
        problems.append(InputProblem(
            f"the new meter's reading {entry.current_reading} is below its initial reading "
            f"{entry.initial_reading}", field="current_reading"))
    return problems
