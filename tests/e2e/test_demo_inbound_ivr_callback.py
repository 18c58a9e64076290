"""Virtual hold in the demo's inbound IVR, end to end: the daemon's FastAGI role (its DaemonActions) runs the shipped
flow (campaigns/ivr/inbound.toml) for the demo's simulated callers against the simulated PBX. When every agent of
inbound-sales is on a break the wait is long: a caller who presses 1 hangs up with a callback booked in the demo's
campaign (demo, or demo-ja for the Japanese demo) for their own number. With agents ready the wait is short:
callers go straight to the queue, never offered anything."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from harness.clock import clock_dt
from harness.e2e import World, demo_run_settings, make_world
from harness.paths import REPO
from sqlalchemy import select

from dialer.campaign.config import load_campaign_file
from dialer.daemon.agentless import IvrRole
from dialer.demo import demo_ivr_callers
from dialer.ivr.agi import IvrCallInfo
from dialer.settings import Settings
from dialer.sim.ivr import CallerBehaviour
from dialer.sim.pbx.ivr import call_in_to_ivr, configure_ivr_callers, route_inbound_ivr
from dialer.store.campaigns import apply_campaign, get_campaign
from dialer.store.console import list_callbacks
from dialer.store.ivr_results import IvrResultRecord, ivr_results
from dialer.store.leads import find_leads_by_phone
from dialer.store.lifecycle import claim_dialable
from dialer.store.tables import leads_t

pytestmark = pytest.mark.slow
QUEUE = "inbound-sales"


async def apply_demo_campaign(world: World, file: str = "demo.toml") -> None:
    """A demo campaign (campaigns/demo.toml, or a localised one), the one the demo's flow books callbacks in."""
    demo = load_campaign_file(REPO / "campaigns" / file)
    await apply_campaign(world.db, demo.name, demo.model_dump(mode="json"), clock_dt(world.clock))


async def run(world: World, seconds: float) -> None:
    await world.run_serving_agi(seconds)


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
    return await ivr_results(world.db, flow="inbound")


@pytest.mark.parametrize(
    ("campaign", "file", "port"),
    [("demo", "demo.toml", 5041), ("demo-ja", "demo-ja.toml", 18744)],
    ids=["en", "ja"],
)
async def test_a_caller_facing_a_long_wait_books_a_callback_for_their_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, campaign: str, file: str, port: int
) -> None:
    """In the demo's own campaign, whatever its language (`dialer demo --locale ja` runs demo-ja): the shipped flow
    names no campaign, the demo's settings name it (``[fastagi] callback_campaign``)."""
    settings = demo_run_settings(tmp_path, monkeypatch, port, campaign=campaign)
    assert settings.fastagi.callback_campaign == campaign
    async with make_world(
        tmp_path, us_leads=5, japan_leads=0, agents=2, inbound_queues=(QUEUE,), state="paused", crew=False
    ) as world:
        await apply_demo_campaign(world, file)
        for agent in world.dialer.agents.registry.in_queue(QUEUE):
            await world.dialer.agents.pause(agent.agent_id, "break")
        results = await inbound_calls(world, settings, enough=3, take_callback=1.0)
        demo_id = (await get_campaign(world.db, campaign)).id
        total, callbacks = await list_callbacks(world.db, campaign_id=demo_id)
        booked = [r for r in results if r.result == "callback_booked"]
        assert booked, [(r.path, r.variables) for r in results]
        for r in booked:
            # due when booked, or (outside the calling window where the caller lives) when it next opens: said so
            told = "callback-booked-later" if r.variables["callback_moved"] == "yes" else "callback-booked"
            assert r.path[-5:] == ["wait", "offer", "book", "booked-when", told]
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
    settings = demo_run_settings(tmp_path, monkeypatch, 5042)
    async with make_world(
        tmp_path, us_leads=5, japan_leads=0, agents=3, inbound_queues=(QUEUE,), state="paused"
    ) as world:
        await apply_demo_campaign(world)
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


async def test_the_daemon_actions_answer_from_the_live_state_and_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handler the role gives its FastAGI service, called as a lookup calls it: its own actions over the
    daemon's state and store, the table's actions handed on, a bad argument answered ``error``."""
    settings = demo_run_settings(tmp_path, monkeypatch, 5043)
    async with make_world(
        tmp_path, us_leads=5, japan_leads=0, agents=2, inbound_queues=(QUEUE,), state="paused"
    ) as world:
        actions = IvrRole(world.dialer, settings.fastagi).daemon_actions
        async with world.db.read() as conn:
            phone = (await conn.execute(select(leads_t.c.phone).order_by(leads_t.c.id).limit(1))).scalar_one()
        info = IvrCallInfo(call_ref="i1", flow="inbound", attempt=None, campaign=None, caller=phone)

        async def ask(action: str, **args: str) -> tuple[str, dict[str, str]]:
            done = await actions(action, args, info)
            return done.status, dict(done.data)

        assert await ask("queue_wait", queue=QUEUE, longer_than="90") == ("short", {"seconds": "0", "waiting": "0"})
        assert await ask("queue_wait", queue="nobody-here", longer_than="90") == (
            "closed",
            {"seconds": "91", "waiting": "0"},
        )
        for agent in world.dialer.agents.registry.in_queue(QUEUE):
            await world.dialer.agents.pause(agent.agent_id, "break")
        status, data = await ask("queue_wait", queue=QUEUE, longer_than="90")
        assert (status, data["waiting"]) == ("long", "0")
        assert int(data["seconds"]) == 180  # no visit measured yet: the default handle time, one agent's worth
        assert await ask("queue_wait", queue=QUEUE, longer_than="soon") == ("error", {})
        assert await ask("book_callback", campaign="e2e", delay_minutes="later") == ("error", {})
        # the table's actions are handed on (the demo's accounts table)
        assert (await ask("find_account", account="0000"))[0] == "not_found"
        # the caller's number is a lead of the e2e campaign: the callback is booked on that lead
        status, data = await ask("book_callback", campaign="e2e", delay_minutes="30", note="from the IVR")
        assert status == "booked"
        assert datetime.fromisoformat(data["when"]) == clock_dt(world.clock) + timedelta(minutes=30)
        (lead,) = await find_leads_by_phone(world.db, world.dialer.runners["e2e"].campaign_id, phone)
        assert (lead.status, lead.callback_at) == ("callback", clock_dt(world.clock) + timedelta(minutes=30))
        assert await ask("book_callback", campaign="nope") == ("refused", {"reason": "unknown_campaign"})
        # a flow that names no campaign: the one [fastagi] callback_campaign names, else an error (the flow's next)
        actions.callback_campaign = ""
        assert await ask("book_callback") == ("error", {})
        actions.callback_campaign = "e2e"
        assert (await ask("book_callback"))[0] == "booked"
        assert await ask("book_callback", campaign="nope") == ("refused", {"reason": "unknown_campaign"})
        # the Chinese demo's campaign (regime CN) requires consent or the called party's request: a caller who asks
        # for a callback has requested that call, which the campaign's claim then dials (that call only)
        await apply_demo_campaign(world, "demo-zh-CN.toml")
        chinese = IvrCallInfo(call_ref="i3", flow="inbound", attempt=None, campaign=None, caller="13800138123")
        done = await actions("book_callback", {"campaign": "demo-zh-cn"}, chinese)
        assert done.status == "booked"
        due = datetime.fromisoformat(dict(done.data)["when"])
        zh = await get_campaign(world.db, "demo-zh-cn")
        (asked,) = await find_leads_by_phone(world.db, zh.id, "+8613800138123")
        assert (asked.status, asked.consent_source, asked.consent_at) == ("callback", None, None)
        assert (asked.requested_callback_source, asked.requested_callback_due) == ("ivr flow inbound", due)
        zh_config = load_campaign_file(REPO / "campaigns" / "demo-zh-CN.toml")
        batch = await claim_dialable(world.db, zh_config, campaign_id=zh.id, owner="e2e", limit=5, now=due)
        assert [lead.id for lead in batch.leads] == [asked.id]
        withheld = IvrCallInfo(call_ref="i2", flow="inbound", attempt=None, campaign=None, caller="unknown")
        done = await actions("book_callback", {"campaign": "e2e"}, withheld)
        assert (done.status, dict(done.data)) == ("refused", {"reason": "no_number"})
