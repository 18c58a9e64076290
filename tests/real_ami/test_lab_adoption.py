"""Call adoption against a real Asterisk (opt-in: DIALER_TEST_AMI): a call left up by a dialer that "died" is found
in CoreShowChannels by its ChannelId and its ChanVariable DIALER_ATTEMPT (manager.conf channelvars), with its
answer and its agent, and a fresh tracker that adopts it follows it to its real end."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from harness.lab import Lab, lab_settings

from dialer.ami.client import AmiClient
from dialer.calls.adoption import OpenAttempt, live_calls, plan_adoption
from dialer.calls.outcome import Outcome
from dialer.calls.tracker import CallConnected, CallEnded, CallTracker, OriginateRecord
from dialer.calls.witness import CallWitness, read_witnessed

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


async def test_after_a_kill_the_restarted_session_sees_the_calls_end_as_the_pbx_says(lab: Lab) -> None:
    """kill -9 and restart against the real lab: the dialer that placed the calls is gone (its tracker hears nothing
    more; here the lab session keeps listening only to know the truth); a new AMI session, connected while the calls
    are up, follows them with a CallWitness, owned or not -- and reads the same outcome, agent and end as the
    placing tracker: a call connected to an agent is CONNECTED (no false abandon), a no-answer is NO_ANSWER
    (Reason 3, cause 19), not a guessed failure."""
    agent = lab.agent()
    await lab.add_agent(agent)
    talking = await lab.originate("5550001")  # answers, reaches the auto-answering agent, talks 10 s
    ringing = await lab.originate("5550003")  # rings until the Originate timeout
    await lab.wait_until(lambda: bool(talking.of(CallConnected)))

    witness = CallWitness()
    async with AmiClient(lab_settings()) as restarted:  # the restarted daemon's session
        await restarted.wait_up(within_seconds=5)

        async def listen() -> None:
            async for event in restarted.events():
                witness.feed(event, time.monotonic())

        listener = asyncio.create_task(listen())
        try:
            await lab.wait_for(talking, ringing)
            await asyncio.sleep(1.0)  # (the restarted session's copy of the last events)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    for call, dial, stored in (
        (talking, "Local/5550001@lab-pstn", {"answered_at": talking.of(CallConnected)[0].at - 1.0}),
        (ringing, "Local/5550003@lab-pstn", {}),
    ):
        seen = witness.find(call.attempt_id, call.channel_id, f"{call.attempt_id}-a")
        assert seen is not None, call.number
        assert not seen.from_start  # connected mid-call
        record = OriginateRecord(
            f"{call.attempt_id}-a", call.attempt_id, dial, call.number, time.monotonic() - 60, call.channel_id, 15.0
        )
        evidence = read_witnessed(seen, record, **stored)  # type: ignore[arg-type]
        assert evidence.ended is not None, call.number
        truth = call.ended
        assert (evidence.ended.outcome, evidence.ended.reason, evidence.ended.cause) == (
            truth.outcome,
            truth.reason,
            truth.cause,
        )
        assert abs(evidence.ended.at - truth.at) < 1.0
    assert talking.ended.outcome is Outcome.CONNECTED
    assert ringing.ended.outcome is Outcome.NO_ANSWER
