"""The work order screen's dialogs: schedule a day, record the result, cancel with a reason.

Each parse function turns typed text into what `db.work_orders` takes, or raises an
InputError naming the field; the form shows it and stays open, and nothing is stored.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from console.screens.read_queue_forms import whole_number
from console.widgets.forms import FormField, FormModal
from core.clock import parse_date
from core.errors import InputError, InputProblem
from core.work_orders import WorkOrderType

# A re-read or a meter check brings back a reading; a change-out and a leak letter do not.
TAKES_A_READING = frozenset({WorkOrderType.REREAD.value, WorkOrderType.METER_CHECK.value})


@dataclass(frozen=True)
class OrderResult:
    """What the field reported: the day, the reading (None: no reading) and a note."""

    done_on: date
    reading: int | None
    note: str


def schedule_form(order: Any, today: date) -> FormModal[date]:
    def parse(values: dict[str, str]) -> date:
        return parse_date(values["day"], field="day")

    current = f" (now scheduled for {order['scheduled_on']})" if order["scheduled_on"] else ""
    return FormModal(f"Schedule work order #{order['id']}{current}",
                     [FormField("day", "Day (YYYY-MM-DD)",
                                order["scheduled_on"] or today.isoformat())],
                     parse, "The order becomes SCHEDULED for that day.")


def done_form(order: Any, today: date) -> FormModal[OrderResult]:
    takes_reading = order["order_type"] in TAKES_A_READING

    def parse(values: dict[str, str]) -> OrderResult:
        problems: list[InputProblem] = []
        try:
            done_on = parse_date(values["done_on"], field="done_on")
        except InputError as error:
            problems.extend(error.problems)
            done_on = today
        reading = None
        if takes_reading:
            try:
                reading = whole_number(values, "reading", required=False)
            except InputError as error:
                problems.extend(error.problems)
            dials = order["dials"]
            if reading is not None and dials and reading >= 10 ** dials:
                # Said here so the clerk fixes it in the dialog; db.work_orders refuses it too.
                problems.append(InputProblem(f"{reading} does not fit the meter's {dials} "
                                             "dials", field="reading"))
        if problems:
            raise InputError(problems)
        return OrderResult(done_on, reading, values["note"])

    fields = [FormField("done_on", "Done on (YYYY-MM-DD)", today.isoformat())]
    if takes_reading:
        fields.append(FormField("reading", "Reading found (blank: none)", "",
                                "the meter's register, digits only"))
        waiting = order["exception_id"] is not None and order["exception_status"] == "waiting"
        note = (f"The reading replaces exception #{order['exception_id']}'s disputed read (the"
                " original is kept)\nand is audited again. Blank: the exception goes back to"
                " the queue." if waiting else "No read exception waits on this order.")
    else:
        note = "No reading is taken for this kind of order."
    fields.append(FormField("note", "Note", "", "what the field found"))
    return FormModal(f"Work order #{order['id']} done", fields, parse, note)


def cancel_form(order: Any) -> FormModal[str]:
    def parse(values: dict[str, str]) -> str:
        if not values["reason"]:
            raise InputError(InputProblem("a reason is required to cancel a work order",
                                          field="reason"))
        return values["reason"]

    waits = order["exception_id"] is not None and order["exception_status"] == "waiting"
    return FormModal(f"Cancel work order #{order['id']}",
                     [FormField("reason", "Reason (required)", "", "e.g. customer read it")],
                     parse, f"Exception #{order['exception_id']} goes back to the read audit"
                     " queue." if waits else "The order becomes CANCELLED; it cannot reopen.")
