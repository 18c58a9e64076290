"""A personal callback reaches the agent who promised it, end to end against the simulated PBX: dialled only when its
owner is free and connected to them alone (the dialplan's direct-agent path), waiting for them while they are busy,
anyone's through the queue once overdue by the campaign's ``personal_callback_grace``."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from harness.bus import taken
from harness.clock import clock_dt
from harness.e2e import World, make_world

from dialer.agents.registry import AgentStatus
from dialer.contract import AGENT_VARIABLE
from dialer.runner.bus import Notification
from dialer.store.attempts import get_attempt
from dialer.store.console import create_callback, own_callback_kept
from dialer.store.leads import get_lead

OWNER, OTHER = "agent02", "agent01"
# Every dial answered by a person (no machine, no bad number): the callback's call always reaches someone.
ANSWERED: dict[str, dict[str, Any]] = {"outbound": {"answer_probability": 1.0, "busy_share": 0.0, "machine_share": 0.0}}


def own_callback_world(tmp_path: Path, mode: str = "progressive") -> Any:
    """One lead, two agents (agent01 ready first: the longest idle, whom the queue would pick), the campaign
    paused until the test books the callback."""
    return make_world(
        tmp_path,
        campaign={"dial_mode": mode},
        us_leads=1,
        japan_leads=0,
        agents=2,
        crew=False,
        state="paused",
        world=ANSWERED,
    )


async def book(world: World, *, due_ago: timedelta = timedelta(0)) -> int:
    """The only lead booked as agent02's callback, due ``due_ago`` ago; its id."""
    now = clock_dt(world.clock)
    booked = await create_callback(world.db, 1, now - due_ago, OWNER, "renewal: call after lunch", now)
    assert booked is not None
    return booked.lead_id


async def pops_until(world: World, notes: asyncio.Queue[Notification], seconds: float) -> list[Notification]:
    """Run the world until a screen pop comes on ``notes`` (at most ``seconds``); the pops seen."""
    pops: list[Notification] = []
    spent = 0.0
    while spent < seconds and not pops:
        await world.run(0.5)
        spent += 0.5
        pops.extend(taken(notes, "screen_pop"))
    return pops


def status(world: World, agent_id: str) -> AgentStatus:
    agent = world.dialer.agents.registry.get(agent_id)
    assert agent is not None
    return agent.status


async def test_two_agents_ready_the_callback_goes_to_its_owner_not_the_longest_idle(tmp_path: Path) -> None:
    async with own_callback_world(tmp_path) as world:
        lead_id = await book(world)
        interface = world.dialer.agents.registry.get(OWNER).interface  # type: ignore[union-attr]
        with (
            world.dialer.bus.subscribe(f"agent:{OWNER}") as mine,
            world.dialer.bus.subscribe(f"agent:{OTHER}") as theirs,
        ):
            await world.dialer.set_campaign("e2e", "start")
            await world.quiesce()
            # Placed at once, straight to the owner's phone; the owner reserved for it, the other still free.
            (originate,) = world.pbx.truth.originates
            assert originate.variables[AGENT_VARIABLE] == interface
            assert status(world, OWNER) is AgentStatus.RINGING
            assert status(world, OTHER) is AgentStatus.READY
            pops = await pops_until(world, mine, 60)
            assert len(pops) == 1
            assert pops[0].data["lead_id"] == lead_id
            assert pops[0].data["own_callback"] is True
            assert taken(theirs, "screen_pop") == []
        assert status(world, OWNER) is AgentStatus.TALKING
        attempt = await get_attempt(world.db, int(originate.attempt))
        assert attempt is not None
        assert attempt.agent == OWNER
        # What the console's current call shows: the callback the call keeps, the owner's, with its notes.
        kept = await own_callback_kept(world.db, lead_id, attempt.id, OWNER)
        assert kept is not None
        assert kept.notes == "renewal: call after lunch"
        assert kept.state == "done"
        assert await own_callback_kept(world.db, lead_id, attempt.id, OTHER) is None


async def test_the_owner_busy_the_callback_waits_then_goes_to_them_when_free(tmp_path: Path) -> None:
    async with own_callback_world(tmp_path) as world:
        lead_id = await book(world)
        await world.dialer.agents.pause(OWNER, "meeting")
        runner = world.dialer.runner("e2e")
        await world.dialer.set_campaign("e2e", "start")
        await world.run(30)
        # Nobody else takes it, and the dashboard says why.
        assert len(world.pbx.truth.originates) == 0
        assert runner.why_not is not None
        assert runner.why_not.code == "callback_owner"
        assert runner.why_not.breakdown["callback_owner"] == 1
        lead = await get_lead(world.db, lead_id)
        assert lead is not None
        assert lead.status == "callback"

        with world.dialer.bus.subscribe(f"agent:{OWNER}") as mine:
            await world.dialer.agents.ready(OWNER)
            pops = await pops_until(world, mine, 60)
        (originate,) = world.pbx.truth.originates
        assert originate.variables[AGENT_VARIABLE] == world.dialer.agents.registry.get(OWNER).interface  # type: ignore[union-attr]
        assert [p.data["lead_id"] for p in pops] == [lead_id]
        assert pops[0].data["own_callback"] is True


async def test_past_the_grace_anyone_takes_it_through_the_queue(tmp_path: Path) -> None:
    async with own_callback_world(tmp_path) as world:
        lead_id = await book(world, due_ago=timedelta(minutes=31))  # the default grace: 30 min
        await world.dialer.agents.pause(OWNER, "meeting")
        with world.dialer.bus.subscribe(f"agent:{OTHER}") as theirs:
            await world.dialer.set_campaign("e2e", "start")
            pops = await pops_until(world, theirs, 60)
        (originate,) = world.pbx.truth.originates
        assert AGENT_VARIABLE not in originate.variables  # through the queue
        assert [p.data["lead_id"] for p in pops] == [lead_id]
        assert "own_callback" not in pops[0].data


async def test_in_preview_the_owner_gets_their_callback_as_their_next_preview(tmp_path: Path) -> None:
    async with own_callback_world(tmp_path, mode="preview") as world:
        lead_id = await book(world)
        await world.dialer.set_campaign("e2e", "start")
        runner = world.dialer.runner("e2e")
        assert await runner.preview_claim(OTHER) is None  # not theirs, and the only lead
        lead = await runner.preview_claim(OWNER)
        assert lead is not None
        assert lead.id == lead_id
        with world.dialer.bus.subscribe(f"agent:{OWNER}") as mine:
            await runner.preview_dial(OWNER)
            pops = await pops_until(world, mine, 60)
        assert [p.data["lead_id"] for p in pops] == [lead_id]
        assert pops[0].data["own_callback"] is True
