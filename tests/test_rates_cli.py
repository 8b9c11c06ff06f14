"""`meterline rates quote|check` as a clerk and a supervisor use them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.cli import main
from console.session import os_login
from db.settings import save_settings
from db.users import add_user
from tests.conftest import open_new_database
from tests.rates_support import DEMO_RATES, HI_DESERT

pytestmark = pytest.mark.usefixtures("isolated_config")  # tests/conftest.py


@pytest.fixture
def district(tmp_path: Path) -> Path:
    """An empty district database whose first user is whoever runs the tests."""
    path = tmp_path / "district.db"
    conn = open_new_database(path)
    add_user(conn, login=os_login(), role="clerk", full_name="Test", actor=os_login(),
             at="2026-11-20T08:00:00")
    conn.close()
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["--today", "2026-11-20", *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_quote_hi_desert_sample_bill(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, "rates", "quote", "--meter-size", "5/8", "--hcf", "8", "--rates",
                     str(HI_DESERT))
    assert code == 0
    assert "Water use, Tier 2 (over 4 up to" in text and "$24.68" in text
    total_row = next(line for line in text.splitlines() if line.startswith("Total"))
    assert total_row.split()[-1] == "$60.03"
    assert "What-if" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_quote_json_has_every_line_explained(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, "rates", "quote", "--meter-size", '5/8"', "--hcf", "12",
                     "--rates", str(DEMO_RATES), "--date", "2026-06-15", "--format", "json")
    assert code == 0
    data = json.loads(text)
    assert data["total_cents"] == 13468 and data["total"] == "$134.68"
    assert [f["file"] for f in data["rate_files"]] == ["residential-2025-07-01.toml",
                                                        "residential-2026-07-01.toml"]
    first = data["lines"][0]
    assert first["factor"] == "16/30" and first["days"] == 16
    assert first["explanation"].startswith('Water service charge, 5/8" meter: $20.75 a month')
    assert all(len(f["sha256"]) == 64 for f in data["rate_files"])


def test_quote_uses_the_districts_folder_or_says_it_is_the_demo(
        capsys: pytest.CaptureFixture[str], district: Path, tmp_path: Path) -> None:
    code, text = run(capsys, "--db", str(district), "rates", "quote", "--meter-size", "1",
                     "--hcf", "30", "--class", "multi_unit", "--units", "2")
    assert code == 0 and "demo district's rates" in text
    assert "× 2 dwelling units" in text and "$30.08" in text  # 8 HCF × $3.76 (2026 rates)
    own = tmp_path / "rates"
    own.mkdir()
    (own / "res.toml").write_text(HI_DESERT.read_text())
    conn = open_new_database(district)
    save_settings(conn, {"rates_folder": str(own)}, actor="admin", at="2026-11-20T08:00:00")
    conn.close()
    code, text = run(capsys, "--db", str(district), "rates", "quote", "--meter-size", "5/8",
                     "--hcf", "8")
    assert code == 0 and "demo" not in text and "res.toml" in text
    total_row = next(line for line in text.splitlines() if line.startswith("Total"))
    assert total_row.split()[-1] == "$60.03"


def test_quote_a_closing_bill_and_a_water_budget(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, "rates", "quote", "--meter-size", "5/8", "--hcf", "3", "--days",
                     "12", "--rates", str(HI_DESERT), "--format", "json")
    assert code == 0 and json.loads(text)["total_cents"] == 2278  # 8.30 + 5.84 + 8.64
    code, text = run(capsys, "rates", "quote", "--class", "landscape", "--meter-size", "2",
                     "--hcf", "250", "--landscape-sqft", "43560", "--date", "2026-06-01",
                     "--rates", str(DEMO_RATES))
    assert code == 0 and "Water budget: indoor 0 + outdoor 170 = 170 HCF" in text


def test_quote_refusals_are_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, "rates", "quote", "--meter-size", "7/8", "--hcf", "8",
                     "--rates", str(DEMO_RATES))
    assert code == 2 and "'7/8' is not a meter size" in text and "Traceback" not in text
    code, text = run(capsys, "rates", "quote", "--hcf", "5", "--class", "flat",
                     "--rates", str(DEMO_RATES))
    assert code == 2 and "bill no usage; quote with --hcf 0" in text
    code, text = run(capsys, "rates", "quote", "--meter-size", "5/8", "--hcf", "eight",
                     "--rates", str(DEMO_RATES))
    assert code == 2 and "--hcf" in text
    code, text = run(capsys, "rates", "quote", "--meter-size", "5/8", "--hcf", "8")
    assert code == 2 and "no database given" in text


def test_check_lists_schedules_and_their_status(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, "rates", "check", str(DEMO_RATES))
    assert code == 0
    assert "IN FORCE    residential  2026-07-01  residential-2026-07-01.toml" in text
    assert "SUPERSEDED  residential  2025-07-01" in text
    assert "9 rate files" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_check_names_file_line_and_key(capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    bad = tmp_path / "residential-2027-07-01.toml"
    bad.write_text(HI_DESERT.read_text().replace('rate = "6.17"', "rate = 6.17"))
    code, text = run(capsys, "rates", "check", str(bad))
    line = HI_DESERT.read_text().splitlines().index('rate = "6.17"') + 1
    assert code == 2
    assert f"{bad}:{line}:commodity.tiers[2].rate: 6.17 is written as a TOML float" in text


def test_rates_folder_setting_must_be_an_absolute_path(district: Path) -> None:
    from core.errors import InputError

    conn = open_new_database(district)
    try:
        with pytest.raises(InputError, match="rates_folder: must be an absolute folder path"):
            save_settings(conn, {"rates_folder": "rates"}, actor="admin",
                          at="2026-11-20T08:00:00")
    finally:
        conn.close()
