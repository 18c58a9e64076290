"""An agent's Asterisk server through the web API: the agent register and login calls accept an explicit server,
refuse an unknown one with a problem, and the server is kept in the agent's stored session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.stepping import eventually
from harness.web import web_world

from dialer.store.agent_sessions import agent_sessions


async def test_login_with_a_server_places_the_agent_there_and_stores_it(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        alice = world.auth("alice")
        resp = await client.post(
            "/api/agents/alice/login", json={"queues": ["outbound-agents"], "server": "north"}, headers=alice
        )
        assert resp.status == 409, await resp.text()
        problem = await resp.json()
        assert "north" in problem["detail"], problem
        assert problem["type"].endswith("agent-unknown-server"), problem
        assert world.dialer.agents.registry.get("alice") is None  # nothing registered

        resp = await client.post(
            "/api/agents/alice/login", json={"queues": ["outbound-agents"], "server": "sim"}, headers=alice
        )
        assert resp.status == 200, await resp.text()
        agent = world.dialer.agents.registry.get("alice")
        assert agent is not None
        assert agent.server == "sim"

        async def stored() -> Any:
            sessions = {s.agent_id: s for s in await agent_sessions(world.dialer.db)}
            return sessions.get("alice")

        session = await eventually(stored)
        assert session.server == "sim"


async def test_register_accepts_a_server_and_refuses_an_unknown_one(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        boss = world.auth("boss")
        body = {"agent_id": "carol", "interface": "PJSIP/3001", "server": "north"}
        resp = await client.post("/api/agents", json=body, headers=boss)
        assert resp.status == 409, await resp.text()
        assert world.dialer.agents.registry.get("carol") is None
        resp = await client.post("/api/agents", json={**body, "server": "sim"}, headers=boss)
        assert resp.status == 201, await resp.text()
        carol = world.dialer.agents.registry.get("carol")
        assert carol is not None
        assert carol.server == "sim"
        spec = await (await client.get("/api/openapi.json")).json()
        schemas = spec["components"]["schemas"]
        assert "server" in schemas["AgentCreate"]["properties"]
        assert "server" in schemas["AgentLogin"]["properties"]
