"""``POST /api/leads/{id}/consent`` under a consent regime (CN), the two ways the consent arrives late:

* recorded on a lead the campaign set aside for want of it, it brings the lead back: due again at the earliest time
  its other rules allow (the answer's ``next_dialable_at``), audited (``dialable_from``);
* recorded by an agent on an inbound call whose caller matched the lead (the screen pop's lead): the record names
  the inbound call (``inbound <call> by <user>: <how>``); the pop offers it (``requires_consent``); on a lead that
  is not the caller's, refused as for any lead not of the agent's call."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import tomli_w
from harness.campaign import cn_campaign_data
from harness.clock import clock_dt
from harness.paths import REPO
from harness.stepping import eventually
from harness.web import TALKATIVE, WebWorld, agent_ready, inbound_caller_leads, web_world

from dialer.appkeys import DATABASE
from dialer.campaign.config import load_campaign
from dialer.store.audit import audit_entries
from dialer.store.campaigns import get_campaign
from dialer.store.leads import NewLead, find_leads_by_phone, insert_new_leads
from dialer.store.lifecycle import RECHECK_IMPOSSIBLE_AFTER, claim_dialable

# The CN campaign on the simulated PBX's dialplan (the harness's CN campaign table, as the API takes it: TOML).
CN_DATA = cn_campaign_data(name="cn-back", queue="outbound-agents", trunk="Local/{number}@sim-pstn")


async def test_consent_brings_back_a_lead_set_aside_for_want_of_it(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    resp = await client.put(
        "/api/campaigns/cn-back", data=tomli_w.dumps(CN_DATA), headers={**boss, "Content-Type": "application/toml"}
    )
    assert resp.status == 201, await resp.text()
    db = world.app[DATABASE]
    now = clock_dt(world.clock)
    campaign = await get_campaign(db, "cn-back")
    lead = NewLead(phone="+8613800138001", status="new", next_dialable_at=now, tz_candidates=["Asia/Shanghai"])
    async with db.write() as conn:
        await insert_new_leads(conn, campaign.id, None, [lead], now)
    (stored,) = await find_leads_by_phone(db, campaign.id, lead.phone)
    config = load_campaign(CN_DATA)
    batch = await claim_dialable(db, config, campaign_id=campaign.id, owner="t", limit=5, now=now)
    assert batch.set_aside == {"no_consent": 1}
    parked = await (await client.get(f"/api/leads/{stored.id}", headers=boss)).json()
    assert datetime.fromisoformat(parked["next_dialable_at"]) == now + RECHECK_IMPOSSIBLE_AFTER
    consent = await client.post(f"/api/leads/{stored.id}/consent", json={"source": "signed form"}, headers=boss)
    assert consent.status == 200, await consent.text()
    body = await consent.json()
    at = clock_dt(world.clock)
    back = datetime.fromisoformat(body["next_dialable_at"])
    assert now <= back < now + RECHECK_IMPOSSIBLE_AFTER  # due at once, or at the calling window's next opening
    assert back == config.window.next_open(back, ("Asia/Shanghai",))
    assert back <= config.window.next_open(at, ("Asia/Shanghai",))
    (entry,) = (await audit_entries(db, target=f"lead:{stored.id}"))[1]
    assert entry.detail["dialable_from"] == back.isoformat()


async def inbound_pop_with_lead(client: Any, headers: dict[str, str]) -> Any:
    body = await (await client.get("/api/agents/alice/call", headers=headers)).json()
    call = body["call"]
    return call if call and call.get("inbound") and call.get("lead") else None


async def test_an_agent_records_consent_on_an_inbound_call_of_the_leads_caller(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    campaign = REPO / "campaigns/demo-zh-CN.toml"
    leads = inbound_caller_leads(tmp_path)
    async with web_world(tmp_path, speed=40.0, campaign_file=campaign, leads_file=leads, scenario=TALKATIVE) as world:
        client = await aiohttp_client(world.app)
        alice = world.auth("alice")
        await agent_ready(world, client, "alice", "inbound-sales")
        call = await eventually(lambda: inbound_pop_with_lead(client, alice), 60)
        assert call["requires_consent"] is True  # the CN campaign's lead: the pop offers to record it
        lead = call["lead"]
        assert lead["consent_at"] is None
        # Another lead of the campaign (not the caller's): refused as for any lead not of her call.
        other = 1 if lead["id"] != 1 else 2
        refused = await client.post(f"/api/leads/{other}/consent", json={"source": "verbal"}, headers=alice)
        assert refused.status == 404  # (a lead she may not see: not even its existence)
        resp = await client.post(
            f"/api/leads/{lead['id']}/consent", json={"source": "asked to be called"}, headers=alice
        )
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        assert body["recorded"] is True
        source = body["consent_source"]
        assert source.startswith("inbound ")
        assert source.endswith(" by alice: asked to be called")
        # She is on the phone with the centre: not dialled at once, but after the campaign's delay after a
        # conversation (its retry rule for connected: a day).
        assert datetime.fromisoformat(body["next_dialable_at"]) >= datetime.fromisoformat(
            body["consent_at"]
        ) + timedelta(days=1)
        call_id = source.removeprefix("inbound ").removesuffix(" by alice: asked to be called")
        assert call_id
        assert " " not in call_id
        total, entries = await audit_entries(world.app[DATABASE], target=f"lead:{lead['id']}")
        assert total == 1
        assert (entries[0].actor, entries[0].detail["call"], entries[0].detail["inbound_call"]) == (
            "alice",
            None,
            call_id,
        )
