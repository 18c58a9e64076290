"""The simulated PBX against the recorded Asterisk 22 for call control (tests/fixtures/ami-traces/lab/
callcontrol-*.txt): hold (dual Redirect to dialer-hold), resume (dual Redirect into the ConfBridge), PlayDTMF, the
warm transfer's consult Dial() completed or cancelled, and the customer's hang-up, replayed at the recorded offsets
into a PBX set up like the lab (lab-debug login, dynamic members, auto-answer phones), compared event by event per
channel from the moment the call is bridged, with the same responses and the same header shapes."""

from __future__ import annotations

import pytest
from simpbx_replay import call_control_replayed, responses

from dialer.ami.protocol import AmiMessage
from dialer.sim.pbx.tracetools import compare_header_names, header_names, per_channel_sequences

CALL_CONTROL_EVENTS = (
    "BridgeEnter",
    "BridgeLeave",
    "BridgeDestroy",
    "ConfbridgeStart",
    "ConfbridgeJoin",
    "ConfbridgeLeave",
    "ConfbridgeEnd",
    "DTMFBegin",
    "DTMFEnd",
    "AgentComplete",
)


def from_bridge(sequence: list[str]) -> list[str]:
    """The channel's events from its first BridgeEnter on; a BridgeLeave/ConfbridgeLeave pair in either order
    (Asterisk's threads order them either way: both orders are in the recordings)."""
    tail = sequence[sequence.index("BridgeEnter") :] if "BridgeEnter" in sequence else []
    out: list[str] = []
    for name in tail:
        if out and {out[-1], name} == {"BridgeLeave", "ConfbridgeLeave"}:
            out[-1] = "BridgeLeave"
            name = "ConfbridgeLeave"
        out.append(name)
    return out


@pytest.mark.parametrize(
    "name", ["callcontrol-hold-resume", "callcontrol-warm-transfer", "callcontrol-warm-transfer-cancel"]
)
async def test_call_control_event_by_event(name: str) -> None:
    recorded, simulated = await call_control_replayed(name)

    def cc_responses(messages: list[AmiMessage]) -> list[tuple[str | None, ...]]:
        """The responses to the call-control actions (``cc-`` ActionIDs)."""
        return [r for r in responses(messages) if (r[0] or "").startswith("cc-")]

    assert cc_responses(simulated) == cc_responses(recorded)
    rec, sim = per_channel_sequences(recorded), per_channel_sequences(simulated)
    assert set(rec) == set(sim)
    for role in rec:
        assert from_bridge(sim[role]) == from_bridge(rec[role]), role
    present = [n for n in CALL_CONTROL_EVENTS if n in header_names(recorded)]
    assert compare_header_names(recorded, simulated, names=present) == []
    for event in ("ConfbridgeStart", "ConfbridgeEnd", "BridgeDestroy", "AgentComplete", "DialBegin", "DialEnd"):
        assert sum(m.name == event for m in simulated) == sum(m.name == event for m in recorded), event
    reasons = [m.get("Reason") for m in simulated if m.name == "AgentComplete"]
    assert reasons == [m.get("Reason") for m in recorded if m.name == "AgentComplete"]


async def test_three_way_agent_drop_out_event_by_event() -> None:
    """callcontrol-conference.txt: the customer and the agent into the conference, an external number Originated
    into it (the lab's [lab-cc-pstn] answers every number after 1 s, as the simulated world with that context does),
    which joins; the agent drops out (AMI Hangup of their leg), the customer and the third party stay until hung
    up."""
    recorded, simulated = await call_control_replayed("callcontrol-conference")
    rec, sim = per_channel_sequences(recorded), per_channel_sequences(simulated)
    assert set(rec) == set(sim)
    for role in (
        "Local/5550001@lab-cc-pstn#1;1",
        "Local/5550102@lab-cc-pstn#1;1",
        "Local/5550102@lab-cc-pstn#1;2",
        "Local/ccagent1@lab-cc-agents#1;1",
        "Local/ccagent1@lab-cc-agents#1;2",
    ):
        assert from_bridge(sim[role]) == from_bridge(rec[role]), role
    drop = next(m for m in simulated if m.is_response and m.action_id == "cc-drop")
    assert (drop.name, drop.get("Message")) == ("Success", "Channel Hungup")
    third = next(m for m in simulated if m.name == "ConfbridgeJoin" and "5550102" in (m.get("Channel") or ""))
    assert third.get("Conference") == next(m for m in recorded if m.name == "ConfbridgeJoin").get("Conference")
    for action in ("cc-third", "cc-third-end", "cc-end"):
        reply = next(m for m in simulated if m.is_response and m.action_id == action)
        recorded_reply = next(m for m in recorded if m.is_response and m.action_id == action)
        assert (reply.name, reply.get("Message")) == (recorded_reply.name, recorded_reply.get("Message")), action
    joins = [m.name for m in simulated if m.name.startswith("Confbridge")]
    assert joins == [m.name for m in recorded if m.name.startswith("Confbridge")]
    complete = [m.get("Reason") for m in simulated if m.name == "AgentComplete"]
    assert complete == [m.get("Reason") for m in recorded if m.name == "AgentComplete"] == ["agent"]


def transfer_part(sequence: list[str]) -> list[str]:
    """A channel's events from its first BridgeEnter up to its second (the transfer to the next agent), without
    DialState: the simulated member phone reports its ringing, the lab's auto-answer Local phones never do (a
    difference of every simulated queue call, not of the transfer)."""
    events = [name for name in from_bridge(sequence) if name != "DialState"]
    second = events.index("BridgeEnter", 1) if events.count("BridgeEnter") > 1 else len(events)
    return events[: second + 1]


async def test_a_blind_transfer_to_a_queue_event_by_event() -> None:
    """callcontrol-blind-transfer.txt: Setvar DIALER_TRANSFER_QUEUE, the customer Redirected to dialer-transfer,queue
    (it leaves the first bridge and queues again in inbound-sales, whose member takes it), the first agent's leg
    hung up by the dialer (out of the old bridge, no h extension); app_queue reports the first agent's
    AgentComplete only when the customer's channel ends, just before the closer's, both Reason caller."""
    recorded, simulated = await call_control_replayed("callcontrol-blind-transfer")
    assert responses(simulated) == responses(recorded)
    rec, sim = per_channel_sequences(recorded), per_channel_sequences(simulated)
    assert set(rec) == set(sim)
    customer = "Local/5550001@lab-cc-pstn#1;1"
    assert transfer_part(sim[customer]) == transfer_part(rec[customer])
    for role in ("Local/ccagent1@lab-cc-agents#1;1", "Local/ccagent1@lab-cc-agents#1;2"):
        assert from_bridge(sim[role]) == from_bridge(rec[role]), role
        assert sim[role][-1] == rec[role][-1] == "Hangup"

    def completes(messages: list[AmiMessage]) -> list[tuple[str | None, ...]]:
        return [(m.get("Queue"), m.get("Interface"), m.get("Reason")) for m in messages if m.name == "AgentComplete"]

    assert completes(simulated) == completes(recorded)
    joins = [(m.get("Queue"), m.get("Count")) for m in simulated if m.name == "QueueCallerJoin"]
    assert joins == [(m.get("Queue"), m.get("Count")) for m in recorded if m.name == "QueueCallerJoin"]
    # The first agent's leg ran no dialplan: no DialerCallEnd of its own.
    ends = [m.get("Channel") for m in simulated if m.name == "UserEvent" and m.get("UserEvent") == "DialerCallEnd"]
    assert len(ends) == len([m for m in recorded if m.name == "UserEvent" and m.get("UserEvent") == "DialerCallEnd"])
    present = [n for n in CALL_CONTROL_EVENTS if n in header_names(recorded)]
    assert compare_header_names(recorded, simulated, names=present) == []
