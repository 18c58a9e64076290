"""Pause codes over the API: the console's list, a pause for a reason not on it refused with the list, a
supervisor's forced pause, and the dashboard flagging a pause longer than its code allows."""

from __future__ import annotations

from typing import Any

from harness.stepping import eventually
from harness.web import WebWorld, problem

from dialer.agents.pausecodes import PauseCode
from dialer.appkeys import SETTINGS
from dialer.web.floor import dashboard_document


async def signed_in(world: WebWorld, client: Any, agent: str = "alice") -> dict[str, str]:
    auth = world.auth(agent)
    resp = await client.post(f"/api/agents/{agent}/login", json={"queues": ["outbound-agents"]}, headers=auth)
    assert resp.status == 200, await resp.text()
    return auth


async def test_agents_pause_for_the_codes_the_settings_list(world: WebWorld, client: Any) -> None:
    alice = await signed_in(world, client)
    listed = await (await client.get("/api/pause-codes", headers=alice)).json()
    assert [(p["code"], p["max_minutes"]) for p in listed["pause_codes"]][:2] == [("break", 15), ("lunch", 60)]
    body = await problem(await client.post("/api/agents/alice/pause", json={"reason": "coffee"}, headers=alice), 422)
    assert "coffee" in body["detail"]
    assert "break" in body["detail"]
    # The dialer's own reason is no agent's to give (a supervisor's forced pause is).
    await problem(await client.post("/api/agents/alice/pause", json={"reason": "supervisor"}, headers=alice), 422)
    resp = await client.post("/api/agents/alice/pause", json={"reason": "lunch"}, headers=alice)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["pause_reason"] == "lunch"
    boss = world.auth("boss")
    resp = await client.post("/api/agents/alice/pause", json={"reason": "supervisor"}, headers=boss)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["pause_reason"] == "supervisor"


async def test_the_dashboard_flags_a_pause_longer_than_its_code_allows(world: WebWorld, client: Any) -> None:
    world.app[SETTINGS].pause_codes = [PauseCode(code="smoke", label="Smoke break", max_minutes=1)]
    alice = await signed_in(world, client)
    resp = await client.post("/api/agents/alice/pause", json={"reason": "smoke"}, headers=alice)
    assert resp.status == 200, await resp.text()

    async def overdue() -> float | None:
        doc = await dashboard_document(world.app, with_leads=False)
        (row,) = [a for a in doc["agents"] if a["agent_id"] == "alice"]
        assert row["wrapup_overdue_seconds"] is None
        seconds: float | None = row["pause_overdue_seconds"]
        return seconds

    assert await overdue() is None  # within its minute
    assert await eventually(overdue, 30.0) > 0  # (3 s of real time at the world's 20x clock)
