"""The simulated PBX's direct-agent path ([dialer-direct-agent]: an agent's own callback, a preview call) against the
lab's Asterisk 22 (tests/fixtures/ami-traces/lab/direct-agent-callback.txt): the owner paused in the queue for it
(reason preview, as the dialer reserves them) while two other agents are ready, the Originate naming the owner's
phone in DIALER_AGENT, the callee answering and Dial()ed to that phone alone.

Replayed at the recorded offsets into the lab's PBX (:func:`simpbx_replay.lab_config`) and compared: every response,
each channel's events in order, the UserEvents with their fields, the Dial and Hangup results, the header shapes,
and that no queue event belongs to the call. What every simulated agent phone differs in (the queue's members too,
``test_simpbx_callcontrol``) is left out: a simulated phone reports its ringing (``DialState RINGING``, a ``Ringing``
``Newstate``) before auto-answering, the lab's Local phones answer without ringing; and where ``OriginateResponse``
falls among the channel's events Asterisk itself varies."""

from __future__ import annotations

from simpbx_replay import lab_replayed, responses

from dialer.ami.protocol import AmiMessage
from dialer.sim.pbx.tracetools import compare_header_names, per_channel_sequences

NAME = "direct-agent-callback"
OWNER = "Local/agentfx1@lab-agents"
QUEUE_CALL_EVENTS = frozenset({"QueueCallerJoin", "QueueCallerLeave", "AgentCalled", "AgentConnect", "AgentComplete"})


def ringing(m: AmiMessage) -> bool:
    """The phone's ringing report (simulated phones only: see the module's docstring)."""
    if m.name == "DialState":
        return m.get("DialStatus") == "RINGING" and bool(m.get("Channel"))
    return m.name == "Newstate" and m.get("ChannelStateDesc") == "Ringing" and OWNER in (m.get("Channel") or "")


def by_channel(messages: list[AmiMessage]) -> dict[str, list[str]]:
    """Each channel's events by role (:func:`per_channel_sequences`), without the ringing reports and the
    ``OriginateResponse``."""
    return per_channel_sequences([m for m in messages if not ringing(m) and m.name != "OriginateResponse"])


def user_events(messages: list[AmiMessage]) -> list[tuple[str | None, ...]]:
    return [
        (m.get("UserEvent"), m.get("Attempt"), m.get("Agent"), m.get("Stage"), m.get("QueueStatus"))
        for m in messages
        if m.name == "UserEvent"
    ]


async def test_responses_are_text_equal() -> None:
    recorded, simulated = await lab_replayed(NAME)
    assert responses(simulated) == responses(recorded)


async def test_each_channel_event_by_event() -> None:
    recorded, simulated = await lab_replayed(NAME)
    rec, sim = by_channel(recorded), by_channel(simulated)
    assert set(sim) == set(rec)
    for role in rec:
        assert sim[role] == rec[role], role


async def test_the_owner_alone_is_dialled_and_connected() -> None:
    recorded, simulated = await lab_replayed(NAME)
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
    recorded, simulated = await lab_replayed(NAME)
    names = {m.name for m in recorded if m.is_event} - {"DialState"}
    assert compare_header_names(recorded, simulated, names=names) == []
