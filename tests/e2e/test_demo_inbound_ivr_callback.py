"""Virtual hold in the demo's inbound IVR, end to end: the daemon's FastAGI role (its DaemonActions) runs the shipped
flow (campaigns/ivr/inbound.toml) for the demo's simulated callers against the simulated PBX. When every agent of
inbound-sales is on a break the wait is long: a caller who presses 1 hangs up with a callback booked in the demo
campaign for their own number. With agents ready the wait is short: callers go straight to the queue, never
offered anything."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from harness.clock import clock_dt
from harness.e2e import World, make_world
from harness.stepping import wait_real

from dialer.campaign.config import load_campaign_file
from dialer.daemon.agentless import IvrRole
from dialer.demo import demo_ivr_callers, demo_settings
from dialer.settings import Settings
from dialer.sim.ivr import CallerBehaviour
from dialer.sim.pbx.ivr import agi_sessions_awaiting_daemon, call_in_to_ivr, configure_ivr_callers, route_inbound_ivr
from dialer.store.campaigns import apply_campaign, get_campaign
from dialer.store.console import list_callbacks
from dialer.store.ivr_results import IvrResultRecord, ivr_results
from dialer.store.leads import find_leads_by_phone

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
QUEUE = "inbound-sales"


async def run(world: World, seconds: float) -> None:
    spent = 0.0
    engine = world.pbx.core.engine
    while spent < seconds:
        await world.run(0.5)
        spent += 0.5
        await world.quiesce()
        await wait_real(lambda: not agi_sessions_awaiting_daemon(engine), 10.0)


async def inbound_calls(
    world: World, settings: Settings, *, enough: int, take_callback: float
) -> list[IvrResultRecord]:
    """Simulated callers of the inbound IVR until ``enough`` of them reached its wait estimate; their results."""
    callers = demo_ivr_callers(settings.fastagi.accounts)
    offer = CallerBehaviour(keys={"1": take_callback, "2": 1 - take_callback})
    configure_ivr_callers(
        world.pbx.core.engine, replace(callers, by_prompt={**callers.by_prompt, "inbound/wait-offer": offer})
    )
    role = IvrRole(world.dialer, settings.fastagi)
    address = await role.start()
    assert address is not None
    route_inbound_ivr(world.pbx.core.engine, address)
    call_in_to_ivr(world.pbx.core, mean_gap_seconds=15.0, seed=5)
    try:
        for _ in range(60):
            await run(world, 30)
            results = await ivr_results(world.db, flow="inbound")
            if sum(1 for r in results if "wait" in r.path) >= enough:
                break
    finally:
        await role.stop()
    await asyncio.sleep(0)
    return await ivr_results(world.db, flow="inbound")


async def test_a_caller_facing_a_long_wait_books_a_callback_for_their_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    settings = demo_settings(Settings().model_copy(update={"var_dir": tmp_path}), 5041)
    async with make_world(
        tmp_path, us_leads=5, japan_leads=0, agents=2, inbound_queues=(QUEUE,), state="paused", crew=False
    ) as world:
        demo = load_campaign_file(REPO / "campaigns" / "demo.toml")  # the campaign the flow books callbacks in
        await apply_campaign(world.db, demo.name, demo.model_dump(mode="json"), clock_dt(world.clock))
        for agent in world.dialer.agents.registry.in_queue(QUEUE):
            await world.dialer.agents.pause(agent.agent_id, "break")
        results = await inbound_calls(world, settings, enough=3, take_callback=1.0)
        demo_id = (await get_campaign(world.db, "demo")).id
        total, callbacks = await list_callbacks(world.db, campaign_id=demo_id)
        booked = [r for r in results if r.result == "callback_booked"]
        assert booked, [(r.path, r.variables) for r in results]
        for r in booked:
            assert r.path[-4:] == ["wait", "offer", "book", "callback-booked"]
            assert r.variables["wait"] == "long"  # logged in, every one paused: nobody serves
            assert int(r.variables["wait_seconds"]) > 0
            assert r.variables["callback"] == "booked"
            assert r.phone is not None
            (lead,) = await find_leads_by_phone(world.db, demo_id, r.phone)
            assert lead.status == "callback"
            assert lead.callback_agent is None
        # one callback per booking, each for the number of the caller who booked it, due when booked (now)
        assert total == len(booked)
        assert sorted(c.phone for c in callbacks) == sorted(r.phone or "" for r in booked)
        assert all(c.callback.agent is None and c.callback.state == "pending" for c in callbacks)
        assert {c.callback.notes for c in callbacks} == {
            "Asked in the inbound IVR to be called back instead of waiting"
        }
        # nobody who reached the estimate was put in the queue without being offered the callback
        assert all("offer" in r.path for r in results if "wait" in r.path)


async def test_with_an_agent_ready_callers_go_straight_to_the_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    settings = demo_settings(Settings().model_copy(update={"var_dir": tmp_path}), 5042)
    async with make_world(
        tmp_path, us_leads=5, japan_leads=0, agents=3, inbound_queues=(QUEUE,), state="paused"
    ) as world:
        demo = load_campaign_file(REPO / "campaigns" / "demo.toml")
        await apply_campaign(world.db, demo.name, demo.model_dump(mode="json"), clock_dt(world.clock))
        results = await inbound_calls(world, settings, enough=3, take_callback=1.0)
        demo_id = (await get_campaign(world.db, "demo")).id
        total, _ = await list_callbacks(world.db, campaign_id=demo_id)
    waited = [r for r in results if "wait" in r.path]
    assert len(waited) >= 3, [(r.path, r.variables) for r in results]
    for r in waited:
        assert r.variables["wait"] == "short"
        assert r.variables["wait_seconds"] == "0"
        assert r.path[r.path.index("wait") + 1] == "agent"
        assert "offer" not in r.path
    assert any(r.transferred for r in waited)
    assert total == 0
