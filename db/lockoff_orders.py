"""Lock-off field orders, their completion, reconnection and the SB 998 annual count.

Orders come from a stored list, checked again first (db.lockoff.recheck). A crew's "locked"
is checked again too: an account a payment, plan or appeal has taken off since is refused
and the order must be closed as not locked. Every lock-off is logged (shutoff_log,
append-only); the annual count of residential discontinuations is a query over that log
(RULES.md §1.6). Reconnection charges the fee in settings, capped for low-income households
(SB 998 §116914(a)).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date

from core.errors import InputError, InputProblem
from core.ledger import EntryType, Posting
from core.lockoff_gates import Candidate, eligible, evaluate
from core.money import format_money
from db import audit
from db.closures import load_calendar
from db.delinquency import candidates
from db.ledger import post
from db.lockoff import StoredList, recheck
from db.settings import load_settings
from db.transaction import write_transaction

RECONNECT_REASON = "RECONNECT"


@dataclass(frozen=True)
class OrdersMade:
    created: int
    taken_off: list[tuple[str, str]]
    # Accounts still on the list that already have an open order from an earlier list (a
    # list made again): (number, that order's id). No second crew is sent.
    already_open: list[tuple[str, int]] = field(default_factory=list)


def make_orders(conn: sqlite3.Connection, stored: StoredList, *, actor: str,
                at: str) -> OrdersMade:
    """One open order per account still on the list after checking every gate again, but
    none for an account that already has an open order from another list: that order
    stands (one shutoff, one crew)."""
    checked = recheck(conn, stored)
    created = 0
    already: list[tuple[str, int]] = []
    with write_transaction(conn):
        elsewhere = open_elsewhere(conn, stored.id)
        for entry in checked.still_on:
            order_id = elsewhere.get(entry.candidate.account_id)
            if order_id is not None:
                already.append((entry.candidate.number, order_id))
                continue
            created += conn.execute(
                "INSERT OR IGNORE INTO lockoff_orders (list_id, account_id, lockoff_on,"
                " service_class, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (stored.id, entry.candidate.account_id, stored.on.isoformat(),
                 entry.candidate.service_class, actor, at)).rowcount
        audit.record(conn, at=at, actor=actor, action="lockoff.orders_made",
                     object_type="lockoff_list", object_id=str(stored.id),
                     after={"created": created,
                            "taken_off": [n for n, _ in checked.taken_off],
                            "already_open": [n for n, _ in already]})
    return OrdersMade(created, checked.taken_off, already)


def _order(conn: sqlite3.Connection, order_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT o.*, a.number, r.cycle_id FROM lockoff_orders o JOIN accounts a"
                       " ON a.id = o.account_id JOIN premises p ON p.id = a.premise_id"
                       " LEFT JOIN routes r ON r.id = p.route_id WHERE o.id = ?",
                       (order_id,)).fetchone()
    if row is None:
        raise InputError(InputProblem(f"there is no lock-off order {order_id}", field="order"))
    if row["status"] != "open":
        raise InputError(InputProblem(f"lock-off order {order_id} is already "
                                      f"{row['status'].upper()}", field="order"))
    return row


def _candidate_now(conn: sqlite3.Connection, order: sqlite3.Row, on: date) -> Candidate | None:
    found = candidates(conn, on, order["cycle_id"], order["service_class"] == "residential")
    return next((c for c in found if c.account_id == order["account_id"]), None)


def complete_order(conn: sqlite3.Connection, order_id: int, *, locked: bool, note: str,
                   on: date, actor: str, at: str) -> str:
    """Record the crew's result; "locked" is refused when the account no longer qualifies."""
    order = _order(conn, order_id)
    if not note.strip():
        raise InputError(InputProblem("say what the crew found or did", field="note"))
    candidate = _candidate_now(conn, order, on)
    if locked:
        if candidate is None:
            raise InputError(InputProblem(f"do not lock {order['number']}: nothing is past due"
                                          " any more; close the order as not locked",
                                          field="order"))
        gates = evaluate(candidate, on, load_calendar(conn), load_settings(conn))
        if not eligible(gates):
            why = "; ".join(f"{g.code} {g.why}" for g in gates if g.passed is False)
            raise InputError(InputProblem(f"do not lock {order['number']}: {why}; close the"
                                          " order as not locked", field="order"))
    status = "locked" if locked else "not_locked"
    with write_transaction(conn):
        conn.execute("UPDATE lockoff_orders SET status = ?, result_note = ?, completed_on = ?,"
                     " completed_by = ?, completed_at = ? WHERE id = ?",
                     (status, note.strip(), on.isoformat(), actor, at, order_id))
        if locked and candidate is not None:
            conn.execute("INSERT INTO shutoff_log (order_id, account_id, service_class,"
                         " locked_on, past_due_cents, logged_by, logged_at) VALUES"
                         " (?, ?, ?, ?, ?, ?, ?)",
                         (order_id, order["account_id"], order["service_class"],
                          on.isoformat(), candidate.delinquency.past_due_cents, actor, at))
        audit.record(conn, at=at, actor=actor, action=f"lockoff.order_{status}",
                     object_type="lockoff_order", object_id=order_id,
                     after={"account": order["number"], "note": note.strip()})
    return f"Order {order_id} ({order['number']}): {status.replace('_', ' ').upper()}."


def awaiting_reconnection(conn: sqlite3.Connection, number: str) -> sqlite3.Row | None:
    """The account's latest lock-off not yet reconnected (its id, account, service class,
    cycle and lock-off day), or None."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT s.id, s.account_id, s.service_class, s.locked_on, r.cycle_id FROM shutoff_log s"
        " JOIN accounts a ON a.id = s.account_id JOIN premises p ON p.id = a.premise_id"
        " LEFT JOIN routes r ON r.id = p.route_id WHERE a.number = ? AND NOT EXISTS"
        " (SELECT 1 FROM reconnections c WHERE c.shutoff_id = s.id) ORDER BY s.id DESC LIMIT 1",
        (number,)).fetchone()
    return row


def open_orders(conn: sqlite3.Connection, number: str) -> list[tuple[int, str, int]]:
    """The account's open lock-off orders, oldest first: (order id, lock-off day, list id)."""
    return [(int(r[0]), str(r[1]), int(r[2])) for r in conn.execute(
        "SELECT o.id, o.lockoff_on, o.list_id FROM lockoff_orders o JOIN accounts a"
        " ON a.id = o.account_id WHERE a.number = ? AND o.status = 'open' ORDER BY o.id",
        (number,))]


# Each order status in the words the dispatch list shows (the screen and `lockoff
# open-orders`).
STATUS_WORDS = {"open": "OPEN", "locked": "LOCKED", "not_locked": "NOT LOCKED",
                "cancelled": "CANCELLED"}

REGISTER_SQL = """
SELECT o.id, o.list_id, o.lockoff_on, o.service_class, o.status, o.result_note, o.created_by,
       o.created_at, o.completed_on, o.completed_by, o.completed_at,
       a.number AS account_number, c.name AS customer_name, p.line1 AS address
  FROM lockoff_orders o
  JOIN accounts a ON a.id = o.account_id
  JOIN customers c ON c.id = a.customer_id
  JOIN premises p ON p.id = a.premise_id
"""


def _register_where(statuses: tuple[str, ...]) -> str:
    return f"o.status IN ({', '.join('?' * len(statuses))})" if statuses else "1"


def count_register(conn: sqlite3.Connection, statuses: tuple[str, ...] = ()) -> int:
    """How many lock-off orders have one of `statuses` (every order when none are given)."""
    return int(conn.execute(f"SELECT count(*) FROM lockoff_orders o WHERE"
                            f" {_register_where(statuses)}", statuses).fetchone()[0])


def register_key(row: sqlite3.Row) -> str:
    """A row's place in the register's order, for `register_page(after=...)`."""
    return f"{row['lockoff_on']}|{row['id']}"


def register_page(conn: sqlite3.Connection, statuses: tuple[str, ...] = (), *,
                  after: str | None = None, offset: int = 0,
                  limit: int = 200) -> list[sqlite3.Row]:
    """One page of the crew's dispatch list, oldest lock-off day first (then order id), by
    keyset after a `register_key` (else by offset)."""
    where = _register_where(statuses)
    if after is None:
        return conn.execute(f"{REGISTER_SQL} WHERE {where} ORDER BY o.lockoff_on, o.id"
                            " LIMIT ? OFFSET ?", (*statuses, limit, offset)).fetchall()
    day, _, order_id = after.partition("|")
    return conn.execute(f"{REGISTER_SQL} WHERE {where} AND (o.lockoff_on, o.id) > (?, ?)"
                        " ORDER BY o.lockoff_on, o.id LIMIT ?",
                        (*statuses, day, int(order_id), limit)).fetchall()


def ordered_accounts(conn: sqlite3.Connection, list_id: int) -> tuple[set[int], set[int]]:
    """The accounts with an order from this stored list, and those with an open order from
    another list (make_orders opens them none)."""
    have = {r[0] for r in conn.execute("SELECT account_id FROM lockoff_orders WHERE"
                                       " list_id = ?", (list_id,))}
    return have, set(open_elsewhere(conn, list_id))


def open_elsewhere(conn: sqlite3.Connection, list_id: int) -> dict[int, int]:
    """account id -> its oldest open lock-off order from a list other than this one."""
    found: dict[int, int] = {}
    for account_id, order_id in conn.execute(
            "SELECT account_id, id FROM lockoff_orders WHERE list_id <> ? AND status = 'open'"
            " ORDER BY id", (list_id,)):
        found.setdefault(account_id, order_id)
    return found


@dataclass(frozen=True)
class ReconnectionFee:
    """What reconnecting a lock-off charges, and why in words (the fee entry's comment)."""

    cents: int
    tariff_cents: int  # the settings' fee (office hours or after hours) before any cap
    low_income: bool  # a financial-inability record is current on the day
    why: str

    @property
    def capped(self) -> bool:
        return self.cents < self.tariff_cents


def reconnection_fee(conn: sqlite3.Connection, shut: sqlite3.Row, *, on: date,
                     after_hours: bool) -> ReconnectionFee:
    """The fee for reconnecting this lock-off (an awaiting_reconnection row) on `on`: the
    settings' fee, capped for a residential household with a current financial-inability
    record (SB 998 §116914(a): household income below 200% of the poverty line)."""
    s = load_settings(conn)
    low_income = conn.execute("SELECT 1 FROM protection_records WHERE account_id = ? AND"
                              " condition = 'financial' AND received_on <= ? AND (expires_on"
                              " IS NULL OR expires_on > ?)", (shut["account_id"], on.isoformat(),
                                                              on.isoformat())).fetchone()
    tariff = s.reconnect_after_hours_fee_cents if after_hours else s.reconnect_fee_cents
    cap = (s.reconnect_low_income_after_hours_cap_cents if after_hours
           else s.reconnect_low_income_cap_cents)
    fee = tariff
    why = f"reconnection fee{' after hours' if after_hours else ''} {format_money(tariff)}"
    if low_income and shut["service_class"] == "residential" and tariff > cap:
        fee = cap
        why += f", capped at {format_money(cap)} for a low-income household (§116914(a))"
    return ReconnectionFee(fee, tariff, low_income is not None, why)


def quote_reconnection(conn: sqlite3.Connection, number: str, *, on: date,
                       after_hours: bool) -> ReconnectionFee:
    """What `reconnect` would charge the account on `on` (nothing is posted); refused as
    `reconnect` refuses it."""
    return reconnection_fee(conn, _reconnectable(conn, number, on), on=on,
                            after_hours=after_hours)


def _reconnectable(conn: sqlite3.Connection, number: str, on: date) -> sqlite3.Row:
    """The account's lock-off to reconnect on `on`; refused without one, or while the
    account still owes the lock-off minimum past due and has no plan."""
    shut = awaiting_reconnection(conn, number)
    if shut is None:
        raise InputError(InputProblem(f"{number} has no lock-off waiting for reconnection",
                                      field="number"))
    s = load_settings(conn)
    owing = next((c for c in candidates(conn, on, shut["cycle_id"],
                                        shut["service_class"] == "residential")
                  if c.account_id == shut["account_id"]), None)
    in_plan = owing is not None and (bool(owing.plan_flag)
                                     or any(p.active_on(on) for p in owing.plans))
    if owing is not None and owing.delinquency.past_due_cents >= s.lockoff_min_past_due_cents \
            and not in_plan:
        raise InputError(InputProblem(
            f"{number} still owes {format_money(owing.delinquency.past_due_cents)} past due: "
            "take a payment or set up a plan first", field="number"))
    return shut


def reconnect(conn: sqlite3.Connection, number: str, *, on: date, after_hours: bool,
              actor: str, at: str) -> str:
    """Restore a locked account once paid (or on a plan), charging the reconnection fee."""
    shut = _reconnectable(conn, number, on)
    charge = reconnection_fee(conn, shut, on=on, after_hours=after_hours)
    fee, why = charge.cents, charge.why
    with write_transaction(conn):
        entry_id = None
        if fee > 0:
            entry_id = post(conn, Posting(shut["account_id"], EntryType.FEE, fee, on, actor,
                                          RECONNECT_REASON, why,
                                          reference=f"reconnection {shut['id']}"),
                            posted_at=at)
        conn.execute("INSERT INTO reconnections (shutoff_id, account_id, reconnected_on,"
                     " after_hours, low_income, fee_cents, ledger_entry_id, recorded_by,"
                     " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (shut["id"], shut["account_id"], on.isoformat(), int(after_hours),
                      int(charge.low_income), fee, entry_id, actor, at))
        audit.record(conn, at=at, actor=actor, action="lockoff.reconnected",
                     object_type="account", object_id=number, after={"fee_cents": fee})
    return f"{number} reconnected on {on}: {why}."


def annual_count(conn: sqlite3.Connection, year: int) -> dict[str, int]:
    """Discontinuations for non-payment in a year, by service class (RULES.md §1.6)."""
    found = {"residential": 0, "commercial": 0}
    for service_class, count in conn.execute(
            "SELECT service_class, count(*) FROM shutoff_log WHERE locked_on BETWEEN ? AND ?"
            " GROUP BY service_class", (f"{year}-01-01", f"{year}-12-31")):
        found[service_class] = count
    return found
