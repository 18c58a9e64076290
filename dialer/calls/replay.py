"""Replay a recorded AMI transcript through the real pipeline: parser → typed events → call tracker.

What was originated is read from the transcript's ``#>> ... SENT`` markers (ActionID, Channel, ChannelId,
Timeout); the received bytes are fed to the parser as they arrived. Used by ``dialer trace classify``, the
trace tests and the AMI benchmark.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dialer.ami.parsing import parse_event
from dialer.ami.protocol import AmiMessage, AmiParser
from dialer.ami.transcript import Received, Sent, TranscriptItem, read_transcript
from dialer.calls.tracker import CallEnded, CallLost, CallTracker, CallUpdate, OriginateRecord

_LOCAL_NUMBER = re.compile(r"^Local/([^@]+)@")


@dataclass
class ReplayResult:
    originated: list[OriginateRecord] = field(default_factory=list)
    ended: dict[str, CallEnded] = field(default_factory=dict)  # by action id
    lost: dict[str, CallLost] = field(default_factory=dict)
    updates: list[CallUpdate] = field(default_factory=list)
    messages: int = 0
    events: int = 0


def originate_record(action: AmiMessage, at: float) -> OriginateRecord | None:
    """The tracker registration for a sent ``Action: Originate`` (``None`` for other actions)."""
    if (action.get("Action") or "").lower() != "originate":
        return None
    action_id = action.get("ActionID") or f"originate@{at:.3f}"
    dial_string = action.get("Channel") or ""
    match = _LOCAL_NUMBER.match(dial_string)
    timeout_ms = action.get("Timeout") or ""
    return OriginateRecord(
        action_id=action_id,
        attempt_id=action_id,
        dial_string=dial_string,
        number=match.group(1) if match else dial_string,
        sent_at=at,
        channel_id=action.get("ChannelId"),
        timeout_seconds=int(timeout_ms) / 1000 if timeout_ms.isdigit() else 30.0,
    )


def replay(items: Iterable[TranscriptItem], tracker: CallTracker | None = None) -> ReplayResult:
    """Feed a transcript to a tracker; calls still open at the end are reported lost."""
    tracker = tracker or CallTracker()
    parser = AmiParser(expect_banner=True)
    result = ReplayResult()
    originates: set[str] = set()
    now = 0.0
    for item in items:
        now = item.at
        if isinstance(item, Sent):
            record = originate_record(item.action, item.at)
            if record is not None and record.action_id not in originates:
                originates.add(record.action_id)
                result.originated.append(record)
                tracker.register(record)
            elif (item.action.get("Action") or "").lower() == "hangup":
                attempt = tracker.attempt_for_uniqueid(item.action.get("Channel") or "")
                if attempt is not None:
                    tracker.hangup_requested(attempt)
            continue
        assert isinstance(item, Received)
        _collect(result, tracker.sweep(now))
        for message in parser.feed(item.data):
            result.messages += 1
            if message.is_response:
                action_id = message.action_id
                if action_id in originates and (message.get("Response") or "").lower() == "error":
                    _collect(result, tracker.originate_rejected(action_id, now))
                continue
            event = parse_event(message)
            if event is None:
                continue
            result.events += 1
            _collect(result, tracker.feed(event, now))
    # At the end of the recording: settle the failures still waiting for a channel, then give up on the rest.
    _collect(result, tracker.sweep(now + tracker.channel_grace_seconds))
    _collect(result, tracker.lose_all(now, "the transcript ended before the call did"))
    return result


def _collect(result: ReplayResult, updates: Iterable[CallUpdate]) -> None:
    for update in updates:
        result.updates.append(update)
        if isinstance(update, CallEnded):
            result.ended[update.action_id] = update
        elif isinstance(update, CallLost):
            result.lost[update.action_id] = update


def replay_file(path: Path) -> ReplayResult:
    return replay(read_transcript(path))


def classification_rows(result: ReplayResult) -> list[dict[str, object]]:
    """One row per originated call, in the order they were sent (what `dialer trace classify` prints)."""
    rows: list[dict[str, object]] = []
    for record in result.originated:
        ended = result.ended.get(record.action_id)
        if ended is not None:
            rows.append(
                {
                    "action_id": record.action_id,
                    "channel_id": ended.channel_id,
                    "outcome": ended.outcome.value,
                    "cause": ended.cause,
                    "agent": ended.agent_name or ended.agent_interface,
                    "amd": ended.amd_status,
                }
            )
            continue
        lost = result.lost.get(record.action_id)
        rows.append(
            {
                "action_id": record.action_id,
                "channel_id": lost.channel_id if lost else record.channel_id,
                "outcome": None,
                "cause": None,
                "agent": None,
                "amd": None,
                "lost": lost.reason if lost else "unknown",
            }
        )
    return rows
