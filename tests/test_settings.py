"""District settings: defaults, statutory floors, storage with an audit row per change."""
from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from core.errors import InputError
from core.settings import (
    DistrictSettings,
    setting_names,
    settings_from_mapping,
    settings_to_mapping,
)
from db.settings import load_settings, save_settings

AT = "2026-03-01T09:00:00"


def refusal(values: dict[str, Any]) -> InputError:
    with pytest.raises(InputError) as refused:
        settings_from_mapping(values)
    return refused.value


def test_defaults_are_valid_and_round_trip() -> None:
    defaults = DistrictSettings()
    assert settings_from_mapping({}) == defaults
    assert settings_from_mapping(settings_to_mapping(defaults)) == defaults
    assert set(settings_to_mapping(defaults)) == set(setting_names())


def test_an_unknown_key_is_refused_by_name() -> None:
    error = refusal({"late_fee_pct": "5"})
    assert [p.field for p in error.problems] == ["late_fee_pct"]
    assert "late_fee_pct" in str(error) and "not a setting" in str(error)


@pytest.mark.parametrize(("key", "value"), [
    ("returned_check_fee_first_cents", 2501),
    ("returned_check_fee_later_cents", 3501),
])
def test_returned_check_fees_above_the_civil_code_cap_are_refused(key: str, value: int) -> None:
    error = refusal({key: value})
    assert [p.field for p in error.problems] == [key]
    assert "Civil Code §1719" in str(error)


def test_returned_check_fees_at_or_below_the_cap_are_allowed() -> None:
    stricter = settings_from_mapping({"returned_check_fee_first_cents": 2000,
                                      "returned_check_fee_later_cents": 3500})
    assert stricter.returned_check_fee_first_cents == 2000


@pytest.mark.parametrize(("key", "value"), [
    ("lockoff_min_days_delinquent", 45),
    ("lockoff_min_days_delinquent", 59),
    ("lockoff_notice_business_days", 5),
])
def test_lockoff_rules_weaker_than_sb_998_are_refused(key: str, value: int) -> None:
    error = refusal({key: value})
    assert [p.field for p in error.problems] == [key]
    assert "SB 998" in str(error) and str(value) in str(error)


def test_a_district_may_wait_longer_than_sb_998_requires() -> None:
    assert settings_from_mapping({"lockoff_min_days_delinquent": 75}
                                 ).lockoff_min_days_delinquent == 75


@pytest.mark.parametrize("percent", ["12", "10.01", "-1", "nan"])
def test_late_fee_percent_over_the_cap_is_refused(percent: str) -> None:
    error = refusal({"late_fee_percent": percent})
    assert [p.field for p in error.problems] == ["late_fee_percent"]
    assert "10% cap" in str(error)


@pytest.mark.parametrize("percent", ["ten", 12])
def test_late_fee_percent_must_be_a_number_written_as_text(percent: object) -> None:
    assert [p.field for p in refusal({"late_fee_percent": percent}).problems] == [
        "late_fee_percent"]


@pytest.mark.parametrize(("key", "value"), [
    ("due_days", "21"),
    ("due_days", True),
    ("due_days", -1),
    ("due_days", 0),
    ("due_days", 91),
    ("district_name", "  "),
    ("lockoff_skip_day_before_closure", 1),
    ("lockoff_skip_day_before_closure", "yes"),
    ("read_window_business_days", 0),
    ("door_hanger_lead_hours", 12),
])
def test_badly_typed_values_are_refused_by_key(key: str, value: object) -> None:
    assert [p.field for p in refusal({key: value}).problems] == [key]


def test_every_problem_is_reported_at_once() -> None:
    error = refusal({"colour": "blue", "returned_check_fee_first_cents": 5000,
                     "lockoff_min_days_delinquent": 45, "late_fee_percent": "12"})
    assert {p.field for p in error.problems} == {
        "colour", "returned_check_fee_first_cents", "lockoff_min_days_delinquent",
        "late_fee_percent"}


# --- stored settings ----------------------------------------------------------------------


def audit_rows(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM audit_log WHERE object_type = 'setting' ORDER BY id"
                        ).fetchall()


def test_an_empty_settings_table_loads_the_defaults(conn: sqlite3.Connection) -> None:
    assert load_settings(conn) == DistrictSettings()


def test_save_writes_an_audit_row_per_changed_key_and_load_round_trips(
        conn: sqlite3.Connection) -> None:
    saved = save_settings(conn, {"due_days": 25, "late_fee_flat_cents": 1500,
                                 "lockoff_skip_day_before_closure": False}, actor="admin1",
                          at=AT)
    assert load_settings(conn) == saved
    assert (saved.due_days, saved.late_fee_flat_cents,
            saved.lockoff_skip_day_before_closure) == (25, 1500, False)
    rows = audit_rows(conn)
    assert [(r["object_id"], r["action"], r["actor"], r["at"]) for r in rows] == [
        ("due_days", "settings.change", "admin1", AT),
        ("late_fee_flat_cents", "settings.change", "admin1", AT),
        ("lockoff_skip_day_before_closure", "settings.change", "admin1", AT)]
    assert [(json.loads(r["before"]), json.loads(r["after"])) for r in rows] == [
        (21, 25), (1000, 1500), (True, False)]

    save_settings(conn, {"due_days": 30}, actor="admin2", at="2026-03-02T09:00:00")
    reloaded = load_settings(conn)
    assert (reloaded.due_days, reloaded.late_fee_flat_cents) == (30, 1500)
    last = audit_rows(conn)[-1]
    assert (last["object_id"], json.loads(last["before"]), json.loads(last["after"]),
            last["actor"]) == ("due_days", 25, 30, "admin2")
    stored = conn.execute("SELECT updated_by FROM settings WHERE key = 'due_days'").fetchone()
    assert stored["updated_by"] == "admin2"


def test_a_refused_change_writes_nothing(conn: sqlite3.Connection) -> None:
    save_settings(conn, {"due_days": 25}, actor="admin1", at=AT)
    with pytest.raises(InputError, match="SB 998"):
        save_settings(conn, {"due_days": 28, "lockoff_min_days_delinquent": 45},
                      actor="admin1", at=AT)
    with pytest.raises(InputError, match="no_such_key"):
        save_settings(conn, {"no_such_key": 1}, actor="admin1", at=AT)
    assert load_settings(conn).due_days == 25
    assert len(audit_rows(conn)) == 1


def test_a_bad_stored_value_is_reported_on_load(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO settings (key, value, updated_by, updated_at)"
                 " VALUES ('returned_check_fee_first_cents', '4000', 'sqlite3', ?)", (AT,))
    with pytest.raises(InputError, match="settings table:returned_check_fee_first_cents"):
        load_settings(conn)
