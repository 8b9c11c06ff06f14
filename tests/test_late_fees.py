"""Late fees: the formula, exemptions and the once-in-12-months waiver; posted once per date."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.late_fees import decide, late_fee_amount
from core.schedule import EventKind
from core.settings import DistrictSettings
from db.late_fees import run_late_fees
from db.schedule import generate_months, schedule_for_month
from tests.calendar_support import AT, SUPERVISOR, build_calendar_district

S = DistrictSettings()
ON = date(2026, 10, 12)


def test_the_fee_is_the_greater_of_flat_and_percent() -> None:
    assert late_fee_amount(9000, S) == 1000          # 10% of $90 = $9 < $10 flat
    assert late_fee_amount(12345, S) == 1235         # 10% of $123.45, half-up
    assert late_fee_amount(0, S) == 0


@given(st.integers(1, 10_000_000))
def test_the_fee_never_falls_below_flat_nor_above_the_cap(basis: int) -> None:
    fee = late_fee_amount(basis, S)
    assert fee >= S.late_fee_flat_cents
    assert fee <= max(S.late_fee_flat_cents, basis // 10 + 1)


def test_plans_are_exempt_and_low_income_is_waived_once_in_12_months() -> None:
    assert not decide(9000, S, on=ON, in_plan=True, low_income=False, last_waiver=None).charge
    first = decide(9000, S, on=ON, in_plan=False, low_income=True, last_waiver=None)
    assert first.waived and "§116914" in first.why
    again = decide(9000, S, on=ON, in_plan=False, low_income=True,
                   last_waiver=date(2026, 1, 12))
    assert again.charge
    year = decide(9000, S, on=ON, in_plan=False, low_income=True, last_waiver=date(2025, 10, 12))
    assert year.waived


@pytest.fixture
def district(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = build_calendar_district(tmp_path / "district.db", accounts_per_cycle=2)
    generate_months(conn, date(2026, 8, 1), 3, user=SUPERVISOR, at=AT, today=date(2026, 8, 1))
    yield conn
    conn.close()


def test_a_late_fee_run_posts_once_per_account_and_date(district: sqlite3.Connection) -> None:
    dates = {d.event: d.on for d in schedule_for_month(district, date(2026, 8, 1), 1)}
    fee_day = dates[EventKind.LATE_FEE]
    account = district.execute("SELECT id FROM accounts WHERE number = '100-0001'").fetchone()[0]
    district.execute("INSERT INTO protection_records (account_id, condition, evidence,"
                     " received_on, recorded_by, recorded_at) VALUES (?, 'financial',"
                     " 'CalFresh card', '2026-08-01', 'clerk1', ?)", (account, AT))
    first = run_late_fees(district, fee_day, actor="clerk1", at=AT)
    assert (first.charged, first.waived, first.exempt) == (1, 1, 0)
    fee = district.execute("SELECT amount_cents, reason_code, comment FROM ledger_entries"
                           " WHERE entry_type = 'late_fee'").fetchall()
    assert [tuple(r)[:2] for r in fee] == [(1000, "LATE-FEE")] and "max($10.00" in fee[0][2]
    again = run_late_fees(district, fee_day, actor="clerk1", at=AT)
    assert (again.charged, again.already) == (0, 2)
    used = district.execute("SELECT used_by FROM schedule_dates WHERE month = '2026-08' AND"
                            " cycle_id = 1 AND event = 'late_fee'").fetchone()[0]
    assert used.startswith("late fee 2026-08")
