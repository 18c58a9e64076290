"""Two daemons on one database and one PBX: daemon B runs the demo campaign and serves alice's console (team north),
daemon A serves bob's; sue, north's supervisor, and the manager use daemon A's API.

``GET /api/agents`` and ``GET /api/agents/{id}`` on A show the whole floor as the dashboard does: B's agent as B
itself answers for them, naming the daemon serving them, sue's scope applied; an agent of a daemon that stopped
reporting is not listed, and reading them is a 404 that says so. A hand lowered on A reaches alice's console on B."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.floor import second_daemon, silent_daemon
from harness.stepping import eventually
from harness.web import PASSWORD, problem, supervisor, web_world

from dialer.appkeys import DATABASE, DIALER
from dialer.store.hands import raise_hand
from dialer.web.live import HUB

MOVING = ("seconds_in_state",)  # counted from ``since`` by whoever answers, at their moment


async def agents_of(client: Any, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    resp = await client.get("/api/agents", headers=headers)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["total"] == len(body["items"])
    return {a["agent_id"]: a for a in body["items"]}


async def agent_of(client: Any, agent_id: str, headers: dict[str, str]) -> dict[str, Any]:
    resp = await client.get(f"/api/agents/{agent_id}", headers=headers)
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


def still(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in MOVING}


async def test_the_agents_api_on_daemon_a_shows_the_whole_floor(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, speed=5.0, inbound_callers=False) as world:
        b = await second_daemon(world, tmp_path, aiohttp_client)  # first up: B runs the demo campaign
        a = await aiohttp_client(world.app)
        a_node = world.app[DIALER].owner
        boss = world.auth("boss")
        sue = await supervisor(world, a)  # team north: alice; bob has none
        alice = world.auth("alice")

        resp = await b.post("/api/agents/alice/login", json={"queues": ["outbound-agents"]}, headers=alice)
        assert resp.status == 200, await resp.text()
        resp = await b.post("/api/agents/alice/pause", json={"reason": "lunch"}, headers=alice)
        assert resp.status == 200, await resp.text()
        on_b = await resp.json()
        assert on_b["daemon"] == "daemon-b"
        resp = await a.post("/api/agents/bob/login", json={"queues": ["inbound-sales"]}, headers=world.auth("bob"))
        assert resp.status == 200, await resp.text()
        bob_here = await resp.json()
        assert bob_here["daemon"] == a_node

        async def alice_listed() -> dict[str, dict[str, Any]] | None:
            listed = await agents_of(a, boss)
            return listed if listed.get("alice", {}).get("pause_reason") == "lunch" else None

        listed = await eventually(alice_listed, 20)
        # B's agent on A reads as B itself answers for her, naming B; A's own agent as before, naming A.
        assert still(listed["alice"]) == still(await agent_of(b, "alice", alice)) == still(on_b)
        assert still(await agent_of(a, "alice", boss)) == still(on_b)
        assert (listed["bob"]["daemon"], listed["bob"]["status"]) == (a_node, "paused")
        assert still(listed["bob"]) == still(await agent_of(a, "bob", boss)) == still(bob_here)
        # The same rows as A's dashboard shows.
        dashboard = await (await a.get("/api/dashboard", headers=boss)).json()
        assert {r["agent_id"]: r["daemon"] for r in dashboard["agents"]} == {k: r["daemon"] for k, r in listed.items()}

        # Sue's scope: her team's agent, served by B; not bob, wherever he is.
        assert sorted(await agents_of(a, sue)) == ["alice"]
        assert (await agent_of(a, "alice", sue))["daemon"] == "daemon-b"
        await problem(await a.get("/api/agents/bob", headers=sue), 403)

        # A hand lowered on A reaches alice's console, which B serves.
        assert (await b.post("/api/login", json={"name": "alice", "password": PASSWORD})).status == 200
        console = await b.ws_connect("/ws")
        now = datetime.fromtimestamp(world.clock.now(), UTC)
        await raise_hand(world.app[DATABASE], "alice", "a tough one", actor="alice", now=now)

        def b_saw_it() -> bool:  # B's relay looked once since: the lowering is what it looks for next
            return "alice" in (b.server.app[HUB].hands_seen or {})

        await eventually(b_saw_it, 20)
        lowered = await a.delete("/api/agents/alice/hand", headers=sue)
        assert lowered.status == 200, await lowered.text()

        async def hand_on_console() -> dict[str, Any] | None:
            note = await console.receive_json(timeout=10)
            return note["data"] if note["kind"] == "hand" else None

        assert await eventually(hand_on_console, 20) == {"raised": False, "by": "sue", "hand": None}
        await console.close()

        # A daemon that stopped reporting (killed): its agent is not on the floor; reading them says why.
        await silent_daemon(world)
        assert "carol" not in await agents_of(a, boss)
        gone = await problem(await a.get("/api/agents/carol", headers=boss), 404)
        assert gone["type"].endswith("agent-daemon-not-reporting")
        assert "daemon-c" in gone["detail"]
        await problem(await a.get("/api/agents/carol", headers=sue), 403)  # not hers: scope first

        # B stops cleanly: its agent leaves A's floor at once.
        await b.close()
        assert sorted(await agents_of(a, boss)) == ["bob"]
        await problem(await a.get("/api/agents/alice", headers=boss), 404)
