"""Compare AMI sessions with the recorded traces: event-name sequences after dropping noise, and header names.

    trace = load_trace(traces_dir / "originate-busy.txt")      # list[AmiMessage] as received (banner dropped)
    names = event_sequence(trace, ignore=NOISE)               # ["Newchannel", "Newchannel", "LocalBridge", ...]
    shapes = header_names(trace)                              # {"Hangup": {("Event", "Privilege", ...)}, ...}
    problems = compare_header_names(trace, simulated)          # [] when every event type has the same header set

Uniqueids, times and channel numbers differ between two sessions; the *shape* of the dialect does not.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from dialer.ami.protocol import AmiMessage, AmiParser
from dialer.ami.transcript import received_stream
from dialer.clock import ManualClock

# Events a dialer must tolerate but that carry nothing for it (and whose exact count depends on dialplan detail).
NOISE = frozenset(
    {"Newexten", "VarSet", "DeviceStateChange", "NewCallerid", "NewConnectedLine", "SuccessfulAuth", "FullyBooted"}
)


def load_trace(path: Path) -> list[AmiMessage]:
    """The received messages of a recorded session (``#`` lines dropped, banner skipped)."""
    return AmiParser(expect_banner=True).feed(received_stream(path))


def sent_actions(path: Path) -> list[tuple[float, bytes]]:
    """The actions the recorder sent: (seconds after connect, exact bytes as on the wire, CRLF)."""
    out: list[tuple[float, bytes]] = []
    current: list[bytes] | None = None
    at = 0.0
    for raw in path.read_bytes().splitlines():
        line = raw.decode()
        if line.startswith("#>> +") and " SENT" in line:
            at = float(line[5:].split("s", 1)[0])
            current = []
        elif line.startswith("#>> ") and current is not None:
            current.append(raw[4:])
            if raw[4:] == b"":
                out.append((at, b"".join(part + b"\r\n" for part in current)))
                current = None
    return out


def events(messages: Iterable[AmiMessage], predicate: Callable[[AmiMessage], bool] | None = None) -> list[AmiMessage]:
    return [m for m in messages if m.is_event and (predicate is None or predicate(m))]


def event_sequence(
    messages: Iterable[AmiMessage],
    *,
    ignore: frozenset[str] = NOISE,
    only: Callable[[AmiMessage], bool] | None = None,
) -> list[str]:
    """Event names in order, without the ``ignore``d ones, optionally only those ``only`` keeps."""
    return [m.name for m in events(messages, only) if m.name not in ignore]


def header_names(messages: Iterable[AmiMessage]) -> dict[str, set[tuple[str, ...]]]:
    """Per event name (``Response:<x>`` for responses), the distinct ordered header-name tuples seen.

    ``ChanVariable`` headers (present only with manager.conf ``channelvars``) are left out.
    """
    shapes: dict[str, set[tuple[str, ...]]] = {}
    for m in messages:
        key = m.name if m.is_event else f"Response:{m.name}"
        names = tuple(k for k, _ in m.headers if "ChanVariable" not in k)
        shapes.setdefault(key, set()).add(names)
    return shapes


def compare_header_names(
    recorded: Iterable[AmiMessage], simulated: Iterable[AmiMessage], *, names: Iterable[str] | None = None
) -> list[str]:
    """Differences in header-name shapes for event types present in both (or in ``names``): [] if none."""
    rec, sim = header_names(recorded), header_names(simulated)
    keys = set(names) if names is not None else set(rec) & set(sim)
    problems: list[str] = []
    for key in sorted(keys):
        if key not in sim:
            problems.append(f"{key}: missing from the simulated session")
            continue
        if key not in rec:
            problems.append(f"{key}: not in the recorded session")
            continue
        extra = sim[key] - rec[key]
        for shape in sorted(extra):
            problems.append(f"{key}: simulated shape {shape} never recorded (recorded: {sorted(rec[key])})")
    return problems


def channel_events(messages: Iterable[AmiMessage], suffix: str) -> list[AmiMessage]:
    """Events about the channels whose name ends with ``suffix`` (``;1`` / ``;2``) as Channel or DestChannel."""
    return [
        m
        for m in messages
        if m.is_event and ((m.get("Channel") or "").endswith(suffix) or (m.get("DestChannel") or "").endswith(suffix))
    ]


async def replay(path: Path, port: int, clock: ManualClock, *, tail: float = 60.0) -> list[AmiMessage]:
    """Send a trace's actions to an AMI server at the recorded offsets (time moved by ``clock``), keep reading
    until ``tail`` simulated seconds after the last one, and return every message received (banner skipped).

    An action naming a channel of the recording (``Channel: Local/5550001@sim-pstn-00000062;1``) is sent with the
    name the same channel got in this session (same role, see :class:`ChannelRoles`)."""
    recorded_roles = _roles_by_name(load_trace(path))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    parser = AmiParser(expect_banner=True)
    received: list[AmiMessage] = []

    async def read() -> None:
        while data := await reader.read(65536):
            received.extend(parser.feed(data))

    reading = asyncio.create_task(read())
    start = clock.now()
    try:
        for at, action in sent_actions(path):
            await clock.advance_to(start + at)
            if writer.is_closing() or reading.done():
                break
            writer.write(_rename_channel(action, recorded_roles, received))
            await writer.drain()
            for _ in range(20):
                await asyncio.sleep(0)
        for _ in range(int(tail * 10)):
            await clock.advance(0.1)
    finally:
        writer.close()
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
    return received


def _roles_by_name(messages: Iterable[AmiMessage]) -> dict[str, str]:
    roles = ChannelRoles()
    return {
        channel: roles.role(channel)
        for m in messages
        if m.is_event and (channel := m.get("Channel") or "") and ";" in channel
    }


def _rename_channel(action: bytes, recorded_roles: dict[str, str], received: list[AmiMessage]) -> bytes:
    """Every ``Channel:`` / ``ExtraChannel:`` naming a channel of the recording gets this session's name for it."""
    for prefix in (b"Channel: ", b"ExtraChannel: "):
        for line in action.split(b"\r\n"):
            if not line.startswith(prefix):
                continue
            name = line[len(prefix) :].decode()
            role = recorded_roles.get(name)
            if role is None:
                continue
            current = {v: k for k, v in _roles_by_name(received).items()}
            if role in current:
                action = action.replace(line, prefix + current[role].encode())
    return action


class ChannelRoles:
    """Names channels by role so two sessions compare: the channel name without the per-PBX counter, with the
    agent number dropped (which agent rrmemory picks depends on history), plus the how-many-th such channel
    it is: ``Local/5550002@sim-pstn#1;1``, ``Local/agent@sim-agents#2;2``."""

    def __init__(self) -> None:
        self._roles: dict[str, str] = {}
        self._seen: dict[str, int] = {}

    def role(self, channel: str) -> str:
        base, _, half = channel.partition(";")
        if base not in self._roles:
            stem = re.sub(r"^(Local/agent)\d+@", r"\1@", base.rsplit("-", 1)[0])
            self._seen[stem] = self._seen.get(stem, 0) + 1
            self._roles[base] = f"{stem}#{self._seen[stem]}"
        return self._roles[base] + (f";{half}" if half else "")


def _events_by_role(messages: Iterable[AmiMessage]) -> Iterator[tuple[str, AmiMessage]]:
    """Every event naming a channel, with that channel's role (see :class:`ChannelRoles`); each of them counts
    toward the roles, whether the caller keeps it or not."""
    roles = ChannelRoles()
    for m in messages:
        channel = m.get("Channel") or "" if m.is_event else ""
        if channel:
            yield roles.role(channel), m


def per_channel_values(messages: Iterable[AmiMessage], event: str, field: str) -> dict[str, list[str | None]]:
    """``field`` of every ``event``, per channel role (see :class:`ChannelRoles`)."""
    out: dict[str, list[str | None]] = {}
    for role, m in _events_by_role(messages):
        if m.name == event:
            out.setdefault(role, []).append(m.get(field))
    return out


def per_channel_sequences(messages: Iterable[AmiMessage], *, ignore: frozenset[str] = NOISE) -> dict[str, list[str]]:
    """Event names per channel role. Within one channel Asterisk's order is stable; between channels it is not
    (threads), so two sessions compare well this way."""
    out: dict[str, list[str]] = {}
    for role, m in _events_by_role(messages):
        if m.name not in ignore:
            out.setdefault(role, []).append(m.name)
    return out
