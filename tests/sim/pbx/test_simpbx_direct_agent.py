"""The simulated PBX's direct-agent path ([dialer-direct-agent]: an agent's own callback, a preview call) against the
lab's Asterisk 22 (tests/fixtures/ami-traces/lab/direct-agent-callback.txt): the owner paused in the queue for it
(reason preview, as the dialer reserves them) while two other agents are ready, the Originate naming the owner's
phone in DIALER_AGENT, the callee answering and Dial()ed to that phone alone.

Replayed at the recorded offsets into the lab's PBX (:func:`simpbx_replay.lab_config`) and compared: every response,
each channel's events in order, the UserEvents with their fields, the Dial and Hangup results, the header shapes,
and that no queue event belongs to the call. The lab's phones answer without ringing (``agent_phones_ring`` off,
as the queue's recordings are replayed); where ``OriginateResponse`` falls among the channel's events Asterisk itself
varies."""

from __future__ import annotations

from typing import Any

from simpbx_replay import lab_replayed, responses

from dialer.ami.protocol import AmiMessage
from dialer.sim.pbx.tracetools import compare_header_names, per_channel_sequences

NAME = "direct-agent-callback"
OWNER = "Local/agentfx1@lab-agents"
QUEUE_CALL_EVENTS = frozenset({"QueueCallerJoin", "QueueCallerLeave", "AgentCalled", "AgentConnect", "AgentComplete"})


def replayed() -> Any:
    """The recording and the lab's PBX's replay of it (the lab's auto-answer phones: no ringing)."""
    return lab_replayed(NAME, agent_phones_ring=False)


def by_channel(messages: list[AmiMessage]) -> dict[str, list[str]]:
    """Each channel's events by role (:func:`per_channel_sequences`), without the ``OriginateResponse``."""
    return per_channel_sequences([m for m in messages if m.name != "OriginateResponse"])


def user_events(messages: list[AmiMessage]) -> list[tuple[str | None, ...]]:
    return [
        (m.get("UserEvent"), m.get("Attempt"), m.get("Agent"), m.get("Stage"), m.get("QueueStatus"))
        for m in messages
        if m.name == "UserEvent"
    ]


async def test_responses_are_text_equal() -> None:
    recorded, simulated = await replayed()
    assert responses(simulated) == responses(recorded)


async def test_each_channel_event_by_event() -> None:
    recorded, simulated = await replayed()
    rec, sim = by_channel(recorded), by_channel(simulated)
    assert set(sim) == set(rec)
    for role in rec:
        assert sim[role] == rec[role], role


async def test_the_owner_alone_is_dialled_and_connected() -> None:
    recorded, simulated = await replayed()
    for messages in (recorded, simulated):
        assert user_events(messages) == [
            ("DialerAgentConnect", "cb-1", OWNER, None, None),
            ("DialerAgentComplete", "cb-1", OWNER, None, None),
            ("DialerCallEnd", "cb-1", OWNER, "CONNECTED", ""),
        ]
        dials = [
            (m.get("DestChannel") or "").rsplit("-", 1)[0]
            for m in messages
            if m.name == "DialBegin" and m.get("Channel")
        ]
        assert dials == [OWNER]
        assert not [m for m in messages if m.name in QUEUE_CALL_EVENTS]
    ends = [(m.get("DialStatus"), m.get("DestChannel") is not None) for m in simulated if m.name == "DialEnd"]
    assert ends == [(m.get("DialStatus"), m.get("DestChannel") is not None) for m in recorded if m.name == "DialEnd"]
    hangups = sorted(m.get("Cause") or "" for m in simulated if m.name == "Hangup")
    assert hangups == sorted(m.get("Cause") or "" for m in recorded if m.name == "Hangup")


async def test_header_shapes_match() -> None:
    recorded, simulated = await replayed()
    names = {m.name for m in recorded if m.is_event}
    assert compare_header_names(recorded, simulated, names=names) == []


async def test_the_owner_is_shown_in_use_while_paused_for_it_then_free() -> None:
    """app_queue follows the owner's phone: in use (2) once it answered, free (1) after, paused all along."""
    recorded, simulated = await replayed()

    def member(messages: list[AmiMessage]) -> list[tuple[str | None, ...]]:
        return [
            (m.name, m.get("Status"), m.get("Paused"), m.get("PausedReason"))
            for m in messages
            if m.name in ("QueueMemberStatus", "QueueMemberPause") and m.get("Interface") == OWNER
        ]

    assert member(simulated) == member(recorded)
    assert [status for name, status, *_ in member(recorded) if name == "QueueMemberStatus"] == ["2", "1"]
