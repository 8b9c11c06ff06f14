"""Messages workers post to the UI, named as facts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # imported for types only: the first paint does not wait for them
    from core.adjustments import AdjustmentPreview
    from core.agenda import AgendaItem
    from core.ledger import Aging
    from core.payments import BatchTotals
    from db.account_search import SearchResult
    from db.account_view import AccountView
    from db.accounts import AccountDetail, DistrictSummary
    from db.adjustment_requests import RequestRow
    from db.payment_batches import Batch, BatchLine, PostedPayment
    from db.schedule_conflicts import CalendarMonth


@dataclass
class SummaryLoaded(Message):
    summary: DistrictSummary
    agenda: list[AgendaItem]


@dataclass
class AccountLoaded(Message):
    detail: AccountDetail | None
    number: str


@dataclass
class CalendarLoaded(Message):
    view: CalendarMonth


@dataclass
class ScheduleChanged(Message):
    """A generation, override or closure change was stored; `lines` say what it did."""

    title: str
    lines: list[str]


@dataclass
class ReadsImported(Message):
    """A read file was imported; `summary` says what it stored."""

    summary: str


@dataclass
class ReadExceptionWorked(Message):
    """A disposition was stored; `message` says what it did (and what the read still fails)."""

    message: str


@dataclass
class AccountHeaderLoaded(Message):
    """The account's header, balance and aging were read; the tabs follow."""

    detail: AccountDetail | None
    aging: Aging | None
    number: str


@dataclass
class AccountViewLoaded(Message):
    """The account detail screen's data was read (None: there is no such account)."""

    view: AccountView | None
    number: str


@dataclass
class AccountChanged(Message):
    """A note, address, customer change or move-out was stored; `message` says what."""

    number: str
    message: str
    tab: str = ""


@dataclass
class AccountsFound(Message):
    """One keystroke's search finished; `generation` drops answers to older keystrokes."""

    result: SearchResult
    generation: int


@dataclass
class BatchLoaded(Message):
    """The clerk's open payment batch (None: there is none), its totals and its payments."""

    batch: Batch | None
    totals: BatchTotals | None
    lines: list[BatchLine]


@dataclass
class PaymentPosted(Message):
    """A keyed payment posted; `token` is the line the screen showed as POSTING."""

    token: int
    posted: PostedPayment
    totals: BatchTotals


@dataclass
class PaymentRefused(Message):
    """A keyed payment was refused by the database's rules; nothing was stored."""

    token: int
    reason: str


@dataclass
class PaymentsChanged(Message):
    """A void, a return, a close or an import was stored; `message` says what it did."""

    message: str


@dataclass
class AdjustmentPreviewed(Message):
    preview: AdjustmentPreview


@dataclass
class AdjustmentQueueLoaded(Message):
    """Requests waiting, then recent ones; and the clerk's own posting limit (None: none)."""

    rows: list[RequestRow]
    limit_cents: int | None


@dataclass
class AdjustmentStored(Message):
    """A submission, approval, rejection or reversal was stored; `message` says which."""

    message: str



@dataclass
class WorkOrderChanged(Message):
    """A work order was scheduled, completed or cancelled; `message` says what it did."""

    message: str


@dataclass
class RefundRegisterChanged(Message):
    """A refund was approved or cancelled, or the approved were paid; `message` says which."""

    message: str
