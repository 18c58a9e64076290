"""The demo's simulated agents leave the PBX's queues on every way out (issue 12 §2): after a drain, after a second
signal (drain cut short), and after a crash the next demo start reclaims the memberships the dead one left."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from harness.databases import DbSpec
from harness.ops import Daemon, OpsWorld, ops_world

from dialer.daemon import Dialer
from dialer.demo import DemoCrew
from dialer.sim.model import WorldModel

CREW = 4


def crew_members(world: OpsWorld) -> dict[str, int]:
    """Queue memberships of the crew's phones on the simulated PBX, by interface."""
    found: dict[str, int] = {}
    for queue in world.pbx.queues.values():
        for interface in queue.members:
            if interface.startswith("Local/agent"):
                found[interface] = found.get(interface, 0) + 1
    return found


async def start_crew(world: OpsWorld, dialer: Dialer) -> DemoCrew:
    crew = DemoCrew(dialer, world.config, WorldModel(world.pbx.config.scenario), world.clock, CREW, random.Random(1))
    await crew.start()
    return crew


async def drain_and_stop(world: OpsWorld, dialer: Dialer, crew: DemoCrew, deadline: float) -> None:
    """What the app does on the way out: the crew stops, the runners drain (a second signal: deadline 0, the calls
    left are interrupted), then the daemon stops."""
    await crew.stop()
    drain = asyncio.create_task(dialer.drain(deadline))
    await world.run(deadline + 5.0, step=1.0, until=drain.done)
    if not await drain:
        for runner in dialer.runners.values():
            await runner.interrupt()
    await dialer.stop()


async def demo_with_crew(world: OpsWorld) -> tuple[Daemon, DemoCrew]:
    """The demo daemon, its agents logged in by the demo's own crew (the world's crew stopped)."""
    daemon = await world.start_daemon("demo", login_agents=False)
    daemon.crew.stop()
    return daemon, await start_crew(world, daemon.dialer)


async def test_the_crew_leaves_the_queues_after_a_drain(tmp_path: Path, sqlite_spec: DbSpec) -> None:
    async with ops_world(tmp_path, sqlite_spec, leads=40, agents=CREW) as world:
        daemon, crew = await demo_with_crew(world)
        await world.run(20, step=1.0)
        assert len(crew_members(world)) == CREW
        await drain_and_stop(world, daemon.dialer, crew, deadline=120.0)
        daemon.alive = False
        assert crew_members(world) == {}


async def test_the_crew_leaves_the_queues_after_a_second_signal(tmp_path: Path, sqlite_spec: DbSpec) -> None:
    async with ops_world(tmp_path, sqlite_spec, leads=40, agents=CREW, talk_mean=240.0, talk_sd=30.0) as world:
        daemon, crew = await demo_with_crew(world)
        await world.run(30, step=1.0)
        assert daemon.dialer.runner(world.config.name).in_flight, "calls should be up at the second signal"
        await drain_and_stop(world, daemon.dialer, crew, deadline=0.0)
        daemon.alive = False
        assert crew_members(world) == {}


async def test_a_crashed_demos_crew_is_reclaimed_at_the_next_start(tmp_path: Path, sqlite_spec: DbSpec) -> None:
    async with ops_world(tmp_path, sqlite_spec, leads=40, agents=CREW) as world:
        first = await world.start_daemon("demo", login_agents=False)
        first.crew.stop()
        crashed = await start_crew(world, first.dialer)
        await world.run(10, step=1.0)
        # kill -9: the AMI session is simply gone; nobody removes anything.
        await crashed.stop()
        for conn in first.dialer.connections:
            await conn.client.close()
        await first.kill()
        left = crew_members(world)
        assert len(left) == CREW  # (what a real Asterisk keeps: members with nobody behind them)
        assert not [m for q in world.pbx.queues.values() for i, m in q.members.items() if i in left and m.paused]

        second = await world.start_daemon("demo", login_agents=False)
        second.crew.stop()
        crew = await start_crew(world, second.dialer)
        assert crew.reclaimed >= CREW  # the dead demo's memberships were reclaimed before the crew logged in
        assert set(crew_members(world)) == set(left)
        await world.run(10, step=1.0)
        await drain_and_stop(world, second.dialer, crew, deadline=60.0)
        second.alive = False
        assert crew_members(world) == {}
