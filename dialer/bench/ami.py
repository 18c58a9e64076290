"""`dialer bench ami`: the AMI pipeline on one core -- bytes → AmiParser → typed events → CallTracker.

The recorded Asterisk 22 transcripts are concatenated and renumbered (Uniqueids, ActionIDs and ChannelIds get a
per-copy suffix, so every copy is a fresh set of calls) many times, then fed in their recorded chunks. Preparing
the input is not timed; parsing, typing and tracking are.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from dialer.ami.parsing import parse_event
from dialer.ami.protocol import AmiParser
from dialer.ami.transcript import Received, Sent, read_transcript
from dialer.calls.replay import originate_record
from dialer.calls.tracker import CallEnded, CallLost, CallTracker, OriginateRecord

DEFAULT_TRACES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "ami-traces"
DEFAULT_COPIES = 40
BANNER = b"Asterisk Call Manager/11.0.0\r\n"
_ACTION_ID = re.compile(rb"^(ActionID: )([^\r\n]*)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class _Step:
    at: float
    data: bytes | None  # received bytes, or None for a registration
    record: OriginateRecord | None


@dataclass(frozen=True, slots=True)
class AmiBenchResult:
    messages: int
    events: int
    calls_ended: int
    calls_lost: int
    seconds: float  # CPU time of this process (the machine may be shared; wall time is printed too)
    wall_seconds: float

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.seconds

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


def _renumber(data: bytes, suffix: bytes, channel_ids: list[bytes]) -> bytes:
    data = data.replace(b"amiref-", b"amiref" + suffix + b"-")
    data = _ACTION_ID.sub(lambda m: m.group(1) + m.group(2) + suffix, data)
    for channel_id in channel_ids:
        data = data.replace(channel_id, channel_id + suffix)
    return data


def build_workload(traces_dir: Path, copies: int) -> list[_Step]:
    """The transcripts, renumbered ``copies`` times, as one time-ordered list of received chunks and originates."""
    sessions = []
    for path in sorted(traces_dir.glob("*.txt")):
        items = list(read_transcript(path))
        channel_ids = sorted(
            {(i.action.get("ChannelId") or "").encode() for i in items if isinstance(i, Sent)} - {b""},
            key=len,
            reverse=True,
        )
        sessions.append((items, channel_ids))
    steps: list[_Step] = []
    offset = 0.0
    for copy in range(copies):
        suffix = f"x{copy}".encode()
        for items, channel_ids in sessions:
            end = 0.0
            banner_skipped = False
            for item in items:
                end = max(end, item.at)
                if isinstance(item, Sent):
                    record = originate_record(item.action, item.at)
                    if record is not None:
                        s = suffix.decode()
                        record = OriginateRecord(
                            action_id=record.action_id + s,
                            attempt_id=record.attempt_id + s,
                            dial_string=record.dial_string,
                            number=record.number,
                            sent_at=offset + record.sent_at,
                            channel_id=None if record.channel_id is None else record.channel_id + s,
                            timeout_seconds=record.timeout_seconds,
                        )
                        steps.append(_Step(offset + item.at, None, record))
                    continue
                assert isinstance(item, Received)
                data = item.data
                if not banner_skipped and data.startswith(BANNER):
                    data = data[len(BANNER) :]  # one stream, one banner
                    banner_skipped = True
                if data:
                    steps.append(_Step(offset + item.at, _renumber(data, suffix, channel_ids), None))
            offset += end + 60.0  # sessions one after another, a minute apart
    return steps


def run(traces_dir: Path = DEFAULT_TRACES, copies: int = DEFAULT_COPIES) -> AmiBenchResult:
    steps = build_workload(traces_dir, copies)
    parser = AmiParser(expect_banner=True)
    parser.feed(BANNER)
    tracker = CallTracker()
    messages = events = ended = lost = 0
    feed = tracker.feed
    started = time.process_time()
    wall_started = time.perf_counter()
    last_sweep = 0.0
    for step in steps:
        now = step.at
        if step.data is None:
            assert step.record is not None
            tracker.register(step.record)
            continue
        for message in parser.feed(step.data):
            messages += 1
            event = parse_event(message)
            if event is None:
                if message.is_response and message.name == "Error":
                    ended += sum(
                        isinstance(u, CallEnded) for u in tracker.originate_rejected(message.action_id or "", now)
                    )
                continue
            events += 1
            for update in feed(event, now):
                if isinstance(update, CallEnded):
                    ended += 1
        if now - last_sweep >= 1.0:
            last_sweep = now
            for update in tracker.sweep(now):
                if isinstance(update, CallEnded):
                    ended += 1
                elif isinstance(update, CallLost):
                    lost += 1
    seconds = time.process_time() - started
    wall_seconds = time.perf_counter() - wall_started
    for update in tracker.sweep(last_sweep + 1e9):
        lost += isinstance(update, CallLost)
        ended += isinstance(update, CallEnded)
    return AmiBenchResult(messages, events, ended, lost, seconds, wall_seconds)


def _print(result: AmiBenchResult, copies: int) -> None:
    typer.echo(
        f"ami pipeline (parse → typed events → tracker), {copies} copies of the recorded traces, one core:\n"
        f"  {result.messages} AMI messages, {result.events} typed events, "
        f"{result.calls_ended} calls ended, {result.calls_lost} lost, "
        f"in {result.seconds:.2f} s of CPU ({result.wall_seconds:.2f} s wall)\n"
        f"  {result.messages_per_second:,.0f} AMI events/s through the whole pipeline "
        f"({result.events_per_second:,.0f}/s of them typed and tracked; target ≥ 50,000 events/s)"
    )


def register(app: typer.Typer) -> None:
    """Add this module's command(s) to `dialer bench`."""

    @app.command("ami")
    def bench_ami(
        copies: Annotated[int, typer.Option(min=1, help="How many renumbered copies of the traces to replay.")] = (
            DEFAULT_COPIES
        ),
        traces: Annotated[Path, typer.Option(help="Folder of recorded AMI transcripts.")] = DEFAULT_TRACES,
    ) -> None:
        """Events per second through parse → typed events → call tracker."""
        _print(run(traces, copies), copies)


def run_default() -> None:
    """Run at the default size and print the figures."""
    _print(run(), DEFAULT_COPIES)
