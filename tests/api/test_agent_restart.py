"""An agent's console across a daemon restart: the daemon stops (drains, releases its agents' sessions), the next one
starts on the same database and PBX, and the agent finds themself logged in as they were and carries on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.stepping import eventually
from harness.web import PASSWORD, web_world

from dialer.app import build_app
from dialer.appkeys import DIALER
from dialer.store.agent_sessions import agent_sessions


async def test_after_a_restart_the_console_finds_the_agent_still_logged_in(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        alice, bob = world.auth("alice"), world.auth("bob")
        first = await aiohttp_client(world.app)
        for agent, auth in (("alice", alice), ("bob", bob)):
            resp = await first.post(f"/api/agents/{agent}/login", json={"queues": ["outbound-agents"]}, headers=auth)
            assert resp.status == 200, await resp.text()
        paused = await (await first.post("/api/agents/alice/pause", json={"reason": "lunch"}, headers=alice)).json()
        assert (await first.post("/api/agents/bob/ready", headers=bob)).status == 200
        db = world.dialer.db

        async def stored() -> Any:
            sessions = {s.agent_id: s for s in await agent_sessions(db)}
            return sessions if sessions.keys() == {"alice", "bob"} and sessions["alice"].paused else None

        await eventually(stored)
        await first.close()  # a clean stop: drained, sessions released
        members = world.pbx.queues["outbound-agents"].members
        assert members["Local/alice@sim-agents"].paused  # still in the queue, as Asterisk keeps dynamic members

        second = await aiohttp_client(build_app(world.settings, clock=world.clock))

        async def alice_back() -> Any:
            resp = await second.get("/api/agents/alice", headers=alice)
            return await resp.json() if resp.status == 200 else None

        restored = await eventually(alice_back)
        assert (restored["status"], restored["pause_reason"], restored["queues"]) == (
            "paused",
            "lunch",
            ["outbound-agents"],
        )
        assert restored["since"] == pytest.approx(paused["since"], abs=1e-5)  # the pause timer carries on
        bob_now = await (await second.get("/api/agents/bob", headers=bob)).json()
        assert bob_now["status"] == "ready"
        # The console's calls work on the new daemon: the live feed, then ready.
        assert (await second.post("/api/login", json={"name": "alice", "password": PASSWORD})).status == 200
        ws = await second.ws_connect("/ws")
        resp = await second.post("/api/agents/alice/ready", headers=alice)
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["status"] == "ready"

        async def ready_note() -> Any:
            msg = await ws.receive_json(timeout=10)
            return msg if msg["kind"] == "agent_state" and msg["data"]["state"] == "ready" else None

        assert await eventually(ready_note)
        await ws.close()
        assert not members["Local/alice@sim-agents"].paused
        dialer = second.server.app[DIALER]
        assert {s.owner for s in await agent_sessions(dialer.db)} == {dialer.owner}
