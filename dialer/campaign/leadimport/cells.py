"""Cell values made safe: control characters out, spreadsheet formulas recognised and neutralised."""

from __future__ import annotations

import re
from collections.abc import Iterable

from dialer.campaign.leadimport.model import RAW_KEEP_CHARS

CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d[\d\s.,]*$")


def sanitise(value: str) -> str:
    """Control characters (CR, LF, tab, NUL, ...) become one space; outer whitespace stripped."""
    return CONTROL.sub(" ", value).strip()


def looks_like_formula(value: str) -> bool:
    """Would a spreadsheet execute this cell? (signed plain numbers and phone numbers are not formulas)."""
    return value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value)


def neutralise_formula(value: str) -> str:
    """Make a cell inert for spreadsheets (OWASP CSV injection): prefix a quote to formula-looking text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def cut_cells(cells: Iterable[str]) -> tuple[str, ...]:
    return tuple(c if len(c) <= RAW_KEEP_CHARS else c[:RAW_KEEP_CHARS] + f"…[{len(c)} chars]" for c in cells)
