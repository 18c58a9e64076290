"""Physical lines assembled into CSV records under bounds on lines and characters: a quote left open costs one
record, never unbounded memory."""

from __future__ import annotations

import csv
from collections import deque
from dataclasses import dataclass
from typing import TextIO

from dialer.campaign.leadimport.model import (
    MAX_CELL_CHARS,
    MAX_LINE_CHARS,
    MAX_RECORD_LINES,
    LeadFileError,
    RowErrorReason,
)
from dialer.i18n import M_, _
from dialer.i18n.library import decode_reason


@dataclass(frozen=True, slots=True)
class _LongLine:
    head: str  # the first MAX_LINE_CHARS characters
    length: int  # characters in the whole line


@dataclass(frozen=True, slots=True)
class Record:
    first_line: int
    last_line: int
    cells: list[str]


@dataclass(frozen=True, slots=True)
class BadRecord:
    first_line: int
    reason: RowErrorReason
    detail: str
    cells: list[str]
    column: int | None = None  # the over-long cell, when known


def _quote_open_after(line: str, delimiter: str, in_quote: bool) -> bool:
    """Is a quoted value still open at the end of ``line``? The csv module's rules: a quote opens a value only at
    the start of a field, ``""`` inside a quoted value is a literal quote, other quotes are literal."""
    i = 0
    n = len(line)
    while True:
        q = line.find('"', i)
        if in_quote:
            if q < 0:
                return True
            if q + 1 < n and line[q + 1] == '"':
                i = q + 2
                continue
            in_quote = False
            i = q + 1
            continue
        if q < 0:
            return False
        if q == 0 or line[q - 1] == delimiter:
            in_quote = True
        i = q + 1


class RecordSource:
    """CSV records from decoded text, line by line, each bounded: a physical line longer than MAX_LINE_CHARS is
    read in pieces and reported; a quoted value still open after MAX_RECORD_LINES lines or MAX_CELL_CHARS
    characters (or at the end of the file) costs its first line only -- the lines after it are read again as
    records of their own. Memory is bounded by those limits whatever the file holds."""

    def __init__(self, text: TextIO, delimiter: str) -> None:
        self._text = text
        self._delimiter = delimiter
        self._pending: deque[tuple[int, str | _LongLine]] = deque()
        self._line = 0  # physical lines read from the stream

    def _next_line(self) -> tuple[int, str | _LongLine] | None:
        if self._pending:
            return self._pending.popleft()
        try:
            line = self._text.readline(MAX_LINE_CHARS)
        except UnicodeDecodeError as exc:
            raise LeadFileError(
                M_(
                    "bytes after line {line} are not {encoding}: {reason}; name the file's encoding with --encoding",
                    line=self._line,
                    encoding=self._text.encoding,
                    reason=decode_reason(exc.reason),
                )
            ) from None
        if not line:
            return None
        self._line += 1
        if len(line) < MAX_LINE_CHARS or line.endswith("\n"):
            return self._line, line
        length = len(line)
        while True:  # skip the rest of the over-long line without holding it
            more = self._text.readline(MAX_LINE_CHARS)
            length += len(more)
            if not more or more.endswith("\n"):
                break
        return self._line, _LongLine(line, length)

    def _split(self, text: str) -> list[str]:
        return next(csv.reader([text], delimiter=self._delimiter, strict=False), [])

    def next_record(self, width: int | None) -> Record | BadRecord | None:
        """The next record, or None at the end of the file. ``width``: the header's width (a multi-line record
        with more cells than that is an unclosed quote that met another quote later)."""
        item = self._next_line()
        if item is None:
            return None
        first, line = item
        delim = self._delimiter
        if isinstance(line, _LongLine):
            cells = self._split(line.head)
            return BadRecord(
                first,
                RowErrorReason.FIELD_TOO_LONG,
                _("the line has {n} characters").format(n=line.length),
                cells,
                column=max(len(cells) - 1, 0),
            )
        if '"' not in line:
            return Record(first, first, line.rstrip("\r\n").split(delim))
        if not _quote_open_after(line, delim, False):
            return Record(first, first, self._split(line))
        parts = [line]
        consumed: list[tuple[int, str | _LongLine]] = []
        chars = len(line)
        while len(parts) < MAX_RECORD_LINES and chars <= MAX_CELL_CHARS:
            nxt = self._next_line()
            if nxt is None:
                break
            consumed.append(nxt)
            if isinstance(nxt[1], _LongLine):
                break
            parts.append(nxt[1])
            chars += len(nxt[1])
            if not _quote_open_after(nxt[1], delim, True):
                cells = next(csv.reader(parts, delimiter=delim, strict=False), [])
                if width is None or len(cells) <= width or not any(c.strip() for c in cells[width:]):
                    return Record(first, nxt[0], cells)
                break
        self._pending.extendleft(reversed(consumed))
        return BadRecord(
            first,
            RowErrorReason.MALFORMED,
            _(
                "unclosed quote: the quoted value opened on line {line} does not close within {lines} lines or "
                "{chars} characters; line {line} was skipped and reading resumed at the next line"
            ).format(line=first, lines=MAX_RECORD_LINES, chars=MAX_CELL_CHARS),
            line.rstrip("\r\n").split(delim),
        )
