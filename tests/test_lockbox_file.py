"""The lockbox file is checked whole before anything posts; each problem names line and field."""
from __future__ import annotations

from datetime import date

import pytest

from core.errors import InputError
from core.lockbox import COLUMNS, parse_lockbox
from fixtures.demo_lockbox import scan_line

TODAY = date(2026, 11, 20)
HEADER = ",".join(COLUMNS)


def row(seq: int = 1, *, account: str = "100-0001", cents: str = "8000", check: str = "1001",
        routing: str = "011401533", micr: str = "55501", channel: str = "LOCKBOX",
        day: str = "2026-11-19", scan: str | None = None, batch: str = "0001") -> str:
    scan_text = scan_line(account, 8000) if scan is None else scan
    return ",".join([day, "LBX01", batch, str(seq), account, "8000", cents, check, routing, micr,
                     "PAYER", scan_text, channel, ""])


def parse(*rows: str, control: int | None = None):  # type: ignore[no-untyped-def]
    data = "\n".join([HEADER, *rows]).encode() + b"\n"
    return parse_lockbox(data.splitlines(keepends=True), source="lbx.csv", today=TODAY,
                         control_total_cents=control)


def test_a_good_file_gives_items_and_bank_batch_totals() -> None:
    found = parse(row(1), row(2, account="100-0002", check="77", micr="9"),
                  row(1, batch="0002", channel="WEB", check="", routing="", micr="", scan=""))
    assert [i.amount_cents for i in found.items] == [8000, 8000, 8000]
    assert found.batch_totals == {("LBX01", "0001"): (2, 16000), ("LBX01", "0002"): (1, 8000)}
    assert found.items[0].payer == "011401533/55501" and found.total_cents == 24000


def test_mmddyyyy_deposit_dates_are_read() -> None:
    assert parse(row(day="11192026")).items[0].deposit_date == date(2026, 11, 19)


@pytest.mark.parametrize(("bad", "field", "words"), [
    (row(cents="80x0"), "amount_paid_cents", "not a whole number of cents"),
    (row(cents="-500"), "amount_paid_cents", "more than 0 cents"),
    (row(cents="0"), "amount_paid_cents", "more than 0 cents"),
    (row(routing="011401534"), "micr_routing", "check digit"),
    (row(scan="12345678"), "scan_line_raw", "check digit"),
    (row(channel="FAX"), "channel", "not a channel"),
    (row(day="2026-11-21"), "deposit_date", "after today"),
    (row(day="2026-02-30"), "deposit_date", "not a date"),
    (row(check="12A"), "check_number", "not a check number"),
])
def test_each_bad_field_is_named_with_its_line(bad: str, field: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(row(1), bad.replace(",1,", ",2,", 1))
    problem = caught.value.problems[0]
    assert (problem.source, problem.line, problem.field) == ("lbx.csv", 3, field)
    assert words in problem.message


def test_a_duplicate_check_number_from_the_same_payer_in_one_batch_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        parse(row(1), row(2))
    assert "duplicate check number" in str(caught.value) and "line 2" in str(caught.value)
    # The same number from another payer, or in another batch, is a different check.
    assert len(parse(row(1), row(2, micr="99999")).items) == 2
    assert len(parse(row(1), row(1, batch="0002")).items) == 2


def test_every_problem_is_reported_at_once_and_the_header_is_checked() -> None:
    with pytest.raises(InputError) as caught:
        parse(row(1, cents="x"), row(2, cents="-1", check="2"), row(2, check="3"))
    assert [p.line for p in caught.value.problems if p.line] == [2, 3, 4]
    data = b"deposit_date,amount\n2026-11-19,5\n"
    with pytest.raises(InputError, match=r"docs/formats/lockbox\.md"):
        parse_lockbox(data.splitlines(keepends=True), source="x.csv", today=TODAY)


def test_a_control_total_that_differs_refuses_the_file() -> None:
    with pytest.raises(InputError, match="control total"):
        parse(row(1), control=9000)
    assert parse(row(1), control=8000).total_cents == 8000
