"""A pacing step ends once its Originates are written: the PBX's answers to them are awaited by the sends alone."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from harness.e2e import World, make_world
from harness.faults import HeldAnswers

from dialer.runner.pacing_loop import StepLatency


def paused_progressive(tmp_path: Path) -> AbstractAsyncContextManager[World]:
    """A paused progressive campaign, 20 leads, three ready agents and no simulated crew."""
    progressive = {"dial_mode": "progressive"}
    return make_world(tmp_path, campaign=progressive, us_leads=20, japan_leads=0, agents=3, crew=False, state="paused")


async def test_a_step_does_not_wait_for_the_answers_to_its_originates(tmp_path: Path) -> None:
    async with paused_progressive(tmp_path) as world:
        runner = world.dialer.runner("e2e")
        server = world.dialer.pool.servers[0]
        held = HeldAnswers(server.client)
        server.client = held
        await world.quiesce()
        assert held.requests == []

        await world.dialer.set_campaign("e2e", "start")
        for _ in range(500):
            if len(held.requests) == 3 and not runner.stepping:
                break
            await asyncio.sleep(0.002)
        # Three calls for three ready agents, written and counted in flight; the step is over, the answers are not.
        assert len(held.requests) == 3
        assert not runner.stepping
        assert not runner.idle
        assert runner.in_flight.needing_agent() == 3
        assert runner.counters.attempts == 0
        # The next decision sees them: progressive places nothing more.
        assert await runner.step() == 0
        assert runner.last_decision is not None
        assert runner.last_decision.explanation.calls_dialling == 3

        held.release.set()
        await world.quiesce()
        assert runner.idle
        assert runner.counters.attempts == 3
        assert len(held.requests) == 3


async def test_a_step_that_answers_a_wake_up_with_calls_reports_how_promptly(tmp_path: Path) -> None:
    async with paused_progressive(tmp_path) as world:
        runner = world.dialer.runner("e2e")
        seen: list[StepLatency] = []
        runner.on_step_latency = seen.append
        await world.quiesce()
        assert seen == []  # paused: the steps place nothing

        await world.dialer.set_campaign("e2e", "start")  # a wake-up
        await world.quiesce()
        assert runner.counters.attempts == 3
        # One sample: the step the start woke, from the wake-up to its first Originate, stage by stage.
        assert len(seen) == 1
        sample = seen[0]
        stages = (sample.waited, sample.decided, sample.claimed, sample.sent)
        assert all(stage >= 0 for stage in stages)
        assert sum(stages) == pytest.approx(sample.since_wake)
        assert sample.since_agent_free is None  # no agent became free since the previous step

        # A step that places nothing is no sample.
        assert await runner.step() == 0
        assert len(seen) == 1
