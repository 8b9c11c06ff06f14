"""Account search as you type: what the text could be, the full-text query, and the order.

One box finds an account by number, customer name, service or mailing address, meter serial
or phone. An exact account number comes first, then numbers that start with the text, then
full-text matches ordered by where they matched (name, service address, number, meter,
phone, mailing address) with active accounts before inactive and closed ones.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MIN_CHARACTERS = 2  # one letter matches most of the district: wait for a second
_WORD = re.compile(r"[^\W_]+")  # letters and digits, as FTS5 unicode61 splits words
# Where a match counts most, first; the FTS5 columns of account_search in this order.
FIELDS = ("name", "service", "number", "meter", "phone", "mailing")
FIELD_WORDS = {"name": "name", "service": "service addr", "number": "number",
               "meter": "meter", "phone": "phone", "mailing": "mail addr"}
STATUS_ORDER = {"active": 0, "inactive": 1, "closed": 2}


def fold(text: str) -> str:
    """Lower case without accents, as the search index stores words ("Núñez" -> "nunez")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The searchable words of a text, folded; punctuation separates words."""
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class SearchPlan:
    """What to look up for one query."""

    text: str
    words: tuple[str, ...]
    number: str | None  # the text as an account number (digits and dashes)
    fts_query: str | None  # the FTS5 MATCH expression: every word, as a prefix

    @property
    def searchable(self) -> bool:
        return self.fts_query is not None or self.number is not None


def plan_search(text: str) -> SearchPlan:
    """Read the clerk's text: a possible account number and a full-text query."""
    cleaned = " ".join(text.split())
    found = tuple(words(cleaned))
    compact = cleaned.replace(" ", "")
    number = compact if compact and all(ch.isdigit() or ch == "-" for ch in compact) \
        and any(ch.isdigit() for ch in compact) else None
    if len(compact) < MIN_CHARACTERS or not found:
        return SearchPlan(cleaned, found, number if number and len(number) >= 1 else None,
                          None)
    # Each word quoted (never read as FTS5 syntax such as AND or NEAR) and as a prefix.
    query = " AND ".join(f'"{word}"*' for word in found)
    return SearchPlan(cleaned, found, number, query)


def matched_fields(plan: SearchPlan, values: dict[str, str]) -> list[str]:
    """Which fields hold a word starting with each query word, in FIELDS order."""
    hits = []
    for name in FIELDS:
        field_words = words(values.get(name, ""))
        if any(any(w.startswith(q) for w in field_words) for q in plan.words):
            hits.append(name)
    return hits


def relevance(plan: SearchPlan, values: dict[str, str], status: str) -> tuple[int, ...]:
    """A sort key: exact number, number prefix, then the best field matched, then status."""
    number = values.get("number", "")
    if plan.number and number == plan.number:
        return (0, 0, STATUS_ORDER.get(status, 3))
    if plan.number and number.startswith(plan.number):
        return (1, 0, STATUS_ORDER.get(status, 3))
    fields = matched_fields(plan, values)
    # All words in one field beats words spread over several.
    best = len(FIELDS)
    for index, name in enumerate(FIELDS):
        field_words = words(values.get(name, ""))
        if all(any(w.startswith(q) for w in field_words) for q in plan.words):
            best = index
            break
    first = FIELDS.index(fields[0]) if fields else len(FIELDS)
    return (2, best, first, STATUS_ORDER.get(status, 3))


def matched_text(plan: SearchPlan, values: dict[str, str]) -> str:
    """Where the text matched, in words, for the result list ("name, mailing address")."""
    if plan.number and values.get("number", "").startswith(plan.number):
        return FIELD_WORDS["number"]
    return ", ".join(FIELD_WORDS[name] for name in matched_fields(plan, values)) or "—"
