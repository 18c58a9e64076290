"""A CRM developer's receiver, written from docs/webhooks.md alone: its signature check is the documentation's own
Python snippet, run as it is printed. Subscribed through the API, it gets a delivery it can verify (and a tampered
body it refuses); a receiver failing with a 5xx gets the same event again after a backoff; one refusing with a 4xx
is not tried again, and the admin sees that delivery dead-lettered, with its status, in the delivery history."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from harness.paths import REPO
from harness.stepping import eventually
from harness.web import web_world

from dialer.settings import WebhookSettings

SECRET = "whsec-from-the-crm-team"


def documented_check() -> str:
    """The Python the docs give a developer to verify a delivery (docs/webhooks.md, the Request section)."""
    text = (REPO / "docs/webhooks.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    (snippet,) = [b for b in blocks if "Dialer-Webhook-Signature" in b]
    return snippet


def verified_as_documented(headers: Any, body: bytes) -> bool:
    scope: dict[str, Any] = {
        "hmac": hmac,
        "hashlib": hashlib,
        "time": time,
        "secret": SECRET,
        "timestamp": headers["Dialer-Webhook-Timestamp"],
        "body": body,
        "headers": headers,
    }
    exec(documented_check(), scope)  # the documentation's code, run as a developer would
    return bool(scope["ok"])


@dataclass
class Crm:
    """A receiver with three endpoints: /ok acknowledges, /refuse answers 400, /flaky answers 503 once, then 204."""

    tries: dict[str, list[tuple[str, bool, bool]]] = field(default_factory=dict)  # path → (event id, ok, tampered ok)
    port: int = 0
    runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        seen = self.tries.setdefault(request.path, [])
        ok = verified_as_documented(request.headers, body)
        tampered = verified_as_documented(request.headers, body.replace(b"optout", b"0ptout"))
        seen.append((request.headers["Dialer-Webhook-Id"], ok, tampered))
        if request.path == "/refuse":
            return web.Response(status=400, text="unknown contact")
        if request.path == "/flaky" and len(seen) == 1:
            return web.Response(status=503, text="deploying")
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{path}", self.handle)
        self.runner = web.AppRunner(app, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        assert site._server is not None
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


async def test_a_receiver_written_from_the_docs_verifies_and_4xx_is_not_retried(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    crm = Crm()
    await crm.start()
    fast = WebhookSettings(
        allowed_destinations=["127.0.0.1/32"],
        poll_interval_seconds=0.05,
        retry_base_seconds=0.05,
        retry_cap_seconds=0.2,
    )
    try:
        async with web_world(tmp_path, settings={"webhooks": fast}) as world:
            client = await aiohttp_client(world.app)
            boss = world.auth("boss")
            subscriptions = {}
            for path in ("/ok", "/refuse", "/flaky"):
                resp = await client.post(
                    "/api/webhooks/subscriptions",
                    json={"url": crm.url(path), "events": ["optout.added"], "secret": SECRET},
                    headers=boss,
                )
                assert resp.status == 201, await resp.text()
                subscriptions[path] = (await resp.json())["id"]
            resp = await client.post("/api/dnc", json={"number": "+12025550143", "reason": "asked"}, headers=boss)
            assert resp.status == 200, await resp.text()

            async def settled() -> dict[str, Any] | None:
                answer = await client.get("/api/webhooks/deliveries", headers=boss)
                items = {d["subscription_id"]: d for d in (await answer.json())["items"]}
                states = {path: items.get(sid, {}).get("state") for path, sid in subscriptions.items()}
                return items if states == {"/ok": "delivered", "/refuse": "dead", "/flaky": "delivered"} else None

            deliveries = await eventually(settled, 60.0)
            # verified as the docs say; the tampered body fails the same check
            assert [(ok, tampered) for _, ok, tampered in crm.tries["/ok"]] == [(True, False)]
            # a 5xx is tried again, the same event (dedupe on Dialer-Webhook-Id)
            flaky = crm.tries["/flaky"]
            assert len(flaky) == 2
            assert flaky[0][0] == flaky[1][0]
            assert deliveries[subscriptions["/flaky"]]["attempts"] == 2
            # a 4xx is the receiver's refusal: dead-lettered after that one try, shown to the admin with its status
            assert len(crm.tries["/refuse"]) == 1
            refused = deliveries[subscriptions["/refuse"]]
            assert (refused["attempts"], refused["last_status"]) == (1, 400)
            dead = await (await client.get("/api/webhooks/deliveries?state=dead", headers=boss)).json()
            assert [d["id"] for d in dead["items"]] == [refused["id"]]
    finally:
        assert crm.runner is not None
        await crm.runner.cleanup()
