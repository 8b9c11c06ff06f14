"""Adjustment entry (F9): reason code, an amount or a re-rate (leak, back-bill, fast-meter
refund), a preview of the ledger effect, then post or wait for a supervisor; below, the
approval queue and recent requests, where a supervisor approves or rejects and any posted
adjustment can be reversed."""
from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, Static

from console.messages import AdjustmentPreviewed, AdjustmentQueueLoaded, AdjustmentStored
from console.screens import adjustment_forms
from console.session import now_stamp
from console.widgets.entry_input import EntryInput
from console.worker_errors import ReportsWorkerErrors
from core.errors import InputError
from core.money import format_money
from db.adjustment_requests import AdjustmentDraft, RequestRow

ROWS = ((("account", "Account", "0100004-01"), ("kind", "Kind", "a amt l leak b back f fast")),
        (("reason", "Reason", "BILL-ERR"), ("amount", "Amount", "-25.00 credit")),
        (("from", "From", "YYYY-MM-DD"), ("to", "To", "YYYY-MM-DD")),
        (("method", "Method", "prior_average"), ("percent", "Percent", "meter test %")),
        (("comment", "Comment", "why (required)"),))
FIELDS = tuple(name for row in ROWS for name, _, _ in row)
STATUS = {"pending": "WAITING", "posted": "POSTED", "rejected": "REJECTED"}


class AdjustmentsScreen(ReportsWorkerErrors, Screen[None]):
    """The form on top, the preview in the middle, the queue below."""

    CSS_PATH = "adjustments.tcss"
    BINDINGS = [
        Binding("escape", "leave", "Back", id="adjustments.back"),
        Binding("e", "entry", "Entry", id="adjustments.entry"),
        Binding("a", "approve", "Approve", id="adjustments.approve"),
        Binding("x", "reject", "Reject", id="adjustments.reject"),
        Binding("u", "reverse", "Reverse", id="adjustments.reverse"),
        Binding("r", "refunds", "Refunds", id="adjustments.refunds", show=False),
        Binding("ctrl+l", "clear_form", "Clear the form", id="adjustments.clear", show=False),
        Binding("ctrl+r", "reload", "Refresh", id="adjustments.refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._previewed: AdjustmentDraft | None = None
        self._rows: dict[str, RequestRow] = {}

    def compose(self) -> ComposeResult:
        yield Label("Adjustments", id="adj-title", markup=False)
        for row in ROWS:
            with Horizontal(classes="adj-row"):
                for name, label, hint in row:
                    yield Label(label, classes="adj-label")
                    yield EntryInput(id=f"adj-{name}", placeholder=hint)
        yield Static("Fill the form; Enter on Comment previews the ledger effect, Enter again "
                     "posts it (or sends it for approval).", id="adj-preview", markup=False)
        yield DataTable(id="adj-queue", cursor_type="row", zebra_stripes=True)
        yield Static("Esc: the queue · a approve · x reject · u reverse · e entry · r refunds · F1",
                     id="adj-help", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, key, width in (("#", "id", 4), ("Account", "account", 11),
                                  ("Kind", "kind", 8), ("Amount", "amount", 11),
                                  ("Status", "status", 9), ("By", "by", 8),
                                  ("Comment", "comment", 21)):
            table.add_column(label, key=key, width=width)
        self._field("account").focus()
        self.action_reload()

    def _field(self, name: str) -> Input:
        return self.query_one(f"#adj-{name}", Input)

    def _values(self) -> dict[str, str]:
        return {name: self._field(name).value for name in FIELDS}

    def _say(self, text: str) -> None:
        self.query_one("#adj-preview", Static).update(text)

    # -- the queue ------------------------------------------------------------------------
    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="adjustments-load", exit_on_error=False)
    def _load(self) -> None:
        from core.adjustments import role_limit
        from db.adjustment_requests import requests
        from db.settings import load_settings

        role = self.app.session.user.role  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            waiting = requests(conn, status="pending")
            recent = [r for r in requests(conn, status=None, limit=60) if r.status != "pending"]
            settings = load_settings(conn)
        limit = role_limit(role, clerk_cents=settings.approval_threshold_clerk_cents,
                           supervisor_cents=settings.approval_threshold_supervisor_cents)
        self.post_message(AdjustmentQueueLoaded(waiting + recent, limit))

    @on(AdjustmentQueueLoaded)
    def _show_queue(self, event: AdjustmentQueueLoaded) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self._rows.clear()
        for row in event.rows:
            status = "REVERSED" if row.reversed else STATUS[row.status]
            key = f"r{row.id}"
            self._rows[key] = row
            table.add_row(Text(str(row.id)), Text(row.account_number),
                          Text(row.kind.replace("_", " ")),
                          Text(format_money(row.amount_cents, sign=True), justify="right"),
                          Text(status), Text(row.requested_by), Text(row.comment), key=key)
        waiting = sum(1 for r in event.rows if r.status == "pending")
        session = self.app.session  # type: ignore[attr-defined]
        limit = ("no limit" if event.limit_cents is None
                 else f"post up to {format_money(event.limit_cents)}")
        self.query_one("#adj-title", Label).update(
            f"Adjustments — {waiting} waiting for approval · you: "
            f"{session.user.role.value.upper()}, {limit}")

    # -- entry, preview, post -------------------------------------------------------------
    def field_entered(self, field: Input) -> None:
        """Enter in a field: the next one; on Comment, preview, and post once previewed."""
        name = (field.id or "").removeprefix("adj-")
        index = FIELDS.index(name)
        if index < len(FIELDS) - 1:
            self.set_focus(self._field(FIELDS[index + 1]))
            return
        try:
            draft = adjustment_forms.parse_draft(self._values())
        except InputError as error:
            self._say("Nothing changed: " + "; ".join(
                f"{p.field}: {p.message}" if p.field else p.message for p in error.problems))
            return
        if draft == self._previewed:
            self._submit(draft, self._field("comment").value)
        else:
            self._previewed = None
            self._say("Working out the ledger effect…")
            self._preview(draft)

    @work(thread=True, exclusive=True, group="adjustments-preview", exit_on_error=False)
    def _preview(self, draft: AdjustmentDraft) -> None:
        from db.adjustment_requests import preview_adjustment

        session = self.app.session  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            shown = preview_adjustment(conn, draft, user=session.user, today=session.today)
        self.post_message(AdjustmentPreviewed(shown))

    @on(AdjustmentPreviewed)
    def _previewed_now(self, event: AdjustmentPreviewed) -> None:
        shown = event.preview
        self._previewed = adjustment_forms.parse_draft(self._values())
        action = "SEND FOR APPROVAL" if shown.needs_approval else "POST"
        lines = [f"PREVIEW — Enter on Comment again: {action}; change a field: preview again",
                 shown.summary()]
        for line in shown.lines:
            cents = "" if line.cents is None else f"  {format_money(line.cents, sign=True)}"
            lines.append(f"  {line.text}{cents}")
        self._say("\n".join(lines))
        self._field("comment").focus()

    @work(thread=True, exclusive=True, group="adjustments-submit", exit_on_error=False)
    def _submit(self, draft: AdjustmentDraft, comment: str) -> None:
        from db.adjustment_requests import submit_adjustment

        session = self.app.session  # type: ignore[attr-defined]
        with self.app.connect() as conn:  # type: ignore[attr-defined]
            result = submit_adjustment(conn, draft, user=session.user, comment=comment,
                                       at=now_stamp(), today=session.today)
        if result.entry_id:
            text = (f"POSTED request {result.request_id} as entry {result.entry_id}: "
                    f"{result.preview.summary()}")
        else:
            text = (f"WAITING: request {result.request_id} is in the approval queue: "
                    f"{result.preview.summary()}")
        self.post_message(AdjustmentStored(text))

    @on(AdjustmentStored)
    def _stored(self, event: AdjustmentStored) -> None:
        self._previewed = None
        self._say(event.message)
        if event.message.startswith(("POSTED", "WAITING")):
            self.action_clear_form()
        self.action_reload()

    # -- keys -----------------------------------------------------------------------------
    def action_leave(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(DataTable).focus()
        else:
            self.app.pop_screen()

    def action_refunds(self) -> None:
        """The refund register over this screen, so Esc comes back to the approval queue."""
        from console.screens.refunds import RefundsScreen

        self.app.push_screen(RefundsScreen())

    def action_entry(self) -> None:
        self._field("account").focus()

    def action_clear_form(self) -> None:
        for name in FIELDS:
            self._field(name).value = ""
        self._previewed = None
        self.set_focus(self._field("account"))

    def _selected(self) -> RequestRow | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        return self._rows.get(key)

    def _what(self, row: RequestRow) -> str:
        return (f"{row.kind.replace('_', ' ')} {row.reason_code} on {row.account_number}: "
                f"{format_money(row.amount_cents, sign=True)}, asked by {row.requested_by}: "
                f"{row.comment}")

    def action_approve(self) -> None:
        self._decide(True)

    def action_reject(self) -> None:
        self._decide(False)

    def _decide(self, approve: bool) -> None:
        row = self._selected()
        if row is None or row.status != "pending":
            self._say("Choose a WAITING request in the queue.")
            return
        detail = [f"  {text}" + ("" if cents is None else f"  {format_money(cents, sign=True)}")
                  for text, cents in row.preview[:6]]
        adjustment_forms.decide_flow(self, row.id, "\n".join([self._what(row), *detail]),
                                     approve)

    def action_reverse(self) -> None:
        row = self._selected()
        if row is None or row.status != "posted" or row.entry_id is None or row.reversed:
            self._say("Choose a POSTED adjustment in the list to reverse.")
            return
        adjustment_forms.reverse_flow(self, row.entry_id, self._what(row))
