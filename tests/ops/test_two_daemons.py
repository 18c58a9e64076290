"""Two daemons on one PostgreSQL and one simulated PBX: one runs the campaign with its agents; kill it, the other
takes the campaign and its agents over; no lead dialled twice at once, none lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness.databases import DbSpec
from harness.ops import CLAIMABLE, FINAL, Daemon, assert_no_lead_stranded, assert_no_number_dialled_twice, ops_world
from harness.stepping import wait_real
from sqlalchemy import select

from dialer.agents.registry import AgentStatus
from dialer.runner.state import RunnerState
from dialer.store.agent_sessions import agent_sessions
from dialer.store.ownership import OWNERSHIP_TTL, RENEW_SECONDS, campaign_leases
from dialer.store.tables import attempts_t

pytestmark = pytest.mark.postgres


async def open_attempt_ids(daemon: Daemon) -> list[int]:
    async with daemon.db.read() as conn:
        rows = await conn.execute(select(attempts_t.c.id).where(attempts_t.c.ended_at.is_(None)))
        return [int(r.id) for r in rows]


async def test_one_owner_dials_and_a_survivor_takes_over_a_killed_daemon(tmp_path: Path, pg_spec: DbSpec) -> None:
    async with ops_world(tmp_path, pg_spec, leads=100, agents=5) as world:
        a = await world.start_daemon("daemon-a")
        b = await world.start_daemon("daemon-b", login_agents=False)  # the agents work on daemon A
        await a.dialer.agents.pause("agent01", "coaching")
        name = world.config.name
        await world.run(60, step=1.0)
        runner_a, runner_b = a.dialer.runner(name), b.dialer.runner(name)
        assert runner_a.state is RunnerState.RUNNING
        assert runner_b.state is RunnerState.STANDBY
        assert runner_a.counters.attempts > 10
        assert runner_b.counters.attempts == 0
        assert b.dialer.status()["owned_campaigns"] == []
        leases = await campaign_leases(b.db)
        assert [lease.owner for lease in leases.values()] == ["daemon-a"]
        # A live daemon's agents are left alone.
        assert b.dialer.agents.registry.agents() == []
        assert {s.owner for s in await agent_sessions(b.db)} == {"daemon-a"}

        # kill -9 the owner mid-campaign: calls stay up on the PBX, its leads stay claimed until their lease ends.
        in_flight_at_kill = len(runner_a.in_flight)
        dialled_by_a = runner_a.counters.attempts
        await a.kill()
        takeover = await world.run(
            OWNERSHIP_TTL.total_seconds() + 3 * RENEW_SECONDS,
            until=lambda: runner_b.state is RunnerState.RUNNING,
        )
        assert runner_b.state.value == "running"
        # ...and its agents with it, as they were: agent01 still paused for coaching, the others taking calls.
        agents = b.dialer.agents.registry
        assert await wait_real(lambda: len(agents.agents()) == len(world.agent_ids))
        assert (agents.get("agent01").status, agents.get("agent01").pause_reason) == (  # type: ignore[union-attr]
            AgentStatus.PAUSED,
            "coaching",
        )
        assert {s.owner for s in await agent_sessions(b.db)} == {"daemon-b"}
        # Not before the dead daemon's lease expired, and within a renewal of it.
        assert (
            OWNERSHIP_TTL.total_seconds() - RENEW_SECONDS
            <= takeover
            <= OWNERSHIP_TTL.total_seconds() + 2 * RENEW_SECONDS
        )
        await world.run(150, step=1.0)
        assert runner_b.counters.attempts > 10
        assert sum(agent.calls_taken for agent in agents.agents()) > 0
        assert agents.get("agent01").calls_taken == 0  # type: ignore[union-attr]

        assert_no_number_dialled_twice(world)
        statuses = {row["id"]: row["status"] for row in await world.lead_rows()}
        stuck = [lead for lead, status in statuses.items() if status not in FINAL | CLAIMABLE | {"in_call"}]
        assert stuck == []
        # Every lead the dead daemon held was swept back (its lead leases expired long ago) or finished since.
        rows = await world.lead_rows()
        assert not [r for r in rows if r["status"] == "in_call" and r["claim_owner"] == "daemon-a"]
        in_call = [r for r in rows if r["status"] == "in_call"]
        assert all(r["claim_owner"] == "daemon-b" for r in in_call)
        assert len(in_call) == len(runner_b.in_flight)
        # The dead daemon's calls were adopted or closed: the only attempts without an outcome are the survivor's.
        assert sorted(await open_attempt_ids(b)) == sorted(runner_b.in_flight.calls)
        assert in_flight_at_kill > 0  # calls were up when it died
        assert dialled_by_a > 0


async def test_kill_9_mid_campaign_then_restart_loses_and_repeats_nothing(tmp_path: Path, sqlite_spec: DbSpec) -> None:
    async with ops_world(tmp_path, sqlite_spec, leads=60, agents=5) as world:
        first = await world.start_daemon("host:1001")
        name = world.config.name
        await world.crash_with_calls_up(first, 45)
        # The restarted process (new pid, so a new owner id) waits out the dead one's campaign lease.
        second = await world.start_daemon("host:1002")
        runner = second.dialer.runner(name)
        assert runner.state is RunnerState.STANDBY
        await world.run(OWNERSHIP_TTL.total_seconds() + 2 * RENEW_SECONDS, step=1.0)
        assert runner.state.value == "running"
        await world.run(180, step=1.0)
        assert runner.counters.attempts > 0
        assert_no_number_dialled_twice(world)
        # The crashed daemon's claims were swept back once their lease ran out: no lead is stranded.
        await assert_no_lead_stranded(world, "host:1001", runner)
        assert sorted(await open_attempt_ids(second)) == sorted(runner.in_flight.calls)
