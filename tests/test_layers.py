"""Layers run one way: core and db never load Textual or Rich; core reads no clock or SQLite."""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core"

NAMED = ["core", "core.ledger", "core.money", "core.settings", "core.clock", "core.model",
         "db", "db.ledger", "db.users", "db.settings", "db.audit"]


def layer_modules() -> list[str]:
    """The named modules plus every module file under core/ and db/."""
    found = [f"{package}.{path.stem}" for package in ("core", "db")
             for path in sorted((ROOT / package).glob("*.py")) if path.stem != "__init__"]
    return NAMED + [m for m in found if m not in NAMED]


def test_core_and_db_load_without_textual_or_rich() -> None:
    script = (f"import {', '.join(layer_modules())}; import json, sys; "
              "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert "db.ledger" in loaded  # the script really imported the layers
    ui = [m for m in loaded if m.split(".")[0] in {"textual", "rich"}]
    assert ui == []


def core_sources() -> list[Path]:
    sources = sorted(CORE.rglob("*.py"))
    assert sources, "no core/ modules found"
    return sources


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_core_does_not_import_sqlite_textual_or_rich() -> None:
    forbidden = {"sqlite3", "sqlite_utils", "textual", "rich", "db", "console"}
    offenders = {str(p.relative_to(ROOT)): sorted(imported_modules(p) & forbidden)
                 for p in core_sources()}
    assert {k: v for k, v in offenders.items() if v} == {}


CLOCK_CALL = re.compile(r"\b(date|datetime|time)\s*\.\s*(today|now|utcnow|time)\s*\(")


def test_core_never_reads_the_clock() -> None:
    offenders = [f"{p.relative_to(ROOT)}:{number}: {line.strip()}"
                 for p in core_sources()
                 for number, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if CLOCK_CALL.search(line)]
    assert offenders == []


def test_the_clock_pattern_catches_what_it_should() -> None:
    for line in ("x = date.today()", "datetime.now(tz)", "datetime.datetime.utcnow()",
                 "t = time.time()"):
        assert CLOCK_CALL.search(line), line
    assert not CLOCK_CALL.search("def resolve_today(override, system_today): ...")
