"""The call witness: a recorded call replayed as somebody else's (unowned) reads the same as our own replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.ami.transcript import transcript_events
from dialer.calls.outcome import Outcome
from dialer.calls.replay import replay_file
from dialer.calls.tracker import CallEnded, OriginateRecord
from dialer.calls.witness import CallWitness, read_witnessed

TRACES = Path(__file__).resolve().parents[2] / "fixtures" / "ami-traces"
ALL_TRACES = sorted(p.name for p in TRACES.glob("originate-*.txt")) + sorted(
    f"lab/{p.name}" for p in (TRACES / "lab").glob("originate-*.txt")
)


def witness_of(path: Path, *, after: float = float("-inf")) -> CallWitness:
    witness = CallWitness()
    for at, event in transcript_events(path):
        if at >= after:
            witness.feed(event, at)
    return witness


def same_end(a: CallEnded, b: CallEnded) -> None:
    assert (b.outcome, b.reason, b.cause, b.amd_status, b.amd_cause, b.agent_interface, b.agent_name, b.detail) == (
        a.outcome,
        a.reason,
        a.cause,
        a.amd_status,
        a.amd_cause,
        a.agent_interface,
        a.agent_name,
        a.detail,
    )
    assert b.at == a.at  # the end as the PBX said, not when somebody looked
    assert b.ring_seconds == pytest.approx(a.ring_seconds)
    assert b.talk_seconds == (None if a.talk_seconds is None else pytest.approx(a.talk_seconds))


@pytest.mark.parametrize("name", ALL_TRACES)
def test_a_call_witnessed_unowned_ends_as_it_would_have_owned(name: str) -> None:
    path = TRACES / name
    owned = replay_file(path)
    witness = witness_of(path)
    compared = 0
    for record in owned.originated:
        ended = owned.ended.get(record.action_id)
        if ended is None or ended.channel_id is None:
            continue
        call = witness.find(record.attempt_id, ended.channel_id, record.action_id)
        if call is None:
            continue  # refused before any channel existed: nothing on the wire but the response
        evidence = read_witnessed(call, record)
        assert evidence.from_start
        assert evidence.ended is not None, record.action_id
        same_end(ended, evidence.ended)
        compared += 1
    assert compared or not owned.ended or all(e.channel_id is None for e in owned.ended.values())


def test_the_no_answer_is_a_no_answer_not_a_guessed_failure() -> None:
    path = TRACES / "lab" / "originate-noanswer.txt"
    owned = replay_file(path)
    (record,) = owned.originated
    ended = owned.ended[record.action_id]
    assert ended.outcome is Outcome.NO_ANSWER
    assert ended.channel_id is not None
    call = witness_of(path).find(record.attempt_id, ended.channel_id)
    assert call is not None
    assert call.hangup_seen
    evidence = read_witnessed(call, record)
    assert evidence.ended is not None
    assert evidence.ended.outcome is Outcome.NO_ANSWER
    assert (evidence.ended.reason, evidence.ended.cause) == (3, 19)


def _connected_trace() -> tuple[Path, OriginateRecord, CallEnded]:
    for name in ALL_TRACES:
        owned = replay_file(TRACES / name)
        for record in owned.originated:
            ended = owned.ended.get(record.action_id)
            if ended is not None and ended.outcome is Outcome.CONNECTED and ended.channel_id is not None:
                return TRACES / name, record, ended
    pytest.fail("no recorded trace has a call connected to an agent")


def test_a_connected_call_seen_from_mid_call_keeps_its_agent_and_end() -> None:
    """A daemon connected after the agent took the call (its stored facts: answered, connected) still records the
    end, the agent and CONNECTED from what it saw -- never an abandon, never the closure time."""
    path, record, ended = _connected_trace()
    assert ended.talk_seconds is not None
    connect_at = ended.at - ended.talk_seconds
    witness = witness_of(path, after=connect_at + 0.001)
    call = witness.find(record.attempt_id, ended.channel_id, record.action_id)
    assert call is not None
    assert not call.from_start
    evidence = read_witnessed(
        call, record, answered_at=connect_at - 1.0, connected_at=connect_at, agent=ended.agent_name
    )
    assert evidence.ended is not None
    assert evidence.ended.outcome is Outcome.CONNECTED
    assert evidence.ended.at == ended.at
    assert evidence.agent_name == ended.agent_name


def test_a_call_still_up_has_no_end_but_its_real_answer_and_agent() -> None:
    path, record, ended = _connected_trace()
    events = list(transcript_events(path))
    witness = CallWitness()
    for at, event in events:
        if at < ended.at:
            witness.feed(event, at)
    call = witness.find(record.attempt_id, ended.channel_id, record.action_id)
    assert call is not None
    evidence = read_witnessed(call, record)
    assert evidence.ended is None
    assert evidence.answered_at is not None
    assert evidence.answered_at < ended.at
    assert evidence.connected_at is not None
    assert evidence.agent_name == ended.agent_name


def test_tracked_calls_are_not_kept_and_memory_is_bounded() -> None:
    path = TRACES / "lab" / "originate-burst-50.txt"
    all_events = list(transcript_events(path))
    small = CallWitness(max_calls=10, max_events_per_call=5)
    for at, event in all_events:
        small.feed(event, at)
    assert len(small) <= 10
    assert small.dropped > 0
    skipping = CallWitness()
    for at, event in all_events:
        skipping.feed(event, at, tracked=lambda _: True)
    assert len(skipping) == 0
    witness = CallWitness(keep_seconds=60.0)
    last = 0.0
    for at, event in all_events:
        witness.feed(event, at)
        last = at
    kept = len(witness)
    assert kept > 0
    assert witness.expire(last + 61.0) > 0  # the ended calls go after keep_seconds
    witness.expire(last + 4 * 3600.0 + 1.0)  # and any call still up after max_call_seconds
    assert len(witness) == 0


def test_a_call_followed_after_its_agent_connect_is_connected_by_the_dialplans_call_end() -> None:
    """Nothing stored said an agent had it (the daemon died before writing it) and the AgentConnect came before we
    listened: DialerCallEnd Stage CONNECTED (recorded from Asterisk 22) says so, with the agent -- no false abandon."""
    for path in sorted((TRACES / "lab").glob("originate-*.txt")):
        owned = replay_file(path)
        for record in owned.originated:
            ended = owned.ended.get(record.action_id)
            if ended is None or ended.outcome is not Outcome.CONNECTED or ended.channel_id is None:
                continue
            if ended.detail != "CONNECTED":
                continue
            assert ended.talk_seconds is not None
            witness = witness_of(path, after=ended.at - ended.talk_seconds + 0.001)
            call = witness.find(record.attempt_id, ended.channel_id, record.action_id)
            assert call is not None
            evidence = read_witnessed(call, record, answered_at=ended.at - ended.talk_seconds - 1.0)
            assert evidence.ended is not None
            assert evidence.ended.outcome is Outcome.CONNECTED
            assert evidence.ended.at == ended.at
            assert evidence.agent_name == ended.agent_interface
            return
    pytest.fail("no lab trace has a call connected to an agent with DialerCallEnd Stage CONNECTED")


def test_what_a_tracker_followed_leaves_nothing_behind() -> None:
    """A tracker follows its calls until their own channel hangs up (then forgets them): their OriginateResponses
    and the Hangups of their other channels that come after must not start witnessed calls (the soak's flat memory)."""
    from dialer.ami.events import Hangup, OriginateResponse

    path = TRACES / "lab" / "originate-burst-50.txt"
    all_events = list(transcript_events(path))
    ours = {e.action_id for _, e in all_events if isinstance(e, OriginateResponse) and e.action_id}
    assert ours
    forgotten: set[str] = set()
    witness = CallWitness()
    for at, event in all_events:
        witness.feed(event, at, tracked=lambda linkedid: linkedid not in forgotten, tracked_action=ours.__contains__)
        if isinstance(event, Hangup) and event.uniqueid == event.linkedid:
            forgotten.add(event.linkedid)  # the tracker forgets a call at its own channel's Hangup
    assert len(witness) == 0
    assert not witness._responses  # our own Originates' responses are the tracker's to read
