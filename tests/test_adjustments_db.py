"""Adjustments: post within the role's threshold, queue above it, approve, reject, reverse."""
from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal

import pytest

from core.adjustments import RequestKind
from core.errors import ConflictError, InputError, PermissionDenied
from db.adjustment_requests import (
    AdjustmentDraft,
    approve_adjustment,
    preview_adjustment,
    reject_adjustment,
    requests,
    reverse_adjustment,
    submit_adjustment,
)
from db.ledger import balance_of, check
from tests.payments_support import (
    ADMIN,
    AT,
    CLERK,
    CLERK2,
    SUPERVISOR,
    SUPERVISOR2,
    TODAY,
    add_meter_reads,
    small_district,
)


def amount(cents: int, reason: str = "BILL-ERR") -> AdjustmentDraft:
    return AdjustmentDraft("100-0001", RequestKind.AMOUNT, reason, cents)


def test_within_the_clerk_threshold_it_posts_at_once(conn: sqlite3.Connection) -> None:
    ids = small_district(conn, 1)
    shown = preview_adjustment(conn, amount(-10000), user=CLERK, today=TODAY)
    assert not shown.needs_approval and shown.balance_after_cents == 48000 - 10000
    assert balance_of(conn, ids[0])[0] == 48000  # a preview posts nothing
    result = submit_adjustment(conn, amount(-10000), user=CLERK, comment="double billed",
                               at=AT, today=TODAY)
    assert result.status == "posted" and balance_of(conn, ids[0])[0] == 38000
    assert check(conn).ok


def test_above_it_waits_a_clerk_cannot_approve_a_supervisor_can(
        conn: sqlite3.Connection) -> None:
    ids = small_district(conn, 1)
    result = submit_adjustment(conn, amount(-25000), user=CLERK, comment="meter misread",
                               at=AT, today=TODAY)
    assert result.status == "pending" and result.entry_id is None
    assert balance_of(conn, ids[0])[0] == 48000
    with pytest.raises(PermissionDenied, match="only a supervisor can approve"):
        approve_adjustment(conn, result.request_id, approver=CLERK2, comment="looks fine",
                           at=AT, today=TODAY)
    entry_id = approve_adjustment(conn, result.request_id, approver=SUPERVISOR,
                                  comment="checked the read", at=AT, today=TODAY)
    assert balance_of(conn, ids[0])[0] == 23000 and requests(conn) == []
    posted = requests(conn, status=None)[0]
    assert (posted.status, posted.entry_id) == ("posted", entry_id)
    with pytest.raises(ConflictError, match="already posted"):
        approve_adjustment(conn, result.request_id, approver=SUPERVISOR2, comment="again",
                           at=AT, today=TODAY)
    assert check(conn).ok


def test_no_one_approves_their_own_and_large_ones_need_an_admin(
        conn: sqlite3.Connection) -> None:
    small_district(conn, 1)
    own = submit_adjustment(conn, amount(-600000), user=SUPERVISOR, comment="big credit",
                            at=AT, today=TODAY)
    assert own.status == "pending"
    with pytest.raises(PermissionDenied, match="another supervisor"):
        approve_adjustment(conn, own.request_id, approver=SUPERVISOR, comment="mine",
                           at=AT, today=TODAY)
    with pytest.raises(PermissionDenied, match="an admin must"):
        approve_adjustment(conn, own.request_id, approver=SUPERVISOR2, comment="fine by me",
                           at=AT, today=TODAY)
    approve_adjustment(conn, own.request_id, approver=ADMIN, comment="board approved",
                       at=AT, today=TODAY)
    assert check(conn).ok


def test_reject_posts_nothing_and_reverse_nets_an_adjustment_to_zero(
        conn: sqlite3.Connection) -> None:
    ids = small_district(conn, 1)
    waiting = submit_adjustment(conn, amount(20000, "CUST-SVC"), user=CLERK, comment="charge",
                                at=AT, today=TODAY)
    with pytest.raises(PermissionDenied):
        reject_adjustment(conn, waiting.request_id, user=CLERK2, comment="not needed", at=AT)
    reject_adjustment(conn, waiting.request_id, user=SUPERVISOR, comment="no basis", at=AT)
    assert requests(conn, status="rejected")[0].id == waiting.request_id
    posted = submit_adjustment(conn, amount(-5000, "FEE-WAIVE"), user=CLERK,
                               comment="waive fee", at=AT, today=TODAY)
    assert posted.entry_id is not None
    reverse_adjustment(conn, posted.entry_id, user=CLERK, comment="fee was right", at=AT,
                       today=TODAY)
    assert balance_of(conn, ids[0])[0] == 48000
    assert requests(conn, status=None)[0].reversed
    with pytest.raises(InputError, match="already been reversed"):
        reverse_adjustment(conn, posted.entry_id, user=CLERK, comment="again", at=AT,
                           today=TODAY)
    assert check(conn).ok


def test_bad_adjustments_are_refused_with_the_field(conn: sqlite3.Connection) -> None:
    small_district(conn, 1)
    with pytest.raises(InputError, match="not a reason code"):
        preview_adjustment(conn, amount(-100, "NOPE"), user=CLERK, today=TODAY)
    with pytest.raises(InputError, match="comment"):
        submit_adjustment(conn, amount(-100), user=CLERK, comment=" ", at=AT, today=TODAY)
    with pytest.raises(InputError, match="no account"):
        preview_adjustment(conn, AdjustmentDraft("9", RequestKind.AMOUNT, "BILL-ERR", 5),
                           user=CLERK, today=TODAY)


def test_a_leak_adjustment_re_rates_with_the_district_rates_once_a_year(
        conn: sqlite3.Connection) -> None:
    ids = small_district(conn, 1)
    # Reads monthly from 2025-08-03: 8 HCF a month, then a 40 HCF leak in Sep-Oct 2026.
    add_meter_reads(conn, ids[0], [8] * 13 + [40, 8], date(2025, 8, 3))
    leak = AdjustmentDraft("100-0001", RequestKind.LEAK, period_from=date(2026, 9, 10),
                           period_to=date(2026, 10, 10))
    shown = preview_adjustment(conn, leak, user=CLERK, today=TODAY)
    # 32 HCF over normal, billed at tiers 2-3 and re-rated at the Tier 1 price.
    assert shown.amount_cents < 0 and "32 over at Tier 1" in shown.lines[1].text
    result = submit_adjustment(conn, leak, user=CLERK, comment="leak under slab repaired",
                               at=AT, today=TODAY)
    assert result.status == ("pending" if shown.amount_cents < -10000 else "posted")
    with pytest.raises(InputError, match="policy allows 1 in 12 months"):
        preview_adjustment(conn, leak, user=CLERK, today=TODAY)
    assert check(conn).ok


def test_a_slow_meter_back_bill_names_its_method(conn: sqlite3.Connection) -> None:
    ids = small_district(conn, 1)
    add_meter_reads(conn, ids[0], [10] * 15, date(2025, 8, 3))
    draft = AdjustmentDraft("100-0001", RequestKind.BACKBILL, period_from=date(2026, 5, 1),
                            period_to=TODAY, method="percent_slow", percent=Decimal("10"))
    shown = preview_adjustment(conn, draft, user=CLERK, today=TODAY)
    assert shown.amount_cents > 0 and "meter tested slow 10%" in shown.lines[0].text
    with pytest.raises(InputError, match="not an estimate method"):
        preview_adjustment(conn, AdjustmentDraft("100-0001", RequestKind.BACKBILL,
                                                 period_from=date(2026, 5, 1), period_to=TODAY,
                                                 method="guess"), user=CLERK, today=TODAY)
