"""``POST /api/agents/{id}/ready-in``: whole seconds within the console's range, else a problem that names the
range in the reader's language, and nothing changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from harness.web import WebWorld, agent_in_wrapup, demo_campaign_with_wrap_up, problem, web_world

from dialer.agents.ready import MAX_READY_ANNOUNCEMENT_SECONDS, MIN_READY_ANNOUNCEMENT_SECONDS
from dialer.appkeys import DIALER

# The demo campaign with an hour of wrap-up: the agent stays in it (3 min of real time at the world's 20x clock).
LONG_WRAPUP = 3600


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[WebWorld]:
    async with web_world(tmp_path, campaign_file=demo_campaign_with_wrap_up(tmp_path, LONG_WRAPUP)) as w:
        yield w


async def test_ready_in_takes_whole_seconds_in_range_and_refuses_the_rest_unchanged(
    world: WebWorld, client: Any
) -> None:
    alice = world.auth("alice")
    before = await agent_in_wrapup(world, client)
    assert before["ready_announced"] is False
    registry = world.app[DIALER].agents.registry
    for seconds in (0, -5, MAX_READY_ANNOUNCEMENT_SECONDS + 1, 12.5, "12", None, True, 1e9):
        resp = await client.post("/api/agents/alice/ready-in", json={"seconds": seconds}, headers=alice)
        body = await problem(resp, 422)
        assert body["detail"].endswith(
            f"ready in a whole number of seconds from {MIN_READY_ANNOUNCEMENT_SECONDS}"
            f" to {MAX_READY_ANNOUNCEMENT_SECONDS}"
        ), (seconds, body)
        agent = registry.get("alice")
        assert agent is not None
        assert (agent.status.value, agent.announced_ready_at, agent.wrapup_until) == (
            "wrapup",
            None,
            before["wrapup_until"],
        ), seconds
    # In Japanese, the same problem in Japanese.
    resp = await client.post(
        "/api/agents/alice/ready-in", json={"seconds": 0}, headers={**alice, "Accept-Language": "ja"}
    )
    body = await problem(resp, 422)
    assert "ready in" not in body["detail"]
    assert str(MAX_READY_ANNOUNCEMENT_SECONDS) in body["detail"]
    # A whole number (also written 12.0): the wrap-up now ends about 12 s from now, announced.
    resp = await client.post("/api/agents/alice/ready-in", json={"seconds": 12.0}, headers=alice)
    assert resp.status == 200, await resp.text()
    state = await resp.json()
    assert state["ready_announced"] is True
    assert 10.0 <= state["wrapup_seconds_left"] <= 12.0
    agent = registry.get("alice")
    assert agent is not None
    assert agent.announced_ready_at == state["wrapup_until"]
