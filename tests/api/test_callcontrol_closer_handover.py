"""The closer who takes a call blind-transferred to their queue gets it when app_queue connects them (the
AgentConnect of the transferred customer's channel in the closer's queue), as for any queued call: the screen pop
and the call control are theirs without their console asking (the daemon, the simulated PBX)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from harness.stepping import eventually
from harness.web import MANUAL_DIAL_TOML, agent_ready, start_campaign, web_world

from dialer.runner.bus import Notification
from dialer.web.facade import daemon_of

CLOSER_TOML = MANUAL_DIAL_TOML + 'transfer_queues = ["inbound-sales"]\n'


async def test_the_closer_gets_the_transferred_call_on_agent_connect(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, inbound_callers=False) as world:
        client = await aiohttp_client(world.app)
        alice = world.auth("alice")
        await start_campaign(world, client, "manual", CLOSER_TOML)
        await agent_ready(world, client, "bob", "inbound-sales")
        await agent_ready(world, client, "alice", "manual-agents")
        resp = await client.post("/api/agents/alice/dial", json={"number": "+1 212 555 0191"}, headers=alice)
        assert resp.status == 200, await resp.text()
        attempt_id = (await resp.json())["attempt_id"]

        async def talking() -> bool:
            body = await (await client.get("/api/agents/alice/call/control", headers=alice)).json()
            return bool(body["control"]) and body["control"]["state"] == "talking"

        await eventually(talking, 60.0)
        daemon = daemon_of(world.app)
        with daemon.subscribe("agent:bob") as notes:
            sent = await client.post(
                "/api/agents/alice/call/transfer", json={"kind": "queue", "target": "inbound-sales"}, headers=alice
            )
            assert sent.status == 200, await sent.text()

            # bob's console never asks (no GET of his call control): the hand-over comes from the PBX's events.
            async def screen_pop() -> Notification:
                while True:
                    note = await notes.get()
                    # (The inbound watcher's pop of a caller waiting in inbound-sales comes first.)
                    if note.kind == "screen_pop" and "attempt_id" in note.data:
                        return note

            async with asyncio.timeout(30.0):
                pop = await screen_pop()
        assert pop.data["attempt_id"] == attempt_id
        assert pop.data["transferred"] is True
        control = daemon.call_control.state_of("bob")
        assert control is not None
        assert (control["attempt_id"], control["state"]) == (attempt_id, "talking")
