"""The final read at move-out under the read-audit rules: errors refuse unless a supervisor
accepts them with a reason, warnings go with the close, a normal read passes; the dials bound
the reading."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.errors import InputError, PermissionDenied
from core.final_read import FinalReadRefused, audit_final_read
from core.move_out import LastRead, check_final_read
from core.read_bands import ReadAuditPolicy, parse_bands
from core.reads import MeterChain, Occupancy, ReadPoint, ReadUnderAudit
from core.settings import DistrictSettings
from core.users import Role, User

START = date(2026, 5, 1)
POLICY = ReadAuditPolicy(bands=parse_bands(DistrictSettings().read_bands))
SUPERVISOR = User("super1", Role.SUPERVISOR, "Dale O'Connor")


def final_read(per_period: int, usage: int, days: int = 30) -> ReadUnderAudit:
    """Six 30-day periods of steady use, then a final read `days` after the last read."""
    points = tuple(ReadPoint(START + timedelta(days=30 * k), 1000 + per_period * k)
                   for k in range(7))
    return ReadUnderAudit(1, "NP26-0000001", 6, points[-1].day + timedelta(days=days),
                          points[-1].reading + usage, Occupancy.ACTIVE,
                          (MeterChain(1, "NP26-0000001", 6, points),))


def test_an_error_finding_refuses_naming_the_rule_threshold_and_expected_usage() -> None:
    with pytest.raises(FinalReadRefused) as refused:
        audit_final_read(final_read(200, 2000), POLICY)
    assert [f.rule_id for f in refused.value.errors] == ["HIGH"]
    message = str(refused.value)
    assert message.startswith("final read: 4200 fails HIGH (error, limit +65%): Usage 2000")
    assert "the expected 200" in message
    assert 'a supervisor closes with --accept-read "REASON"' in message
    assert len(refused.value.problems) == 1  # one sentence


def test_an_error_accepted_with_a_reason_stands_and_says_so() -> None:
    checked = audit_final_read(final_read(200, 2000), POLICY, accept_reason=" pool filled ",
                               accepted_by=SUPERVISOR)
    assert (checked.accepted_reason, checked.accepted_by) == ("pool filled", "super1")
    assert [f.rule_id for f in checked.errors] == ["HIGH"]
    lines = checked.lines()
    assert lines[0].startswith("Read audit ERROR HIGH — ACCEPTED: Usage 2000")
    assert lines[-1] == "Read accepted by super1: pool filled"
    assert checked.as_record(errors_only=True)[0]["threshold"] == "+65%"
    with pytest.raises(InputError, match="say why the reading is right"):
        audit_final_read(final_read(200, 2000), POLICY, accept_reason="  ",
                         accepted_by=SUPERVISOR)


@pytest.mark.parametrize("role", [Role.CLERK, Role.TRAINER])
def test_only_a_supervisor_may_accept_an_error_finding(role: Role) -> None:
    with pytest.raises(PermissionDenied) as refused:
        audit_final_read(final_read(200, 2000), POLICY, accept_reason="pool filled",
                         accepted_by=User("rosa", role))
    assert str(refused.value) == ("only a supervisor can accept a final read the read audit "
                                  f"calls an error; rosa is a {role.value}")
    with pytest.raises(PermissionDenied, match="no one signed in accepted it"):
        audit_final_read(final_read(200, 2000), POLICY, accept_reason="pool filled")
    admin = audit_final_read(final_read(200, 2000), POLICY, accept_reason="pool filled",
                             accepted_by=User("dlopez", Role.ADMIN))
    assert admin.accepted_by == "dlopez"


def test_a_clerk_closes_on_a_warning_with_no_supervisor() -> None:
    warned = audit_final_read(final_read(10, 100), POLICY, accept_reason="not needed",
                              accepted_by=User("rosa", Role.CLERK))
    assert warned.warnings and warned.accepted_reason is None and warned.accepted_by == ""


def test_a_warning_does_not_refuse_and_a_normal_read_passes() -> None:
    warned = audit_final_read(final_read(10, 100), POLICY)
    assert [(f.rule_id, f.severity.value) for f in warned.findings] == [("HIGH", "warning")]
    assert warned.accepted_reason is None and not warned.errors
    # Half a period at the usual rate: expected usage is scaled to the days.
    normal = audit_final_read(final_read(10, 5, days=15), POLICY, accept_reason="not needed")
    assert normal.findings == () and normal.accepted_reason is None
    assert normal.lines() == ["Read audit: the final read passes every read-audit rule."]


def test_a_final_read_must_fit_the_meters_dials() -> None:
    last = LastRead(date(2026, 11, 3), 1725, "NP17-0000008")
    with pytest.raises(InputError, match="more digits than meter NP17-0000008's 4 dials"):
        check_final_read(last, final_reading=99999, close_on=date(2026, 11, 20),
                         opened_on=date(2020, 1, 1), today=date(2026, 11, 20), dials=4)
    check_final_read(last, final_reading=9999, close_on=date(2026, 11, 20),
                     opened_on=date(2020, 1, 1), today=date(2026, 11, 20), dials=4)
