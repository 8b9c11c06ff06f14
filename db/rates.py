"""The district's rate folder: the `rates_folder` setting, or the demo district's bundled rates."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from core.errors import InputError, InputProblem
from core.rate_book import RateBook, load_rate_folder
from db.settings import load_settings


def bundled_rates_folder() -> Path:
    """The demo district's rate files, shipped with Meterline under fixtures/rates."""
    import fixtures

    # fixtures/__path__ also works when an editable install resolves it as a namespace package.
    for base in fixtures.__path__:
        folder = Path(base) / "rates"
        if folder.is_dir():
            return folder
    raise InputError(InputProblem("the demo district's rate files (fixtures/rates) are not "
                                  "installed; set the rates_folder setting", field="rates_folder"))


def rates_folder(conn: sqlite3.Connection) -> tuple[Path, bool]:
    """The district's rate folder and whether it is the bundled demo one (setting not set)."""
    folder = load_settings(conn).rates_folder
    if folder:
        return Path(folder), False
    return bundled_rates_folder(), True


def load_rate_book(conn: sqlite3.Connection) -> RateBook:
    """Read and check every rate file in the district's folder."""
    folder, _ = rates_folder(conn)
    return load_rate_folder(folder)
