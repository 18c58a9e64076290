"""Agents outlive their daemon: after kill -9 the restarted daemon (a new owner id) takes its agents back from their
stored sessions -- ready, paused with their reason, or on the call still up -- and dials for them again; after an
Asterisk restart as well, it puts them back into the queue."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from harness.databases import DbSpec
from harness.ops import Daemon, OpsWorld, assert_no_number_dialled_twice, ops_world
from harness.stepping import wait_real

from dialer.agents.registry import AgentStatus
from dialer.runner.state import RunnerState
from dialer.store.agent_sessions import agent_sessions
from dialer.store.ownership import OWNERSHIP_TTL, RENEW_SECONDS

TAKEOVER = OWNERSHIP_TTL.total_seconds() + 3 * RENEW_SECONDS
PAUSES = {"agent01": "lunch", "agent02": "training"}


async def pause_some(world: OpsWorld, daemon: Daemon) -> dict[str, float]:
    """Pause agent01 and agent02 with a reason; when each pause began."""
    since = {}
    for agent, reason in PAUSES.items():
        paused = await daemon.dialer.agents.pause(agent, reason)
        assert paused.status is AgentStatus.PAUSED
        since[agent] = paused.since
    return since


async def sessions_written(world: OpsWorld, daemon: Daemon, seconds: float = 30.0) -> bool:
    """Whether ``daemon`` wrote every agent's session with the pauses (its flush runs in the background: a loaded
    machine may need real time for it). A daemon killed before that write loses the agents: they log in again."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        stored = {s.agent_id: s for s in await agent_sessions(daemon.db)}
        if set(stored) == set(world.agent_ids) and all(
            (stored[agent].paused, stored[agent].pause_reason) == (True, reason) for agent, reason in PAUSES.items()
        ):
            return True
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)


def pbx_members(world: OpsWorld) -> dict[str, tuple[bool, str]]:
    """The campaign queue's members in the simulated Asterisk: interface → (paused, reason)."""
    members = world.pbx.queues[world.config.queue].members
    return {interface: (m.paused, m.paused_reason) for interface, m in members.items()}


def interface(agent: str) -> str:
    return f"Local/{agent}@sim-agents"


async def test_kill_9_then_restart_the_agents_are_back_with_their_states(tmp_path: Path, sqlite_spec: DbSpec) -> None:
    # Calls long enough that some are still up when the next daemon takes the agents back, and shorter than a lead's
    # claim lease (a dead daemon's calls are not adopted: a call outliving its lease would see its lead dialled again).
    long_calls = {"lease_seconds": 300}
    async with ops_world(
        tmp_path, sqlite_spec, leads=200, agents=6, campaign=long_calls, talk_mean=120, talk_sd=10
    ) as world:
        first = await world.start_daemon("host:1001")
        since = await pause_some(world, first)
        await world.run(40, step=1.0)
        assert first.dialer.runner(world.config.name).in_flight, "calls should be up at the crash"
        stored = {s.agent_id: s for s in await agent_sessions(first.db)}
        assert set(stored) == set(world.agent_ids)
        assert {s.owner for s in stored.values()} == {"host:1001"}
        assert (stored["agent01"].paused, stored["agent01"].pause_reason) == (True, "lunch")
        assert not stored["agent03"].paused
        talking_at_kill = {a.agent_id for a in first.dialer.agents.registry.agents() if a.status is AgentStatus.TALKING}
        assert talking_at_kill
        await first.kill()

        second = await world.start_daemon("host:1002", login_agents=False)
        registry = second.dialer.agents.registry
        runner = second.dialer.runner(world.config.name)
        # The dead daemon's leases have not run out yet: nothing is taken from it.
        assert registry.agents() == []
        assert runner.state is RunnerState.STANDBY
        await world.run(TAKEOVER, step=1.0, until=lambda: runner.state is RunnerState.RUNNING)
        assert runner.state is RunnerState.RUNNING
        # The agents come back with their campaign, in the same lease renewal (its database work runs in the
        # background, which the harness's simulated clock does not wait for: give it real time).
        assert await wait_real(lambda: len(registry.agents()) == len(world.agent_ids))
        agents = {a.agent_id: a for a in registry.agents()}
        assert set(agents) == set(world.agent_ids)
        for agent, reason in PAUSES.items():
            assert (agents[agent].status, agents[agent].pause_reason) == (AgentStatus.PAUSED, reason)
            assert agents[agent].since == pytest.approx(since[agent], abs=1e-5)  # the pause timer carries on
        assert all(a.queues == frozenset({world.config.queue}) for a in agents.values())
        others = {a.status for name, a in agents.items() if name not in PAUSES}
        assert others <= {AgentStatus.READY, AgentStatus.TALKING, AgentStatus.WRAPUP, AgentStatus.RINGING}
        # Asterisk's word on calls: an agent whose phone is in a call is talking (not offered another), and only then.
        devices = world.pbx.core.queues.devices
        on_call = {name for name in agents if devices[interface(name)].in_call}
        assert on_call == {n for n, a in agents.items() if a.status in (AgentStatus.TALKING, AgentStatus.RINGING)}
        assert on_call, "some calls of the dead daemon should still be up"
        assert {s.owner for s in await agent_sessions(second.db)} == {"host:1002"}
        # Nobody logged in again, nobody was removed from the queue, the pauses held.
        members = pbx_members(world)
        assert set(members) == {interface(a) for a in world.agent_ids}
        assert members[interface("agent01")] == (True, "lunch")
        assert members[interface("agent02")] == (True, "training")

        attempts = runner.counters.attempts
        await world.run(150, step=1.0)
        assert runner.counters.attempts > attempts
        agents = {a.agent_id: a for a in registry.agents()}
        assert sum(a.calls_taken for a in agents.values()) > 0
        assert all(agents[a].calls_taken == 0 for a in PAUSES)
        assert_no_number_dialled_twice(world)


async def test_asterisk_restarted_too_the_agents_are_re_added_paused_as_they_were(
    tmp_path: Path, sqlite_spec: DbSpec
) -> None:
    async with ops_world(tmp_path, sqlite_spec, leads=100, agents=4) as world:
        first = await world.start_daemon("host:2001")
        await pause_some(world, first)
        await world.run(15, step=1.0)
        assert await sessions_written(world, first), "the agents' sessions should be stored before the crash"
        await first.kill()
        await world.pbx.kill()
        await world.pbx.restart()
        assert pbx_members(world) == {}  # a restarted Asterisk forgets dynamic members

        second = await world.start_daemon("host:2002", login_agents=False)
        registry = second.dialer.agents.registry
        runner = second.dialer.runner(world.config.name)
        await world.run(TAKEOVER, step=1.0, until=lambda: runner.state is RunnerState.RUNNING)
        # Re-adding goes through QueueStatus and QueueAdd round trips in real time; under a loaded machine let
        # simulated time move too (bounded), so the periodic reconcile would also catch a restore that came late.
        await world.run_until(
            lambda: (
                len(pbx_members(world)) == len(world.agent_ids)
                and pbx_members(world).get(interface("agent02")) == (True, "training")
            ),
            rounds=200,  # (at least 10 s of real time for the reconnect and the round trips on a loaded machine)
        )
        assert len(pbx_members(world)) == len(world.agent_ids)
        assert pbx_members(world)[interface("agent02")] == (True, "training")
        members = pbx_members(world)
        assert set(members) == {interface(a) for a in world.agent_ids}
        assert members[interface("agent01")] == (True, "lunch")
        assert members[interface("agent02")] == (True, "training")
        assert members[interface("agent03")] == (False, "")
        agents = {a.agent_id: a for a in registry.agents()}
        assert (agents["agent01"].status, agents["agent03"].status) == (AgentStatus.PAUSED, AgentStatus.READY)
        await world.run(60, step=1.0)
        assert runner.counters.attempts > 0
        assert all(a.logged_in for a in registry.agents())
        assert world.pbx.truth.duplicates() == {}
