"""List management, teams and user administration over HTTP: role checks, supervisor scope, recycle dry run,
disabling a user ends their sessions at once, and the audit log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from harness.web import PASSWORD, WebWorld, supervisor, team_with_supervisor
from sqlalchemy import update

from dialer.agents.ready import WRAPUP_ENDED_ANNOUNCED
from dialer.appkeys import DATABASE
from dialer.store.agent_history import AgentEventRecord, record_agent_events
from dialer.store.tables import leads_t


async def test_role_checks_on_the_new_routes(world: WebWorld, client: Any) -> None:
    alice, boss = world.auth("alice"), world.auth("boss")
    sue = await supervisor(world, client)
    for method, path, body in [
        ("GET", "/api/campaigns/demo/lists", None),
        ("PATCH", "/api/lead-lists/1", {"enabled": False}),
        ("POST", "/api/campaigns/demo/recycle", {"rules": [{"outcome": "busy", "older_than_minutes": 60}]}),
    ]:
        assert (await client.request(method, path, json=body, headers=alice)).status == 403
        assert (await client.request(method, path, json=body, headers=sue)).status == 403
    for method, path, body in [
        ("PATCH", "/api/users/bob", {"disabled": True}),
        ("GET", "/api/audit", None),
        ("POST", "/api/teams", {"name": "south"}),
        ("PUT", "/api/teams/north/supervisors", {"supervisors": []}),
    ]:
        for who in (alice, boss, sue):
            assert (await client.request(method, path, json=body, headers=who)).status == 403, (method, path)
    # The audit log has no route that changes it.
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        assert (await client.request(method, "/api/audit", headers=world.auth("root"))).status == 405
    # Nobody disables themselves out of the last admin seat.
    self_lock = await client.patch("/api/users/root", json={"disabled": True}, headers=world.auth("root"))
    assert self_lock.status == 409


async def test_a_supervisor_sees_and_acts_on_their_team_only(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    sue = await team_with_supervisor(world, client)
    dash = await (await client.get("/api/dashboard", headers=sue)).json()
    assert [a["agent_id"] for a in dash["agents"]] == ["alice"]
    everyone = await (await client.get("/api/dashboard", headers=boss)).json()
    assert {a["agent_id"] for a in everyone["agents"]} >= {"alice", "bob"}
    agents = await (await client.get("/api/agents", headers=sue)).json()
    assert [a["agent_id"] for a in agents["items"]] == ["alice"]
    assert (await client.get("/api/agents/bob", headers=sue)).status == 403
    assert (await client.get("/api/agents/alice", headers=sue)).status == 200
    assert (await client.post("/api/agents/bob/logout", headers=sue)).status == 403
    # Reports: their team's, one of their agents; never another team's or the whole campaign's.
    report = await client.get("/api/reports/team/north", headers=sue)
    assert report.status == 200
    assert [a["agent"] for a in (await report.json())["agents"]] == ["alice"]
    assert (await client.get("/api/reports/performance/demo?agent=alice", headers=sue)).status == 200
    assert (await client.get("/api/reports/performance/demo?agent=bob", headers=sue)).status == 403
    assert (await client.get("/api/reports/performance/demo", headers=sue)).status == 403
    assert (await client.get("/api/reports/compliance/demo", headers=sue)).status == 403
    teams = await (await client.get("/api/teams", headers=sue)).json()
    assert [t["name"] for t in teams["items"]] == ["north"]


async def test_a_teams_report_gives_each_agents_occupancy_and_wrapups_announced(world: WebWorld, client: Any) -> None:
    sue = await supervisor(world, client)
    now = datetime.fromtimestamp(world.dialer.clock.now(), UTC)
    start = now - timedelta(hours=1)
    # alice's last hour: ready 10 min, talking 20, two wrap-ups of 5 min (the first announced), paused 20.
    changes = [
        (0, "ready", None),
        (10, "talking", "agent_connect"),
        (20, "wrapup", "call_ended_by_caller"),
        (25, "ready", WRAPUP_ENDED_ANNOUNCED),
        (25, "talking", "agent_connect"),
        (35, "wrapup", "call_ended_by_agent"),
        (40, "paused", "lunch"),
    ]
    # bob, of no team of sue's, talks the whole hour: none of it is the team's
    bob = [("bob", -5, "talking", "agent_connect"), ("bob", 50, "wrapup", "call_ended_by_caller")]
    await record_agent_events(
        world.app[DATABASE],
        [
            AgentEventRecord(who, start + timedelta(minutes=m), s, None, why, None)
            for who, m, s, why in [*(("alice", *c) for c in changes), *bob]
        ],
    )
    # By today's members: alice's whole hour.
    report = await (await client.get("/api/reports/team/north?hours=1&members=now", headers=sue)).json()
    (alice,) = report["agents"]
    assert alice["occupancy"] == pytest.approx(30 / 60)  # 20 talking + 10 wrap-up of 60 logged in
    assert alice["ready_announced_share"] == 0.5  # one of her two wrap-ups
    assert (report["totals"]["occupancy"], report["totals"]["ready_announced_share"]) == (
        alice["occupancy"],
        alice["ready_announced_share"],
    )
    # By who was a member then (the default): alice joined north just now, so none of her hour's calls and work
    # was the team's (since joining she has been paused: occupancy 0, or none if no time has passed).
    then = await (await client.get("/api/reports/team/north?hours=1", headers=sue)).json()
    (alice,) = then["agents"]
    assert alice["calls"] == 0
    assert alice["occupancy"] in (0.0, None)
    assert then["totals"]["occupancy"] == alice["occupancy"]


async def test_recycle_counts_first_then_applies_what_it_counted(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    lists = await (await client.get("/api/campaigns/demo/lists", headers=boss)).json()
    list_id = lists["items"][0]["id"]
    now = world.dialer.clock.now()
    at = datetime.fromtimestamp(now, UTC)
    async with world.app[DATABASE].write() as conn:
        await conn.execute(
            update(leads_t)
            .where(leads_t.c.id <= 30)
            .values(
                status="retry",
                attempts=1,
                dials=1,
                last_outcome="no_answer",
                last_attempt_at=at - timedelta(days=4),
                next_dialable_at=at + timedelta(days=3),
            )
        )
    body = {"rules": [{"outcome": "no_answer", "older_than_minutes": 3 * 24 * 60}], "lists": [list_id]}
    dry = await (await client.post("/api/campaigns/demo/recycle", json=body, headers=boss)).json()
    assert dry == {"dry_run": True, "recycled": 30, "by_rule": {"no_answer>259200s": 30}, "by_list": {str(list_id): 30}}
    applied = await client.post("/api/campaigns/demo/recycle", json={**body, "dry_run": False}, headers=boss)
    assert (await applied.json())["recycled"] == 30
    again = await (await client.post("/api/campaigns/demo/recycle", json=body, headers=boss)).json()
    assert again["recycled"] == 0
    bad = await client.post(
        "/api/campaigns/demo/recycle", json={"rules": [{"outcome": "nope", "older_than_minutes": 1}]}, headers=boss
    )
    assert bad.status == 422
    patched = await client.patch(f"/api/lead-lists/{list_id}", json={"enabled": False, "priority": 3}, headers=boss)
    assert (await patched.json())["enabled"] is False
    audit = await (await client.get("/api/audit", headers=world.auth("root"))).json()
    assert [e["action"] for e in audit["items"][:2]] == ["list.update", "lists.recycle"]
    assert audit["items"][1]["actor"] == "boss"


async def test_disabling_a_user_ends_their_sessions_and_consoles_at_once(world: WebWorld, client: Any) -> None:
    base = str(client.make_url("")).rstrip("/")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as bob:
        login = await bob.post(f"{base}/api/login", json={"name": "bob", "password": PASSWORD})
        assert login.status == 200
        assert (await bob.get(f"{base}/api/me")).status == 200
        ws = await bob.ws_connect(f"{base}/ws")
        disabled = await client.patch("/api/users/bob", json={"disabled": True}, headers=world.auth("root"))
        assert disabled.status == 200
        # The console's socket is closed by the server now, not at the next session check.
        while True:
            async with asyncio.timeout(5.0):
                msg = await ws.receive()
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                break
        assert (await bob.get(f"{base}/api/me")).status == 401
        assert (await client.get("/api/me", headers=world.auth("bob"))).status == 401
        relogin = await bob.post(f"{base}/api/login", json={"name": "bob", "password": PASSWORD})
        assert relogin.status == 401
    audit = await (await client.get("/api/audit?target=user:bob", headers=world.auth("root"))).json()
    assert audit["items"][0]["actor"] == "root"
    assert audit["items"][0]["detail"]["disabled"] is True
    assert audit["items"][0]["detail"]["sessions_ended"] == 1


async def test_lead_search_finds_by_external_id_and_shows_history(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    async with world.app[DATABASE].write() as conn:
        await conn.execute(update(leads_t).where(leads_t.c.id == 7).values(fields={"external_id": "CRM-0007"}))
    found = await (await client.get("/api/leads?q=CRM-0007", headers=boss)).json()
    assert [lead["id"] for lead in found["items"]] == [7]
    view = await (await client.get("/api/leads/7", headers=boss)).json()
    assert "history" in view


async def test_a_list_expires_and_its_expiry_can_be_cleared(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    list_id = (await (await client.get("/api/campaigns/demo/lists", headers=boss)).json())["items"][0]["id"]
    past = (datetime.fromtimestamp(world.dialer.clock.now(), UTC) - timedelta(hours=1)).isoformat()
    expired = await client.patch(f"/api/lead-lists/{list_id}", json={"valid_until": past, "share": 2}, headers=boss)
    body = await expired.json()
    assert (body["expired"], body["share"]) == (True, 2.0)
    cleared = await client.patch(
        f"/api/lead-lists/{list_id}", json={"clear_valid_until": True, "share": 0}, headers=boss
    )
    body = await cleared.json()
    assert (body["expired"], body["valid_until"], body["share"]) == (False, None, None)
    both = await client.patch(
        f"/api/lead-lists/{list_id}", json={"clear_valid_until": True, "valid_until": past}, headers=boss
    )
    assert both.status == 422
    naive = await client.patch(f"/api/lead-lists/{list_id}", json={"valid_until": "2026-01-01T00:00:00"}, headers=boss)
    assert naive.status == 422
    assert (await client.patch("/api/lead-lists/999", json={"enabled": True}, headers=boss)).status == 404


async def schedule_endpoint(world: WebWorld, aiohttp_client: Any) -> tuple[Any, dict[str, str], str]:
    """A client of the world, the manager's headers and the recycle-schedule URL of the demo campaign's first list."""
    client = await aiohttp_client(world.app)
    boss = world.auth("boss")
    list_id = (await (await client.get("/api/campaigns/demo/lists", headers=boss)).json())["items"][0]["id"]
    return client, boss, f"/api/lead-lists/{list_id}/recycle-schedule"


async def put_schedule(client: Any, url: str, boss: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """PUT a recycle schedule, accepted: the schedule as the answer shows it."""
    put = await client.put(url, json=body, headers=boss)
    assert put.status == 200, await put.text()
    schedule: dict[str, Any] = (await put.json())["schedule"]
    return schedule


async def test_a_list_is_recycled_at_times_of_day_and_bad_schedules_are_clear_422s(
    world: WebWorld, aiohttp_client: Any
) -> None:
    client, boss, url = await schedule_endpoint(world, aiohttp_client)
    rules = [{"outcome": "no_answer", "older_than_minutes": 180}]
    schedule = await put_schedule(client, url, boss, {"rules": rules, "at": "30 8 * * mon-fri", "zone": "Europe/Paris"})
    assert (schedule["at"], schedule["zone"], schedule["every_minutes"]) == ("30 8 * * mon-fri", "Europe/Paris", None)
    next_run = datetime.fromisoformat(schedule["next_run_at"]).astimezone(ZoneInfo("Europe/Paris"))
    assert (next_run.hour, next_run.minute, next_run.weekday() < 5) == (8, 30, True)
    for body, message in [
        ({"rules": rules, "at": "30 8 * *", "zone": "UTC"}, "is not a crontab line"),
        ({"rules": rules, "at": "* * * * *"}, "more often than every 5 minutes"),
        ({"rules": rules, "at": "0 9 * * *", "zone": "Atlantis/Capital"}, "unknown time zone"),
        ({"rules": rules, "at": "0 9 * * *", "every_minutes": 60}, "either every"),
        ({"rules": rules}, "either every"),
    ]:
        refused = await client.put(url, json=body, headers=boss)
        assert refused.status == 422, body
        assert message in (await refused.json())["detail"]
    kept = (await (await client.get(url, headers=boss)).json())["schedule"]
    assert kept["at"] == "30 8 * * mon-fri"  # (a refused change changes nothing)


async def test_a_schedule_at_times_of_day_is_read_in_the_campaigns_zone_unless_one_is_given(
    world: WebWorld, aiohttp_client: Any
) -> None:
    client, boss, url = await schedule_endpoint(world, aiohttp_client)
    rules = [{"outcome": "busy", "older_than_minutes": 60}]
    schedule = await put_schedule(client, url, boss, {"rules": rules, "at": "0 9 * * mon-fri"})
    assert schedule["zone"] == "America/New_York"  # (the demo campaign's timezone)
    next_run = datetime.fromisoformat(schedule["next_run_at"]).astimezone(ZoneInfo("America/New_York"))
    assert (next_run.hour, next_run.minute, next_run.weekday() < 5) == (9, 0, True)
    given = await client.put(url, json={"rules": rules, "at": "0 9 * * mon-fri", "zone": "UTC"}, headers=boss)
    assert (await given.json())["schedule"]["zone"] == "UTC"
    missing = await client.put("/api/lead-lists/999999/recycle-schedule", json={"rules": rules, "at": "0 9 * * *"},
                               headers=boss)  # fmt: skip
    assert missing.status == 404
