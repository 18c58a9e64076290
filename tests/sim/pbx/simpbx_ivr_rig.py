"""An IVR call on the simulated PBX (tests/sim/pbx/test_simpbx_ivr*.py, test_simpbx_agi_session.py): the dialer's
own FastAGI service running one flow (its results collected), a simulated PBX on a manual clock whose callers behave
as told, an AMI probe logged in to it; the clock stepped until the call is over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from harness.stepping import wait_real
from simpbx_helpers import pbx_session, scenario
from simpbx_ivr_trace import as_dict

from dialer.ami.fastagi import FastAgiServer
from dialer.clock import ManualClock
from dialer.ivr.actions import TableActions
from dialer.ivr.agi import IvrAgiService, IvrCallInfo
from dialer.ivr.executor import FlowResult
from dialer.ivr.flow import load_flow
from dialer.sim.pbx import SimulatedPbx
from dialer.sim.pbx.config import PbxConfig, build_config
from dialer.sim.pbx.ivr import IvrCallers, agi_sessions_awaiting_daemon, configure_ivr_callers, route_inbound_ivr
from dialer.sim.pbx.probe import AmiProbe

START = 1_795_449_600.0  # the simulated clock's start (epoch seconds)


def answering_pbx(agents: int) -> PbxConfig:
    """A PBX whose callees all answer after 3 s and stay (no busy, unallocated or invalid numbers), with ``agents``
    auto-answering agents in outbound-agents (as in the lab)."""
    outbound = {"answer_probability": 1.0, "ring_mean_seconds": 3.0, "ring_sd_seconds": 0.0, "busy_share": 0.0}
    world = scenario(outbound=outbound)
    return replace(build_config(scenario=world, agents=agents), unallocated_share=0.0, invalid_share=0.0)


async def step_until(
    clock: ManualClock, probe: AmiProbe, done: Callable[[], bool], steps: int, *, pbx: SimulatedPbx
) -> None:
    """Half-second steps of ``clock`` (``steps`` at most) until ``done()``, then the probe's last events; the AGI
    exchanges run over real TCP between the steps, and the probe takes in each step's events (``done`` may read
    them). A step waits for real time only while one of ``pbx``'s AGI sessions waits for the daemon's answer: a
    caller listening to a prompt waits on the simulated clock alone."""
    engine = pbx.core.engine
    for _ in range(steps):
        await clock.advance(0.5)
        for _ in range(5):  # (an AGI session started by this step connects)
            await asyncio.sleep(0)
        # (bounded: a daemon that never answers fails the test's own assertions)
        await wait_real(lambda: not agi_sessions_awaiting_daemon(engine), 2.0, every=0.001)
        await probe.poll()
        if done():
            break
    await probe.drain(0.2)


@dataclass
class IvrRig:
    clock: ManualClock
    pbx: SimulatedPbx
    probe: AmiProbe
    fastagi: str  # the dialer's FastAGI service: host:port
    results: list[tuple[IvrCallInfo, FlowResult]]  # the flow's result of each call, as its sink got them

    async def run_until(self, done: Callable[[], bool], steps: int) -> None:
        await step_until(self.clock, self.probe, done, steps, pbx=self.pbx)

    def events(self) -> list[dict[str, str]]:
        """The events the probe received, as dicts."""
        return [as_dict(m) for m in self.probe.received if m.is_event]


@asynccontextmanager
async def ivr_rig(
    flow_path: Path, actions: TableActions, config: PbxConfig, callers: IvrCallers, *, inbound: bool = False
) -> AsyncIterator[IvrRig]:
    """The flow at ``flow_path`` served with ``actions``; the PBX of ``config`` with ``callers``; with ``inbound``,
    its inbound callers of dialer-inbound,ivr routed to the flow."""
    flow = load_flow(flow_path)
    results: list[tuple[IvrCallInfo, FlowResult]] = []

    async def sink(info: IvrCallInfo, result: FlowResult) -> None:
        results.append((info, result))

    clock = ManualClock(START)
    service = IvrAgiService({flow.name: flow}, actions, sink, lambda: datetime.fromtimestamp(clock.now(), UTC))
    server = FastAgiServer("127.0.0.1", 0, service.routes)
    await server.start()
    fastagi = f"127.0.0.1:{server.bound_port}"
    try:
        async with pbx_session(config, clock) as (pbx, probe):
            configure_ivr_callers(pbx.core.engine, callers)
            if inbound:
                route_inbound_ivr(pbx.core.engine, fastagi)
            yield IvrRig(clock, pbx, probe, fastagi, results)
    finally:
        await server.stop()
