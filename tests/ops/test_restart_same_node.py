"""kill -9 and a restart on the same node (issue 12 §2): the daemon's identity is stable (settings.node_id or the
host + instance), so the restarted process takes its own campaigns back at once instead of waiting out its own
dead lease; no lead is dialled again while its attempt is open; calls the restarted daemon saw end are recorded
as the PBX reported them; what ended while nobody listened is marked inferred."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness.databases import DbSpec
from harness.ops import CALL_STAGES, assert_outcomes_are_the_pbxs, attempt_rows, crash_world

from dialer.runner.state import RunnerState
from dialer.settings import node_identity
from dialer.store.ownership import RENEW_SECONDS

STAGES = CALL_STAGES


@pytest.mark.parametrize("stage", sorted(STAGES))
@pytest.mark.parametrize("down_seconds", [3.0, 60.0])
async def test_restart_on_the_same_node_takes_its_campaign_back_at_once(
    tmp_path: Path, sqlite_spec: DbSpec, down_seconds: float, stage: str
) -> None:
    async with crash_world(tmp_path, sqlite_spec, talk_mean=120.0, talk_sd=30.0, stage=stage) as world:
        me = node_identity(world.settings)
        assert me == node_identity(world.settings.model_copy())  # stable: the same for the restarted process
        first = await world.start_daemon(me)
        name = world.config.name
        await world.crash_with_calls_up(first, 50, stage)
        await world.run(down_seconds, step=1.0)  # restarted within 5 s, or after a minute

        restarted_at = world.clock.now()
        second = await world.start_daemon(me)
        runner = second.dialer.runner(name)
        # Its own campaign lease: taken back at the first renewal, not after the dead process's TTL.
        await world.run(2 * RENEW_SECONDS, step=1.0, until=lambda: runner.state is RunnerState.RUNNING)
        assert runner.state is RunnerState.RUNNING

        truth = {r.attempt: r for r in world.pbx.truth.originates}
        await world.run(600, step=2.0, until=lambda: all(r.ended_at is not None for r in truth.values()))
        await world.run(50, step=1.0)
        rows = await attempt_rows(world)
        # No false abandon, and whatever is not what the PBX reported is marked inferred.
        await assert_outcomes_are_the_pbxs(world, truth, rows)
        # A call that ended once the restarted daemon was connected was seen ending: its outcome is the PBX's.
        seen_ending = {a: r for a, r in truth.items() if r.ended_at is not None and r.ended_at > restarted_at}
        assert {a: rows[a]["outcome"] for a in seen_ending} == {a: r.outcome.value for a, r in seen_ending.items()}
        assert not [a for a in seen_ending if rows[a]["outcome_inferred"]]
