"""Every outcome of the dialplan contract, originated on a real Asterisk running asterisk/lab and classified by
the dialer's own AMI client and call tracker (opt-in: DIALER_TEST_AMI, see conftest.py).

The lab's callees are chosen by the last digit of the number (asterisk/lab/extensions.conf [lab-pstn]);
`Local/agent…@lab-agents` phones auto-answer after 0.2 s and talk 10 s, `Local/slow…@lab-agents` ring 4 s.
"""

from __future__ import annotations

import asyncio

import pytest
from harness.lab import INBOUND_QUEUE, QUEUE, Lab

from dialer.ami.events import AgentConnect, QueueMemberPause
from dialer.calls.outcome import Outcome
from dialer.calls.tracker import AmdVerdict, CallConnected, CallOptedOut, CallQueued, CallRinging

pytestmark = pytest.mark.real_ami


async def test_network_outcomes_are_classified_from_reason_and_cause(lab: Lab) -> None:
    expected = {
        "5550002": (Outcome.BUSY, 5),
        "5550003": (Outcome.NO_ANSWER, 3),
        "5550004": (Outcome.CONGESTION, 8),
        "5550005": (Outcome.UNALLOCATED, 0),
        "5550006": (Outcome.INVALID_NUMBER, 0),
    }
    calls = {number: await lab.originate(number) for number in expected}
    await lab.wait_for(*calls.values())
    for number, (outcome, reason) in expected.items():
        ended = calls[number].ended
        assert (ended.outcome, ended.reason) == (outcome, reason), (number, ended)
    assert calls["5550005"].ended.cause == 1
    assert calls["5550006"].ended.cause == 28
    # the Originate Timeout is what ends an unanswered call: it rang the full legal minimum
    assert calls["5550003"].ended.ring_seconds >= 14.5


async def test_live_answer_reaches_an_auto_answering_agent_within_the_limit(lab: Lab) -> None:
    agent = lab.agent()
    await lab.add_agent(agent)
    call = await lab.originate("5550001")
    await lab.wait_for(call)
    ended = call.ended
    assert ended.outcome is Outcome.CONNECTED
    assert ended.agent_interface == agent
    (connected,) = call.of(CallConnected)
    assert isinstance(connected, CallConnected)
    assert connected.queue == QUEUE
    assert connected.wait_seconds < 1.0, "auto-answer must bridge well inside the 2-second rule"
    assert ended.talk_seconds is not None
    assert ended.talk_seconds >= 9


async def test_nobody_logged_in_plays_the_message_at_once_and_honours_the_opt_out_key(lab: Lab) -> None:
    silent = await lab.originate("5550011")
    opting_out = await lab.originate("9990001")
    await lab.wait_for(silent, opting_out)
    for call in (silent, opting_out):
        assert call.ended.outcome is Outcome.ABANDONED
        assert call.ended.detail == "JOINEMPTY"
    assert not silent.of(CallOptedOut)
    (opt_out,) = opting_out.of(CallOptedOut)
    assert isinstance(opt_out, CallOptedOut)
    assert opt_out.campaign == "lab-test"


async def test_phone_without_auto_answer_abandons_after_two_seconds_and_is_auto_paused(lab: Lab) -> None:
    slow = lab.agent("slow")
    await lab.add_agent(slow)
    call = await lab.originate("5550021")
    await lab.wait_for(call)
    ended = call.ended
    assert ended.outcome is Outcome.ABANDONED
    assert ended.detail == "TIMEOUT"
    assert ended.wait_seconds is not None
    assert 1.5 <= ended.wait_seconds <= 2.6, ended.wait_seconds
    pauses = [e for e in lab.events if isinstance(e, QueueMemberPause) and e.interface == slow]
    assert pauses, "the member whose phone did not answer must be auto-paused"
    assert pauses[-1].paused
    assert pauses[-1].paused_reason == "Auto-Pause"


async def test_amd_sends_machines_away_people_to_agents_and_gives_them_one_second(lab: Lab) -> None:
    await lab.add_agent(lab.agent())
    machine = await lab.originate("5550007", amd=True)
    person = await lab.originate("5550009", amd=True)
    dead_air = await lab.originate("5550010", amd=True)  # NOTSURE ~5 s after answer: the only agent is busy by then
    gone = await lab.originate("5550018", amd=True)  # hangs up 1 s after answering, while AMD listens
    await lab.wait_for(machine, person, dead_air, gone)

    assert machine.ended.outcome is Outcome.MACHINE
    assert machine.ended.amd_status == "MACHINE"
    assert machine.ended.agent_interface is None

    assert person.ended.outcome is Outcome.CONNECTED
    assert person.ended.amd_status == "HUMAN"
    verdicts = person.of(AmdVerdict)
    assert verdicts
    assert isinstance(verdicts[0], AmdVerdict)
    assert verdicts[0].cause.startswith("HUMAN-")

    assert dead_air.ended.amd_status == "NOTSURE"
    assert dead_air.ended.outcome is Outcome.ABANDONED, "NOTSURE is treated as a person"
    assert dead_air.ended.detail == "TIMEOUT"
    assert dead_air.ended.wait_seconds is not None
    assert dead_air.ended.wait_seconds <= 1.6, "after AMD the queue limit is 1 s"

    assert gone.ended.amd_status == "HANGUP"
    assert gone.ended.agent_interface is None


async def test_caller_hanging_up_while_waiting_is_an_abandon(lab: Lab) -> None:
    await lab.add_agent(lab.agent(), paused=True)  # an agent in wrap-up: the call waits for the limit
    call = await lab.originate("5550008")  # hangs up 1 s after answering
    await lab.wait_for(call)
    assert call.ended.outcome is Outcome.ABANDONED
    assert call.ended.detail == "CALLERHANGUP"


async def test_direct_agent_call_connects_that_agent_and_never_barges_into_a_busy_one(lab: Lab) -> None:
    agent = lab.agent()  # not a queue member: DIALER_AGENT dials the phone directly
    first = await lab.originate("5550031", variables={"DIALER_AGENT": agent})
    await lab.wait_until(lambda: bool(first.of(CallConnected)))
    second = await lab.originate("5550041", variables={"DIALER_AGENT": agent})
    await lab.wait_for(first, second)
    assert first.ended.outcome is Outcome.CONNECTED
    assert first.ended.agent_interface == agent
    assert second.ended.outcome is Outcome.ABANDONED
    assert second.ended.detail == "AGENT_INUSE"


async def test_dialer_cancels_a_ringing_call(lab: Lab) -> None:
    call = await lab.originate("5550013")  # rings until the Originate Timeout
    await lab.wait_until(lambda: bool(call.of(CallRinging)))
    await asyncio.sleep(0.5)
    lab.tracker.hangup_requested(call.attempt_id)
    assert await lab.ami.hangup(call.channel_id, cause=16)
    await lab.wait_for(call)
    assert call.ended.outcome is Outcome.CANCELLED


async def test_blended_agent_serves_the_waiting_inbound_caller_first(lab: Lab) -> None:
    agent = lab.agent()
    await lab.add_agent(agent, paused=True)
    await lab.add_agent(agent, paused=True, queue=INBOUND_QUEUE)
    await lab.inbound_caller(patience_seconds=12)
    await lab.wait_until(lambda: any(getattr(e, "queue", "") == INBOUND_QUEUE for e in lab.events))
    outbound = await lab.originate("5550051")
    await lab.wait_until(lambda: bool(outbound.of(CallQueued)))
    await lab.ami.queue_pause(agent, False)  # the agent becomes free while both callers wait
    await lab.wait_for(outbound)
    assert outbound.ended.outcome is Outcome.ABANDONED
    connects = [e for e in lab.events if isinstance(e, AgentConnect) and e.interface == agent]
    assert [e.queue for e in connects] == [INBOUND_QUEUE], "queues.conf weight: inbound callers come first"
