"""Messages to agents and raised hands through the API (dialer.web.api.messages): who may send to whom (a
supervisor their teams and their agents, managers anyone, agents nobody), bad text refused, the scoped listings and
the read receipts; a message reaching the agent's open console over the WebSocket; a hand raised on a call, seen on
the supervisors' dashboard, lowered by a supervisor and by the end of the wrap-up, audited; a hand kept in the
database shown on the dashboard feed of a daemon its agent is not on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.clock import clock_dt
from harness.stepping import eventually
from harness.web import (
    PASSWORD,
    agent_in_wrapup,
    demo_campaign_with_wrap_up,
    problem,
    supervisor,
    team_with_supervisor,
    web_world,
)

from dialer.agents.messages import MAX_MESSAGE_CHARS
from dialer.appkeys import DATABASE
from dialer.store.audit import audit_entries
from dialer.store.hands import get_hand, raise_hand


async def test_who_may_message_whom_and_the_read_receipts(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        root, boss, alice, bob = world.auth("root"), world.auth("boss"), world.auth("alice"), world.auth("bob")
        sue = await supervisor(world, client)  # north: alice; bob has no team
        assert (await client.post("/api/teams", json={"name": "west"}, headers=root)).status == 201

        def send(headers: dict[str, str], **body: Any) -> Any:
            return client.post("/api/messages", json=body, headers=headers)

        # Agents send nothing; a supervisor only to their teams and their teams' agents; managers to anyone.
        await problem(await send(alice, agent="bob", text="hi"), 403)
        await problem(await send(sue, agent="bob", text="hi"), 403)
        await problem(await send(sue, team="west", text="hi"), 403)
        await problem(await send(sue, everyone=True, text="hi"), 403)
        await problem(await send(sue, team="nowhere", text="hi"), 404)
        await problem(await send(boss, agent="nobody", text="hi"), 404)
        await problem(await send(boss, team="west", text="hi"), 409)  # nobody in it
        # Bad input: no text once control characters are out, too long, no audience or two.
        for bad in ({"agent": "alice", "text": " \n\x07 "}, {"agent": "alice", "text": "x" * (MAX_MESSAGE_CHARS + 1)}):
            await problem(await send(sue, **bad), 422)
        await problem(await send(sue, text="hi"), 422)
        await problem(await send(sue, agent="alice", team="north", text="hi"), 422)

        resp = await send(sue, agent="alice", text="slow down\non the script\x1b")
        assert resp.status == 201, await resp.text()
        direct = await resp.json()
        assert (direct["text"], direct["to"], direct["recipients"]) == (
            "slow down on the script",
            {"audience": "agent", "name": "alice"},
            [{"agent": "alice", "read_at": None}],
        )
        huddle = await (await send(sue, team="north", text="team huddle at 3")).json()
        assert [r["agent"] for r in huddle["recipients"]] == ["alice"]
        everyone = await (await send(boss, everyone=True, text="lunch is on us")).json()
        assert [r["agent"] for r in everyone["recipients"]] == ["alice", "bob"]

        async def listed(headers: dict[str, str], query: str = "") -> list[tuple[int, list[str], int]]:
            page = await (await client.get(f"/api/messages{query}", headers=headers)).json()
            return [(m["id"], [r["agent"] for r in m["recipients"]], m["read"]) for m in page["items"]]

        assert await listed(alice) == [
            (everyone["id"], ["alice"], 0),
            (huddle["id"], ["alice"], 0),
            (direct["id"], ["alice"], 0),
        ]
        assert await listed(bob) == [(everyone["id"], ["bob"], 0)]
        # Sue: what she sent, and what her team's agents received (only their receipts).
        assert await listed(sue) == [
            (everyone["id"], ["alice"], 0),
            (huddle["id"], ["alice"], 0),
            (direct["id"], ["alice"], 0),
        ]
        assert [m[0] for m in await listed(boss)] == [everyone["id"], huddle["id"], direct["id"]]

        # Alice reads the direct message ("Got it"); bob cannot mark it; sue sees it read.
        read = await client.post(f"/api/messages/{direct['id']}/read", headers=alice)
        assert read.status == 200, await read.text()
        assert (await read.json())["read_at"] is not None
        await problem(await client.post(f"/api/messages/{direct['id']}/read", headers=bob), 404)
        await problem(await client.post("/api/messages/999999/read", headers=alice), 404)
        assert await listed(alice, "?unread=true") == [(everyone["id"], ["alice"], 0), (huddle["id"], ["alice"], 0)]
        one = await (await client.get(f"/api/messages/{direct['id']}", headers=sue)).json()
        assert one["read"] == 1
        assert one["recipients"][0]["read_at"] == (await read.json())["read_at"]
        await problem(await client.get(f"/api/messages/{direct['id']}", headers=bob), 404)

        _, entries = await audit_entries(world.app[DATABASE])
        sent = [(e.actor, e.target) for e in entries if e.action == "message.send"]
        assert sent == [("boss", "everyone"), ("sue", "team:north"), ("sue", "agent:alice")]


async def test_a_message_reaches_the_agents_open_console(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        sue = await supervisor(world, client)
        login = await client.post("/api/login", json={"name": "alice", "password": PASSWORD})
        assert login.status == 200
        ws = await client.ws_connect("/ws")
        resp = await client.post("/api/messages", json={"agent": "alice", "text": "huddle at 3"}, headers=sue)
        assert resp.status == 201, await resp.text()
        sent = await resp.json()

        async def arrived(kind: str) -> Any:
            msg = await ws.receive_json(timeout=10)
            return msg if msg["kind"] == kind else None

        pushed = (await eventually(lambda: arrived("message")))["data"]
        assert (pushed["id"], pushed["sender"], pushed["text"], pushed["read_at"]) == (
            sent["id"],
            "sue",
            "huddle at 3",
            None,
        )
        await client.post(f"/api/messages/{sent['id']}/read", headers=world.auth("alice"))
        read = (await eventually(lambda: arrived("message_read")))["data"]
        assert (read["id"], read["agent"]) == (sent["id"], "alice")
        await ws.close()


async def test_a_hand_raised_on_a_call_shows_on_the_dashboard_until_lowered(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    campaign = demo_campaign_with_wrap_up(tmp_path, 3600)  # alice stays in her wrap-up
    async with web_world(tmp_path, campaign_file=campaign) as world:
        client = await aiohttp_client(world.app)
        alice, bob, boss = world.auth("alice"), world.auth("bob"), world.auth("boss")
        sue = await team_with_supervisor(world, client)
        login = await client.post("/api/agents/alice/login", json={"queues": ["outbound-agents"]}, headers=alice)
        assert login.status == 200
        # Paused, not on a call: no hand to raise.
        await problem(await client.post("/api/agents/alice/hand", json={"note": "help"}, headers=alice), 409)
        await agent_in_wrapup(world, client)
        await problem(await client.post("/api/agents/alice/hand", json={}, headers=bob), 403)
        await problem(await client.post("/api/agents/alice/hand", json={}, headers=sue), 403)  # the agent raises it
        resp = await client.post("/api/agents/alice/hand", json={"note": "refund over 500?"}, headers=alice)
        assert resp.status == 200, await resp.text()
        assert ((await resp.json())["raised"], (await resp.json())["note"]) == (True, "refund over 500?")

        async def row(headers: dict[str, str]) -> tuple[int, dict[str, Any] | None]:
            doc = await (await client.get("/api/dashboard", headers=headers)).json()
            hand = next(a["hand"] for a in doc["agents"] if a["agent_id"] == "alice")
            return doc["hands_raised"], hand

        for headers in (sue, boss):
            count, hand = await row(headers)
            assert count == 1
            assert hand is not None
            assert hand["note"] == "refund over 500?"
            assert hand["raised_seconds"] >= 0
        # Bob is no supervisor of alice: he can neither see nor lower it; sue lowers it, once.
        await problem(await client.delete("/api/agents/alice/hand", headers=bob), 403)
        assert (await client.delete("/api/agents/alice/hand", headers=sue)).status == 200
        await problem(await client.delete("/api/agents/alice/hand", headers=sue), 404)
        assert await row(boss) == (0, None)
        assert (await (await client.get("/api/agents/alice/hand", headers=alice)).json())["raised"] is False

        # A hand is kept in the database: bob's, raised through another daemon (his agent is not on this one), is in
        # this daemon's dashboard feed for the managers (not for sue: bob is not in her teams); boss lowers it here.
        await raise_hand(world.app[DATABASE], "bob", "on pbx-west", actor="bob", now=clock_dt(world.clock))
        feed = await (await client.get("/api/dashboard", headers=boss)).json()
        assert ([h["agent_id"] for h in feed["hands"]], feed["hands"][0]["note"], feed["hands_raised"]) == (
            ["bob"],
            "on pbx-west",
            1,
        )
        assert (await (await client.get("/api/dashboard", headers=sue)).json())["hands"] == []
        assert (await (await client.get("/api/agents/bob/hand", headers=bob)).json())["raised"] is True
        assert (await client.delete("/api/agents/bob/hand", headers=boss)).status == 200
        assert await get_hand(world.app[DATABASE], "bob") is None

        # Raised again, it lowers itself when the wrap-up ends (alice announces she is ready in a second).
        assert (await client.post("/api/agents/alice/hand", json={}, headers=alice)).status == 200
        assert (await client.post("/api/agents/alice/ready-in", json={"seconds": 1}, headers=alice)).status == 200

        async def lowered() -> bool:
            return (await row(boss)) == (0, None)

        await eventually(lowered, 30.0)
        _, entries = await audit_entries(world.app[DATABASE])
        hands = [(e.actor, e.action, e.target) for e in reversed(entries) if e.action.startswith("hand.")]
        assert hands == [
            ("alice", "hand.raise", "agent:alice"),
            ("sue", "hand.lower", "agent:alice"),
            ("bob", "hand.raise", "agent:bob"),
            ("boss", "hand.lower", "agent:bob"),
            ("alice", "hand.raise", "agent:alice"),
        ]
