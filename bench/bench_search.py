"""Account search and account detail at district scale (issue 6 targets).

- Search: every keystroke of realistic queries typed one character at a time (names,
  street addresses, account numbers, phones, meter serials), each timed as the console runs
  it (`search_accounts`, 50 results): target ≤ 50 ms per keystroke.
- Account detail: the screen's data (`account_view`) for accounts picked at random, and the
  screen itself painted headless at 80x24, from `open_account` until the header shows the
  account and the ledger's first page is in: target ≤ 150 ms.
"""
from __future__ import annotations

import asyncio
import random
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.figure import Figure
from db.connection import open_database

TODAY = date(2026, 11, 20)
SEARCH_TARGET_MS = 50.0
DETAIL_TARGET_MS = 150.0


def _queries(conn: Any, rng: random.Random, count: int = 40) -> list[str]:
    """What clerks type: a surname and first name, a street, a number, a phone, a meter."""
    rows = conn.execute(
        "SELECT a.number, c.name, c.phone, p.line1, m.serial FROM accounts a"
        " JOIN customers c ON c.id = a.customer_id JOIN premises p ON p.id = a.premise_id"
        " LEFT JOIN meters m ON m.premise_id = p.id AND m.removed_on IS NULL"
        " WHERE a.id IN (SELECT abs(random()) % (SELECT max(id) FROM accounts) + 1"
        "                 FROM accounts LIMIT ?)", (count,)).fetchall()
    queries = []
    for index, (number, name, phone, line1, serial) in enumerate(rows):
        kind = index % 5
        if kind == 0:
            queries.append(" ".join(name.replace(",", "").split()[:2]))
        elif kind == 1:
            queries.append(line1)
        elif kind == 2:
            queries.append(number)
        elif kind == 3:
            queries.append(phone[-8:])  # "555-0142", as a caller reads it out
        else:
            queries.append(serial or number)
    rng.shuffle(queries)
    return queries


def _search_times(conn: Any, queries: list[str]) -> list[float]:
    from db.account_search import search_accounts

    times = []
    for query in queries:
        for end in range(1, len(query) + 1):  # every keystroke
            start = time.perf_counter()
            search_accounts(conn, query[:end], limit=50)
            times.append((time.perf_counter() - start) * 1000)
    return times


def _detail_times(conn: Any, numbers: list[str]) -> list[float]:
    from db.account_view import account_view

    times = []
    for number in numbers:
        start = time.perf_counter()
        account_view(conn, number, TODAY)
        times.append((time.perf_counter() - start) * 1000)
    return times


async def _paint_times(db_path: Path, numbers: list[str]) -> tuple[list[float], list[float]]:
    """Open each account in a headless console; time until the header (account, flags,
    balance, aging) is painted, and until every tab's data is in. Each account replaces the
    one before, as a clerk goes from account to account. Times are taken inside the app, after
    the refresh that paints them, so the harness's own idle waits are not counted."""
    import console.screens.account as account_screen
    from console.app import MeterlineApp
    from console.config import ConsoleConfig
    from console.session import Session
    from core.users import Role, User

    header: dict[str, float] = {}
    tabs: dict[str, float] = {}

    class TimedAccountScreen(account_screen.AccountScreen):
        CSS_PATH = str(Path(account_screen.__file__).with_name("account.tcss"))

        def show_header(self, d: Any, ages: Any) -> None:
            super().show_header(d, ages)
            number = self.number
            self.call_after_refresh(lambda: header.setdefault(number, time.perf_counter()))

        def _fill_tabs(self, view: Any) -> None:
            super()._fill_tabs(view)
            number = self.number
            self.call_after_refresh(lambda: tabs.setdefault(number, time.perf_counter()))

    session = Session(db_path=db_path, user=User("bench", Role.CLERK, "Bench"),
                      host="bench", today=TODAY)
    app = MeterlineApp(session, ConsoleConfig())
    header_ms, tabs_ms = [], []
    original = account_screen.AccountScreen
    account_screen.AccountScreen = TimedAccountScreen  # type: ignore[misc]
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await app.workers.wait_for_complete()
            for number in numbers:
                start = time.perf_counter()
                app.open_account(number)
                while number not in tabs:
                    await asyncio.sleep(0.005)  # a light wait: never starves the workers
                    if time.perf_counter() - start > 10:
                        raise RuntimeError(f"account {number} did not paint in 10 s")
                header_ms.append((header[number] - start) * 1000)
                tabs_ms.append((tabs[number] - start) * 1000)
                await app.workers.wait_for_complete()
                await pilot.pause()
    finally:
        account_screen.AccountScreen = original  # type: ignore[misc]
    return header_ms, tabs_ms


def _p(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100)[percent - 1] if len(values) > 1 else values[0]


def run(db_path: Path) -> list[Figure]:
    rng = random.Random(6)
    conn = open_database(db_path)
    try:
        accounts = conn.execute("SELECT count(*) FROM accounts").fetchone()[0]
        queries = _queries(conn, rng)
        _search_times(conn, queries[:3])  # warm the page cache, as a console in use has it
        search = _search_times(conn, queries)
        numbers = [r[0] for r in conn.execute(
            "SELECT number FROM accounts ORDER BY random() LIMIT 200")]
        detail = _detail_times(conn, numbers)
    finally:
        conn.close()
    header, tabs = asyncio.run(_paint_times(db_path, numbers[:41]))
    header, tabs = header[1:], tabs[1:]  # the first account imports the screen's modules
    label = f"over {accounts:,} accounts"
    return [
        Figure(f"search: one keystroke, median ({len(search)} keystrokes) {label}",
               statistics.median(search), "ms"),
        Figure(f"search: one keystroke, 99th percentile {label}", _p(search, 99), "ms",
               f"≤ {SEARCH_TARGET_MS:.0f} ms", _p(search, 99) <= SEARCH_TARGET_MS),
        Figure(f"search: slowest keystroke {label}", max(search), "ms",
               f"≤ {SEARCH_TARGET_MS:.0f} ms", max(search) <= SEARCH_TARGET_MS),
        Figure(f"account detail: data for one account, 95th percentile ({len(detail)} "
               "accounts)", _p(detail, 95), "ms", f"≤ {DETAIL_TARGET_MS:.0f} ms",
               _p(detail, 95) <= DETAIL_TARGET_MS),
        Figure(f"account detail: header painted at 80x24, median of {len(header)}",
               statistics.median(header), "ms", f"≤ {DETAIL_TARGET_MS:.0f} ms",
               statistics.median(header) <= DETAIL_TARGET_MS),
        Figure("account detail: header painted at 80x24, 90th percentile", _p(header, 90),
               "ms", f"≤ {DETAIL_TARGET_MS:.0f} ms", _p(header, 90) <= DETAIL_TARGET_MS),
        Figure("account detail: every tab's data in, median", statistics.median(tabs), "ms"),
    ]


if __name__ == "__main__":  # pragma: no cover
    import sys

    for figure in run(Path(sys.argv[1])):
        print(figure.line())
