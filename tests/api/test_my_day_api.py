"""My day over HTTP: an agent reads their own day (``/api/me/today``, ``/api/agents/{self}/today``) and no other
agent's (403); a supervisor their teams' agents'; a manager anyone's. The day is the agent's zone's, else the one
asked (the browser's); a bad zone is a problem document. The team's average names nobody."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from harness.web import WebWorld, problem, team_with_supervisor

from dialer.store.agent_history import AgentEventRecord, record_agent_events


async def _alice_worked(world: WebWorld) -> None:
    now = datetime.fromtimestamp(world.clock.now(), UTC)
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    since = max(now - timedelta(minutes=10), day_start)  # within today (UTC)

    def at(seconds: float, status: str, reason: str | None = None) -> AgentEventRecord:
        return AgentEventRecord("alice", since + timedelta(seconds=seconds), status, None, reason)

    await record_agent_events(world.dialer.db, [at(0, "ready", "login"), at(1, "paused", "break")])


async def test_an_agent_reads_their_own_day_only(world: WebWorld, client: Any) -> None:
    sue = await team_with_supervisor(world, client)  # north = alice; bob in no team
    await _alice_worked(world)
    alice = world.auth("alice")
    body = await (await client.get("/api/me/today?zone=UTC", headers=alice)).json()
    assert (body["agent"], body["zone"], body["team"]) == ("alice", "UTC", "north")
    mine = body["mine"]
    assert mine["logged_in_seconds"] > 0
    assert mine["pause_seconds"] > 0
    assert mine["calls"] == 0
    assert body["team_average"]["agents"] == 1  # alice is the one who worked in north today
    same = await (await client.get("/api/agents/alice/today?zone=UTC", headers=alice)).json()
    assert same["mine"]["ready_seconds"] == mine["ready_seconds"] == 1.0
    denied = await problem(await client.get("/api/agents/bob/today", headers=alice), 403)
    assert "alice" in denied["detail"]
    # A supervisor: their team's agent, not another; a manager: anyone.
    assert (await client.get("/api/agents/alice/today", headers=sue)).status == 200
    await problem(await client.get("/api/agents/bob/today", headers=sue), 403)
    bob = await (await client.get("/api/agents/bob/today", headers=world.auth("boss"))).json()
    assert (bob["agent"], bob["team"], bob["team_average"]) == ("bob", None, None)


async def test_the_days_zone_is_the_agents_else_the_browsers(world: WebWorld, client: Any) -> None:
    alice = world.auth("alice")
    tokyo = await (await client.get("/api/me/today?zone=Asia/Tokyo", headers=alice)).json()
    assert tokyo["zone"] == "Asia/Tokyo"
    assert tokyo["from"].endswith("T15:00:00+00:00")  # midnight in Tokyo
    assert (await client.put("/api/me/preferences", json={"timezone": "Europe/Paris"}, headers=alice)).status == 200
    paris = await (await client.get("/api/me/today?zone=Asia/Tokyo", headers=alice)).json()
    assert paris["zone"] == "Europe/Paris"
    bad = await problem(await client.get("/api/me/today?zone=Mars/Olympus", headers=alice), 422)
    assert "Mars/Olympus" in bad["detail"]
