"""A call answered while the dialer's AMI connection was down (tests/fixtures/ami-traces/lab/reconnect-mid-call.txt,
recorded from asterisk/lab: the Originate went out on the session that dropped; the recorded session is the one opened
again 6 s later). Asterisk 22 sends the OriginateResponse once, when the call answers: the new session never gets it.
It lists the call's channels, then sees the dialplan's DialerCallEnd (Stage CONNECTED, the agent) and the Hangup."""

from __future__ import annotations

from pathlib import Path

from dialer.ami.events import CoreShowChannel, OriginateResponse
from dialer.ami.protocol import AmiMessage
from dialer.ami.recorder import SCENARIOS, Aside
from dialer.ami.transcript import read_transcript, transcript_events
from dialer.calls.outcome import Outcome
from dialer.calls.replay import originate_record, replay
from dialer.calls.tracker import CallTracker

TRACE = Path(__file__).resolve().parents[1] / "fixtures" / "ami-traces" / "lab" / "reconnect-mid-call.txt"


def _tracker_of_the_dropped_session() -> CallTracker:
    """A tracker that registered the Originate the dropped session sent (the scenario's Aside step)."""
    originates = [
        action
        for step in SCENARIOS["reconnect-mid-call"].steps
        if isinstance(step, Aside)
        for action in step.actions
        if dict(action).get("Action") == "Originate"
    ]
    record = originate_record(AmiMessage(originates[0]), 0.0)
    assert record is not None
    tracker = CallTracker()
    tracker.register(record)
    return tracker


def test_the_session_opened_again_gets_no_originate_response_but_lists_the_live_call() -> None:
    events = [event for _, event in transcript_events(TRACE)]
    assert not any(isinstance(event, OriginateResponse) for event in events)
    listed = {event.uniqueid for event in events if isinstance(event, CoreShowChannel)}
    assert "fixture-rc-1" in listed
    tracker = _tracker_of_the_dropped_session()
    assert tracker.reconcile(listed, 6.0) == []  # still up: kept, not lost


def test_a_call_answered_during_the_outage_ends_connected_with_its_agent_not_lost() -> None:
    result = replay(read_transcript(TRACE), _tracker_of_the_dropped_session())
    assert result.lost == {}
    ended = result.ended["rc-orig-1"]
    assert ended.outcome is Outcome.CONNECTED
    assert ended.agent_interface == "Local/agentfx1@lab-agents"
    assert ended.cause == 16
    # Its answer came while nobody listened: the ring time is unknown (None), not the ringing-to-end span, which
    # the pacer would learn as how long a live call rings (PacingStats.record_attempt skips it).
    assert ended.ring_seconds is None
