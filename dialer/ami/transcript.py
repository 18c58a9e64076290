"""Reader for recorded AMI transcripts (the format of ``ami-traces/*.txt``; see that folder's README).

Lines starting with ``#`` are annotations (LF-ended): ``#<< +S.SSSs`` stamps the received bytes that follow,
``#>> +S.SSSs SENT`` and the ``#>> `` lines after it are an action the recorder sent. Every other line is
received bytes, verbatim (CRLF). Dropping the ``#`` lines gives back the received stream byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dialer.ami.events import AmiEvent
from dialer.ami.parsing import parse_event
from dialer.ami.protocol import AmiMessage, AmiParser

# "#>> +5.010s SENT ([f])": a label may follow SENT.
_STAMP = re.compile(rb"^#(<<|>>) \+(\d+(?:\.\d+)?)s( SENT\b[^\n]*)?\s*$")


@dataclass(frozen=True, slots=True)
class Received:
    at: float  # seconds since the connection opened
    data: bytes


@dataclass(frozen=True, slots=True)
class Sent:
    at: float
    action: AmiMessage


TranscriptItem = Received | Sent


class TranscriptError(ValueError):
    pass


def read_transcript(path: Path) -> Iterator[TranscriptItem]:
    """The received chunks and sent actions of one transcript, in time order."""
    return parse_transcript(path.read_bytes(), str(path))


def transcript_events(path: Path) -> Iterator[tuple[float, AmiEvent]]:
    """The typed events (``parse_event``) received in one transcript, each with the time its bytes arrived: what the
    dialer would have read of the recorded session."""
    parser = AmiParser(expect_banner=True)
    for item in read_transcript(path):
        if isinstance(item, Received):
            for message in parser.feed(item.data):
                event = parse_event(message)
                if event is not None:
                    yield item.at, event


def parse_transcript(raw: bytes, name: str = "<transcript>") -> Iterator[TranscriptItem]:
    at = 0.0
    received: list[bytes] = []
    sent_lines: list[str] | None = None
    sent_at = 0.0
    for number, line in enumerate(raw.splitlines(keepends=True), start=1):
        if not line.startswith(b"#"):
            received.append(line)
            continue
        if sent_lines is not None:
            if line.startswith(b"#>> ") and not _STAMP.match(line):
                text = line[4:].decode("utf-8", errors="replace").rstrip("\r\n")
                if text.strip():
                    sent_lines.append(text)
                    continue
                yield Sent(sent_at, _action(sent_lines))
                sent_lines = None
                continue
            # An action block that was not closed by an empty "#>> " line.
            yield Sent(sent_at, _action(sent_lines))
            sent_lines = None
        stamp = _STAMP.match(line)
        if stamp is None:
            continue  # header comments
        if received:
            yield Received(at, b"".join(received))
            received = []
        try:
            at = float(stamp.group(2))
        except ValueError as exc:  # pragma: no cover - the regex only matches numbers
            raise TranscriptError(f"{name}:{number}: bad time stamp") from exc
        if stamp.group(3):
            sent_lines = []
            sent_at = at
    if sent_lines:
        yield Sent(sent_at, _action(sent_lines))
    if received:
        yield Received(at, b"".join(received))


def _action(lines: list[str]) -> AmiMessage:
    headers: list[tuple[str, str]] = []
    for text in lines:
        key, sep, value = text.partition(":")
        if sep:
            headers.append((key.strip(), value.strip()))
    return AmiMessage(tuple(headers))


def received_stream(path: Path) -> bytes:
    """The exact bytes received on the socket (every ``#`` line removed)."""
    return received_stream_of(path.read_bytes())


def received_stream_of(raw: bytes) -> bytes:
    """The received bytes of a transcript's text (every ``#`` line removed)."""
    return b"".join(line for line in raw.splitlines(keepends=True) if not line.startswith(b"#"))
