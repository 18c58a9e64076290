"""Who sees which leads over HTTP (issue 18 §5): a supervisor sees the leads of their teams' campaigns and of
their teams' agents, an agent only the leads of their own calls, managers all; the opt-out API announces each
new DNC entry to a loopback receiver."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from harness.integration import fast_webhooks, other_campaign
from harness.web import supervisor, web_world
from sqlalchemy import func, select
from webhook_receiver import Receiver

from dialer.appkeys import DATABASE
from dialer.store.auth import Role
from dialer.store.leadscope import EVERYTHING, LeadScope, scope_for
from dialer.store.tables import leads_t


def test_the_rule_by_role() -> None:
    assert scope_for(Role.ADMIN, "root") is EVERYTHING
    assert scope_for(Role.MANAGER, "boss", team_campaigns=[1]) is EVERYTHING
    assert scope_for(Role.SUPERVISOR, "sue", team_campaigns=[3], team_agents=["alice"]) == LeadScope(
        campaigns=frozenset({3}), agents=frozenset({"alice", "sue"})
    )
    assert scope_for(Role.AGENT, "bob", team_campaigns=[3], team_agents=["alice"]) == LeadScope(
        agents=frozenset({"bob"})
    )
    assert LeadScope().condition() is not None  # nothing in scope: an always-false filter, never "everything"


async def total(client: Any, headers: dict[str, str], query: str = "") -> int:
    found = await client.get(f"/api/leads?limit=1{query}", headers=headers)
    assert found.status == 200, await found.text()
    return int((await found.json())["total"])


async def test_a_supervisor_sees_their_teams_campaigns_and_agents_leads(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        root, boss, alice, bob = (world.auth(u) for u in ("root", "boss", "alice", "bob"))
        sue = await supervisor(world, client)
        alices, *others = await other_campaign(world)
        async with world.app[DATABASE].read() as conn:
            everyone = int((await conn.execute(select(func.count()).select_from(leads_t))).scalar_one())
        demo = everyone - 3

        # Before her team works a campaign: only the leads of her team's agents (alice's callback).
        assert await total(client, sue) == 1
        assert (await client.get(f"/api/leads/{alices}", headers=sue)).status == 200
        assert (await client.get(f"/api/leads/{others[0]}", headers=sue)).status == 404

        # Only an admin says which campaigns a team works; unknown names are refused.
        by_manager = await client.put("/api/teams/north/campaigns", json={"campaigns": ["demo"]}, headers=boss)
        assert by_manager.status == 403
        refused = await client.put("/api/teams/north/campaigns", json={"campaigns": ["nope"]}, headers=root)
        assert refused.status == 422
        put = await client.put("/api/teams/north/campaigns", json={"campaigns": ["demo"]}, headers=root)
        assert put.status == 200
        assert (await put.json())["campaigns"] == ["demo"]

        assert await total(client, sue) == demo + 1
        assert await total(client, sue, "&campaign=other") == 1
        assert await total(client, sue, "&q=4155559002") == 0  # another campaign's lead: not found
        assert (await client.get(f"/api/leads/{others[1]}", headers=sue)).status == 404
        assert (await client.patch(f"/api/leads/{others[1]}", json={"first_name": "X"}, headers=sue)).status == 404
        first_demo = (await (await client.get("/api/leads?limit=1&campaign=demo", headers=sue)).json())["items"][0]
        shown = await client.get(f"/api/leads/{first_demo['id']}", headers=sue)
        assert shown.status == 200
        assert "history" in await shown.json()

        # Agents: their own calls' leads only; managers: everything.
        assert await total(client, alice) == 1
        assert await total(client, bob) == 0
        assert (await client.get(f"/api/leads/{first_demo['id']}", headers=bob)).status == 404
        assert await total(client, boss) == everyone

        # The team stops working the campaign: her view shrinks at once.
        assert (await client.put("/api/teams/north/campaigns", json={"campaigns": []}, headers=root)).status == 200
        assert await total(client, sue) == 1
        audit = await (await client.get("/api/audit?target=team:north", headers=root)).json()
        assert [e["action"] for e in audit["items"]].count("team.campaigns") == 2  # (the refused change is not one)


async def test_the_opt_out_api_adds_and_announces_once(tmp_path: Path, aiohttp_client: Any) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        async with web_world(tmp_path, campaign_running=False) as world:
            fast_webhooks(world)
            client = await aiohttp_client(world.app)
            boss, alice = world.auth("boss"), world.auth("alice")
            sub = await client.post(
                "/api/webhooks/subscriptions",
                json={"url": receiver.url, "events": ["optout.added"], "secret": receiver.secret * 4},
                headers=boss,
            )
            assert sub.status == 201
            receiver.secret = receiver.secret * 4
            body = {"number": "(212) 555-0190", "reason": "asked by e-mail"}
            added = await client.post("/api/dnc", json=body, headers=boss)
            assert added.status == 200, await added.text()
            assert (await added.json())["added"] is True
            again = await client.post("/api/dnc", json=body, headers=boss)
            assert (await again.json())["added"] is False
            assert (await client.post("/api/dnc", json=body, headers=alice)).status == 403
            assert (await client.post("/api/dnc", json={"number": "12"}, headers=boss)).status == 422
            scoped = await client.post("/api/dnc", json={"number": "+12125550191", "campaign": "demo"}, headers=boss)
            assert (await scoped.json())["scope"] == "demo"
            check = await (await client.get("/api/dnc?number=%2B12125550190", headers=boss)).json()
            assert check["listed"] is True
            assert check["entries"][0]["source"] == "api:boss"

            async def both() -> bool:
                for _ in range(300):
                    if len(receiver.acknowledged()) >= 2:
                        return True
                    await asyncio.sleep(0.1)
                return False

            assert await both()
            await asyncio.sleep(0.5)
            acked = receiver.acknowledged()
            assert all(d.signature_ok for d in acked)
            assert sorted((d.body["data"]["number"], d.body["data"]["scope"]) for d in acked) == [
                ("+12125550190", "global"),
                ("+12125550191", "campaign"),
            ]
    finally:
        await receiver.stop()
