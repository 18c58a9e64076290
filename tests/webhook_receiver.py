"""A webhook receiver on loopback for the tests: records every delivery, verifies its signature with its own
implementation (hmac + hashlib, not dialer.webhooks), and can be told to refuse, fail or sleep, or to hold its
answers until a number of deliveries are open at once (``gather``)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


def independent_signature_ok(secret: str, headers: Any, body: bytes, *, window: int = 300) -> bool:
    """The receiver's check written from the documentation (docs/webhooks.md), not from the dialer's code."""
    stamp = headers.get("Dialer-Webhook-Timestamp", "")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > window:
        return False
    expected = "v1=" + hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s.strip()) for s in headers.get("Dialer-Webhook-Signature", "").split(","))


@dataclass
class Delivery:
    event_id: str
    event_type: str
    body: dict[str, Any]
    signature_ok: bool
    acknowledged: bool


@dataclass
class Receiver:
    secret: str = "s3cret"
    mode: str = "ok"  # ok, fail (HTTP 500), sleep (sleep_seconds then 204), hang (until released, then 503)
    sleep_seconds: float = 30.0
    deliveries: list[Delivery] = field(default_factory=list)
    port: int = 0
    released: asyncio.Event = field(default_factory=asyncio.Event)
    # With gather = n, the first deliveries are held unanswered until n are open at the same time (or
    # gather_seconds passed): more than one sender's concurrency open at once proves two senders took part.
    gather: int = 0
    gather_seconds: float = 20.0
    _open: int = 0
    _gathered: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def acknowledged(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.acknowledged]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        ok = independent_signature_ok(self.secret, request.headers, body)
        doc = json.loads(body)
        mode = self.mode
        delivery = Delivery(request.headers.get("Dialer-Webhook-Id", ""), doc["type"], doc, ok, mode == "ok")
        self.deliveries.append(delivery)
        if self.gather and not self._gathered.is_set():
            self._open += 1
            if self._open >= self.gather:
                self._gathered.set()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.gather_seconds):
                    await self._gathered.wait()
            self._gathered.set()
        if mode == "sleep":  # (cut short when the receiver stops)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.sleep_seconds):
                    await self.released.wait()
            delivery.acknowledged = True
        if mode == "hang":
            await self.released.wait()
            return web.Response(status=503)
        if mode == "fail":
            return web.Response(status=500, text="down for maintenance")
        return web.Response(status=204)

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port or self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        self.released.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
