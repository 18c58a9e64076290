"""After-call work end to end against the simulated PBX: a wrap-up only the disposition ends, the campaign's
timeout disposition for a call whose wrap-up ran out without one, and the agent's late disposition of that call."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from harness.e2e import World, make_world

from dialer.agents.registry import AgentError, AgentStatus
from dialer.campaign.config import DEFAULT_DISPOSITIONS, Disposition
from dialer.campaign.late_disposition import LateDispositionRefused, LateRefusal
from dialer.campaign.rules import TransitionKind
from dialer.runner.agent_calls import TIMEOUT_NOTE
from dialer.store.attempts import AttemptRecord, get_attempt
from dialer.store.console import lead_history
from dialer.store.dnc import check_dnc
from dialer.store.leads import get_lead

AGENT = "agent01"


def status(world: World) -> AgentStatus:
    agent = world.dialer.agents.registry.get(AGENT)
    assert agent is not None
    return agent.status


async def until_wrapup_over(world: World) -> None:
    """Run until the agent's wrap-up has ended (its timer: 30 s of the campaign's, read by the daemon's once-a-second
    maintenance, which may lag the manual clock on a loaded machine)."""
    await world.run(300, step=1, until=lambda: status(world) is not AgentStatus.WRAPUP)
    assert status(world) is not AgentStatus.WRAPUP, "the wrap-up never ended"
    await world.quiesce()


async def until_wrapup(world: World) -> int:
    """Run until the agent is in wrap-up after a call; the attempt they wrap up."""
    await world.run(600, step=1, until=lambda: status(world) is AgentStatus.WRAPUP)
    assert status(world) is AgentStatus.WRAPUP, "no call reached the agent"
    attempt = world.dialer.runner("e2e").attempt_of_agent(AGENT)
    assert attempt is not None
    return attempt


def one_agent_world(tmp_path: Path, **campaign: Any) -> AbstractAsyncContextManager[World]:
    """The world of these tests: 40 US leads and the one agent, no crew (the test is the agent); ``campaign``: keys
    over the e2e campaign's."""
    return make_world(tmp_path, campaign=campaign, us_leads=40, japan_leads=0, agents=1, crew=False)


async def paused_after_a_wrapup(world: World) -> int:
    """The agent takes a call and is paused during it (after it: no next one to take its place); run until that
    call's wrap-up has ended; the attempt."""
    await world.run(600, step=1, until=lambda: status(world) is AgentStatus.TALKING)
    await world.dialer.agents.pause(AGENT, "meeting")
    attempt = await until_wrapup(world)
    await until_wrapup_over(world)
    return attempt


async def stored_attempt(world: World, attempt: int) -> AttemptRecord:
    """The attempt ``attempt`` as the daemon's database holds it."""
    record = await get_attempt(world.db, attempt)
    assert record is not None
    return record


async def test_no_next_call_before_the_disposition(tmp_path: Path) -> None:
    async with one_agent_world(tmp_path, wrap_up_ends="disposition") as world:
        runner = world.dialer.runner("e2e")
        attempt = await until_wrapup(world)
        dials = len(world.pbx.truth.originates)
        await world.run(300, step=1)  # ten times the campaign's 30 s wrap-up
        assert status(world) is AgentStatus.WRAPUP
        assert len(world.pbx.truth.originates) == dials, "a call was placed for an agent who owes a disposition"
        with pytest.raises(AgentError) as refused:
            await world.dialer.agents.ready(AGENT)
        assert refused.value.code == "disposition_first"
        await runner.disposition(AGENT, "no_decision")
        assert status(world) is AgentStatus.READY
        stored = await stored_attempt(world, attempt)
        assert stored.disposition == "no_decision"


async def test_a_wrapup_that_runs_out_gets_the_timeout_disposition(tmp_path: Path) -> None:
    async with one_agent_world(tmp_path, timeout_disposition="no_decision") as world:
        runner = world.dialer.runner("e2e")
        attempt = await until_wrapup(world)
        await until_wrapup_over(world)
        stored = await stored_attempt(world, attempt)
        assert (stored.disposition, stored.notes, stored.agent) == ("no_decision", TIMEOUT_NOTE, AGENT)
        lead = await get_lead(world.db, stored.lead_id)
        assert lead is not None
        assert lead.status == "retry"  # no_decision: called again in two days
        assert runner.ctx.counters.dispositions["no_decision"] == 1
        assert runner.attempt_of_agent(AGENT) != attempt, "the timed-out call is still the agent's to disposition"


async def test_without_a_timeout_disposition_the_call_stays_the_agents_to_disposition(tmp_path: Path) -> None:
    async with one_agent_world(tmp_path) as world:
        runner = world.dialer.runner("e2e")
        attempt = await paused_after_a_wrapup(world)
        stored = await stored_attempt(world, attempt)
        assert stored.disposition is None
        assert runner.attempt_of_agent(AGENT) == attempt
        await runner.disposition(AGENT, "sale")
        stored = await stored_attempt(world, attempt)
        assert stored.disposition == "sale"


async def test_a_disposition_given_up_by_its_caller_is_written_once_and_settled(tmp_path: Path) -> None:
    """A disposition whose caller is cancelled (a request given up, a crew stopped) goes on to its end; until then
    the call stays claimed (a second disposition of it is refused) and the runner's settle waits for it."""
    async with one_agent_world(tmp_path, wrap_up_ends="disposition") as world:
        runner = world.dialer.runner("e2e")
        attempt = await until_wrapup(world)
        first = asyncio.ensure_future(runner.disposition(AGENT, "no_decision"))
        await asyncio.sleep(0)  # the write has started
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        with pytest.raises(LookupError):  # the write goes on: the call is still being dispositioned
            await runner.disposition(AGENT, "sale", attempt_id=attempt)
        await runner.settle()
        assert not runner.agent_calls.writing
        stored = await stored_attempt(world, attempt)
        assert stored.disposition == "no_decision"


async def test_a_late_dnc_disposition_lists_the_number_and_the_lead_is_not_dialled_again(tmp_path: Path) -> None:
    """Timer mode: the wrap-up runs out (the timeout disposition requeues the lead a minute later); the agent's
    late "do not call" from their recent calls replaces it: the number is listed, the lead closed, never dialled."""
    unsaid = Disposition(code="unsaid", label="Not said", retry_after=timedelta(seconds=60))
    async with one_agent_world(
        tmp_path, timeout_disposition="unsaid", dispositions=[*DEFAULT_DISPOSITIONS, unsaid]
    ) as world:
        runner = world.dialer.runner("e2e")
        attempt = await paused_after_a_wrapup(world)
        stored = await stored_attempt(world, attempt)
        assert (stored.disposition, stored.timed_out_disposition) == ("unsaid", "unsaid")
        lead = await get_lead(world.db, stored.lead_id)
        assert lead is not None
        assert lead.status == "retry"  # the timeout's: dialled again in a minute

        kind = await runner.disposition(AGENT, "dnc", attempt_id=attempt, late_by=AGENT)

        assert kind is TransitionKind.DNC
        stored = await stored_attempt(world, attempt)
        assert (stored.disposition, stored.timed_out_disposition, stored.late_disposition_by) == (
            "dnc",
            "unsaid",
            AGENT,
        )
        assert stored.late_disposition_at is not None
        assert [entry.number for entry in await check_dnc(world.db, stored.phone)] == [stored.phone]
        lead = await get_lead(world.db, stored.lead_id)
        assert lead is not None
        assert lead.status == "dnc"
        assert runner.ctx.counters.dispositions["dnc"] == 1
        assert runner.ctx.counters.dispositions["unsaid"] == 0, "the timeout's disposition still counted"
        # Once: a second late disposition (a double click) is refused, changing nothing.
        with pytest.raises(LateDispositionRefused) as again:
            await runner.disposition(AGENT, "sale", attempt_id=attempt, late_by=AGENT)
        assert again.value.refusal is LateRefusal.DISPOSITIONED

        await world.dialer.agents.ready(AGENT)
        dials = len(world.pbx.truth.originates)
        await world.run(600, step=1)  # ten times the minute the timeout's requeue would have waited
        assert len(world.pbx.truth.originates) > dials, "nothing was dialled: the test shows nothing"
        assert [a.id for a in await lead_history(world.db, stored.lead_id)] == [attempt], "dialled after the DNC"
