"""Call adoption against a real Asterisk (opt-in: DIALER_TEST_AMI): a call left up by a dialer that "died" is found
in CoreShowChannels by its ChannelId and its ChanVariable DIALER_ATTEMPT (manager.conf channelvars), with its
answer and its agent, and a fresh tracker that adopts it follows it to its real end."""

from __future__ import annotations

import time

import pytest
from lab_harness import Lab

from dialer.calls.adoption import OpenAttempt, live_calls, plan_adoption
from dialer.calls.outcome import Outcome
from dialer.calls.tracker import CallConnected, CallEnded, CallTracker, OriginateRecord

pytestmark = pytest.mark.real_ami


async def test_a_talking_call_is_listed_with_its_attempt_and_agent_and_followed_after_adoption(lab: Lab) -> None:
    agent = lab.agent()
    await lab.add_agent(agent)
    call = await lab.originate("5550001")  # answers, reaches the auto-answering agent, talks 10 s
    await lab.wait_until(lambda: bool(call.of(CallConnected)))

    channels = await lab.ami.core_show_channels()
    adopted_from = len(lab.events)
    (live,) = [c for c in live_calls("lab", channels) if c.linkedid == call.channel_id]
    assert live.attempt_id == call.attempt_id  # ChanVariable: DIALER_ATTEMPT=<our id>
    assert live.answered
    assert live.agent_interface == agent
    now = time.monotonic()
    orphan = OpenAttempt(1, 1, call.number, f"{call.attempt_id}-a", call.channel_id, now - 120)
    plan = plan_adoption([orphan], {"lab": channels}, owner="me", every_server_listed=True, now=now, settle_seconds=50)
    assert [a.call.linkedid for a in plan.adopt] == [call.channel_id]

    # The survivor's tracker knows only what the listing and the call record say, then hears the rest.
    survivor = CallTracker()
    survivor.adopt(
        OriginateRecord(
            f"{call.attempt_id}-a",
            call.attempt_id,
            "Local/5550001@lab-pstn",
            "5550001",
            now - 5,
            channel_id=call.channel_id,
            timeout_seconds=15.0,
        ),
        answered_at=now - 4,
        connected_at=now - 3,
        agent_interface=live.agent_interface,
        agent_name="agent",
    )
    await lab.wait_for(call)
    ends = [
        u for e in lab.events[adopted_from:] for u in survivor.feed(e, time.monotonic()) if isinstance(u, CallEnded)
    ]
    assert [e.outcome for e in ends] == [Outcome.CONNECTED]
    assert survivor.active_calls == 0
