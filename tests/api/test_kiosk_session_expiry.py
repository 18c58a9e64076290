"""A wallboard kiosk session's lifetime through the web tier: the token's address is answered with a redirect that
drops it, with no Referer and no cache, and the access log masks it; a kiosk session is renewed while its page or
feed is open, and once over its idle time (or its longest lifetime) the TV is told, on a page, to open the token's
address again -- the expiry audited; opening it again gives a new session."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from harness.stepping import eventually
from harness.web import problem, web_world
from sqlalchemy import select, update

from dialer.appkeys import DATABASE
from dialer.store import Database
from dialer.store.audit import audit_entries
from dialer.store.wallboard import wallboard_sessions_t
from dialer.web import live
from dialer.web.routing import KIOSK_COOKIE

NO_MEMORY = {"http": {"auth_cache_seconds": 0}}


async def _opened(client: Any, boss: dict[str, str]) -> dict[str, Any]:
    resp = await client.post("/api/wallboard-tokens", json={"name": "floor TV"}, headers=boss)
    assert resp.status == 201, await resp.text()
    made: dict[str, Any] = await resp.json()
    return made


async def _last_seen(db: Database, before: timedelta, now: datetime) -> None:
    """The TV's session as if its wallboard was last open ``before`` now (and opened then)."""
    async with db.write() as conn:
        await conn.execute(update(wallboard_sessions_t).values(created_at=now - before, seen_at=now - before))


async def _seen(db: Database) -> list[datetime | None]:
    async with db.read() as conn:
        return list((await conn.execute(select(wallboard_sessions_t.c.seen_at))).scalars())


async def test_the_token_address_leaves_no_trace_and_an_idle_kiosk_is_asked_for_it_again(
    tmp_path: Path, aiohttp_client: Any, json_log: io.StringIO
) -> None:
    # (Time moves in the database here: nothing is kept in the web tier's memory of credentials.)
    async with web_world(tmp_path, settings=NO_MEMORY) as world:
        client = await aiohttp_client(world.app)
        db, boss = world.app[DATABASE], world.auth("boss")
        made = await _opened(client, boss)
        secret = made["token"]

        wrong = await client.get("/wallboard?token=wbt_wrong", allow_redirects=False)
        await problem(wrong, 403)
        assert wrong.headers["Referrer-Policy"] == "no-referrer"
        opened = await client.get(made["url"], allow_redirects=False)
        assert opened.status == 303
        assert opened.headers["Location"] == "/wallboard"  # the token is not carried on
        assert opened.headers["Referrer-Policy"] == "no-referrer"
        assert opened.headers["Cache-Control"] == "no-store"
        page = await client.get("/wallboard", headers={"Accept": "text/html"})
        assert page.status == 200
        assert page.headers["Referrer-Policy"] == "same-origin"  # its address holds no token: nothing to leak

        # The access log has the requests, the token masked.
        log = json_log.getvalue()
        assert "/wallboard?token=*** HTTP" in log
        assert secret not in log
        assert secret.removeprefix("wbt_") not in log

        # 13 hours since the TV last showed the wallboard (12 h idle): expired, audited once, asked for the token.
        now = datetime.fromtimestamp(world.clock.now(), UTC)
        await _last_seen(db, timedelta(hours=13), now)
        body = await problem(await client.get("/api/wallboard"), 401)
        assert body["type"].endswith("/kiosk-expired")
        assert "open the wallboard's address with its token" in body["detail"]
        tv = await client.get("/wallboard", headers={"Accept": "text/html"}, allow_redirects=False)
        assert tv.status == 401
        assert tv.content_type == "text/html"
        assert "open the wallboard&#x27;s address with its token on this screen again" in await tv.text()
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await client.ws_connect("/ws/wallboard")
        entries = (await audit_entries(db))[1]
        expired = [e for e in entries if e.action == "wallboard.kiosk.expire"]
        assert [(e.actor, e.target, e.detail["reason"]) for e in expired] == [
            ("wallboard:floor TV", "wallboard:floor TV", "idle")
        ]

        # The token's address again: a new session.
        again = await client.get(made["url"], allow_redirects=False)
        assert again.status == 303
        assert KIOSK_COOKIE in again.cookies
        assert (await client.get("/api/wallboard")).status == 200


async def test_an_open_feed_keeps_the_kiosk_session_alive_and_closes_when_it_expires(
    tmp_path: Path, aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "SESSION_CHECK_SECONDS", 0.05)  # the feed looks at its session often
    http = {"kiosk_idle_hours": 12, "kiosk_max_days": 30, "auth_cache_seconds": 0}
    async with web_world(tmp_path, settings={"http": http}) as world:
        client = await aiohttp_client(world.app)
        db = world.app[DATABASE]
        made = await _opened(client, world.auth("boss"))
        assert (await client.get(made["url"], allow_redirects=False)).status == 303
        feed = await client.ws_connect("/ws/wallboard")
        assert (await feed.receive_json(timeout=10))["kind"] == "wallboard"

        # Last renewed 11 h ago: the open feed renews it (nobody reloads a TV's page).
        now = datetime.fromtimestamp(world.clock.now(), UTC)
        await _last_seen(db, timedelta(hours=11), now)

        async def renewed() -> bool:
            (seen,) = await _seen(db)
            return seen is not None and seen >= now

        await eventually(renewed, 10)

        # Opened 31 days ago (30 at most), in use all along: the feed closes, and the page is told why.
        async with db.write() as conn:
            opened_at = datetime.fromtimestamp(world.clock.now(), UTC) - timedelta(days=31)
            await conn.execute(update(wallboard_sessions_t).values(created_at=opened_at))

        async def closed() -> bool:
            msg = await feed.receive(timeout=10)
            return msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)

        await eventually(closed, 10)
        body = await problem(await client.get("/api/wallboard"), 401)
        assert body["type"].endswith("/kiosk-expired")
        reasons = [e.detail["reason"] for e in (await audit_entries(db))[1] if e.action == "wallboard.kiosk.expire"]
        assert reasons == ["lifetime"]
