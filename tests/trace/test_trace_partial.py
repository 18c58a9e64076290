"""cacofonisk-style test_partial: every transcript replayed from every message offset.

The tracker must not raise when it attaches mid-call, must report every originate exactly once (ended or lost),
and must shed every call it attached to by the end (bounded memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from dialer.ami.events import AmiEvent
from dialer.ami.parsing import parse_event
from dialer.ami.protocol import AmiMessage, AmiParser
from dialer.ami.transcript import Received, Sent, read_transcript
from dialer.calls.replay import originate_record
from dialer.calls.tracker import CallEnded, CallLost, CallTracker, OriginateRecord

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "ami-traces"


@dataclass
class Timeline:
    # (message index, time, originate or event): registrations keep the index of the next received message.
    steps: list[tuple[int, float, OriginateRecord | AmiEvent | AmiMessage]]
    messages: int


def _timeline(path: Path) -> Timeline:
    parser = AmiParser(expect_banner=True)
    steps: list[tuple[int, float, OriginateRecord | AmiEvent | AmiMessage]] = []
    index = 0
    for item in read_transcript(path):
        if isinstance(item, Sent):
            record = originate_record(item.action, item.at)
            if record is not None:
                steps.append((index, item.at, record))
            continue
        assert isinstance(item, Received)
        for message in parser.feed(item.data):
            if message.is_response and (message.get("Response") or "").lower() == "error":
                steps.append((index, item.at, message))
            else:
                event = parse_event(message)
                if event is not None:
                    steps.append((index, item.at, event))
            index += 1
    return Timeline(steps, index)


@pytest.mark.parametrize("path", sorted(TRACES.glob("*.txt")), ids=lambda p: p.stem)
def test_replay_from_every_offset(path: Path) -> None:
    timeline = _timeline(path)
    originated = {s[2].action_id for s in timeline.steps if isinstance(s[2], OriginateRecord)}
    for offset in range(timeline.messages + 1):
        tracker = CallTracker()
        reported: list[str] = []
        now = 0.0
        for index, at, step in timeline.steps:
            now = at
            if isinstance(step, OriginateRecord):
                tracker.register(step)
                continue
            if index < offset:
                continue
            if isinstance(step, AmiMessage):
                updates = tracker.originate_rejected(step.action_id or "", at)
            else:
                updates = tracker.feed(step, at)
            reported += [u.action_id for u in updates if isinstance(u, CallEnded | CallLost)]
        for update in tracker.sweep(now + tracker.channel_grace_seconds) + tracker.sweep(now + 10_000):
            if isinstance(update, CallEnded | CallLost):
                reported.append(update.action_id)
        reported += [u.action_id for u in tracker.lose_all(now, "end") if isinstance(u, CallLost)]
        assert sorted(reported) == sorted(originated), f"offset {offset}"
        assert tracker.active_calls == 0
        assert not tracker._by_linkedid
        assert not tracker._by_action
        assert not tracker._unmatched_by_dial
