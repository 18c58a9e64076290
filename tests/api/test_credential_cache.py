"""The web tier's memory of good credentials (dialer.web.credentials) through the HTTP stack: a repeated request
is served without reading its session or token again, and on this daemon every change that matters takes effect at
the very next request -- a disabled user, a role change, a password reset, a sign-out, a revoked wallboard token; a
change made by another daemon (straight in the database) takes effect once the entry's seconds are over."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.web import PASSWORD, problem, web_world

from dialer.appkeys import DATABASE
from dialer.clock import ManualClock
from dialer.store.admin import UserChange, change_user
from dialer.web.credentials import Credentials
from dialer.web.routing import CREDENTIALS


async def _me(client: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    resp = await client.get("/api/me", headers=headers or {})
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


async def test_changes_on_this_daemon_take_effect_at_the_next_request(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path) as world:
        seconds = ManualClock()  # the memory's own clock, which the test moves
        kept = world.app[CREDENTIALS] = Credentials(2.0, clock=seconds.now)
        client = await aiohttp_client(world.app)
        root, alice = world.auth("root"), world.auth("alice")

        # An API token: read once, then served from memory.
        assert (await _me(client, alice))["user"]["role"] == "agent"
        misses, hits = kept.misses, kept.hits
        await _me(client, alice)
        assert (kept.misses, kept.hits) == (misses, hits + 1)

        # A role change is seen at once, and so is a disable.
        resp = await client.patch("/api/users/alice", json={"role": "supervisor"}, headers=root)
        assert resp.status == 200, await resp.text()
        assert (await _me(client, alice))["user"]["role"] == "supervisor"
        assert (await client.patch("/api/users/alice", json={"disabled": True}, headers=root)).status == 200
        await problem(await client.get("/api/me", headers=alice), 401)

        # A browser session: a password reset ends it at once.
        assert (await client.post("/api/login", json={"name": "bob", "password": PASSWORD})).status == 200
        await _me(client)
        hits = kept.hits
        assert (await _me(client))["user"]["name"] == "bob"
        assert kept.hits == hits + 1
        new_password = "another-horse-7"
        assert (await client.patch("/api/users/bob", json={"password": new_password}, headers=root)).status == 200
        await problem(await client.get("/api/me"), 401)

        # Signing out ends it at once.
        login = await client.post("/api/login", json={"name": "bob", "password": new_password})
        csrf = (await login.json())["csrf_token"]
        await _me(client)
        await _me(client)
        assert (await client.post("/api/logout", headers={"X-CSRF-Token": csrf})).status == 200
        await problem(await client.get("/api/me"), 401)

        # A wallboard kiosk: revoking its token refuses it at once.
        made = await (await client.post("/api/wallboard-tokens", json={"name": "tv"}, headers=root)).json()
        assert (await client.get(made["url"], allow_redirects=False)).status == 303
        assert (await client.get("/api/wallboard")).status == 200
        hits = kept.hits
        assert (await client.get("/api/wallboard")).status == 200
        assert kept.hits == hits + 1
        assert (await client.delete(f"/api/wallboard-tokens/{made['id']}", headers=root)).status == 200
        await problem(await client.get("/api/wallboard"), 403)

        # Another daemon disables boss (straight in the database): this one sees it once the entry's time is over.
        boss = world.auth("boss")
        await _me(client, boss)
        db = world.app[DATABASE]
        await change_user(db, "boss", UserChange(disabled=True), datetime.now(UTC), actor="root")
        await _me(client, boss)  # still in memory, for at most auth_cache_seconds
        await seconds.advance(2.0)
        await problem(await client.get("/api/me", headers=boss), 401)


async def test_with_the_cache_off_every_request_reads_the_database(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, settings={"http": {"auth_cache_seconds": 0}}) as world:
        client = await aiohttp_client(world.app)
        kept = world.app[CREDENTIALS]
        assert kept.ttl == 0
        boss = world.auth("boss")
        await _me(client, boss)
        await change_user(world.app[DATABASE], "boss", UserChange(disabled=True), datetime.now(UTC), actor="root")
        await problem(await client.get("/api/me", headers=boss), 401)
        assert kept.hits == 0
        assert len(kept) == 0
