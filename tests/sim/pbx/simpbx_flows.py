"""Shared by the simulated PBX behaviour tests: the all-live world, the clock stepping and the probe's look-ups."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from simpbx_helpers import originate, scenario

from dialer.ami.protocol import AmiMessage
from dialer.clock import ManualClock
from dialer.sim.pbx import PbxConfig, SimulatedPbx
from dialer.sim.pbx.probe import AmiProbe
from dialer.sim.pbx.truth import OriginateRecord

ALL_LIVE = scenario(
    outbound={"answer_probability": 1.0, "busy_share": 0.0, "ring_mean_seconds": 2.0, "ring_sd_seconds": 0.5},
    agents={"connect_delay_seconds": 0.4},
    handle={"talk_mean_seconds": 30.0, "talk_sd_seconds": 5.0},
)
LIVE = PbxConfig(scenario=ALL_LIVE, unallocated_share=0.0, invalid_share=0.0, opt_out_share=0.0)
BUSY = replace(LIVE, scenario=scenario(outbound={"answer_probability": 0.0, "busy_share": 1.0}))


def clock_of(pbx: SimulatedPbx) -> ManualClock:
    return pbx.manual_clock


def user_events(ami: AmiProbe, name: str) -> list[AmiMessage]:
    return [m for m in ami.received if m.name == "UserEvent" and m.get("UserEvent") == name]


async def run(pbx: SimulatedPbx, ami: AmiProbe, seconds: float, step: float = 0.25) -> None:
    clock = clock_of(pbx)
    for _ in range(round(seconds / step)):
        await clock.advance(step)
    await ami.drain()


async def add_agent(ami: AmiProbe, interface: str, queue: str = "outbound-agents", *, paused: bool = False) -> None:
    await ami.send(
        "QueueAdd", Queue=queue, Interface=interface, MemberName=interface, Paused=str(paused).lower(), ActionID="qa"
    )
    assert (await ami.response("qa")).get("Response") == "Success"


async def until(pbx: SimulatedPbx, ami: AmiProbe, event: str) -> AmiMessage:
    """Advance the PBX clock in quarter seconds until the probe has received ``event``; the first one."""
    clock = clock_of(pbx)
    while not any(m.name == event for m in ami.received):
        await clock.advance(0.25)
        await ami.drain(within=0.01)
    return next(m for m in ami.received if m.name == event)


async def direct_dial(ami: AmiProbe, attempt: str, agent: str) -> None:
    repeated, named = originate("5550001", attempt)
    await ami.send("Originate", *repeated, ("Variable", f"DIALER_AGENT={agent}"), **named)


async def send_originate(ami: AmiProbe, number: str, attempt: str, **options: Any) -> None:
    """Send the dialer's Originate (``simpbx_helpers.originate(number, attempt, **options)``)."""
    repeated, named = originate(number, attempt, **options)
    await ami.send("Originate", *repeated, **named)


async def queued_behind_a_paused_agent(pbx: SimulatedPbx, ami: AmiProbe, attempt: str) -> OriginateRecord:
    """PJSIP/1001 in outbound-agents, paused; a call (5550001, ``attempt``) answered and waiting in the queue: the
    PBX's record of it, the clock stopped at the step it joined."""
    await add_agent(ami, "PJSIP/1001", paused=True)
    await send_originate(ami, "5550001", attempt)
    await ami.send("Ping", ActionID="sync")
    await ami.response("sync")
    record = pbx.truth.originate(f"orig-{attempt}")
    while record.queued_at is None:
        await clock_of(pbx).advance(0.05)
    return record
