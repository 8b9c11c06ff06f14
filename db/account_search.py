"""Account search over the FTS5 index `account_search` (migration 0005), one query per keystroke.

Cost per keystroke: an indexed lookup for the exact number and number prefix, a count of the
full-text matches, then at most RANKED_MAX rows ordered by bm25 (few matches) or the first
rows in index order (many matches: the clerk keeps typing). See bench/bench_search.py.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from core.account_search import (
    STATUS_ORDER,
    SearchPlan,
    matched_text,
    plan_search,
    relevance,
)

RANKED_MAX = 2000  # up to this many matches are ordered by bm25; more are taken as found
CANDIDATES = 200
# bm25 weights by column (name, service, number, meter, phone, mailing): a name counts most.
BM25 = "bm25(account_search, 10.0, 6.0, 8.0, 4.0, 3.0, 2.0)"

RESULT_SQL = """
SELECT a.id, a.number, a.status, c.name AS customer, p.line1, p.line2, p.city,
       c.phone, COALESCE(b.balance_cents, 0) AS balance_cents
  FROM accounts a
  JOIN customers c ON c.id = a.customer_id
  JOIN premises p ON p.id = a.premise_id
  LEFT JOIN account_balances b ON b.account_id = a.id
 WHERE a.id IN ({marks})
"""


@dataclass(frozen=True)
class SearchHit:
    """One account found, with where the text matched."""

    account_id: int
    number: str
    status: str
    customer: str
    service_address: str
    phone: str
    balance_cents: int
    matched: str


@dataclass(frozen=True)
class SearchResult:
    """The hits to show, in order, and how many accounts matched in all."""

    text: str
    hits: tuple[SearchHit, ...]
    total: int

    @property
    def more(self) -> int:
        return max(self.total - len(self.hits), 0)


def _number_hits(conn: sqlite3.Connection, plan: SearchPlan, limit: int) -> list[int]:
    if not plan.number:
        return []
    exact = conn.execute("SELECT id FROM accounts WHERE number = ?", (plan.number,)).fetchall()
    prefix = conn.execute(
        "SELECT id FROM accounts WHERE number > ? AND number < ? ORDER BY number LIMIT ?",
        (plan.number, plan.number + "\uffff", limit)).fetchall()
    return [r[0] for r in exact] + [r[0] for r in prefix]


def search_accounts(conn: sqlite3.Connection, text: str, limit: int = 50) -> SearchResult:
    """The accounts that match the text, best first (core/account_search.py says the order)."""
    plan = plan_search(text)
    if not plan.searchable:
        return SearchResult(plan.text, (), 0)
    first = _number_hits(conn, plan, limit)
    values: dict[int, dict[str, str]] = {}
    total = 0
    if plan.fts_query is not None:
        total = conn.execute("SELECT count(*) FROM account_search WHERE account_search MATCH ?",
                             (plan.fts_query,)).fetchone()[0]
        order = f"ORDER BY {BM25}" if total <= RANKED_MAX else ""
        for row in conn.execute(
                "SELECT rowid, name, service, number, meter, phone, mailing FROM account_search"
                f" WHERE account_search MATCH ? {order} LIMIT ?",
                (plan.fts_query, CANDIDATES)):
            values[row[0]] = {"name": row[1], "service": row[2], "number": row[3],
                              "meter": row[4], "phone": row[5], "mailing": row[6]}
    wanted = list(dict.fromkeys(first + list(values)))
    if not wanted:
        return SearchResult(plan.text, (), 0)
    rows = {r["id"]: r for r in conn.execute(
        RESULT_SQL.format(marks=",".join("?" * len(wanted))), wanted)}
    position = {account_id: index for index, account_id in enumerate(wanted)}

    def key(account_id: int) -> tuple[int, ...]:
        row = rows[account_id]
        fields = values.get(account_id, {"number": row["number"]})
        return (*relevance(plan, {**fields, "number": row["number"]}, row["status"]),
                position[account_id])

    hits = []
    for account_id in sorted((a for a in wanted if a in rows), key=key)[:limit]:
        row = rows[account_id]
        fields = {**values.get(account_id, {}), "number": row["number"]}
        service = ", ".join(part for part in (row["line1"], row["line2"], row["city"]) if part)
        hits.append(SearchHit(account_id, row["number"], row["status"], row["customer"],
                              service, row["phone"], row["balance_cents"],
                              matched_text(plan, fields)))
    number_only = len(first) - len(set(first) & set(values))
    return SearchResult(plan.text, tuple(hits), max(total + number_only, len(hits)))


def rebuild_search_index(conn: sqlite3.Connection) -> int:
    """Rebuild the whole search index from its source view (a bulk load, a repair); the
    caller owns the transaction. Returns the accounts indexed."""
    conn.execute("DELETE FROM account_search")
    conn.execute("INSERT INTO account_search (rowid, name, service, number, meter, phone,"
                 " mailing) SELECT account_id, name, service, number, meter, phone, mailing"
                 " FROM account_search_source")
    return int(conn.execute("SELECT count(*) FROM account_search").fetchone()[0])


__all__ = ["STATUS_ORDER", "SearchHit", "SearchResult", "rebuild_search_index",
           "search_accounts"]
