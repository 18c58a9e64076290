"""AMI framing, pure and incremental: bytes in, messages out. Used by the client and by the simulated PBX.

An AMI message is a block of ``Key: Value`` lines ended by an empty line; Asterisk writes CRLF, and (like
Asterisk when it reads actions) we also accept a bare LF. A client connection starts with one banner line
(``Asterisk Call Manager/11.0.0``) that is not a message.

Nothing here does I/O or keeps time; a bad frame is logged and skipped, never raised.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dialer.logging import get_logger

log = get_logger(__name__)

DEFAULT_MAX_FRAME_CHARS = 64 * 1024

# Every C0 control, DEL, and the Unicode line breaks that some tools treat as newlines.
_CONTROL_CHARS = "".join(chr(c) for c in range(32)) + "\x7f\x85\u2028\u2029"
_SANITIZE_TABLE = str.maketrans(dict.fromkeys(_CONTROL_CHARS, " "))


@dataclass(frozen=True, slots=True)
class AmiMessage:
    """One AMI message: its headers in wire order, repeated keys kept (``Variable:`` in actions, ``ChanVariable``).

    Header names are case-insensitive in AMI (Asterisk compares them with strcasecmp); lookups here are too.
    """

    headers: tuple[tuple[str, str], ...]
    # Lower-cased key -> value of its FIRST occurrence; built on the first lookup (most events are never looked
    # into: the dialer drops them by name).
    _first_cache: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False, hash=False)

    @property
    def _first(self) -> dict[str, str]:
        first = self._first_cache
        if first is None:
            first = {key.lower(): value for key, value in reversed(self.headers)}  # the first occurrence wins
            object.__setattr__(self, "_first_cache", first)
        return first

    @classmethod
    def of(cls, *headers: tuple[str, str], **kwargs: str) -> AmiMessage:
        """Convenience for code and tests: ``AmiMessage.of(("Action", "Ping"), ActionID="x")``."""
        return cls(tuple(headers) + tuple(kwargs.items()))

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value of the first header named ``key`` (case-insensitive), or ``default``."""
        return self._first.get(key.lower(), default)

    def getall(self, key: str) -> list[str]:
        """Every value of the headers named ``key`` (case-insensitive), in order."""
        lowered = key.lower()
        return [v for k, v in self.headers if k.lower() == lowered]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._first

    # ``OriginateResponse`` is an event that also carries a ``Response:`` header, so "event" wins.
    # Asterisk writes Event:/Response: as the first header: answer from it without indexing the message.
    @property
    def is_event(self) -> bool:
        return self.headers[0][0] == "Event" or "event" in self._first

    @property
    def is_response(self) -> bool:
        if self.headers[0][0] == "Event":
            return False
        first = self._first
        return "response" in first and "event" not in first

    @property
    def is_action(self) -> bool:
        if self.headers[0][0] == "Event":
            return False
        first = self._first
        return "action" in first and "event" not in first and "response" not in first

    @property
    def kind(self) -> str:
        """``event``, ``response``, ``action`` or ``unknown``."""
        if self.is_event:
            return "event"
        if self.is_response:
            return "response"
        if self.is_action:
            return "action"
        return "unknown"

    @property
    def name(self) -> str:
        """The value of Event / Response / Action (whichever kind the message is), or ``""``."""
        first = self._first
        return first.get("event") or first.get("response") or first.get("action") or ""

    @property
    def action_id(self) -> str | None:
        return self._first.get("actionid")

    def as_dict(self) -> dict[str, str]:
        """First value per key, original key spelling (for logs; code should use ``get``)."""
        out: dict[str, str] = {}
        for key, value in self.headers:
            out.setdefault(key, value)
        return out


class AmiParser:
    """Incremental AMI reader: ``feed(bytes)`` returns the messages completed by those bytes.

    * UTF-8 is decoded incrementally, so a character split across two reads is kept whole; invalid bytes
      become U+FFFD rather than failing the stream.
    * ``expect_banner=True`` (client side): the first line is the server banner, kept in ``.banner``.
    * A line without a colon is ignored, as Asterisk does. A frame with no ``Key: Value`` line at all is
      logged and skipped.
    * Memory is bounded: a frame (or a single line) longer than ``max_frame_chars`` is logged and discarded,
      and parsing resumes after the next empty line.
    """

    __slots__ = ("_buffer", "_decoder", "_expect_banner", "_max_frame", "_skipping", "banner", "discarded_frames")

    def __init__(self, *, expect_banner: bool = False, max_frame_chars: int = DEFAULT_MAX_FRAME_CHARS) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._expect_banner = expect_banner
        self._max_frame = max_frame_chars
        self._skipping = False
        self.banner: str | None = None
        self.discarded_frames = 0

    def feed(self, data: bytes) -> list[AmiMessage]:
        text = self._decoder.decode(data)
        if not text:
            return []
        buffer = self._buffer + text
        if "\r" in buffer:
            buffer = buffer.replace("\r\n", "\n")
        held_cr = ""
        if buffer.endswith("\r"):
            # Possibly the first half of a CRLF split across reads: decide when the next byte comes.
            held_cr = "\r"
            buffer = buffer[:-1]
        messages: list[AmiMessage] = []
        self._buffer = self._consume(buffer, messages) + held_cr
        return messages

    def _consume(self, buffer: str, out: list[AmiMessage]) -> str:
        """Take every complete frame out of ``buffer`` into ``out``; return the incomplete rest."""
        if self._expect_banner and self.banner is None:
            end = buffer.find("\n")
            if end < 0:
                if len(buffer) > self._max_frame:
                    log.warning("ami_banner_too_long", length=len(buffer))
                    self.banner = ""
                    self._skipping = True
                    return self._skip(buffer)
                return buffer
            self.banner = buffer[:end].rstrip("\r")
            buffer = buffer[end + 1 :]
        if self._skipping:
            buffer = self._skip(buffer)
            if self._skipping:
                return buffer
        max_frame = self._max_frame
        start = 0
        while True:
            end = buffer.find("\n\n", start)
            if end < 0:
                break
            if end - start > max_frame:
                self._discard(end - start)
            else:
                message = _parse_frame(buffer[start:end])
                if message is not None:
                    out.append(message)
            start = end + 2
        rest = buffer[start:] if start else buffer
        if len(rest) > max_frame:
            self._discard(len(rest))
            self._skipping = True
            return self._skip(rest)
        return rest

    def _skip(self, buffer: str) -> str:
        """Drop text up to and including the next empty line."""
        end = buffer.find("\n\n")
        if end < 0:
            # Keep the last character: it may be the first LF of the blank line that ends the bad frame.
            return buffer[-1:]
        self._skipping = False
        return buffer[end + 2 :]

    def _discard(self, length: int) -> None:
        self.discarded_frames += 1
        log.warning("ami_frame_too_long_discarded", length=length, limit=self._max_frame)

    @property
    def buffered_chars(self) -> int:
        return len(self._buffer)


# One header line: the name starts with a non-blank and stops at the first colon; blanks around the colon are
# skipped (as Asterisk's astman_get_header does). A line without a colon matches nothing: ignored, like Asterisk.
_HEADER_LINE = re.compile(r"^[ \t]*([^:\s][^:\n]*?)[ \t]*:[ \t]*([^\r\n]*)", re.MULTILINE)


def _parse_frame(frame: str) -> AmiMessage | None:
    headers = _HEADER_LINE.findall(frame)
    if not headers:
        if frame.strip():
            log.warning("ami_frame_without_headers_skipped", sample=frame[:200])
        return None
    return AmiMessage(tuple(headers))


def sanitize_value(value: str) -> str:
    """A header value that cannot break out of its line: CR, LF and every other control character become a space.

    Lead data (names, numbers, custom fields) ends up in header values; without this a ``\\r\\n`` in a name
    would let a CSV row inject AMI headers or whole actions.
    """
    return value.translate(_SANITIZE_TABLE)


def _check_key(key: str) -> str:
    if not key or ":" in key or key != key.strip() or sanitize_value(key) != key:
        raise ValueError(f"invalid AMI header name: {key!r}")
    return key


def encode_message(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> bytes:
    """Serialise headers (in order; repeated keys allowed) as an AMI message: CRLF lines and an empty line.

    Values are sanitised; an invalid header name (empty, with a colon or a control character) is a programming
    error and raises ``ValueError``.
    """
    items = headers.items() if isinstance(headers, Mapping) else headers
    parts = [f"{_check_key(key)}: {sanitize_value(value)}\r\n" for key, value in items]
    parts.append("\r\n")
    return "".join(parts).encode("utf-8")
