"""Reading an interchange CSV line by line: encoding, byte-order mark, line ends, the header.

Decode rule (docs/formats/read-import.md): files are UTF-8; a UTF-8 byte-order mark is
skipped; CRLF and LF line ends are both read. A line that is not UTF-8 is reported with its
byte, and the clerk may say the file is Latin-1 (`--encoding latin-1`), which decodes every
byte. UTF-16 files and bare-CR line ends are refused with what to do. The file is streamed:
nothing holds more than one line.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from core.errors import InputError, InputProblem

ENCODINGS = ("utf-8", "latin-1")
MAX_PROBLEMS_SHOWN = 200


class ProblemLog:
    """Every problem found in a file, located; keeps the first few hundred and counts the rest."""

    def __init__(self, source: str, limit: int = MAX_PROBLEMS_SHOWN, *,
                 closing: str = "") -> None:
        self.source = source
        self.limit = limit
        self.closing = closing  # e.g. "nothing was imported": said after two or more problems
        self.problems: list[InputProblem] = []
        self.count = 0

    def add(self, message: str, *, line: int | None = None, field: str = "") -> None:
        self.count += 1
        if len(self.problems) < self.limit:
            self.problems.append(InputProblem(message, source=self.source, line=line,
                                              field=field))

    def raise_if_any(self) -> None:
        """Refuse the file with every problem found (nothing was written)."""
        if not self.count:
            return
        shown = sorted(self.problems, key=lambda p: p.line or 0)
        if self.count > len(shown):
            shown.append(InputProblem(
                f"and {self.count - len(shown):,} more problems ({self.count:,} in all; the "
                f"first {len(self.problems)} are listed)", source=self.source))
        if self.closing and self.count > 1:
            shown.append(InputProblem(f"{self.count:,} problems; {self.closing}",
                                      source=self.source))
        raise InputError(shown)


class TextLines:
    """Decoded lines of a binary file, numbered; undecodable lines are logged and given as ''."""

    def __init__(self, raw_lines: Iterable[bytes], log: ProblemLog, encoding: str = "utf-8"
                 ) -> None:
        if encoding not in ENCODINGS:
            raise InputError(InputProblem(f"{encoding!r} is not an encoding Meterline reads; "
                                          f"use one of {', '.join(ENCODINGS)}",
                                          field="--encoding"))
        self.raw_lines = raw_lines
        self.log = log
        self.encoding = encoding
        self.line_no = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.raw_lines:
            self.line_no += 1
            if self.line_no == 1:
                raw = self._first_line(raw)
            if b"\x00" in raw:
                self.log.add("contains a NUL byte: this is not a text CSV file (a spreadsheet or "
                             "a binary export?)", line=self.line_no)
                yield "\n"
                continue
            try:
                text = raw.decode(self.encoding)
            except UnicodeDecodeError as exc:
                self.log.add(
                    f"not UTF-8 text (byte 0x{raw[exc.start]:02X} at position {exc.start + 1}); "
                    "if the reading system writes Latin-1, import with --encoding latin-1",
                    line=self.line_no)
                yield "\n"
                continue
            yield text

    def _first_line(self, raw: bytes) -> bytes:
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputError(InputProblem(
                "the file is UTF-16 text; save it as CSV UTF-8 and import again",
                source=self.log.source, line=1))
        if raw.startswith(b"\xef\xbb\xbf"):
            return raw[3:]
        if b"\r" in raw.rstrip(b"\r\n"):
            raise InputError(InputProblem(
                "line ends are bare carriage returns (CR); save the file with LF or CRLF "
                "line ends", source=self.log.source, line=1))
        return raw


class CsvRows:
    """(line number, fields) for each non-blank row after a header that must name `columns`."""

    def __init__(self, raw_lines: Iterable[bytes], columns: Sequence[str], log: ProblemLog,
                 encoding: str = "utf-8", *, layout: str = "docs/formats/read-import.md",
                 rows_name: str = "reads") -> None:
        self.lines = TextLines(raw_lines, log, encoding)
        self.columns = tuple(columns)
        self.layout = layout  # where the layout is documented, named when the header is wrong
        self.rows_name = rows_name  # what the rows are, for "a header row but no reads"
        self.log = log
        self.index: dict[str, int] = {}
        self.rows_seen = 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(self.lines, strict=True)
        header = self._next(reader)
        if header is None:
            raise InputError(InputProblem("the file is empty: it has no header row",
                                          source=self.log.source))
        self._check_header(header[1])
        width = len(header[1])
        while True:
            row = self._next(reader)
            if row is None:
                break
            line, fields = row
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # a blank line
            self.rows_seen += 1
            if len(fields) != width:
                self.log.add(f"has {len(fields)} fields; the header has {width}", line=line)
                continue
            yield line, fields
        if self.rows_seen == 0 and not self.log.count:
            self.log.add(f"has a header row but no {self.rows_name}", line=1)

    def _next(self, reader: Iterator[list[str]]) -> tuple[int, list[str]] | None:
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return None
            except csv.Error as exc:
                self.log.add(f"cannot be read as CSV ({exc})", line=self.lines.line_no)
                if self.lines.line_no <= 1:
                    self.log.raise_if_any()
                continue
            return self.lines.line_no, fields

    def _check_header(self, header: list[str]) -> None:
        names = [h.strip() for h in header]
        missing = [c for c in self.columns if c not in names]
        unknown = [n for n in names if n not in self.columns]
        doubled = sorted({n for n in names if names.count(n) > 1})
        problems = []
        if missing:
            problems.append(f"missing column{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column{'s' if len(unknown) > 1 else ''} "
                            f"{', '.join(repr(u) for u in unknown)}")
        if doubled:
            problems.append(f"column{'s' if len(doubled) > 1 else ''} named twice: "
                            f"{', '.join(doubled)}")
        if problems:
            where = f" (the layout is in {self.layout})" if self.layout else ""
            raise InputError(InputProblem("wrong columns: " + "; ".join(problems) + where,
                                          source=self.log.source, line=1, field="header"))
        self.index.clear()  # the same mapping the caller was handed, now filled
        self.index.update({name: i for i, name in enumerate(names)})
