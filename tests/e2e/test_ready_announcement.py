"""The console's "ready in N s" end to end: the runner learns how late the agent was against it (what the pacer
reads an announcement through, dialer.pacing.predictive.PredictiveTables.announced)."""

from __future__ import annotations

from pathlib import Path

from harness.e2e import make_world

from dialer.agents.registry import AgentStatus
from dialer.pacing.stats import READY_LATENESS_OFFSET


async def test_an_announced_wrapup_teaches_the_pacer_how_late_the_agent_was(tmp_path: Path) -> None:
    async with make_world(
        tmp_path, campaign={"dial_mode": "progressive"}, us_leads=40, japan_leads=0, agents=1, crew=False
    ) as world:
        registry = world.dialer.agents.registry
        stats = world.dialer.runner("e2e").ctx.stats

        def status() -> AgentStatus:
            agent = registry.get("agent01")
            assert agent is not None
            return agent.status

        await world.run(600, until=lambda: status() is AgentStatus.WRAPUP)
        assert status() is AgentStatus.WRAPUP, "no call reached the agent"
        assert stats.ready_lateness.samples == 0
        await world.dialer.agents.announce_ready("agent01", 4.0)
        announced = registry.get("agent01").announced_ready_at  # type: ignore[union-attr]
        assert announced is not None
        await world.run(6)
        world.dialer.agents.tick()  # the daemon's agent-timers job
        assert status() is not AgentStatus.WRAPUP
        assert stats.ready_lateness.samples == 1  # the console's timer: ready as announced, to the tick
        assert stats.ready_lateness.cdf_at(READY_LATENESS_OFFSET + 1.0) > stats.ready_lateness.cdf_at(
            READY_LATENESS_OFFSET - 1.0
        )
