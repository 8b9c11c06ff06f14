"""Messages workers post to the UI, named as facts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # imported for types only: the first paint does not wait for them
    from core.agenda import AgendaItem
    from db.accounts import AccountDetail, DistrictSummary


@dataclass
class SummaryLoaded(Message):
    summary: DistrictSummary
    agenda: list[AgendaItem]


@dataclass
class AccountLoaded(Message):
    detail: AccountDetail | None
    number: str
