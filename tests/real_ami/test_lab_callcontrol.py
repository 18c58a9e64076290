"""Call control against the real Asterisk lab: the pure core's commands, sent by the dialer's AMI client
(dialer.callcontrol.service.run_commands), do what they say on asterisk/extensions.conf.

Calls go to [lab-cc-pstn] (the callee stays on the line) and agents are [lab-cc-agents] phones (auto-answer, stay
on the line); where each channel is comes from CoreShowChannels (context, bridge).
"""

from __future__ import annotations

import asyncio
import random
import time

from harness.lab import INBOUND_QUEUE, Lab, LabCall

from dialer.ami.actions import caller_id_header
from dialer.ami.events import CoreShowChannel
from dialer.callcontrol.core import CallState, ControlledCall, Party, PartyKind
from dialer.callcontrol.service import ThirdPartyOriginate, run_commands
from dialer.calls.outcome import Outcome
from dialer.calls.tracker import CallConnected

third_party = ThirdPartyOriginate(
    caller_id=caller_id_header("Dialer lab", "8005551000"),
    ring_seconds=15,
    channel_ids=lambda: f"cc-third-{random.randrange(10**9)}",
)


async def connected(lab: Lab, agent: str) -> tuple[LabCall, ControlledCall]:
    await lab.add_agent(agent)
    call = await lab.originate("5550001", pstn="lab-cc-pstn")
    await lab.wait_until(lambda: bool(call.of(CallConnected)))
    (update,) = call.of(CallConnected)
    assert isinstance(update, CallConnected)
    assert update.agent_channel.startswith(agent + "-")
    controlled = ControlledCall(
        random.randrange(10**6, 10**7), call.channel_id, "alice", update.agent_channel, time.monotonic()
    )
    return call, controlled


async def channels(lab: Lab) -> dict[str, CoreShowChannel]:
    return {c.channel: c for c in await lab.ami.core_show_channels()}


async def settled(lab: Lab, check: object, within: float = 8.0) -> dict[str, CoreShowChannel]:
    """CoreShowChannels once ``check(channels)`` holds (Redirects and dialling take a moment)."""
    assert callable(check)
    async with asyncio.timeout(within):
        while True:
            now = await channels(lab)
            if check(now):
                return now
            await asyncio.sleep(0.3)


def customer(now: dict[str, CoreShowChannel], call: LabCall) -> CoreShowChannel:
    return next(c for c in now.values() if c.uniqueid == call.channel_id)


def together(now: dict[str, CoreShowChannel], call: LabCall, other: str) -> bool:
    me = customer(now, call)
    return other in now and bool(me.bridge_id) and now[other].bridge_id == me.bridge_id


async def test_hold_resume_dtmf_then_warm_transfer_to_a_second_agent(lab: Lab) -> None:
    call, control = await connected(lab, f"Local/cca{lab.run}1@lab-cc-agents")
    first_agent = control.agent_channel
    await run_commands(lab.ami, control.hold(time.monotonic()), third_party)
    # A Redirected channel may show its new context a moment before it has left its bridge: wait for both.
    now = await settled(lab, lambda c: customer(c, call).context == "dialer-hold" and not customer(c, call).bridge_id)
    assert now[first_agent].context == "dialer-hold"
    assert customer(now, call).bridge_id == ""  # on hold: bridged to nobody
    await run_commands(lab.ami, control.resume(time.monotonic()), third_party)
    await settled(lab, lambda c: together(c, call, first_agent))
    assert customer(await channels(lab), call).context == "dialer-conference"
    await run_commands(lab.ami, control.dtmf("5"), third_party)

    second = Party(PartyKind.AGENT, "bob", f"Local/ccb{lab.run}2@lab-cc-agents")
    await run_commands(lab.ami, control.start_warm_transfer(second, "alice", time.monotonic()), third_party)
    now = await settled(
        lab, lambda c: any(n.startswith(second.dial + "-") and n.endswith(";1") and c[n].bridge_id for n in c)
    )
    assert customer(now, call).context == "dialer-hold"
    target = next(n for n in now if n.startswith(second.dial + "-") and n.endswith(";1"))
    assert now[target].bridge_id == now[first_agent].bridge_id  # alice talks to bob
    control.target_answered(target, time.monotonic())
    await run_commands(lab.ami, control.complete_warm_transfer(time.monotonic()), third_party)
    await settled(lab, lambda c: together(c, call, target) and first_agent not in c)
    assert (control.state, control.controller) == (CallState.TALKING, "bob")
    await run_commands(lab.ami, control.hangup(), third_party)
    await lab.wait_for(call)
    assert call.ended.outcome is Outcome.CONNECTED


async def test_three_way_with_an_outside_number_then_the_agent_drops_out(lab: Lab) -> None:
    call, control = await connected(lab, f"Local/ccc{lab.run}1@lab-cc-agents")
    agent = control.agent_channel
    outside = Party(PartyKind.EXTERNAL, "+13125550102", "Local/5550102@lab-cc-pstn")
    commands = control.conference_in(outside, "alice", time.monotonic())
    placed = await run_commands(lab.ami, commands, third_party)
    (third,) = placed.values()
    control.target_answered(third, time.monotonic())
    now = await settled(
        lab, lambda c: any(x.uniqueid == third and x.bridge_id for x in c.values()) and together(c, call, agent)
    )
    third_name = next(n for n, c in now.items() if c.uniqueid == third)
    assert now[third_name].bridge_id == customer(now, call).bridge_id  # three in one conference
    await run_commands(lab.ami, control.drop_out(time.monotonic()), third_party)
    await settled(lab, lambda c: agent not in c and together(c, call, third_name))
    assert control.state is CallState.TRANSFERRED  # the customer and the third party talk on
    await lab.ami.hangup(call.channel_id)
    await lab.wait_for(call)
    assert call.ended.outcome is Outcome.CONNECTED
    await lab.ami.hangup(third)


async def test_blind_transfer_to_a_closer_queue(lab: Lab) -> None:
    closer = f"Local/ccd{lab.run}2@lab-cc-agents"
    await lab.add_agent(closer, queue=INBOUND_QUEUE)
    call, control = await connected(lab, f"Local/ccd{lab.run}1@lab-cc-agents")
    agent = control.agent_channel
    commands = control.blind_transfer(Party(PartyKind.QUEUE, INBOUND_QUEUE), "alice", time.monotonic())
    await run_commands(lab.ami, commands, third_party)
    now = await settled(
        lab,
        lambda c: (
            agent not in c and any(n.startswith(closer + "-") and n.endswith(";1") and together(c, call, n) for n in c)
        ),
    )
    assert customer(now, call).context == "dialer-transfer"
    await lab.ami.hangup(call.channel_id)
    await lab.wait_for(call)
    assert call.ended.outcome is Outcome.CONNECTED
