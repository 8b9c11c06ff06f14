"""Work orders: field and office work raised from read exceptions (later issues add more types)."""
from __future__ import annotations

from enum import StrEnum

from core.errors import ConflictError


class WorkOrderType(StrEnum):
    REREAD = "reread"
    METER_CHECK = "meter_check"
    METER_CHANGE = "meter_change"
    LEAK_LETTER = "leak_letter"

    def describe(self) -> str:
        return {"reread": "re-read the meter", "meter_check": "check the meter",
                "meter_change": "change out the meter",
                "leak_letter": "mail a leak letter"}[self.value]


class WorkOrderStatus(StrEnum):
    OPEN = "open"
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


# Which status may follow which: done and cancelled are final.
NEXT_STATUSES: dict[WorkOrderStatus, frozenset[WorkOrderStatus]] = {
    WorkOrderStatus.OPEN: frozenset({WorkOrderStatus.SCHEDULED, WorkOrderStatus.DONE,
                                     WorkOrderStatus.CANCELLED}),
    WorkOrderStatus.SCHEDULED: frozenset({WorkOrderStatus.SCHEDULED, WorkOrderStatus.DONE,
                                          WorkOrderStatus.CANCELLED}),
    WorkOrderStatus.DONE: frozenset(),
    WorkOrderStatus.CANCELLED: frozenset(),
}


def check_transition(order_id: int, current: str, wanted: WorkOrderStatus) -> None:
    """Refuse a status change the order's lifecycle does not allow, saying where it stands."""
    if wanted not in NEXT_STATUSES[WorkOrderStatus(current)]:
        raise ConflictError(f"work order {order_id} is {current}; it cannot become "
                            f"{wanted.value}")
