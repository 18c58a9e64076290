"""Two daemons on one database and one PBX, a supervisor on each side of the floor: daemon B runs the demo campaign
and serves alice's (team north) and bob's (no team) consoles; sue, north's supervisor, and the manager look at
daemon A's dashboard.

A's dashboard shows B's agents as B knows them (state, pause reason, which daemon serves them) and B's campaign,
its floor figures count them, and sue's scope hides bob exactly as it does a local agent. What A cannot do for B's
agent (force ready) is a 409 naming daemon B; what goes through A's own AMI connection (listening to alice's call)
works, and so does stopping that listen on B (B hangs sue's leg up through its own connection; the audit row ends
once) and a message to B's agent (it reaches their console through the database). A daemon that stopped reporting
is listed as such, its agents not shown as live; a clean stop takes B's view away at once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.floor import second_daemon, silent_daemon
from harness.stepping import eventually
from harness.web import PASSWORD, problem, supervise, supervisor, web_world

from dialer.appkeys import DATABASE, DIALER
from dialer.store.auth import update_user
from dialer.store.monitoring import get_supervision

SUPERVISOR_PHONE = "Local/boss@sim-supervisors"


async def dashboard(client: Any, headers: dict[str, str]) -> dict[str, Any]:
    resp = await client.get("/api/dashboard", headers=headers)
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


def rows(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["agent_id"]: a for a in doc["agents"]}


async def test_a_supervisor_on_daemon_a_sees_and_acts_on_daemon_bs_agents(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, speed=5.0, inbound_callers=False) as world:
        b = await second_daemon(world, tmp_path, aiohttp_client)  # first up: B runs the demo campaign
        assert "demo" in b.server.app[DIALER].runners
        a = await aiohttp_client(world.app)
        a_node = world.app[DIALER].owner
        assert world.app[DIALER].runners["demo"].state.value == "standby"  # B holds its lease
        assert a_node != "daemon-b"
        boss = world.auth("boss")
        sue = await supervisor(world, a)  # team north: alice; bob has none
        for user in ("sue", "boss"):
            await update_user(world.app[DATABASE], user, datetime.now(UTC), phone=SUPERVISOR_PHONE)

        for agent in ("alice", "bob"):
            auth = world.auth(agent)
            resp = await b.post(f"/api/agents/{agent}/login", json={"queues": ["outbound-agents"]}, headers=auth)
            assert resp.status == 200, await resp.text()
        resp = await b.post("/api/agents/bob/pause", json={"reason": "lunch"}, headers=world.auth("bob"))
        assert resp.status == 200, await resp.text()

        async def whole_floor() -> dict[str, Any] | None:
            doc = await dashboard(a, boss)
            bob = rows(doc).get("bob")
            return doc if bob is not None and bob["pause_reason"] == "lunch" else None

        doc = await eventually(whole_floor, 20)
        floor = rows(doc)
        assert {name: (r["status"], r["daemon"]) for name, r in floor.items() if name in ("alice", "bob")} == {
            "alice": ("paused", "daemon-b"),
            "bob": ("paused", "daemon-b"),
        }
        assert floor["bob"]["queues"] == ["outbound-agents"]
        assert floor["bob"]["seconds_in_state"] is not None
        assert doc["agents_by_state"].get("paused", 0) >= 2
        (demo,) = [c for c in doc["campaigns"] if c["campaign"] == "demo"]
        assert (demo["daemon"], demo["queue"], demo["agents_by_state"]) == (
            "daemon-b",
            "outbound-agents",
            {"paused": 2},
        )
        assert {"leads", "today", "abandon_30d"} <= demo.keys()  # the database's figures, read by A
        assert demo["leads"]["total"] > 0
        assert doc["daemons_not_reporting"] == []

        # Sue sees her team's agent, served by B, and not bob -- as for an agent of her own daemon.
        mine = await dashboard(a, sue)
        assert sorted(rows(mine)) == ["alice"]
        assert rows(mine)["alice"]["daemon"] == "daemon-b"
        assert mine["agents_by_state"] == {"paused": 1}
        assert [c["agents_by_state"] for c in mine["campaigns"] if c["campaign"] == "demo"] == [{"paused": 1}]

        # A cannot make B's agent ready (their state lives in B): a 409 that says where to go; B can.
        refused = await problem(await a.post("/api/agents/alice/ready", headers=sue), 409)
        assert refused["type"].endswith("agent-on-another-daemon")
        assert "daemon-b" in refused["detail"]
        await problem(await a.post("/api/agents/alice/logout", headers=boss), 409)
        await problem(await a.post("/api/agents/bob/ready", headers=sue), 403)  # not hers, wherever he is
        resp = await b.post("/api/agents/alice/ready", headers=world.auth("alice"))
        assert resp.status == 200, await resp.text()

        async def alice_talking() -> bool:
            return rows(await dashboard(a, sue))["alice"]["status"] == "talking"

        await eventually(alice_talking, 30)
        # Listening goes through A's own connection to alice's Asterisk: it works.
        listen = await supervise(a, sue, "sue", "alice", "listen")
        session = await get_supervision(world.app[DATABASE], listen["id"])
        assert session is not None
        leg = session.channel_id
        assert world.pbx.core.channel_list(leg)  # sue's phone is listening
        assert leg in world.app[DIALER].supervision.following
        # Sue's browser reaches B (another tab, a load balancer) and stops it: B hangs her leg up through its own
        # connection to that Asterisk, the PBX's Hangup ends the audit row once, and A forgets the leg.
        stopped = await b.delete(f"/api/supervision/{listen['id']}", headers=sue)
        assert stopped.status == 200, await stopped.text()
        answer = await stopped.json()
        assert (answer["state"], answer["supervisor"], answer["agent"]) == ("ended", "sue", "alice")
        assert answer["ended_at"]
        assert world.pbx.core.channel_list(leg) == []
        await eventually(lambda: leg not in world.app[DIALER].supervision.following, 10)
        await world.app[DIALER].supervision.flush()
        await b.server.app[DIALER].supervision.flush()
        assert not b.server.app[DIALER].supervision.following
        audit = (await (await a.get("/api/supervision?agent=alice", headers=sue)).json())["items"]
        assert [(i["id"], i["state"], i["ended_at"]) for i in audit] == [(listen["id"], "ended", answer["ended_at"])]
        again = await a.delete(f"/api/supervision/{listen['id']}", headers=sue)  # on A: over, as B said
        assert (again.status, (await again.json())["ended_at"]) == (200, answer["ended_at"])

        # A message sent on A reaches alice's console, which B serves.
        assert (await b.post("/api/login", json={"name": "alice", "password": PASSWORD})).status == 200
        console = await b.ws_connect("/ws")
        sent = await a.post("/api/messages", json={"agent": "alice", "text": "wrap it up"}, headers=sue)
        assert sent.status == 201, await sent.text()
        message_id = (await sent.json())["id"]

        async def message_on_console() -> dict[str, Any] | None:
            note = await console.receive_json(timeout=10)
            return note["data"] if note["kind"] == "message" else None

        pushed = await eventually(message_on_console, 20)
        assert (pushed["id"], pushed["text"], pushed["sender"]) == (message_id, "wrap it up", "sue")
        await console.close()

        # A daemon that stopped reporting (killed): listed, its agents not shown as live.
        await silent_daemon(world)

        async def silent() -> dict[str, Any] | None:
            doc = await dashboard(a, boss)
            return doc if doc["daemons_not_reporting"] else None

        doc = await eventually(silent, 10)
        assert "carol" not in rows(doc)
        assert [(d["daemon"], d["agents"]) for d in doc["daemons_not_reporting"]] == [("daemon-c", ["carol"])]
        assert (await dashboard(a, sue))["daemons_not_reporting"] == [{**doc["daemons_not_reporting"][0], "agents": []}]

        # B stops cleanly: its view goes with it.
        await b.close()
        doc = await dashboard(a, boss)
        assert all(r["daemon"] != "daemon-b" for r in doc["agents"])
        assert [d["daemon"] for d in doc["daemons_not_reporting"]] == ["daemon-c"]
