"""Two daemons on one database: daemon B runs the demo campaign (no agent logged in: it is not dialling), a manager
reads daemon A's dashboard in Japanese. B's campaign row says why it is not dialling and its pacing line in Japanese,
as A's own rows do: B published the sentences as message documents (and their English text, for an older daemon)
and A renders them in its reader's language. A row an older daemon published (its English text, no message
document) still shows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.floor import second_daemon
from harness.stepping import eventually
from harness.web import web_world

from dialer.appkeys import DATABASE, DIALER
from dialer.i18n import Message
from dialer.store.floor import floor_views, publish_view

NO_AGENTS_JA = "ログイン中で一時停止していないオペレーターがいません"


async def test_another_daemons_campaign_reads_in_the_managers_language(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, speed=5.0, inbound_callers=False) as world:
        b = await second_daemon(world, tmp_path, aiohttp_client)  # first up: B runs the demo campaign
        assert "demo" in b.server.app[DIALER].runners
        a = await aiohttp_client(world.app)
        assert world.app[DIALER].runners["demo"].state.value == "standby"
        feed = await a.ws_connect("/ws", headers={**world.auth("boss"), "Accept-Language": "ja"})
        try:

            async def bs_demo_not_dialling() -> dict[str, Any] | None:
                msg = await feed.receive_json(timeout=20)
                if msg["kind"] != "dashboard":
                    return None
                row = next((c for c in msg["data"]["campaigns"] if c["campaign"] == "demo"), None)
                if row is None or row["daemon"] != "daemon-b" or row.get("pacing") is None:
                    return None
                return row if (row.get("why_not_dialing") or {}).get("code") == "no_agents" else None

            demo = await eventually(bs_demo_not_dialling, 30)
        finally:
            await feed.close()
        assert demo["why_not_dialing"]["detail"] == NO_AGENTS_JA
        assert demo["pacing"]["reason"] == NO_AGENTS_JA

        # What B published: the message, and its English for a daemon of an older version (rolling upgrade).
        (published,) = [c for v in await floor_views(world.app[DATABASE]) if v.node == "daemon-b" for c in v.campaigns]
        assert published["why_not_dialing"]["detail"] == "no agent logged in and unpaused"
        assert published["pacing"]["reason"] == "no agent logged in and unpaused"
        assert published["why_not_dialing"]["message"] == {"id": "no agent logged in and unpaused", "values": {}}
        assert Message("no agent logged in and unpaused").render("ja") == NO_AGENTS_JA

        # A daemon of an older version published its row with the English text only: shown as it is.
        legacy = {
            "campaign": "legacy",
            "state": "running",
            "queue": "legacy-agents",
            "why_not_dialing": {"code": "paused", "detail": "campaign is paused", "breakdown": {}},
            "pacing": {"guard": None, "reason": "power: 2 calls for 2 free agents"},
        }

        async def legacy_shown() -> dict[str, Any] | None:
            at = datetime.fromtimestamp(world.clock.now(), UTC)
            await publish_view(world.app[DATABASE], "daemon-old", [], [legacy], at)
            resp = await a.get("/api/dashboard", headers={**world.auth("boss"), "Accept-Language": "ja"})
            assert resp.status == 200, await resp.text()
            doc = await resp.json()
            return next((c for c in doc["campaigns"] if c["campaign"] == "legacy"), None)

        row = await eventually(legacy_shown, 20)
        assert row["why_not_dialing"]["detail"] == "campaign is paused"
        assert row["pacing"]["reason"] == "power: 2 calls for 2 free agents"
