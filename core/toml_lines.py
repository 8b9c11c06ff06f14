"""Finding the line of a key in a TOML file, so an error can say where to look.

tomllib gives line numbers for syntax errors only; rate-file checks name keys such as
`commodity.tiers[2].rate`, and this scanner maps them back to a line. Best effort: a key it
cannot place is reported without a line.
"""
from __future__ import annotations

import re

KeyPath = tuple[str | int, ...]  # ints are 0-based positions in an array of tables

_BARE_OR_QUOTED = re.compile(r'\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)\s*')
_KEY_LINE = re.compile(r'^((?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_.\- \t])+?)=')


def split_key(text: str) -> tuple[str, ...]:
    """Split a dotted TOML key into its parts, removing quotes."""
    parts: list[str] = []
    rest = text.strip()
    while rest:
        match = _BARE_OR_QUOTED.match(rest)
        if not match:
            break
        token = match.group(1)
        parts.append(token[1:-1] if token[0] in "\"'" else token)
        rest = rest[match.end():]
        if rest.startswith("."):
            rest = rest[1:]
        elif rest:
            break
    return tuple(parts)


def key_lines(text: str) -> dict[KeyPath, int]:
    """Every table header and key in the file, by key path, with its (first) line number."""
    found: dict[KeyPath, int] = {}
    arrays: dict[tuple[str, ...], int] = {}  # array-of-tables name -> tables seen so far
    header: KeyPath = ()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[["):
            name = split_key(line[2:line.find("]]")] if "]]" in line else line[2:])
            prefix = _resolve(name[:-1], arrays)
            count = arrays.get(name, 0)
            arrays[name] = count + 1
            header = (*prefix, name[-1], count) if name else ()
            found.setdefault(header, number)
        elif line.startswith("["):
            name = split_key(line[1:line.find("]")] if "]" in line else line[1:])
            header = _resolve(name, arrays)
            found.setdefault(header, number)
        else:
            match = _KEY_LINE.match(line)
            if match:
                found.setdefault((*header, *split_key(match.group(1))), number)
    return found


def _resolve(name: tuple[str, ...], arrays: dict[tuple[str, ...], int]) -> KeyPath:
    """A header's key path, with the current position inserted after each array-of-tables name."""
    path: list[str | int] = []
    for index, part in enumerate(name):
        path.append(part)
        seen = arrays.get(name[:index + 1])
        if seen:
            path.append(seen - 1)
    return tuple(path)


def locate(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of `path`, or of its nearest enclosing key or table that the file shows."""
    for end in range(len(path), 0, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None


def dotted(path: KeyPath) -> str:
    """A key path as a clerk reads it: `commodity.tiers[2].rate` (positions count from 1)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            shown = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'
            text += f".{shown}" if text else shown
    return text
