"""The read audit's forms: edit a reading, record a change-out, filter the queue, import a file.

Each parse function turns typed text into the values a disposition needs, or raises an
InputError naming the field; the form shows it and stays open.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from console.widgets.forms import FormField, FormModal
from core.clock import parse_date
from core.errors import InputError, InputProblem
from core.meter_change import ChangeOutEntry
from core.read_rules import RULE_IDS
from db.read_exceptions import STATUSES, ExceptionView, QueueFilter


def whole_number(values: dict[str, str], name: str, *, required: bool = True) -> int | None:
    raw = values.get(name, "")
    if not raw:
        if required:
            raise InputError(InputProblem("is required", field=name))
        return None
    if not raw.isdigit():
        raise InputError(InputProblem(f"{raw!r} is not a whole number", field=name))
    return int(raw)


def edit_form(view: ExceptionView) -> FormModal[tuple[int, str]]:
    def parse(values: dict[str, str]) -> tuple[int, str]:
        reading = whole_number(values, "reading")
        if not values["reason"]:
            raise InputError(InputProblem("a reason is required; the original is kept",
                                          field="reason"))
        assert reading is not None
        return reading, values["reason"]

    if view.read_id is None:
        note = "This meter was not read: there is no reading to edit. Esc, then estimate (s) " \
               "or order a re-read (r)."
    else:
        note = f"Meter {view.serial}, read {view.reading} on {view.read_on.isoformat()}."
    return FormModal(f"Edit the reading of exception #{view.id}",
                     [FormField("reading", "Corrected reading",
                                "" if view.reading is None else str(view.reading)),
                      FormField("reason", "Reason (required)", "",
                                "e.g. digits transposed, photo shows 7260")],
                     parse, note)


def change_out_form(view: ExceptionView) -> FormModal[ChangeOutEntry]:
    def parse(values: dict[str, str]) -> ChangeOutEntry:
        problems: list[InputProblem] = []
        values = dict(values)
        try:
            changed_on = parse_date(values["changed_on"], field="changed_on")
        except InputError as error:
            problems.extend(error.problems)
            changed_on = view.read_on
        numbers: dict[str, Any] = {}
        for name, required in (("final_reading", True), ("new_dials", True),
                               ("initial_reading", True), ("current_reading", False)):
            try:
                numbers[name] = whole_number(values, name, required=required)
            except InputError as error:
                problems.extend(error.problems)
        if not values["new_serial"]:
            problems.append(InputProblem("is required", field="new_serial"))
        if problems:
            raise InputError(problems)
        return ChangeOutEntry(changed_on, numbers["final_reading"], values["new_serial"],
                              values["new_size"], numbers["new_dials"],
                              numbers["initial_reading"], numbers["current_reading"])

    return FormModal(
        f"Meter change-out for exception #{view.id} (old meter {view.serial})",
        [FormField("changed_on", "Changed on (YYYY-MM-DD)", view.read_on.isoformat()),
         FormField("final_reading", "Old meter's final reading"),
         FormField("new_serial", "New meter's serial"),
         FormField("new_size", "New meter's size", "5/8"),
         FormField("new_dials", "New meter's dials", str(view.dials)),
         FormField("initial_reading", "New meter's initial reading", "0"),
         FormField("current_reading", "New meter's reading now",
                   "" if view.reading is None else str(view.reading))],
        parse, "Usage for the period is the sum over both meters.")


def filter_form(queue: QueueFilter) -> FormModal[QueueFilter]:
    def parse(values: dict[str, str]) -> QueueFilter:
        rule = values["rule"].upper() or None
        if rule is not None and rule not in RULE_IDS:
            raise InputError(InputProblem(f"{rule!r} is not a rule; use one of "
                                          f"{', '.join(RULE_IDS)}", field="rule"))
        status = values["status"].lower() or "open"
        if status not in STATUSES:
            raise InputError(InputProblem(f"use one of {', '.join(STATUSES)}", field="status"))
        cycle = whole_number(values, "cycle", required=False)
        return QueueFilter(status, rule, cycle, values["route"].upper() or None)

    return FormModal(
        "Filter the queue (blank: all)",
        [FormField("rule", "Rule", queue.rule_id or "", ", ".join(RULE_IDS[:4]) + ", …"),
         FormField("cycle", "Cycle", "" if queue.cycle_id is None else str(queue.cycle_id)),
         FormField("route", "Route", queue.route_code or "", "e.g. C3-R02"),
         FormField("status", "Status", queue.status, "open, waiting or resolved")],
        parse, "Rules: " + " ".join(RULE_IDS))


def import_form() -> FormModal[tuple[Path, int | None, str]]:
    def parse(values: dict[str, str]) -> tuple[Path, int | None, str]:
        if not values["path"]:
            raise InputError(InputProblem("the file's path is required", field="path"))
        path = Path(values["path"]).expanduser()
        if not path.is_file():
            raise InputError(InputProblem(f"there is no file {path}", field="path"))
        encoding = values["encoding"].lower() or "utf-8"
        if encoding not in ("utf-8", "latin-1"):
            raise InputError(InputProblem("use utf-8 or latin-1", field="encoding"))
        return path, whole_number(values, "cycle", required=False), encoding

    return FormModal(
        "Import a read file (checked in full first; all or nothing; once per file)",
        [FormField("path", "File", "", "/path/to/reads.csv"),
         FormField("cycle", "Cycle (blank: any)"),
         FormField("encoding", "Encoding", "utf-8", "utf-8 or latin-1")],
        parse, "Layout: docs/formats/read-import.md")
