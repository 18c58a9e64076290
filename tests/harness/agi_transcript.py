"""A recorded FastAGI session (tests/fixtures/agi/): the environment Asterisk sent, then each command the server
sent with the lines Asterisk answered.

The file: ``#`` lines are comments; ``< `` prefixes a line Asterisk sent (the environment, then replies; a bare
``<`` is the empty line that ends the environment), ``> `` a command the server sent. Lines are verbatim after
the marker (their LF dropped).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field


@dataclass
class AgiTranscript:
    environment: list[tuple[str, str]]
    exchanges: list[tuple[str, list[str]]] = field(default_factory=list)

    def render(self, header: str) -> str:
        lines = [
            f"# {header}",
            "# '< ' Asterisk sent the line, '> ' the FastAGI server did ('<' alone: an empty line)",
        ]
        lines += [f"< {k}: {v}" for k, v in self.environment]
        lines.append("<")
        for command, replies in self.exchanges:
            lines.append(f"> {command}")
            lines += [f"< {r}" for r in replies]
        return "\n".join(lines) + "\n"


def parse_transcript(text: str) -> AgiTranscript:
    environment: list[tuple[str, str]] = []
    exchanges: list[tuple[str, list[str]]] = []
    in_environment = True
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if line.startswith(">"):
            in_environment = False
            exchanges.append((line[2:], []))
        elif line.startswith("<"):
            body = line[2:]
            if in_environment:
                if line.strip() == "<":
                    continue
                key, _, value = body.partition(":")  # (a trailing space may have been trimmed)
                environment.append((key, value.removeprefix(" ")))
            elif exchanges:
                exchanges[-1][1].append(body)
    return AgiTranscript(environment, exchanges)


# The script the recorder plays against the channel (replies are read one line at a time; after HANGUP, every line
# Asterisk sends within a second).
SCRIPT = (
    "GET VARIABLE DIALER_ATTEMPT",
    "GET VARIABLE DIALER_NO_SUCH_VARIABLE",
    'SET VARIABLE DIALER_IVR_CALL "arecorded"',
    "GET VARIABLE DIALER_IVR_CALL",
    "HANGUP",
    "GET VARIABLE DIALER_ATTEMPT",  # allowed on a hung-up channel (res_agi: "dead"-safe)
    'STREAM FILE silence/1 ""',  # not allowed: 511
)
QUIET_SECONDS = 1.0  # (a real Asterisk's lines; the simulated PBX, in the same process, answers at once)


class Recorder:
    """A FastAGI server that records one session: the environment, then each command and the lines answered (from
    the script's HANGUP on, every line that comes within ``quiet_seconds``)."""

    def __init__(self, quiet_seconds: float = QUIET_SECONDS) -> None:
        self.quiet_seconds = quiet_seconds
        self.transcript: AgiTranscript | None = None
        self.done = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env: list[tuple[str, str]] = []
        exchanges: list[tuple[str, list[str]]] = []
        try:
            while True:
                line = (await reader.readline()).decode()
                if line in ("\n", ""):
                    break
                key, _, value = line.rstrip("\n").partition(": ")
                env.append((key, value))
            for command in SCRIPT:
                writer.write(f"{command}\n".encode())
                await writer.drain()
                answered: list[str] = []
                # one line, or (from HANGUP on) every line within quiet_seconds
                many = command == "HANGUP" or any(c == "HANGUP" for c, _ in exchanges)
                while True:
                    try:
                        async with asyncio.timeout(self.quiet_seconds if many else 10.0):
                            raw = await reader.readline()
                    except TimeoutError:
                        break
                    if not raw:
                        break
                    answered.append(raw.decode().rstrip("\n"))
                    if not many:
                        break
                exchanges.append((command, answered))
        finally:
            writer.close()
            self.transcript = AgiTranscript(env, exchanges)
            self.done.set()


def shape(value: str) -> str:
    """What stays from run to run: the harness's attempt ids and the numbers become placeholders."""
    return re.sub(r"[0-9]+", "N", re.sub(r"rt-[0-9a-f]+-[0-9]+", "{attempt}", value))


# environment values that name this run's call (its ids, the server's port, the Local channel's sequence) or the
# Asterisk build (agi_version: "22.5.0" for a release, "GIT-22-<sha>" from a git checkout, "UNKNOWN__and_probably_
# unsupported" from a tree without git metadata)
VARYING = frozenset({"agi_request", "agi_channel", "agi_uniqueid", "agi_threadid", "agi_version"})
