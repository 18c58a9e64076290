"""[dialer-inbound] callers no agent took, on the simulated PBX against the recorded Asterisk 22 (ami-traces/lab/):
the caller whose bound in inbound-sales (its one member paused) runs out (inbound-queue-timeout: QueueCallerAbandon
with the HoldTime, QueueCallerLeave, then DialerAbandon with the queue and TIMEOUT, the apology, Hangup), the caller
refused at join by a queue without members (inbound-joinempty: no queue event at all, DialerAbandon JOINEMPTY), and
the caller who hangs up while waiting (inbound-call-waiting: Queue() never returns, so no DialerAbandon).

The recording's actions are replayed at their recorded offsets; compared per channel: the event sequence (without
the dialplan flood), the DialerAbandon fields, the queue events' fields, the Hangup causes."""

from __future__ import annotations

import pytest
from simpbx_replay import LAB, replayed

from dialer.ami.protocol import AmiMessage
from dialer.contract import ABANDON_USER_EVENT, CHANNEL_EVENT_VARIABLES
from dialer.sim.pbx import PbxConfig
from dialer.sim.pbx.config import campaign_queue, inbound_queue
from dialer.sim.pbx.tracetools import per_channel_sequences, per_channel_values

INBOUND = ["inbound-queue-timeout", "inbound-joinempty", "inbound-call-waiting"]
QUEUE_SIDE = "Local/s@sim-inbound#1;2"  # the ;2 half, which runs dialer-inbound (ChannelRoles naming)
CUSTOMER = "Local/s@sim-inbound#1;1"


def inbound_lab() -> PbxConfig:
    """The lab as these recordings met it: the shipped queues (inbound-sales refuses callers when it has no member),
    the lab's 1-s apology, its systemname, channelvars and debug login."""
    return PbxConfig.recorded(
        system_name="lab",
        chan_variables=CHANNEL_EVENT_VARIABLES,
        users=(("lab-debug", "lab-debug"),),
        queues=(campaign_queue("outbound-agents"), inbound_queue("inbound-sales")),
        agent_phones_ring=False,
        inbound_closed_seconds=1.0,
    )


async def sessions(name: str) -> tuple[list[AmiMessage], list[AmiMessage]]:
    return await replayed(LAB / f"{name}.txt", inbound_lab(), tail=10.0)


def abandons(messages: list[AmiMessage]) -> list[tuple[str | None, ...]]:
    """Every DialerAbandon: the channel's role, then its fields in order (the channel snapshot left out)."""
    roles = per_channel_values(messages, "UserEvent", "UserEvent")
    assert all(set(v) <= {ABANDON_USER_EVENT} for v in roles.values()), roles
    out = []
    for m in messages:
        if m.is_event and m.name == "UserEvent" and m.get("UserEvent") == ABANDON_USER_EVENT:
            names = [k for k, _ in m.headers]
            fields = tuple(names[names.index("UserEvent") + 1 :])
            out.append((*fields, *(m.get(k) for k in fields)))
    return out


@pytest.mark.parametrize("name", INBOUND)
async def test_each_channel_sees_the_recorded_events_in_the_recorded_order(name: str) -> None:
    recorded, simulated = await sessions(name)
    rec, sim = per_channel_sequences(recorded), per_channel_sequences(simulated)
    assert set(rec) == set(sim) == {QUEUE_SIDE, CUSTOMER}
    for role in rec:
        assert sim[role] == rec[role], role


@pytest.mark.parametrize("name", INBOUND)
async def test_the_abandon_the_queue_events_and_the_causes_are_the_recorded_ones(name: str) -> None:
    recorded, simulated = await sessions(name)
    assert abandons(simulated) == abandons(recorded)
    for event, field in (
        ("QueueCallerAbandon", "Queue"),
        ("QueueCallerAbandon", "HoldTime"),
        ("QueueCallerAbandon", "Position"),
        ("QueueCallerLeave", "Queue"),
        ("QueueCallerLeave", "Count"),
        ("Hangup", "Cause"),
        ("Hangup", "Cause-txt"),
        ("OriginateResponse", "Reason"),
    ):
        assert per_channel_values(simulated, event, field) == per_channel_values(recorded, event, field), (event, field)


async def test_what_asterisk_22_said_for_each_inbound_caller_nobody_took() -> None:
    """The recordings themselves: the sequence of the queue side (;2) the daemon reads, and the DialerAbandon."""
    expected = {
        "inbound-queue-timeout": (
            ["QueueCallerJoin", "QueueCallerAbandon", "QueueCallerLeave", "UserEvent", "SoftHangupRequest", "Hangup"],
            [("Attempt", "Queue", "QueueStatus", "", "inbound-sales", "TIMEOUT")],
        ),
        "inbound-joinempty": (
            ["UserEvent", "SoftHangupRequest", "Hangup"],
            [("Attempt", "Queue", "QueueStatus", "", "inbound-sales", "JOINEMPTY")],
        ),
        "inbound-call-waiting": (
            [
                "QueueCallerJoin",
                "HangupRequest",
                "QueueCallerAbandon",
                "QueueCallerLeave",
                "SoftHangupRequest",
                "Hangup",
            ],
            [],
        ),
    }
    for name, (sequence, abandon) in expected.items():
        recorded, _ = await sessions(name)
        queue_side = [
            n
            for n in per_channel_sequences(recorded)[QUEUE_SIDE]
            if n not in ("Newchannel", "Newstate", "LocalBridge", "OriginateResponse")
        ]
        assert queue_side == sequence, name
        assert abandons(recorded) == abandon, name
