"""A runner loaded mid-day (a restart, or a takeover from a daemon that died) starts its pacer's estimates from the
campaign's stored dials and agent state changes, not from the generic priors: it paces predictively from its first
decision, on the answer rate and handle times the campaign has shown."""

from __future__ import annotations

from pathlib import Path

from harness.databases import DbSpec
from harness.ops import ops_world, take_over

from dialer.pacing import PacingSettings, PacingStats
from dialer.runner.state import RunnerState

PRIOR = PacingStats()
MATURE = PacingSettings()


def assert_learnt(learnt: PacingStats, seen: PacingStats) -> None:
    """``learnt`` (a runner loaded from the store) holds what ``seen`` (the runner that made the calls) learnt."""
    assert abs(learnt.live_share.value - seen.live_share.value) < 0.03
    assert abs(learnt.live_share.value - PRIOR.live_share.value) > 0.1  # the world answers 35 %, the prior says 15 %
    assert learnt.handle_samples >= MATURE.min_handle_samples
    assert learnt.live_answers_total >= MATURE.min_live_answers
    assert abs(learnt.talk.mean() - seen.talk.mean()) < 0.1 * seen.talk.mean()
    assert abs(learnt.live_ring.mean() - seen.live_ring.mean()) < 0.1 * seen.live_ring.mean()


async def test_a_daemon_started_after_the_owner_died_paces_on_what_the_campaign_showed(
    tmp_path: Path, any_spec: DbSpec
) -> None:
    async with ops_world(tmp_path, any_spec, leads=400) as world:
        a = await world.start_daemon("daemon-a")
        runner_a = a.dialer.runner(world.config.name)
        await world.run(900, step=1.0)
        seen = runner_a.stats
        assert seen.handle_samples >= MATURE.min_handle_samples
        assert seen.live_answers_total >= MATURE.min_live_answers
        await a.dialer.sync_ownership()
        await a.kill()
        b = await world.start_daemon("daemon-b", login_agents=False)
        assert_learnt(b.dialer.runner(world.config.name).stats, seen)


async def test_a_standby_daemon_taking_over_paces_on_what_the_campaign_showed(tmp_path: Path, any_spec: DbSpec) -> None:
    async with ops_world(tmp_path, any_spec, leads=400) as world:
        a = await world.start_daemon("daemon-a")
        runner_a = a.dialer.runner(world.config.name)
        await world.run(840, step=1.0)
        b = await world.start_daemon("daemon-b", login_agents=False)
        runner_b = b.dialer.runner(world.config.name)
        assert runner_b.state is RunnerState.STANDBY
        learnt_at_start = runner_b.stats.live_share.samples
        await world.run(60, step=1.0)  # A dials on while B stands by
        seen = runner_a.stats
        assert seen.live_share.samples > learnt_at_start
        await a.dialer.sync_ownership()
        await a.kill()
        await take_over(world, b)
        # Learnt again at the takeover: A's dials since B started are in it.
        assert runner_b.stats.live_share.samples >= seen.live_share.samples
        assert_learnt(runner_b.stats, seen)
