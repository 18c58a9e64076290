"""Callbacks and recordings are scoped like leads (issue 18 §5, dialer.store.leadscope): a supervisor sees those
of their teams' campaigns and agents (and their own), not another team's -- a 404 for a callback (as for a lead),
a 403 for a recording; an agent sees their own; managers everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from harness.integration import other_campaign
from harness.web import supervisor, web_world
from sqlalchemy import select

from dialer.appkeys import DATABASE
from dialer.store.attempts import AttemptStart, start_attempt
from dialer.store.console import create_callback
from dialer.store.leadscope import LeadScope
from dialer.store.monitoring import recording_started
from dialer.store.tables import campaigns_t


def test_the_call_side_rule() -> None:
    sue = LeadScope(campaigns=frozenset({3}), agents=frozenset({"alice", "sue"}))
    assert sue.sees_call(3, None)
    assert sue.sees_call(9, "alice")
    assert not sue.sees_call(9, "bob")
    assert not sue.sees_call(9, None)
    assert LeadScope(everything=True).sees_call(9, "bob")


async def test_a_supervisor_sees_only_their_teams_callbacks_and_recordings(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        root, boss, alice, bob = (world.auth(u) for u in ("root", "boss", "alice", "bob"))
        sue = await supervisor(world, client)  # (north: alice; bob has no team)
        db = world.app[DATABASE]
        first, second, third = await other_campaign(world)
        async with db.read() as conn:
            other_id = (await conn.execute(select(campaigns_t.c.id).where(campaigns_t.c.name == "other"))).scalar_one()
        now = datetime.now(UTC)
        due = now + timedelta(hours=2)
        alices = await create_callback(db, first, due, "alice", "hers", now)
        bobs = await create_callback(db, second, due, "bob", "his", now)
        nobodys = await create_callback(db, third, due, None, "shared", now)
        assert alices is not None
        assert bobs is not None
        assert nobodys is not None

        recordings: dict[str, int] = {}
        for agent, lead in (("alice", first), ("bob", second)):
            attempt = await start_attempt(db, AttemptStart(lead, other_id, "+14155559001", now))
            assert await recording_started(db, attempt, file=f"{agent}.wav", mode="all", agent=agent, at=now)
            recordings[agent] = attempt

        async def callbacks(headers: dict[str, str]) -> set[int]:
            resp = await client.get("/api/callbacks?limit=100", headers=headers)
            assert resp.status == 200, await resp.text()
            return {c["id"] for c in (await resp.json())["items"]}

        async def heard(headers: dict[str, str]) -> set[int]:
            resp = await client.get("/api/recordings?limit=100", headers=headers)
            assert resp.status == 200, await resp.text()
            return {r["attempt_id"] for r in (await resp.json())["items"]}

        # Her team works no campaign yet: her team's agent's callback and recording only.
        assert await callbacks(sue) == {alices.id}
        assert await heard(sue) == {recordings["alice"]}
        assert (await client.get(f"/api/recordings/{recordings['alice']}", headers=sue)).status == 200
        assert (await client.get(f"/api/recordings/{recordings['bob']}", headers=sue)).status == 403
        assert (await client.get(f"/api/recordings/{recordings['bob']}/audio", headers=sue)).status == 403
        assert (await client.get("/api/recordings?agent=bob", headers=sue)).status == 403
        assert await heard_by_agent(client, sue, "alice") == {recordings["alice"]}
        assert (await client.post(f"/api/callbacks/{bobs.id}/cancel", headers=sue)).status == 404
        assert (await client.post(f"/api/callbacks/{nobodys.id}/cancel", headers=sue)).status == 404

        # Her team works the campaign: every callback and recording of it.
        put = await client.put("/api/teams/north/campaigns", json={"campaigns": ["other"]}, headers=root)
        assert put.status == 200
        assert {alices.id, bobs.id, nobodys.id} <= await callbacks(sue)
        assert await heard(sue) == set(recordings.values())
        assert (await client.get(f"/api/recordings/{recordings['bob']}", headers=sue)).status == 200
        assert (await client.post(f"/api/callbacks/{nobodys.id}/cancel", headers=sue)).status == 200

        # Agents: their own; managers: everything.
        assert await callbacks(bob) == {bobs.id}
        assert await heard(bob) == {recordings["bob"]}
        assert (await client.get(f"/api/recordings/{recordings['alice']}", headers=bob)).status == 403
        assert (await client.post(f"/api/callbacks/{alices.id}/cancel", headers=bob)).status == 404
        assert await callbacks(alice) == {alices.id}
        assert {alices.id, bobs.id, nobodys.id} <= await callbacks(boss)
        assert await heard(boss) == set(recordings.values())


async def heard_by_agent(client: Any, headers: dict[str, str], agent: str) -> set[int]:
    resp = await client.get(f"/api/recordings?limit=100&agent={agent}", headers=headers)
    assert resp.status == 200, await resp.text()
    return {r["attempt_id"] for r in (await resp.json())["items"]}
