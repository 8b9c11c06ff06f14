"""After lock-off: the four lists with reasons, logged once, and write-offs only on approval
(a rejected batch posts nothing and its accounts may be proposed again)."""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from core.collections import LockedOff, findings
from core.errors import InputError, PermissionDenied
from core.settings import DistrictSettings, settings_from_mapping
from core.users import Role, User
from db.collections import after_lockoff_list, send_final_notices
from db.ledger import balance_of, check
from db.write_offs import approve_batch, batch, propose_batch, reject_batch
from tests.calendar_support import AT, SUPERVISOR
from tests.collections_support import locked_off_district

S = DistrictSettings()
LOCKED = date(2026, 1, 5)


def _off(days_owing: int = 9000, *, owner: bool = False, plan: bool = False) -> LockedOff:
    return LockedOff(1, "100-0000", "A Customer", "1 Canyon Rd, Mesa Verde", "residential", 7,
                     LOCKED, days_owing, owner, plan)


def test_each_list_starts_on_its_day_and_gives_its_reason() -> None:
    account = _off()
    day = LOCKED + timedelta(days=S.collections_final_notice_days)
    assert findings([account], "final-notices", day - timedelta(days=1), S) == []
    [found] = findings([account], "final-notices", day, S)
    assert "off 10 days since the 2026-01-05 lock-off" in found.reason
    later = LOCKED + timedelta(days=S.collections_write_off_days)
    assert findings([account], "agency", later, S)[0].reason.endswith("and no lien")
    assert findings([account], "write-offs", later, S)
    assert findings([account], "liens", later, S) == []               # not the owner
    owner = _off(20000, owner=True)
    assert "owner is the customer" in findings([owner], "liens", later, S)[0].reason
    assert findings([owner], "agency", later, S) == []                # the lien secures it
    assert findings([owner], "write-offs", later, S) == []
    assert findings([_off(plan=True)], "final-notices", later, S) == []
    assert findings([_off(0)], "final-notices", later, S) == []


def test_the_steps_must_follow_each_other_in_settings() -> None:
    with pytest.raises(InputError, match="collections_agency_days"):
        settings_from_mapping({"collections_agency_days": 400})


@pytest.fixture
def district(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn, locked = locked_off_district(tmp_path / "district.db")
    conn.execute("CREATE TEMP TABLE t_locked AS SELECT ? AS on_date", (locked.isoformat(),))
    yield conn
    conn.close()


def _locked_on(conn: sqlite3.Connection) -> date:
    return date.fromisoformat(conn.execute("SELECT on_date FROM t_locked").fetchone()[0])


def test_lists_notices_once_and_a_supervisor_approved_write_off(
        district: sqlite3.Connection, tmp_path: Path) -> None:
    later = _locked_on(district) + timedelta(days=200)
    numbers = {which: [f.account.number for f in after_lockoff_list(district, which, later)]
               for which in ("final-notices", "liens", "agency", "write-offs")}
    assert numbers == {"final-notices": ["100-0000", "100-0001"], "liens": ["100-0001"],
                       "agency": ["100-0000"], "write-offs": ["100-0000"]}
    first = send_final_notices(district, later, tmp_path / "final.csv", actor="clerk1", at=AT)
    again = send_final_notices(district, later, tmp_path / "final.csv", actor="clerk1", at=AT)
    assert (first.logged, again.logged, again.in_file) == (2, 0, 2)
    assert (tmp_path / "final.csv").read_text(encoding="utf-8").startswith("account,name,")
    [sent] = [f.reason for f in after_lockoff_list(district, "final-notices", later)
              if f.account.number == "100-0000"]
    assert sent.endswith(f"final notice logged {later}")
    made = propose_batch(district, later, actor="clerk1", at=AT)
    assert made is not None and (made.accounts, made.total_cents) == (1, 9000)
    assert propose_batch(district, later, actor="clerk1", at=AT) is None
    account = district.execute("SELECT id FROM accounts WHERE number = '100-0000'").fetchone()[0]
    with pytest.raises(PermissionDenied, match="only a supervisor can approve"):
        approve_batch(district, made.id, user=User("clerk1", Role.CLERK), on=later,
                      comment="ok", at=AT)
    assert balance_of(district, account)[0] == 9000
    done = approve_batch(district, made.id, user=SUPERVISOR, on=later,
                         comment="uncollectible, agency returned it", at=AT)
    assert (done.posted, done.posted_cents, done.batch.status) == (1, 9000, "approved")
    entry = district.execute("SELECT amount_cents, actor, reason_code, comment FROM"
                             " ledger_entries WHERE entry_type = 'write_off'").fetchone()
    assert tuple(entry)[:3] == (-9000, "sup1", "WRITE-OFF") and "agency returned" in entry[3]
    assert balance_of(district, account)[0] == 0 and check(district).ok
    with pytest.raises(InputError, match="already approved"):
        approve_batch(district, made.id, user=SUPERVISOR, on=later, comment="again", at=AT)
    with pytest.raises(sqlite3.IntegrityError, match="never changes"):
        district.execute("UPDATE write_off_batches SET approved_by = 'x'")


def test_the_cli_lists_exports_and_refuses_a_clerk_approval(
        district: sqlite3.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from console.cli import main
    from console.session import os_login

    district.execute("INSERT OR IGNORE INTO users (login, role, full_name, added_by, added_at)"
                     " VALUES (?, 'clerk', 'CLI user', 'setup', ?)", (os_login(), AT))
    district.commit()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = district.execute("PRAGMA database_list").fetchone()[2]
    later = (_locked_on(district) + timedelta(days=200)).isoformat()
    common = ["--db", path, "--today", later, "--date", later]
    assert main(["collections", "agency", *common, "--format", "json",
                 "--send", str(tmp_path / "agency.csv")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [r["account"] for r in printed["rows"]] == ["100-0000"]
    assert "no lien" in printed["rows"][0]["reason"]
    assert (tmp_path / "agency.csv").read_text(encoding="utf-8").count("\n") == 2
    assert main(["collections", "propose", *common]) == 0
    assert "Write-off batch 1 (PROPOSED)" in capsys.readouterr().out
    assert main(["collections", "approve", "1", "--db", path, "--comment", "ok"]) == 2
    assert "only a supervisor can approve a write-off batch" in capsys.readouterr().err
    assert district.execute("SELECT count(*) FROM ledger_entries"
                            " WHERE entry_type = 'write_off'").fetchone()[0] == 0


def _counts(conn: sqlite3.Connection) -> tuple[int, int, int]:
    return tuple(conn.execute(  # type: ignore[return-value]
        "SELECT (SELECT count(*) FROM ledger_entries), (SELECT count(*) FROM audit_log),"
        " (SELECT count(*) FROM write_off_batches WHERE status = 'proposed')").fetchone())


def test_a_supervisor_rejects_a_batch_nothing_posts_and_it_can_be_proposed_again(
        district: sqlite3.Connection) -> None:
    later = _locked_on(district) + timedelta(days=200)
    made = propose_batch(district, later, actor="clerk1", at=AT)
    assert made is not None
    [listed] = after_lockoff_list(district, "write-offs", later)
    assert listed.reason.endswith(f"write-off batch {made.id} PROPOSED")
    before = _counts(district)
    with pytest.raises(PermissionDenied, match="only a supervisor can reject"):
        reject_batch(district, made.id, user=User("clerk1", Role.CLERK), reason="wrong", at=AT)
    with pytest.raises(InputError, match="say why the batch is rejected") as refused:
        reject_batch(district, made.id, user=SUPERVISOR, reason="  ", at=AT)
    assert refused.value.problems[0].field == "reason"
    assert _counts(district) == before and batch(district, made.id).status == "proposed"

    done = reject_batch(district, made.id, user=SUPERVISOR, reason="wrong accounts", at=AT)
    assert (done.status, done.rejected_by, done.rejected_reason) == (
        "rejected", "sup1", "wrong accounts")
    assert "(REJECTED by sup1: wrong accounts)" in done.words()
    ledger, audits, proposed = _counts(district)
    assert (ledger, audits, proposed) == (before[0], before[1] + 1, before[2] - 1)
    assert check(district).ok
    audit = district.execute("SELECT actor, object_id, after FROM audit_log"
                             " WHERE action = 'collections.write_off_rejected'").fetchone()
    assert tuple(audit)[:2] == ("sup1", str(made.id)) and "wrong accounts" in audit[2]
    [listed] = after_lockoff_list(district, "write-offs", later)
    assert listed.reason.endswith(f"write-off batch {made.id} REJECTED by sup1: wrong accounts")
    with pytest.raises(InputError, match="already rejected"):
        approve_batch(district, made.id, user=SUPERVISOR, on=later, comment="ok", at=AT)
    with pytest.raises(InputError, match="already rejected"):
        reject_batch(district, made.id, user=SUPERVISOR, reason="again", at=AT)
    with pytest.raises(sqlite3.IntegrityError, match="never changes"):
        district.execute("UPDATE write_off_batches SET status = 'proposed'")

    again = propose_batch(district, later, actor="clerk1", at=AT)
    assert again is not None and (again.id, again.accounts, again.total_cents) == (
        made.id + 1, 1, 9000)
    assert propose_batch(district, later, actor="clerk1", at=AT) is None
    with pytest.raises(sqlite3.IntegrityError, match="already in a write-off batch"):
        district.execute("INSERT INTO write_off_items (batch_id, shutoff_id, account_id,"
                         " balance_cents, reason) SELECT ?, shutoff_id, account_id, 1, 'x'"
                         " FROM write_off_items WHERE batch_id = ?", (made.id, again.id))
    assert approve_batch(district, again.id, user=SUPERVISOR, on=later, comment="ok",
                         at=AT).posted == 1
    with pytest.raises(InputError, match="already approved"):
        reject_batch(district, again.id, user=SUPERVISOR, reason="too late", at=AT)
    assert check(district).ok


def test_a_batch_approved_by_another_supervisor_meanwhile_is_not_also_rejected(
        district: sqlite3.Connection) -> None:
    from db.connection import open_database

    later = _locked_on(district) + timedelta(days=200)
    made = propose_batch(district, later, actor="clerk1", at=AT)
    assert made is not None and batch(district, made.id).status == "proposed"
    other = open_database(district.execute("PRAGMA database_list").fetchone()[2])
    try:
        approve_batch(other, made.id, user=User("tester", Role.ADMIN), on=later, comment="ok",
                      at=AT)
    finally:
        other.close()
    with pytest.raises(InputError, match="already approved"):
        reject_batch(district, made.id, user=SUPERVISOR, reason="wrong", at=AT)
    assert batch(district, made.id).status == "approved"


def test_the_cli_rejects_a_batch_for_a_supervisor_only(
        district: sqlite3.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from console.cli import main
    from console.session import os_login

    district.execute("INSERT OR IGNORE INTO users (login, role, full_name, added_by, added_at)"
                     " VALUES (?, 'clerk', 'CLI user', 'setup', ?)", (os_login(), AT))
    district.execute("UPDATE users SET role = 'clerk' WHERE login = ?", (os_login(),))
    district.commit()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = district.execute("PRAGMA database_list").fetchone()[2]
    later = (_locked_on(district) + timedelta(days=200)).isoformat()
    common = ["--db", path, "--today", later]
    assert main(["collections", "propose", *common, "--date", later]) == 0
    assert "collections reject 1 --reason TEXT" in capsys.readouterr().out
    ledger = district.execute("SELECT count(*) FROM ledger_entries").fetchone()[0]
    assert main(["collections", "reject", "1", *common, "--reason", "wrong"]) == 2
    err = capsys.readouterr().err
    assert "only a supervisor can reject a write-off batch" in err and err.count("\n") == 1
    district.execute("UPDATE users SET role = 'supervisor' WHERE login = ?", (os_login(),))
    district.commit()
    assert main(["collections", "reject", "1", *common, "--reason", " "]) == 2
    assert "say why the batch is rejected" in capsys.readouterr().err
    assert batch(district, 1).status == "proposed"
    assert main(["collections", "reject", "1", *common, "--reason", "wrong list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Write-off batch 1 rejected by") and out.count("\n") == 1
    assert "nothing was posted" in out
    assert main(["collections", "show", "1", *common]) == 0
    assert "REJECTED by" in capsys.readouterr().out
    assert main(["collections", "write-offs", *common, "--date", later, "--format", "json"]) == 0
    [row] = json.loads(capsys.readouterr().out)["rows"]
    assert row["reason"].endswith("write-off batch 1 REJECTED by " + os_login() + ": wrong list")
    assert main(["collections", "approve", "1", *common, "--comment", "ok"]) == 2
    assert "batch 1 is already rejected" in capsys.readouterr().err
    assert district.execute("SELECT count(*) FROM ledger_entries").fetchone()[0] == ledger
    assert main(["collections", "propose", *common, "--date", later]) == 0
    assert "Write-off batch 2 (PROPOSED)" in capsys.readouterr().out
    assert main(["ledger", "check", *common]) == 0


def test_a_plan_counts_until_the_day_it_ends(district: sqlite3.Connection) -> None:
    from db.arrangements import create_plan, end_plan
    from db.collections import locked_off

    locked = _locked_on(district)
    create_plan(district, "100-0000", months=3, on=locked, actor="clerk1", at=AT)
    end_plan(district, "100-0000", on=locked + timedelta(days=10), reason="paid-in-full",
             today=locked + timedelta(days=10), actor="clerk1", at=AT)

    def in_plan(day: date) -> bool:
        return next(a for a in locked_off(district, day) if a.number == "100-0000").in_plan

    assert in_plan(locked + timedelta(days=9)) and not in_plan(locked + timedelta(days=10))
