"""The texts of the libraries a user reads through our messages (Python's ``csv`` module, its codecs, the OS's
``strerror``), as catalogue messages: ``csv_error_text(exc)``, ``decode_reason(exc.reason)``,
``os_error_text(exc.strerror)``. A text not known here is shown as the library wrote it (English): the list
follows CPython's ``_csv.c``, its codecs and the ``errno`` texts an import meets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dialer.i18n import M_, N_, Message, message_of

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


# -- JSON and TOML parsers (json.JSONDecodeError.msg; tomllib's "<msg> (at line L, column C)") --------------------

_JSON_TEXTS: dict[str, str] = {
    "Expecting value": N_("a value is expected"),
    "Expecting ',' delimiter": N_("a comma is expected"),
    "Expecting ':' delimiter": N_("a colon is expected"),
    "Expecting property name enclosed in double quotes": N_("a name in double quotes is expected"),
    "Extra data": N_("more text after the end of the document"),
    "Unterminated string starting at": N_("a string is not closed"),
    "Invalid control character at": N_("a control character inside a string"),
    "Invalid \\escape": N_("an invalid backslash escape"),
    "Invalid \\uXXXX escape": N_("an invalid \\uXXXX escape"),
    "Unexpected UTF-8 BOM (decode using utf-8-sig)": N_("a byte order mark before the document"),
}
_TOML_POSITION = re.compile(
    r"^(?P<msg>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$", re.S
)
_TOML_TEXTS: dict[str, str] = {
    "Invalid value": N_("a value is expected"),
    "Invalid statement": N_("not a key = value line or a [table] header"),
    "Expected '=' after a key in a key/value pair": N_("'=' is expected after the key"),
    "Expected ']' at the end of a table declaration": N_("']' is expected at the end of the table header"),
    "Expected ']]' at the end of an array declaration": N_("']]' is expected at the end of the table header"),
    "Expected newline or end of document after a statement": N_("a line break is expected after the value"),
    "Invalid initial character for a key part": N_("a key cannot start with this character"),
    "Unterminated string": N_("a string is not closed"),
    "Unclosed array": N_("a list is not closed"),
    "Unclosed inline table": N_("an inline table is not closed"),
    "Cannot overwrite a value": N_("a key is given twice"),
    "Invalid date or datetime": N_("an invalid date or time"),
    "Invalid hex value": N_("an invalid \\u escape"),
    "Unescaped '\\' in a string": N_("a backslash that escapes nothing in a string"),
    "Escaped character is not a Unicode scalar value": N_("an escape that is not a Unicode character"),
}
_TOML_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Cannot declare (?P<key>.+) twice$"), N_("the table {key} is declared twice")),
    (
        re.compile(r"^Cannot (?:mutate immutable|redefine) namespace (?P<key>.+)$"),
        N_("the table {key} is already defined"),
    ),
    (re.compile(r"^Duplicate inline table key (?P<key>.+)$"), N_("the key {key} is given twice")),
    (re.compile(r"^(?:Illegal|Found invalid) character (?P<char>.+)$"), N_("the character {char} is not allowed here")),
    (re.compile(r"^Expected (?P<expected>'.+')$"), N_("{expected} is expected")),
)


@dataclass(frozen=True, slots=True)
class ParserFault:
    """Where a JSON or TOML document is wrong and why, in the reader's language (``reason``), with the parser's own
    English text kept for operators (``technical``)."""

    reason: Message
    line: int | None
    column: int | None
    technical: str


def json_fault(exc: ValueError) -> ParserFault:
    """``json.loads``'s refusal (a ``JSONDecodeError``) as a :class:`ParserFault`."""
    msg = str(getattr(exc, "msg", exc))
    known = _JSON_TEXTS.get(msg)
    reason = Message(known) if known is not None else Message(N_("not valid syntax"))
    return ParserFault(reason, getattr(exc, "lineno", None), getattr(exc, "colno", None), str(exc))


def toml_fault(exc: ValueError) -> ParserFault:
    """``tomllib.loads``'s refusal as a :class:`ParserFault` (its text carries the position)."""
    text = str(exc)
    found = _TOML_POSITION.match(text)
    msg = found["msg"] if found else text
    line = int(found["line"]) if found and found["line"] else None
    column = int(found["column"]) if found and found["column"] else None
    reason: Message | None = Message(_TOML_TEXTS[msg]) if msg in _TOML_TEXTS else None
    for pattern, msgid in _TOML_PATTERNS:
        if reason is None and (matched := pattern.match(msg)):
            reason = Message(msgid, matched.groupdict())
    return ParserFault(reason or Message(N_("not valid syntax")), line, column, text)


# -- the PBX (AMI) ------------------------------------------------------------------------------------------------

# Asterisk's ``Message:`` header of an error response (astman_send_error in main/manager.c and the apps the dialer
# drives: Redirect, Hangup, PlayDTMF, Atxfer, BlindTransfer, MixMonitor, QueuePause ...).
_AMI_TEXTS: dict[str, str] = {
    "No such channel": N_("the channel no longer exists"),
    "Channel does not exist": N_("the channel no longer exists"),
    "Channel not specified": N_("no channel was named"),
    "Channel name not specified": N_("no channel was named"),
    "Invalid channel": N_("the channel no longer exists"),
    "Permission denied": N_("the dialer's AMI user is not permitted to do this"),
    "Invalid/unknown command": N_("the PBX does not know this action (a module not loaded?)"),
    "Extension does not exist.": N_("the extension does not exist in the dialplan"),
    "Extension not specified": N_("no extension was named"),
    "Invalid priority": N_("the dialplan priority is invalid"),
    "Redirect failed": N_("the PBX could not move the channel"),
    "Redirect failed, channel not up.": N_("the PBX could not move the channel: it is not answered"),
    "Secondary redirect failed": N_("the PBX could not move the second channel"),
    "Originate failed": N_("the PBX could not place the call"),
    "Digit not specified": N_("no digit was given"),
    "Interface not found": N_("the agent's phone is not a member of the queue"),
    "Interface not found or not in queue": N_("the agent's phone is not a member of the queue"),
    "Unable to add interface: Already there": N_("the agent's phone is already in the queue"),
    "Unable to add interface to queue: No such queue": N_("the queue does not exist"),
    "Unable to remove interface: Not there": N_("the agent's phone is not a member of the queue"),
    "Unable to remove interface from queue: No such queue": N_("the queue does not exist"),
    "Could not start monitoring channel": N_("the PBX could not start recording the channel"),
    "Could not stop monitoring channel": N_("the PBX could not stop recording the channel"),
    "No monitor found on channel": N_("the channel is not being recorded"),
    "Atxfer not configured": N_("attended transfer is not configured in the PBX (features.conf)"),
    "Transfer failed": N_("the PBX could not transfer the call"),
    "Blind transfer failed": N_("the PBX could not transfer the call"),
}


def ami_answer_text(said: str) -> Message:
    """The PBX's ``Message:`` of a refused action (an Originate's result) in the reader's language."""
    said = said.strip()
    known = _AMI_TEXTS.get(said) or _AMI_TEXTS.get(said.split(":")[0].strip())
    if known is not None:
        return M_("the PBX refused the request: {reason}", reason=Message(known))
    return M_("the PBX refused the request")


def ami_error_text(exc: BaseException) -> Message:
    """An AMI client error (``dialer.ami.actions.AmiError``) as a sentence in the reader's language: the PBX's
    answer when it is known here, else what kind of failure it was. The PBX's own English text stays in
    ``str(exc)`` for the problem's ``detail_en`` and the logs, never in the sentence."""
    from dialer.ami.actions import AmiActionError, AmiConnectionError, AmiTimeout

    if isinstance(exc, AmiActionError):
        return ami_answer_text(exc.message)
    if isinstance(exc, AmiTimeout):
        return M_("the PBX did not answer in time")
    if isinstance(exc, AmiConnectionError):
        return M_("the dialer is not connected to the PBX")
    return M_("the PBX reported an error")


def multipart_error_text(exc: BaseException) -> str | Message:
    """A malformed upload body (aiohttp's multipart reader raises ValueError/RuntimeError with English texts):
    our own Message when the exception carries one, else one sentence; the library's text goes to ``detail_en``."""
    said = message_of(exc)
    if isinstance(said, Message):
        return said
    return M_("the form data is malformed (not a valid multipart/form-data body)")


# -- webhook deliveries -------------------------------------------------------------------------------------------

# What the delivery worker (dialer.webhooks.worker) records of a failed delivery, kept as it is written (for
# operators and machines: ``HTTP <status>``, ``refused: <why>``, ``<aiohttp exception class>: <its text>``), and
# said to the manager reading the deliveries in their language by :func:`delivery_error_text`.
_DELIVERY_KINDS: dict[str, str] = {
    "TimeoutError": N_("the receiver did not answer in time"),
    "ServerTimeoutError": N_("the receiver did not answer in time"),
    "ConnectionTimeoutError": N_("the receiver did not answer in time"),
    "SocketTimeoutError": N_("the receiver did not answer in time"),
    "ClientConnectorDNSError": N_("the receiver's host name could not be resolved"),
    "ClientConnectorError": N_("could not connect to the receiver"),
    "ConnectionRefusedError": N_("could not connect to the receiver"),
    "ClientConnectorCertificateError": N_("the receiver's TLS certificate was not accepted"),
    "ClientConnectorSSLError": N_("the TLS connection to the receiver failed"),
    "ClientSSLError": N_("the TLS connection to the receiver failed"),
    "ServerDisconnectedError": N_("the receiver closed the connection"),
    "ClientConnectionResetError": N_("the receiver closed the connection"),
    "ClientOSError": N_("the connection to the receiver failed"),
    "ClientPayloadError": N_("the receiver's answer was malformed"),
    "ClientResponseError": N_("the receiver's answer was malformed"),
    "InvalidUrlClientError": N_("the URL is not valid"),
}
# The allow-list's refusals (dialer.webhooks.core.AllowList.check), as the worker writes them (in English).
_REFUSALS: tuple[str, ...] = (
    N_("only http and https URLs"),
    N_("no credentials in the URL: sign deliveries with the secret instead"),
    N_("the URL has no host"),
    N_("address {host} is not on the webhook allow-list"),
    N_("host {host} is not on the webhook allow-list"),
)
_HTTP_STATUS = re.compile(r"^HTTP (\d{3})$")
_EXCEPTION_KIND = re.compile(r"^(?P<kind>[A-Z]\w*)(?::|$)")


def _said_as(msgid: str, text: str) -> Message | None:
    """``text`` read back as the English rendering of ``msgid`` (its placeholders' values captured), or None."""
    parts = re.split(r"\{(\w+)\}", msgid)
    pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    found = re.fullmatch(pattern, text)
    return None if found is None else Message(msgid, found.groupdict())


def delivery_error_text(error: str | None, status: int | None = None) -> Message | None:
    """A delivery's last error (as the worker stored it) in the reader's language; None when it has none."""
    if not error:
        return None if status is None else M_("the receiver answered HTTP {status}", status=status)
    if found := _HTTP_STATUS.match(error):
        return M_("the receiver answered HTTP {status}", status=int(found[1]))
    if error.startswith("refused: "):
        why = error.removeprefix("refused: ")
        if why.startswith("malformed URL"):
            return M_("not sent: {reason}", reason=M_("the URL is not valid"))
        for msgid in _REFUSALS:
            if (said := _said_as(msgid, why)) is not None:
                return M_("not sent: {reason}", reason=said)
        return M_("not sent: the destination is not allowed")
    kind = found["kind"] if (found := _EXCEPTION_KIND.match(error)) else ""
    known = _DELIVERY_KINDS.get(kind)
    return Message(known) if known is not None else M_("the delivery failed ({kind})", kind=kind or error[:40])
