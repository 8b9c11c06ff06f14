"""Lock-off orders: the crew's dispatch list, every open lock-off order across dates and lists,
paged from SQLite, oldest lock-off day first; `o` records the crew's result for the selected
order through db.lockoff_orders.complete_order, as F8 and `meterline lockoff complete` do.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.binding import Binding
from textual.message import Message

from console.screens.register_screen import (
    RegisterScreen,
    Row,
    StatusFilters,
    register_keys,
    short_stamp,
)
from console.session import now_stamp
from console.widgets.paged_table import Column, PagedRow
from core.errors import InputError
from db.lockoff_orders import STATUS_WORDS, count_register, register_key, register_page

# What `f` cycles through: the orders the crews still have to visit first.
ORDER_FILTERS: StatusFilters = (
    ("open", ("open",)), ("all", ()), ("locked", ("locked",)), ("not locked", ("not_locked",)),
    ("cancelled", ("cancelled",)))
CLASS_WORDS = {"residential": "RES", "commercial": "COM"}


@dataclass
class LockoffOrderRecorded(Message):
    """A crew's result was recorded, or refused; `message` says which."""

    message: str


class LockoffOrderSource:
    """Lock-off orders with the chosen statuses, oldest lock-off day first; each row carries
    its order."""

    columns = (Column("Order", 5, "right"), Column("Lock-off", 10), Column("Status", 10),
               Column("Account", 10), Column("Customer", 14), Column("Address", 14),
               Column("Cls", 3), Column("List", 4, "right"))

    def __init__(self, statuses: tuple[str, ...]) -> None:
        self.statuses = statuses

    def count(self, conn: sqlite3.Connection) -> int:
        return count_register(conn, self.statuses)

    def page(self, conn: sqlite3.Connection, *, after: str | None, offset: int,
             limit: int) -> list[PagedRow]:
        rows = register_page(conn, self.statuses, after=after, offset=offset, limit=limit)
        return [PagedRow(register_key(r), (str(r["id"]), r["lockoff_on"],
                                           STATUS_WORDS[r["status"]], r["account_number"],
                                           r["customer_name"], r["address"],
                                           CLASS_WORDS[r["service_class"]], str(r["list_id"])),
                         dict(r))
                for r in rows]


class LockoffOrdersScreen(RegisterScreen):
    """The crew's dispatch list: see every open lock-off order, record what the crew did."""

    DEFAULT_CSS = """
    #lockoff-orders-detail { height: 5; }
    #lockoff-orders-where { height: 1; }
    #lockoff-orders-history { height: 2; }
    #lockoff-orders-note { height: 1; }
    """
    CSS_PATH = ["register_screen.tcss"]
    BINDINGS = [
        Binding("o", "order_result", "Crew result", id="lockoff_orders.result"),
        *register_keys("lockoff_orders"),
    ]
    NAME = "Lock-off orders"
    PREFIX = "lockoff-orders"
    FILTERS = ORDER_FILTERS
    ORDER_WORDS = "oldest lock-off day first"
    PANE = ("head", "where", "history", "note")
    LOADING = "Loading the lock-off orders…"
    EMPTY = "No lock-off orders have this status; f shows another."
    HINT = "o records the crew's result · Enter opens the account · F1 every key"
    NONE_SELECTED = "No lock-off order is selected."

    def page_source(self, statuses: tuple[str, ...]) -> LockoffOrderSource:
        return LockoffOrderSource(statuses)

    def pane_lines(self, row: Row) -> list[str]:
        return order_lines(row)

    def changed(self, said: str) -> LockoffOrderRecorded:
        return LockoffOrderRecorded(said)

    @on(LockoffOrderRecorded)
    def _recorded(self, event: LockoffOrderRecorded) -> None:
        self.stored(event.message)

    # -- o: the crew's result ----------------------------------------------------------------
    def action_order_result(self) -> None:
        from console.screens.lockoff_field import CrewResult, ask_crew_result

        order = self.selected()
        if order is None:
            self.say(self.NONE_SELECTED)
            return
        order_id, number = order["id"], order["account_number"]
        if order["status"] != "open":
            self.say(f"Order {order_id} ({number}) is {STATUS_WORDS[order['status']]}: its"
                     " result is recorded; nothing changed.")
            return
        session = self.app.session  # type: ignore[attr-defined]

        def recorded(result: CrewResult | None) -> None:
            if result is None:
                self.say(f"Order {order_id} ({number}): no result recorded; nothing changed.")
            else:
                self.say(f"Order {order_id} ({number}): recording the crew's result…")
                self.store(lambda conn: _complete(conn, result, session.user.login))

        ask_crew_result(self.app, order_id, number, order["customer_name"], session.today,
                        recorded)


def _complete(conn: sqlite3.Connection, result: Any, login: str) -> str:
    """Store the crew's result (a lockoff_field.CrewResult); a refusal is said in one sentence."""
    from db.lockoff_orders import complete_order

    try:
        said = complete_order(conn, result.order_id, locked=result.locked, note=result.note,
                              on=result.on, actor=login, at=now_stamp())
    except InputError as refused:
        why = "; ".join(problem.message for problem in refused.problems)
        return f"Order {result.order_id} ({result.number}) not recorded, nothing changed: {why}."
    if result.locked:
        said += " Reconnect from F8 (r) once it is paid or on a plan."
    return said


def order_lines(order: dict[str, Any]) -> list[str]:
    """Four lines for the selected order: what and when, who and where, its history, the
    crew's result or what to do next."""
    status = STATUS_WORDS[order["status"]]
    head = (f"#{order['id']} {status} · lock-off {order['lockoff_on']} · account"
            f" {order['account_number']} {order['service_class'].upper()}")
    where = f"{order['customer_name']} · {order['address']}"
    history = (f"List {order['list_id']} · opened by {order['created_by']}"
               f" {short_stamp(order['created_at'])}")
    if order["status"] == "open":
        note = "Waiting on the crew: o records LOCKED or NOT LOCKED."
    else:
        if order["completed_at"]:
            history += (f" · {status} on {order['completed_on']} by {order['completed_by']}"
                        f" {short_stamp(order['completed_at'])}")
        note = f"Crew: {order['result_note']}" if order["result_note"] else "No crew note."
    return [head, where, history, note]
