"""The texts of the libraries a user reads through our messages (Python's ``csv`` module, its codecs, the OS's
``strerror``), as catalogue messages: ``csv_error_text(exc)``, ``decode_reason(exc.reason)``,
``os_error_text(exc.strerror)``. A text not known here is shown as the library wrote it (English): the list
follows CPython's ``_csv.c``, its codecs and the ``errno`` texts an import meets."""

from __future__ import annotations

import re

from dialer.i18n import M_, N_, Message

# csv.Error texts (CPython Modules/_csv.c); field_limit is handled with its number below.
_CSV_TEXTS: dict[str, str] = {
    "line contains NUL": N_("a line contains a NUL character"),
    "line contains NULL byte": N_("a line contains a NUL character"),
    "new-line character seen in unquoted field - do you need to open the file with newline=''?": N_(
        "a line break inside an unquoted value"
    ),
    "unexpected end of data": N_("the data ends inside a value"),
    "Could not determine delimiter": N_("could not tell which character separates the columns"),
}
_FIELD_LIMIT = re.compile(r"^field larger than field limit \((\d+)\)$")
_EXPECTED_AFTER = re.compile(r"^'(.)' expected after '(.)'$")

# UnicodeDecodeError.reason texts of the codecs an import tries (UTF-8/16, CP932, GB18030, EUC-JP, cp1252).
_DECODE_REASONS: dict[str, str] = {
    "invalid start byte": N_("a byte that cannot start a character"),
    "invalid continuation byte": N_("a broken multi-byte character"),
    "unexpected end of data": N_("the data ends inside a character"),
    "illegal multibyte sequence": N_("an invalid multi-byte sequence"),
    "incomplete multibyte sequence": N_("an incomplete multi-byte sequence"),
    "truncated data": N_("the data ends inside a character"),
    "illegal encoding": N_("an invalid byte sequence"),
    "illegal UTF-16 surrogate": N_("an invalid UTF-16 surrogate"),
    "character maps to <undefined>": N_("a byte that this encoding does not define"),
    "ordinal not in range(128)": N_("a byte outside ASCII"),
}

# strerror texts of the errors opening or reading a file meets (glibc).
_OS_TEXTS: dict[str, str] = {
    "No such file or directory": N_("no such file or directory"),
    "Permission denied": N_("permission denied"),
    "Is a directory": N_("it is a directory"),
    "Not a directory": N_("a part of the path is not a directory"),
    "Input/output error": N_("input/output error"),
    "No space left on device": N_("no space left on the device"),
    "Too many open files": N_("too many open files"),
}


def csv_error_text(exc: BaseException) -> str | Message:
    """The ``csv`` module's complaint in the reader's language (unknown texts as they are)."""
    text = str(exc)
    known = _CSV_TEXTS.get(text)
    if known is not None:
        return Message(known)
    limit = _FIELD_LIMIT.match(text)
    if limit:
        return M_("a value longer than {limit} characters", limit=int(limit[1]))
    expected = _EXPECTED_AFTER.match(text)
    if expected:
        return M_("{expected} expected after {after}", expected=repr(expected[1]), after=repr(expected[2]))
    return text


def decode_reason(reason: str) -> str | Message:
    """A codec's ``UnicodeDecodeError.reason`` in the reader's language (unknown texts as they are)."""
    known = _DECODE_REASONS.get(reason)
    return Message(known) if known is not None else reason


def os_error_text(strerror: str | None) -> str | Message:
    """An ``OSError.strerror`` in the reader's language (unknown texts as they are)."""
    if not strerror:
        return ""
    known = _OS_TEXTS.get(strerror)
    return Message(known) if known is not None else strerror
