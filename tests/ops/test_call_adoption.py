"""kill -9 with calls up, then a restart: the new process finds the dead one's calls in CoreShowChannels by their
DIALER_ATTEMPT / ChannelId, follows them to their real end and records the outcome the PBX says they had; calls
that ended while nobody listened are closed conservatively. No attempt stays open, no lead is dialled twice."""

from __future__ import annotations

from pathlib import Path

from harness.databases import DbSpec
from harness.ops import (
    assert_no_lead_stranded,
    assert_no_number_dialled_twice,
    attempt_rows,
    crash_world,
    ops_world,
)

from dialer.pacing.snapshot import CallStage
from dialer.runner.state import RunnerState
from dialer.store.ownership import OWNERSHIP_TTL, RENEW_SECONDS


async def test_restart_adopts_the_calls_a_killed_daemon_left_up(tmp_path: Path, sqlite_spec: DbSpec) -> None:
    # Long conversations, so that calls are up (ringing, queued and talking) when the daemon dies.
    async with crash_world(tmp_path, sqlite_spec, talk_mean=240.0, talk_sd=60.0) as world:
        first = await world.start_daemon("host:2001")
        name = world.config.name
        await world.crash_with_calls_up(first, 50)
        up_at_kill = {r.attempt for r in world.pbx.truth.originates if r.ended_at is None}
        talking_at_kill = {r.attempt for r in world.pbx.truth.originates if r.ended_at is None and r.connected_at}
        assert talking_at_kill, "some calls should be talking to agents at the crash"

        second = await world.start_daemon("host:2002")
        runner = second.dialer.runner(name)
        assert runner.state is RunnerState.STANDBY  # the dead process's campaign lease still runs
        await world.run(
            OWNERSHIP_TTL.total_seconds() + 3 * RENEW_SECONDS, step=1.0, until=lambda: runner.counters.adopted > 0
        )
        assert runner.state is RunnerState.RUNNING

        def still_up_now() -> set[str]:
            return {r.attempt for r in world.pbx.truth.originates if r.ended_at is None and r.attempt in up_at_kill}

        # The adoption pass runs in the daemon's maintenance task (database writes in real time): give it a moment.
        await world.run_until(lambda: runner.counters.adopted >= len(still_up_now()), rounds=50, step=0.2)
        still_up = still_up_now()
        # Every call of the dead daemon that is still up is followed by the new one, talking ones included.
        adopted = {str(a) for a in runner.in_flight.calls} & up_at_kill
        assert adopted == still_up
        assert runner.counters.adopted == len(still_up)
        assert talking_at_kill & still_up <= adopted
        # Their agents' dispositions find the adopted call (the console's disposition path).
        for agent_id in {runner.in_flight.calls[int(a)].agent_id for a in talking_at_kill & still_up}:
            assert agent_id is not None
            assert runner.attempt_of_agent(agent_id) is not None

        # Let every call of the first run end; the survivor keeps dialling meanwhile.
        truth = {r.attempt: r for r in world.pbx.truth.originates}
        await world.run(900, step=2.0, until=lambda: all(truth[a].ended_at is not None for a in still_up))
        await world.run(20, step=1.0)
        # Compare the stored rows with the daemon's memory at a quiet point: the survivor keeps dialling, and on a
        # loaded machine a claim's lead row (in_call) can be read before its call joins the in-flight table.
        assert await world.settled(max_seconds=60)
        rows = await attempt_rows(world)
        # The adopted calls' outcomes are what the PBX says happened (not a guess).
        for attempt in still_up:
            assert rows[attempt]["outcome"] == truth[attempt].outcome.value, attempt  # type: ignore[union-attr]
        # Nothing of the dead daemon stays open: what ended unseen was closed (conservatively).
        open_rows = [a for a, r in rows.items() if r["ended_at"] is None]
        assert sorted(open_rows) == sorted(str(a) for a in runner.in_flight.calls)
        assert_no_number_dialled_twice(world)
        await assert_no_lead_stranded(world, "host:2001", runner)
        # The pacer's per-stage view of the calls matches the calls themselves (no adopted ghost left in it).
        assert runner.in_flight.needing_agent() == sum(not c.connected for c in runner.in_flight.calls.values())
        # The trunk gate counts exactly the calls this daemon follows.
        gate = second.dialer.pool.servers[0].gate
        assert gate.channels_in_use == len(runner.in_flight)


async def test_an_adopted_call_runs_amd_as_its_attempt_row_says(tmp_path: Path, sqlite_spec: DbSpec) -> None:
    """The pacer paused AMD (a young window under a counted false-positive rate): each attempt row says so, and the
    daemon adopting the calls after a crash follows them as calls without AMD (their people wait for an agent at
    once; no AMD verdict is awaited), not by the campaign's AMD setting."""
    campaign = {"amd": {"enabled": True, "false_positive_rate": 0.05}}
    async with ops_world(
        tmp_path, sqlite_spec, leads=80, agents=5, talk_mean=240.0, talk_sd=60.0, campaign=campaign
    ) as world:
        first = await world.start_daemon("host:2001")
        name = world.config.name
        await world.crash_with_calls_up(first, 50)
        up_at_kill = {r.attempt for r in world.pbx.truth.originates if r.ended_at is None}
        assert {r.variables["DIALER_AMD"] for r in world.pbx.truth.originates} == {"0"}

        second = await world.start_daemon("host:2002")
        rows = await attempt_rows(world)
        assert {rows[a]["amd"] for a in up_at_kill} == {False}
        runner = second.dialer.runner(name)
        await world.run(
            OWNERSHIP_TTL.total_seconds() + 3 * RENEW_SECONDS, step=1.0, until=lambda: runner.counters.adopted > 0
        )
        await world.run_until(lambda: runner.counters.adopted > 0, rounds=50, step=0.2)
        adopted = [c for c in runner.in_flight.calls.values() if str(c.attempt_id) in up_at_kill]
        assert adopted
        assert not any(c.amd for c in adopted)
        assert not any(c.stage is CallStage.AMD for c in adopted)
