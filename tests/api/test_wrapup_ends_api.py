"""A campaign whose wrap-up only the disposition ends (``wrap_up_ends = "disposition"``): the agent's state says so,
"ready" is refused with a problem until the call is dispositioned, and the disposition makes the agent ready."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from harness.stepping import eventually
from harness.web import WebWorld, agent_in_wrapup, demo_campaign_with_wrap_up, problem, web_world

# A 2 s wrap-up: overdue at once at the world's 20x clock, and still not over.
WRAP_UP = 2


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[WebWorld]:
    campaign = demo_campaign_with_wrap_up(tmp_path, WRAP_UP, ends="disposition")
    async with web_world(tmp_path, campaign_file=campaign) as w:
        yield w


async def test_the_wrapup_waits_for_the_disposition(world: WebWorld, client: Any) -> None:
    alice = world.auth("alice")
    state = await agent_in_wrapup(world, client)
    assert state["wrapup_needs_disposition"] is True
    overdue_at = state["wrapup_until"]

    async def long_past() -> dict[str, Any] | None:
        now: dict[str, Any] = await (await client.get("/api/agents/alice", headers=alice)).json()
        return now if now["seconds_in_state"] >= 5 * WRAP_UP else None

    state = await eventually(long_past, 30.0)  # (the daemon's wrap-up timers run every second meanwhile)
    assert (state["status"], state["wrapup_until"]) == ("wrapup", overdue_at)
    body = await problem(await client.post("/api/agents/alice/ready", headers=alice), 409)
    assert "disposition" in body["detail"]
    body = await problem(await client.post("/api/agents/alice/ready", headers={**alice, "Accept-Language": "ja"}), 409)
    assert "disposition the call first" not in body["detail"]  # in the reader's language
    resp = await client.post("/api/agents/alice/disposition", json={"code": "no_decision"}, headers=alice)
    assert resp.status == 200, await resp.text()
    state = await (await client.get("/api/agents/alice", headers=alice)).json()
    assert (state["status"], state["wrapup_needs_disposition"]) == ("ready", False)
