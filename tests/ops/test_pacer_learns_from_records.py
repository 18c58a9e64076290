"""A runner loaded mid-day (a restart, or a takeover from a daemon that died) starts its pacer's estimates from the
campaign's stored dials and agent state changes, not from the generic priors: it paces predictively from its first
decision, on the answer rate and handle times the campaign has shown. What no record holds (the abandon controller's
level, how long AMD listens, how late agents are against their "ready in N s") it resumes from the pacer's memory the
campaign's last owner saved."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from harness.databases import DbSpec
from harness.ops import Daemon, OpsWorld, ops_world, take_over

from dialer.daemon.memory import SAVE_SECONDS
from dialer.pacing import PacingSettings, PacingStats
from dialer.pacing.memory import PacerMemory, decode, remember
from dialer.runner.runner import CampaignRunner
from dialer.runner.state import RunnerState
from dialer.store.pacer_memory import load_pacer_memory

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


# What no record holds, the pacer's memory (dialer.pacing.memory): answering-machine detection on, and agents who say
# "ready in 10 s" as their wrap-up starts and are ready 2 s in (the crew dispositions then): 8 s early.
AMD_ON: dict[str, Any] = {"amd": {"enabled": True}}
ANNOUNCED_SECONDS = 10.0


def assert_remembers(seen: PacingStats) -> None:
    """The dead daemon's pacer learnt what the priors do not say: its controller moved, AMD's listening time, the
    agents' lateness."""
    assert seen.controller.updates > 0
    assert abs(seen.controller.x - PRIOR.controller.x) > 0.05
    assert seen.amd_seconds is not None
    assert seen.ready_lateness.samples >= 20
    assert seen.ready_lateness.mean() < PRIOR.ready_lateness.mean() - 3.0  # early, the prior says on time


def assert_resumed(resumed: PacingStats, saved: PacerMemory) -> None:
    """``resumed`` holds the memory its campaign's last owner saved: to float precision (the document keeps every
    float exactly; the lateness histogram, rescaled to newest-sample units, to rounding)."""
    assert resumed.controller.x == pytest.approx(saved.level_logit, rel=1e-12)
    assert resumed.controller.updates == saved.level_updates
    assert resumed.amd_seconds == pytest.approx(saved.amd_seconds, rel=1e-12)
    lateness, samples = resumed.ready_lateness.learnt()
    assert samples == saved.lateness_samples
    assert lateness == pytest.approx(dict(saved.lateness), rel=1e-9)


async def announcing_owner(world: OpsWorld, seconds: float) -> tuple[Daemon, CampaignRunner]:
    """Daemon A, whose agents announce "ready in N s" in their wrap-ups, owning the campaign for ``seconds``."""
    a = await world.start_daemon("daemon-a")
    a.crew.announce = ANNOUNCED_SECONDS
    runner = a.dialer.runner(world.config.name)
    await world.run(seconds, step=1.0)
    return a, runner


async def stored_memory(daemon: Daemon, campaign_id: int) -> PacerMemory:
    stored = await load_pacer_memory(daemon.db, campaign_id)
    assert stored is not None
    return decode(stored.memory)


async def test_a_daemon_restarted_after_the_owner_died_resumes_its_pacers_memory(
    tmp_path: Path, any_spec: DbSpec
) -> None:
    async with ops_world(tmp_path, any_spec, leads=400, campaign=AMD_ON) as world:
        a, runner_a = await announcing_owner(world, 900)
        seen = runner_a.stats
        assert_remembers(seen)
        # Saved every 30 s of the daemon's clock (its maintenance timer may miss a few while the manual clock races).
        assert a.dialer.pacer_memory.saved >= 900 // SAVE_SECONDS // 2
        await a.dialer.sync_ownership()
        await a.kill()
        b = await world.start_daemon("daemon-b", login_agents=False)
        saved = await stored_memory(b, runner_a.campaign_id)
        # What the dead daemon saved last is at most 30 s of its learning behind what it held when killed: a few
        # live answers, each moving the level by gain × setpoint (≈ 0.01 in logit this early) -- or one abandon, by
        # gain × (1 − setpoint) (≈ 0.45: the gain's boost has not decayed yet): 0.5 in logit. A few verdicts and
        # announcements more or less move the AMD mean and the lateness little.
        assert abs(saved.level_logit - seen.controller.x) < 0.5
        assert saved.amd_seconds == pytest.approx(seen.amd_seconds, abs=0.05)
        assert saved.lateness_samples >= seen.ready_lateness.samples - 10
        resumed = b.dialer.runner(world.config.name).stats
        assert_resumed(resumed, saved)
        assert resumed.ready_lateness.mean() == pytest.approx(seen.ready_lateness.mean(), abs=0.5)


async def test_a_standby_taking_over_from_a_draining_owner_resumes_its_pacers_memory(
    tmp_path: Path, any_spec: DbSpec
) -> None:
    async with ops_world(tmp_path, any_spec, leads=400, campaign=AMD_ON) as world:
        a, runner_a = await announcing_owner(world, 840)
        b = await world.start_daemon("daemon-b", login_agents=False)
        runner_b = b.dialer.runner(world.config.name)
        assert runner_b.state is RunnerState.STANDBY
        await world.run(45, step=1.0)
        assert_remembers(runner_a.stats)
        # A drains (the end of its shift): its pacer's memory is saved as it starts to, before its lease goes.
        at_drain = remember(runner_a.stats, runner_a.settings)
        drain = asyncio.create_task(a.dialer.drain(deadline_seconds=120))
        await take_over(world, b)
        saved = await stored_memory(b, runner_b.campaign_id)
        assert saved == at_drain
        assert_resumed(runner_b.stats, at_drain)
        await world.run(120, step=1.0, until=drain.done)
        await drain
