"""The webhook tests' world: a campaign with leads in New York at 09:00 there, its attempts, fast worker settings
(loopback receiver, short polls and retries), and running the outbox worker until a condition holds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from dialer.campaign.config import CampaignConfig
from dialer.settings import WebhookSettings
from dialer.store import Database
from dialer.store.attempts import AttemptStart
from dialer.store.leads import LeadRecord, NewLead, insert_new_leads
from dialer.store.lifecycle import claim_and_start_attempts
from dialer.store.webhooks import PENDING, outbox_rows
from dialer.webhooks.worker import WebhookWorker
from harness.campaign import stored_campaign

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York
NY = "America/New_York"


async def campaign(db: Database, cfg: CampaignConfig, phones: list[str]) -> int:
    cid = await stored_campaign(db, cfg, NOW)
    leads = [
        NewLead(phone=p, status="new", next_dialable_at=NOW - timedelta(minutes=1), tz_candidates=[NY]) for p in phones
    ]
    async with db.write() as conn:
        await insert_new_leads(conn, cid, None, leads, NOW)
    return cid


def start_for(cid: int, at: datetime = NOW) -> Callable[[LeadRecord], AttemptStart]:
    return lambda lead: AttemptStart(lead_id=lead.id, campaign_id=cid, phone=lead.phone, started_at=at)


async def dial_all(db: Database, cfg: CampaignConfig, cid: int, limit: int = 10) -> list[int]:
    _, attempts = await claim_and_start_attempts(
        db, cfg, campaign_id=cid, owner="d1", limit=limit, now=NOW, start=start_for(cid)
    )
    return [a for a, _ in attempts]


async def has_pending(db: Database) -> bool:
    return any(r.state == PENDING for r in await outbox_rows(db))


def fast(**kw: object) -> WebhookSettings:
    base: dict[str, object] = {
        "allowed_destinations": ["127.0.0.1/32"],
        "poll_interval_seconds": 0.05,
        "retry_base_seconds": 0.05,
        "retry_cap_seconds": 0.2,
        "timeout_seconds": 2.0,
        "max_attempts": 50,
    }
    return WebhookSettings.model_validate(base | kw)


async def run_until(
    worker: WebhookWorker, done: Callable[[], bool], seconds: float = 15.0, *, settled: Database | None = None
) -> None:
    """Run the worker until ``done()`` (and, with ``settled``, until no row is pending or held any more)."""
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(seconds):
            while not done() or (settled is not None and await has_pending(settled)):  # noqa: ASYNC110 (polling the database)
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
