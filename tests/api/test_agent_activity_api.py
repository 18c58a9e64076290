"""The agent activity report over HTTP: managers read every agent, a supervisor their teams' agents only, an agent
nothing; a bad range is a problem document; every format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from harness.web import WebWorld, problem, team_with_supervisor

from dialer.store.agent_history import AgentEventRecord, record_agent_events

DAY = datetime(2026, 11, 20, tzinfo=UTC)  # before the harness clock's start: nothing else is recorded then


async def _history(world: WebWorld) -> None:
    def at(agent: str, minutes: int, status: str, reason: str | None = None) -> AgentEventRecord:
        return AgentEventRecord(agent, DAY + timedelta(hours=9, minutes=minutes), status, None, reason)

    await record_agent_events(
        world.dialer.db,
        [
            at("alice", 0, "ready", "login"),
            at("alice", 30, "paused", "break"),
            at("alice", 50, "ready"),  # a 20 min break: over its 15 min
            at("alice", 60, "logged_out"),
            at("bob", 0, "ready", "login"),
            at("bob", 10, "talking"),
            at("bob", 20, "wrapup"),
            at("bob", 30, "logged_out"),
        ],
    )


async def test_managers_read_every_agent_supervisors_their_teams_agents_agents_nothing(
    world: WebWorld, client: Any
) -> None:
    boss = world.auth("boss")
    sue = await team_with_supervisor(world, client)  # north = alice; bob in no team
    await _history(world)
    asked = "/api/reports/agents?from=2026-11-20&to=2026-11-20"
    body = await (await client.get(asked, headers=boss)).json()
    assert body["report"] == "agents"
    agents = {a["agent"]: a for a in body["agents"]}
    assert set(agents) == {"alice", "bob"}
    assert agents["alice"]["logged_in_seconds"] == 3600.0
    (brk,) = agents["alice"]["pauses"]
    assert (brk["reason"], brk["count"], brk["seconds"], brk["over_limit"]) == ("break", 1, 1200.0, 1)
    assert agents["bob"]["occupancy"] == 2 / 3
    assert body["total"]["agents"] == 2
    # The supervisor: their team's agent only, one of them or all of theirs; another agent is refused.
    theirs = await (await client.get(asked, headers=sue)).json()
    assert [a["agent"] for a in theirs["agents"]] == ["alice"]
    assert theirs["total"]["logged_in_seconds"] == 3600.0
    one = await (await client.get(asked + "&agent=alice", headers=sue)).json()
    assert [a["agent"] for a in one["agents"]] == ["alice"]
    body = await problem(await client.get(asked + "&agent=bob", headers=sue), 403)
    assert "bob" in body["detail"]
    await problem(await client.get(asked, headers=world.auth("alice")), 403)
    # Every format.
    page = await client.get(asked + "&format=html", headers=boss)
    assert page.content_type == "text/html"
    assert "Agent activity" in await page.text()
    csv_resp = await client.get(asked + "&format=csv", headers=boss)
    assert csv_resp.content_type == "text/csv"
    assert "alice/break,over_limit,1" in await csv_resp.text()
    listing = await (await client.get("/api/reports", headers=boss)).json()
    assert "agents" in [r["name"] for r in listing["reports"]]


async def test_a_bad_range_is_a_problem_document(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    body = await problem(await client.get("/api/reports/agents?from=2026-11-24&to=2026-11-22", headers=boss), 422)
    assert "before it starts" in body["detail"]
    await problem(await client.get("/api/reports/agents?from=soon", headers=boss), 422)
    await problem(await client.get("/api/reports/agents?format=pdf", headers=boss), 422)
