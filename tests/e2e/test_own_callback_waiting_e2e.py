"""A personal callback waiting for its agent (busy or away, within ``personal_callback_grace``) holds up nobody else's
call, end to end against the simulated PBX: another agent's own callbacks, nobody's callbacks and the campaign's
ordinary leads are dialled in due order meanwhile, however many callbacks wait and however early they were due; the
"why not dialling" line counts every one waiting."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from harness.bus import taken
from harness.clock import clock_dt
from harness.e2e import World, make_world

from dialer.contract import AGENT_VARIABLE
from dialer.runner.bus import Notification
from dialer.runner.own_callbacks import READ_LIMIT
from dialer.store.console import create_callback
from dialer.store.leads import get_lead

AWAY, FREE = "agent01", "agent02"
ANSWERED: dict[str, dict[str, Any]] = {"outbound": {"answer_probability": 1.0, "busy_share": 0.0, "machine_share": 0.0}}


def world_of(tmp_path: Path, leads: int, *, crew: bool = False) -> Any:
    """Two agents; ``crew``: they disposition their calls (and are ready again after)."""
    return make_world(
        tmp_path,
        campaign={"dial_mode": "progressive"},
        us_leads=leads,
        japan_leads=0,
        agents=2,
        crew=crew,
        state="paused",
        world=ANSWERED,
    )


async def book(world: World, lead_id: int, agent: str | None, due_ago: timedelta) -> None:
    now = clock_dt(world.clock)
    assert await create_callback(world.db, lead_id, now - due_ago, agent, None, now) is not None


async def first_pop(world: World, notes: asyncio.Queue[Notification], seconds: float) -> Notification:
    spent = 0.0
    while spent < seconds:
        await world.run(0.5)
        spent += 0.5
        pops = taken(notes, "screen_pop")
        if pops:
            return pops[0]
    raise AssertionError(f"no screen pop in {seconds} s")


async def test_more_callbacks_waiting_than_one_look_reads_do_not_hide_a_free_agents_own(tmp_path: Path) -> None:
    # The away agent's callbacks, all due earlier than the free agent's and more than one look reads: the free
    # agent's own is still found and dialled straight to them.
    waiting = READ_LIMIT + 5
    async with world_of(tmp_path, waiting + 1) as world:
        for lead_id in range(1, waiting + 1):
            await book(world, lead_id, AWAY, timedelta(minutes=20) - timedelta(seconds=lead_id))
        mine = waiting + 1
        await book(world, mine, FREE, timedelta(0))
        await world.dialer.agents.pause(AWAY, "lunch")
        interface = world.dialer.agents.registry.get(FREE).interface  # type: ignore[union-attr]
        with world.dialer.bus.subscribe(f"agent:{FREE}") as notes:
            await world.dialer.set_campaign("e2e", "start")
            pop = await first_pop(world, notes, 60)
        assert pop.data["lead_id"] == mine
        assert pop.data["own_callback"] is True
        (originate,) = world.pbx.truth.originates
        assert originate.variables[AGENT_VARIABLE] == interface
        # None of the away agent's was dialled or lost: they still wait for her.
        for lead_id in range(1, waiting + 1):
            lead = await get_lead(world.db, lead_id)
            assert lead is not None
            assert lead.status == "callback"
            assert lead.callback_agent == AWAY


async def test_a_callback_waiting_for_its_agent_holds_up_neither_anyones_callbacks_nor_ordinary_leads(
    tmp_path: Path,
) -> None:
    # Lead 1: the away agent's callback, due first; lead 2: nobody's callback, due later; lead 3: a new lead.
    async with world_of(tmp_path, 3, crew=True) as world:
        await book(world, 1, AWAY, timedelta(minutes=10))
        await book(world, 2, None, timedelta(minutes=1))
        await world.dialer.agents.pause(AWAY, "lunch")
        taken_by_free: list[int] = []
        with world.dialer.bus.subscribe(f"agent:{FREE}") as notes:
            await world.dialer.set_campaign("e2e", "start")
            for _ in range(2):
                pop = await first_pop(world, notes, 120)
                taken_by_free.append(pop.data["lead_id"])
        assert taken_by_free == [2, 3]  # the due callback, then the new lead
        lead = await get_lead(world.db, 1)
        assert lead is not None
        assert lead.status == "callback"


async def test_the_why_not_dialling_count_of_callbacks_waiting_for_their_agent_is_every_one(tmp_path: Path) -> None:
    # More callbacks wait for the away agent than one look reads, and nothing else is due: the dashboard's count is
    # all of them, not the look's first READ_LIMIT.
    waiting = READ_LIMIT + 5
    async with world_of(tmp_path, waiting) as world:
        for lead_id in range(1, waiting + 1):
            await book(world, lead_id, AWAY, timedelta(minutes=10) - timedelta(seconds=lead_id))
        await world.dialer.agents.pause(AWAY, "lunch")
        runner = world.dialer.runner("e2e")
        await world.dialer.set_campaign("e2e", "start")
        await world.run(30, until=lambda: runner.why_not is not None and runner.why_not.code == "callback_owner")
        assert len(world.pbx.truth.originates) == 0
        assert runner.why_not is not None
        assert runner.why_not.code == "callback_owner"
        assert runner.why_not.breakdown["callback_owner"] == waiting
        assert f": {waiting}" in runner.why_not.message.english
