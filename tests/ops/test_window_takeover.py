"""The pacer's legal window after a takeover or a restart: every live answer and abandon of the campaign in the
regime window, whichever daemon made them, is in the survivor's window before its first pacing decision."""

from __future__ import annotations

from pathlib import Path

from harness.clock import clock_dt
from harness.databases import DbSpec
from harness.ops import Daemon, OpsWorld, ops_world, take_over

from dialer.runner.state import RunnerState
from dialer.scheduler import CampaignScheduler
from dialer.store.runtime import answer_history

# Three agents, power dialling at 3 calls per free agent, most calls answered, and agent phones that take 3 s to
# answer (past the 2 s queue allowance). Power dialling stays under the guard, so the slow phones are what makes
# daemon A's window hold abandons, whatever the pacer does.
ABANDONING = {
    "leads": 300,
    "agents": 3,
    "campaign": {"dial_mode": "power", "pacing": {"power_ratio": 3.0}},
    "outbound": {"answer_probability": 0.8},
    "pbx_options": {"agent_connect_seconds": 3.0},
}


async def stored_counts(world: OpsWorld, campaign_id: int) -> tuple[int, int]:
    """(live answers, abandons) of the campaign in its regime window, as the store holds them (one definition)."""
    db = world.spec.open()
    try:
        since = clock_dt(world.clock) - world.config.abandon_window
        history = await answer_history(db, campaign_id, since, world.config.abandon_rules)
    finally:
        await db.dispose()
    live = sum(1 for _, c in history if c.live >= 1.0)
    abandoned = sum(1 for _, c in history if c.abandoned >= 1.0)
    assert abandoned > 0, "the world must make daemon A abandon calls"
    assert live >= abandoned
    return live, abandoned


async def run_a_then_kill(world: OpsWorld, a: Daemon | None = None) -> tuple[Daemon, int]:
    a = a or await world.start_daemon("daemon-a")
    runner_a = a.dialer.runner(world.config.name)
    await world.run(90, step=1.0)
    assert runner_a.state is RunnerState.RUNNING
    assert runner_a.stats.window.abandons > 0
    # A's maintenance renews its lease in real time while the manual clock races ahead: renew it now, so A dies
    # holding a fresh lease (as a daemon between two renewals does) whatever the machine's load.
    await a.dialer.sync_ownership()
    await a.kill()
    return a, runner_a.campaign_id


async def test_a_standby_daemon_takes_over_with_the_dead_owners_abandons(tmp_path: Path, any_spec: DbSpec) -> None:
    async with ops_world(tmp_path, any_spec, **ABANDONING) as world:  # type: ignore[arg-type]
        # B is up (standing by) before A makes any call: its window was seeded empty.
        a = await world.start_daemon("daemon-a")
        b = await world.start_daemon("daemon-b", login_agents=False)
        runner_b = b.dialer.runner(world.config.name)
        assert runner_b.stats.window.live_answers == 0
        _, campaign_id = await run_a_then_kill(world, a)
        assert runner_b.state is RunnerState.STANDBY
        live, abandoned = await stored_counts(world, campaign_id)
        await take_over(world, b)
        # B's first pacing decision sees all of A's answers (plus A's calls B adopted and closed since).
        window = runner_b.stats.window
        assert window.abandons >= abandoned
        assert window.live_answers >= live
        assert runner_b.status()["abandon_window"]["abandoned"] >= abandoned


async def test_a_daemon_started_after_the_owner_died_loads_its_abandons(tmp_path: Path, any_spec: DbSpec) -> None:
    async with ops_world(tmp_path, any_spec, **ABANDONING) as world:  # type: ignore[arg-type]
        _, campaign_id = await run_a_then_kill(world)
        live, abandoned = await stored_counts(world, campaign_id)
        b = await world.start_daemon("daemon-b", login_agents=False)
        runner_b = b.dialer.runner(world.config.name)
        # Loaded while A's lease still holds the campaign: the window already holds all of A's answers.
        assert runner_b.state is RunnerState.STANDBY
        assert (runner_b.stats.window.live_answers, runner_b.stats.window.abandons) == (live, abandoned)
        await take_over(world, b)
        assert runner_b.stats.window.abandons >= abandoned
        assert runner_b.stats.window.live_answers >= live


async def test_a_runner_the_scheduler_loads_holds_the_campaigns_abandons(tmp_path: Path, any_spec: DbSpec) -> None:
    async with ops_world(tmp_path, any_spec, **ABANDONING) as world:  # type: ignore[arg-type]
        _, campaign_id = await run_a_then_kill(world)
        live, abandoned = await stored_counts(world, campaign_id)
        b = await world.start_daemon("daemon-b", login_agents=False)
        # A campaign B has not loaded yet (as one created by `dialer campaign apply` after it started): the
        # scheduler's state sync loads it the same way, window seeded.
        b.dialer.runners.pop(world.config.name).set_state(RunnerState.STOPPED)
        scheduler = CampaignScheduler(b.dialer)
        await scheduler.sync_campaign_states()
        runner = b.dialer.runner(world.config.name)
        assert (runner.stats.window.live_answers, runner.stats.window.abandons) == (live, abandoned)
