"""Payments (F7): key a stack of checks and cash into a batch with a running total against the
control total; post a lockbox file; void, return, balance and close.

Posting never waits on the database between entries: Enter checks the line's form at once,
shows it as POSTING… and clears the form for the next one, while one poster thread posts the
lines in the order keyed, each in its own short transaction, and turns each into POSTED (with
where the money went) or REFUSED.
"""
from __future__ import annotations

import itertools
from queue import SimpleQueue

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, Static
from textual.worker import Worker, WorkerState

from console.messages import BatchLoaded, PaymentPosted, PaymentRefused, PaymentsChanged
from console.screens import payment_flows
from console.session import now_stamp
from console.widgets.entry_input import EntryInput, HeldKeys
from console.worker_errors import ReportsWorkerErrors
from core.errors import ConflictError, InputError
from core.money import format_money
from core.payments import BatchTotals, PaymentLine, parse_payment_line

FIELDS = ("account", "amount", "method", "check")
HELP = ("Enter: next field; posts on Check no · Method: k check, c cash, m money order, "
        "d card, a ACH · ctrl+l clears · Esc: the list")


class PaymentsScreen(ReportsWorkerErrors, Screen[None]):
    """The clerk's payment batch: entry form on top, the batch's payments below."""

    CSS_PATH = "payments.tcss"
    # Nothing has the focus until the open batch is known (keys typed meanwhile are held,
    # then go to the batch form or the account field: _show_batch).
    AUTO_FOCUS = ""
    BINDINGS = [
        Binding("escape", "leave", "Back", id="payments.back"),
        Binding("e", "entry", "Entry", id="payments.entry"),
        Binding("c", "close_batch", "Close batch", id="payments.close"),
        Binding("v", "void", "Void", id="payments.void"),
        Binding("r", "returned", "Returned", id="payments.returned"),
        Binding("i", "import_file", "Lockbox", id="payments.import"),
        Binding("n", "new_batch", "New batch", id="payments.new_batch"),
        Binding("s", "suspense", "Suspense", id="payments.suspense", show=False),
        Binding("t", "control_total", "Control total", id="payments.control_total",
                show=False),
        Binding("ctrl+l", "clear_form", "Clear the form", id="payments.clear", show=False),
        Binding("ctrl+r", "reload", "Refresh", id="payments.refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.batch_id: int | None = None
        self.totals: BatchTotals | None = None
        self._tokens = itertools.count(1)
        self._rows: dict[str, tuple[int | None, str]] = {}  # row key -> (payment id, status)
        self._keys: dict[tuple[str, str], str] = {}  # duplicate key -> row key
        self._said = ""
        self._asked = False
        # Until the open batch is known, keys wait: they are the control total when the
        # batch form opens on arrival, else the first payment's account.
        self._held = HeldKeys()
        self._load_failed = False
        self._outbox: SimpleQueue[tuple[int, int, PaymentLine] | None] = SimpleQueue()

    def compose(self) -> ComposeResult:
        yield Label("Payments — loading your batch…", id="pay-title", markup=False)
        with Horizontal(id="pay-labels"):
            for text in ("Account", "Amount", "Method", "Check no"):
                yield Label(text, classes="pay-label")
        with Horizontal(id="pay-form"):
            yield EntryInput(id="pay-account", placeholder="0100004-01")
            yield EntryInput(id="pay-amount", placeholder="125.00")
            yield EntryInput(id="pay-method", placeholder="k check")
            yield EntryInput(id="pay-check", placeholder="1234")
        yield Static("", id="pay-result", markup=False)
        yield Static("", id="pay-problem", markup=False)
        yield DataTable(id="pay-lines", cursor_type="row", zebra_stripes=True)
        yield Static(HELP, id="pay-help", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, key, width in (("#", "n", 4), ("Account", "account", 10),
                                  ("Customer", "name", 16), ("Amount", "amount", 10),
                                  ("Method", "method", 7), ("Check", "check", 6),
                                  ("Status", "status", 8)):
            table.add_column(label, key=key, width=width)
        self._poster()
        self.action_reload()

    def on_key(self, event: events.Key) -> None:
        if self._held.hold(event):
            event.stop()
            event.prevent_default()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A batch that could not be loaded: ReportsWorkerErrors' handler (called too) shows
        the error, and once it is closed the account field has the keys held meanwhile."""
        if event.state == WorkerState.ERROR and event.worker.group == "payments-load":
            self._load_failed = True

    def on_screen_resume(self) -> None:
        if self._load_failed:
            self._load_failed = False
            self._take_keys(self._held.release())

    def _take_keys(self, typed: list[events.Key]) -> None:
        """The account field gets the focus, if nothing has it, and the keys typed."""
        if typed or self.focused is None:
            account = self.query_one("#pay-account", Input)
            self.set_focus(account)  # now, not later: its focus comes before the keys
            for key in typed:
                account.post_message(key)

    def on_unmount(self) -> None:
        self._outbox.put(None)  # the poster finishes what was keyed, then stops

    # -- loading --------------------------------------------------------------------------
    def action_reload(self) -> None:
        self._load(self.batch_id)

    @work(thread=True, exclusive=True, group="payments-load", exit_on_error=False)
    def _load(self, batch_id: int | None) -> None:
        from db.payment_batches import batch_lines, batch_totals, get_batch, open_batch_of

        login = self.app.session.user.login  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            batch = get_batch(conn, batch_id) if batch_id else open_batch_of(conn, login)
            if batch is not None and batch.status != "open":
                batch = open_batch_of(conn, login)
            totals = batch_totals(conn, batch.id) if batch else None
            lines = batch_lines(conn, batch.id) if batch else []
        self.post_message(BatchLoaded(batch, totals, lines))

    @on(BatchLoaded)
    def _show_batch(self, event: BatchLoaded) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self._rows.clear()
        self._keys.clear()
        self.batch_id = event.batch.id if event.batch else None
        self.totals = event.totals
        for line in reversed(event.lines):
            key = f"p{line.payment_id}"
            table.add_row(Text(str(line.payment_id)), Text(line.account_number),
                          Text(line.customer_name), Text(format_money(line.amount_cents),
                                                         justify="right"),
                          Text(line.method.replace("_", " ")), Text(line.check_number),
                          Text(line.status), key=key)
            self._rows[key] = (line.payment_id, line.status)
            if line.check_number and line.status == "POSTED":
                self._keys[(line.account_number, line.check_number)] = key
        if table.row_count:
            table.move_cursor(row=table.row_count - 1)
        self._show_title()
        if event.batch is not None:
            self._problem("")
        if event.batch is not None and not self._said.startswith(("CLOSED", "POSTED", "VOIDED",
                                                                   "RETURNED", "REFUSED")):
            self._say(f"Batch {event.batch.id} is open: key each payment; the title keeps the "
                      "running total against the control total.")
        if event.batch is None:
            self._problem("No open batch: Esc then n opens one with its control total; i posts "
                          "a lockbox file.")
            if not self._asked:  # on arrival only; after a close or an import, n asks
                self._asked = True
                # The keys stay held until the form is mounted: its control total has them.
                payment_flows.new_batch_flow(self, self._held)
                return
        self._take_keys(self._held.release())

    def _show_title(self) -> None:
        title = self.query_one("#pay-title", Label)
        if self.batch_id is None or self.totals is None:
            title.update("Payments — no open batch")
            return
        t = self.totals
        title.update(f"Batch {self.batch_id} OPEN · control {format_money(t.control_cents)} · "
                     f"posted {format_money(t.posted_cents)} in {t.posted_count} · {t.status()}")

    def _say(self, text: str) -> None:
        """The last thing the database did (or refused), one line."""
        self._said = text
        self.query_one("#pay-result", Static).update(text)

    def _problem(self, text: str) -> None:
        """What is wrong with the line being keyed; empty once it is sent."""
        self.query_one("#pay-problem", Static).update(text)

    # -- keying ---------------------------------------------------------------------------
    def _field(self, name: str) -> Input:
        return self.query_one(f"#pay-{name}", Input)

    def field_entered(self, field: Input) -> None:
        """Enter in a field: the next field, or post the line from the last one."""
        name = (field.id or "").removeprefix("pay-")
        index = FIELDS.index(name)
        method = self._field("method").value.strip().lower()
        not_check = method not in ("", "k", "check")
        if index < len(FIELDS) - 1 and not (name == "method" and not_check):
            self.set_focus(self._field(FIELDS[index + 1]))
            return
        self._post_current()

    def _post_current(self) -> None:
        if self.batch_id is None:
            self._problem("REFUSED: no open batch; press Esc then n to open one.")
            return
        values = {name: self._field(name).value for name in FIELDS}
        try:
            line = parse_payment_line(values["account"], values["amount"], values["method"],
                                      values["check"])
        except InputError as error:
            self._problem("REFUSED (nothing posted): " + "; ".join(
                f"{p.field}: {p.message}" if p.field else p.message for p in error.problems))
            field = error.problems[0].field
            self.set_focus(self._field({"check_number": "check"}.get(field, field)
                                       if field in ("account", "amount", "method",
                                                    "check_number") else "account"))
            return
        duplicate = line.duplicate_key()
        if duplicate and duplicate in self._keys:
            self._problem(f"REFUSED (nothing posted): check #{line.check_number} from "
                      f"{line.account_number} is already in this batch: a duplicate check "
                      "number.")
            self.set_focus(self._field("check"))
            return
        token = next(self._tokens)
        key = f"t{token}"
        self.query_one(DataTable).add_row(
            Text("…"), Text(line.account_number), Text(""),
            Text(format_money(line.amount_cents), justify="right"),
            Text(line.method.value.replace("_", " ")), Text(line.check_number),
            Text("POSTING…"), key=key)
        self._rows[key] = (None, "POSTING")
        if duplicate:
            self._keys[duplicate] = key
        table = self.query_one(DataTable)
        table.move_cursor(row=table.row_count - 1)
        for name in FIELDS:
            self._field(name).value = ""
        self._problem("")
        self.set_focus(self._field("account"))
        self._outbox.put((token, self.batch_id, line))

    @work(thread=True, group="payments-poster", exit_on_error=False)
    def _poster(self) -> None:
        """Post keyed lines in order, one short transaction each, until the screen closes."""
        from db.payment_batches import batch_totals, post_payment

        session = self.app.session  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            while (item := self._outbox.get()) is not None:
                token, batch_id, line = item
                try:
                    posted = post_payment(conn, batch_id, line, actor=session.user.login,
                                          at=now_stamp(), today=session.today)
                    totals = batch_totals(conn, batch_id)
                except (InputError, ConflictError) as error:
                    self.post_message(PaymentRefused(token, str(error)))
                except Exception as error:  # rolled back: say so on the line, keep posting
                    self.post_message(PaymentRefused(
                        token, f"not posted ({type(error).__name__}: {error}); key it again"))
                else:
                    self.post_message(PaymentPosted(token, posted, totals))

    @on(PaymentPosted)
    def _posted(self, event: PaymentPosted) -> None:
        key = f"t{event.token}"
        table = self.query_one(DataTable)
        p = event.posted
        table.update_cell(key, "n", Text(str(p.payment_id)))
        table.update_cell(key, "name", Text(p.customer_name))
        table.update_cell(key, "status", Text("POSTED"))
        self._rows[key] = (p.payment_id, "POSTED")
        self.totals = event.totals
        self._show_title()
        self._say(f"POSTED {p.account_number} {p.customer_name}: {format_money(p.amount_cents)}"
                  f" — {p.allocation}.")

    @on(PaymentRefused)
    def _refused(self, event: PaymentRefused) -> None:
        key = f"t{event.token}"
        self.query_one(DataTable).update_cell(key, "status", Text("REFUSED"))
        self._rows[key] = (None, "REFUSED")
        for dup, row in list(self._keys.items()):
            if row == key:
                del self._keys[dup]
        self._say(f"REFUSED (nothing posted): {event.reason}")

    @on(PaymentsChanged)
    def _changed(self, event: PaymentsChanged) -> None:
        self._say(event.message)
        self.action_reload()

    # -- list actions ---------------------------------------------------------------------
    def action_leave(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(DataTable).focus()
        else:
            self.app.pop_screen()

    def action_entry(self) -> None:
        self._field("account").focus()

    def action_clear_form(self) -> None:
        for name in FIELDS:
            self._field(name).value = ""
        self._field("account").focus()

    def _selected(self) -> tuple[int | None, str, list[str]]:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None, "", []
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        payment_id, status = self._rows.get(key, (None, ""))
        cells = [str(c) for c in table.get_row(key)]
        return payment_id, status, cells

    def action_void(self) -> None:
        payment_id, status, cells = self._selected()
        if payment_id is None or status != "POSTED":
            self._say("Choose a POSTED payment in the list to void.")
            return
        payment_flows.void_flow(self, payment_id, f"payment {payment_id} {cells[1]} {cells[3]}")

    def action_returned(self) -> None:
        _, status, cells = self._selected()
        if status == "POSTED":
            payment_flows.returned_flow(self, cells[1], cells[5])
        else:
            payment_flows.returned_flow(self)

    def action_close_batch(self) -> None:
        if self.batch_id is None:
            self._say("No open batch to close.")
            return
        self._close(self.batch_id)

    @work(thread=True, exclusive=True, group="payments-close", exit_on_error=False)
    def _close(self, batch_id: int) -> None:
        from db.payment_batches import close_batch, describe_totals

        with self.app.connect() as conn:  # type: ignore[attr-defined]
            login = self.app.session.user.login  # type: ignore[attr-defined]
            totals = close_batch(conn, batch_id, actor=login, at=now_stamp())
        self.post_message(PaymentsChanged(f"CLOSED batch {batch_id}: {describe_totals(totals)}."))

    def action_new_batch(self) -> None:
        payment_flows.new_batch_flow(self)

    def action_control_total(self) -> None:
        if self.batch_id is not None and self.totals is not None:
            payment_flows.control_total_flow(self, self.batch_id, self.totals.control_cents)

    def action_import_file(self) -> None:
        payment_flows.import_flow(self)

    def action_suspense(self) -> None:
        payment_flows.suspense_flow(self)

