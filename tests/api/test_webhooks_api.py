"""Webhooks and the CRM pop-up through the web tier (issue 18 §1, §3): subscriptions behind the allow-list, the
deliveries list and re-send, the Webhooks page, the console's CRM pop and frame policy, and the CRM disposition
call going out signed through the outbox with the agent's disposition."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.paths import REPO
from harness.stepping import eventually
from harness.web import WebWorld, agent_ready, web_world
from webhook_receiver import Receiver

from dialer.appkeys import SETTINGS
from dialer.campaign.config import load_campaign_file
from dialer.settings import WebhookSettings
from dialer.store import open_database
from dialer.store.campaigns import apply_campaign


async def with_crm(world: WebWorld, receiver: Receiver) -> None:
    world.app[SETTINGS].webhooks = WebhookSettings(
        allowed_destinations=["crm.example.com", "127.0.0.1/32"],
        poll_interval_seconds=0.1,
        crm_secret="crm-secret-value",
    )
    cfg = load_campaign_file(REPO / "campaigns/demo.toml").model_dump(mode="json")
    cfg["crm"] = {
        "popup_url": "https://crm.example.com/c/{external_id}?attempt={attempt_id}&agent={agent}",
        "popup_mode": "tab",
        "disposition_url": receiver.url + "?code={disposition}&contact={external_id}",
    }
    async with open_database(world.settings.database_url) as db:
        await apply_campaign(db, "demo", cfg, datetime.now(UTC))


async def test_crm_pop_on_connect_and_signed_disposition_call(tmp_path: Path, aiohttp_client: Any) -> None:
    receiver = Receiver(secret="crm-secret-value")
    await receiver.start()
    try:
        async with web_world(tmp_path) as world:
            await with_crm(world, receiver)
            client = await aiohttp_client(world.app)
            boss, alice = world.auth("boss"), world.auth("alice")
            # a subscriber of dispositions too (its own secret)
            refused = await client.post(
                "/api/webhooks/subscriptions",
                json={"url": "http://169.254.169.254/latest", "events": ["*"]},
                headers=boss,
            )
            assert refused.status == 422
            assert (await refused.json())["type"].endswith("destination-refused")
            sub = await client.post(
                "/api/webhooks/subscriptions",
                json={"url": receiver.url, "events": ["call.dispositioned"], "campaign": "demo", "secret": "s" * 20},
                headers=boss,
            )
            assert sub.status == 201
            assert (await sub.json())["secret"] == "s" * 20
            assert (await client.get("/api/webhooks/subscriptions", headers=alice)).status == 403

            console = await client.post("/api/login", json={"name": "alice", "password": "correct-horse-9"})
            assert console.status == 200
            page = await client.get("/console")
            assert "frame-src 'self' https://crm.example.com" in page.headers["Content-Security-Policy"]
            assert "/static/crm.js" in await page.text()

            await agent_ready(world, client, "alice", "outbound-agents")

            async def on_call() -> Any:
                body = await (await client.get("/api/agents/alice/call", headers=alice)).json()
                return body["call"] if body["call"] and body["call"].get("attempt") else None

            call = await eventually(on_call)
            pop = await (await client.get("/api/agents/alice/crm", headers=alice)).json()
            external = call["lead"]["fields"]["external_id"]
            attempt = call["attempt"]["id"]
            assert pop == {
                "attempt_id": attempt,
                "url": f"https://crm.example.com/c/{external}?attempt={attempt}&agent=alice",
                "mode": "tab",
                "why_not": None,
            }
            assert (await client.get("/api/agents/bob/crm", headers=alice)).status == 403
            done = await client.post("/api/agents/alice/disposition", json={"code": "sale"}, headers=alice)
            assert done.status == 200

            async def both() -> bool:
                types = {d.event_type for d in receiver.acknowledged()}
                return {"crm.disposition", "call.dispositioned"} <= types

            await eventually(both)
            crm = next(d for d in receiver.deliveries if d.event_type == "crm.disposition")
            assert crm.signature_ok  # signed with [webhooks] crm_secret
            assert crm.body["data"] == {"attempt_id": attempt, "disposition": "sale", "agent": "alice"}
            hook = next(d for d in receiver.deliveries if d.event_type == "call.dispositioned")
            assert not hook.signature_ok  # signed with the subscription's own secret, not the CRM one

            async def recorded() -> Any:
                listed = await (await client.get("/api/webhooks/deliveries?state=delivered", headers=boss)).json()
                types = {d["event_type"] for d in listed["items"]}
                return listed if {"crm.disposition", "call.dispositioned"} <= types else None

            listed = await eventually(recorded)
            one = listed["items"][0]
            again = await client.post(f"/api/webhooks/deliveries/{one['id']}/resend", headers=boss)
            assert (await again.json())["state"] == "pending"
            html = await client.get("/webhooks", headers={**boss, "Accept": "text/html"})
            assert html.status == 200
            assert "webhooks.js" in await html.text()
            await client.post("/api/agents/alice/pause", json={"reason": "lunch"}, headers=alice)
    finally:
        await receiver.stop()
