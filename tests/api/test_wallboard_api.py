"""The wallboard through the API (dialer.web.api.wallboard): a kiosk token opens a kiosk session that reads the
wallboard page, document and feed and nothing else; revoking the token refuses it at once and closes its feed; the
tokens are managers', named, audited and never shown again; a supervisor's wallboard counts their teams' agents."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from harness.stepping import eventually
from harness.web import PASSWORD, agent_ready, problem, supervisor, team_with_supervisor, web_world

from dialer.appkeys import DATABASE
from dialer.store.audit import audit_entries
from dialer.web.routing import KIOSK_COOKIE, ROUTE_INDEX

KIOSK_ROUTES = {("GET", "/wallboard"), ("GET", "/api/wallboard"), ("GET", "/ws/wallboard"), ("GET", "/api/i18n/{name}")}


def _concrete(path: str) -> str:
    """A route's path with each parameter filled in (the kiosk is refused before anything reads them)."""
    return re.sub(r"\{\w+(?::(?:[^{}]|\{[^{}]*\})+)?\}", "1", path)


async def _new_token(client: Any, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    resp = await client.post("/api/wallboard-tokens", json=body, headers=headers)
    assert resp.status == 201, await resp.text()
    made: dict[str, Any] = await resp.json()
    return made


async def test_a_kiosk_reads_the_wallboard_and_nothing_else_until_revoked(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path) as world:
        client = await aiohttp_client(world.app)
        boss, alice = world.auth("boss"), world.auth("alice")
        sue = await supervisor(world, client)
        # Managers create tokens; agents and supervisors may not; a name is one token's.
        for who in (alice, sue):
            await problem(await client.post("/api/wallboard-tokens", json={"name": "x"}, headers=who), 403)
        made = await _new_token(client, boss, name="floor 2 north wall", language="ja")
        assert made["url"] == f"/wallboard?token={made['token']}"
        assert made["token"].startswith("wbt_")
        await problem(
            await client.post("/api/wallboard-tokens", json={"name": "floor 2 north wall"}, headers=boss), 409
        )
        await problem(
            await client.post("/api/wallboard-tokens", json={"name": "y", "teams": ["nowhere"]}, headers=boss), 422
        )
        await problem(
            await client.post("/api/wallboard-tokens", json={"name": "y", "campaigns": ["nope"]}, headers=boss), 422
        )
        await problem(
            await client.post("/api/wallboard-tokens", json={"name": "y", "language": "xx"}, headers=boss), 422
        )
        listed = await (await client.get("/api/wallboard-tokens", headers=boss)).json()
        assert [(t["name"], t["revoked"], t["language"]) for t in listed] == [("floor 2 north wall", False, "ja")]
        assert "token" not in listed[0]
        assert "token_hash" not in listed[0]

        # The TV opens the address once: a kiosk session cookie, and the token leaves the address bar.
        await problem(await client.get("/wallboard?token=wbt_wrong", allow_redirects=False), 403)
        opened = await client.get(made["url"], allow_redirects=False)
        assert opened.status == 303
        assert opened.headers["Location"] == "/wallboard"
        assert KIOSK_COOKIE in opened.cookies
        assert opened.cookies[KIOSK_COOKIE]["httponly"]
        page = await client.get("/wallboard")
        assert page.status == 200
        assert '<html lang="ja">' in await page.text()  # the token's language
        board = await (await client.get("/api/wallboard")).json()
        assert set(board) >= {"agents", "pauses_overdue", "campaigns", "inbound", "service_level_rule"}
        assert board["name"] == "floor 2 north wall"
        assert [c["campaign"] for c in board["campaigns"]] == ["demo"]
        assert (await client.get("/api/i18n/ja")).status == 200
        feed = await client.ws_connect("/ws/wallboard")
        pushed = await feed.receive_json(timeout=10)
        assert pushed["kind"] == "wallboard"
        assert set(pushed["data"]) == set(board)

        # Every other route refuses the kiosk, reads and writes alike (before any CSRF check or input).
        index = world.app[ROUTE_INDEX]
        refused = 0
        for (method, path), spec in index.items():
            if not spec.roles or (method, path) in KIOSK_ROUTES:
                continue
            resp = await client.request(method, _concrete(path), allow_redirects=False)
            body = await problem(resp, 403)
            assert body["type"].endswith("/kiosk"), (method, path, body)
            refused += 1
        assert refused > 100
        for path in ("/dashboard", "/console", "/status", "/metrics"):
            resp = await client.get(path, allow_redirects=False, headers={"Accept": "application/json"})
            assert resp.status in (401, 403), path
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused_ws:
            await client.ws_connect("/ws")  # the agents' and managers' feed
        assert refused_ws.value.status == 403

        # Revoked: the open feed closes at once, the session and the token are refused from now on.
        token_id = listed[0]["id"]
        resp = await client.delete(f"/api/wallboard-tokens/{token_id}", headers=boss)
        assert resp.status == 200
        assert (await resp.json())["revoked"]

        async def feed_closed() -> bool:
            msg = await feed.receive(timeout=10)
            return msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)

        await eventually(feed_closed, 10)
        await problem(await client.get("/api/wallboard"), 403)
        assert (await client.get("/wallboard", allow_redirects=False)).status == 403
        await problem(await client.get(made["url"], allow_redirects=False), 403)
        await problem(await client.delete("/api/wallboard-tokens/999", headers=boss), 404)

        entries = (await audit_entries(world.app[DATABASE]))[1]
        actions = [(e.actor, e.action, e.target) for e in entries if e.action.startswith("wallboard.")]
        assert sorted(actions) == [
            ("boss", "wallboard.token.create", "wallboard:floor 2 north wall"),
            ("boss", "wallboard.token.revoke", "wallboard:floor 2 north wall"),
            ("wallboard:floor 2 north wall", "wallboard.kiosk.open", "wallboard:floor 2 north wall"),
        ]


async def test_a_supervisors_and_a_team_kiosks_wallboard_count_their_teams_agents(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        boss = world.auth("boss")
        sue = await team_with_supervisor(world, client)  # north: alice; bob has no team
        for agent in ("alice", "bob"):
            await agent_ready(world, client, agent, "outbound-agents")

        async def both_ready() -> bool:
            board = await (await client.get("/api/wallboard", headers=boss)).json()
            return bool(board["agents"]["ready"] == 2)

        await eventually(both_ready, 10)
        # The same figure the dashboard counts, over the viewer's agents.
        dashboard = await (await client.get("/api/dashboard", headers=sue)).json()
        board = await (await client.get("/api/wallboard", headers=sue)).json()
        assert board["agents"]["ready"] == dashboard["agents_by_state"]["ready"] == 1
        assert sum(board["agents"].values()) == 1
        assert (await client.get("/api/wallboard", headers=world.auth("alice"))).status == 403  # agents: no
        # A kiosk of team north shows alice only; its wallboard has no campaign but the ones it names.
        made = await _new_token(client, boss, name="north TV", teams=["north"], campaigns=["demo"])
        assert made["teams"] == ["north"]
        assert made["campaigns"] == ["demo"]
        assert (await client.get(made["url"], allow_redirects=False)).status == 303  # the client's cookie jar: the TV
        seen = await (await client.get("/api/wallboard")).json()
        assert seen["agents"] == board["agents"]
        assert seen["campaigns"] == []  # demo is not running

        # Bob joins north: the kiosk's open feed and sue's follow at their next push (no reconnect).
        kiosk_feed = await client.ws_connect("/ws/wallboard")
        login = await client.post("/api/login", json={"name": "sue", "password": PASSWORD})
        assert login.status == 200  # now the cookie jar is sue's browser (a signed-in user comes before a kiosk)
        sue_feed = await client.ws_connect("/ws/wallboard")
        patched = await client.patch("/api/users/bob", json={"team": "north"}, headers=world.auth("root"))
        assert patched.status == 200

        async def both_ready_on(feed: Any) -> bool:
            msg = await feed.receive_json(timeout=10)
            return bool(msg["data"]["agents"]["ready"] == 2)

        await eventually(lambda: both_ready_on(kiosk_feed), 20)
        await eventually(lambda: both_ready_on(sue_feed), 20)
        await kiosk_feed.close()
        await sue_feed.close()
