"""enqueue_in does not read the subscriptions in every write transaction (they are cached), yet a change made
through the store is seen at once, and a subscription deleted or disabled behind the cache's back (another
process) gets no outbox row and never breaks the transaction that announces the event. The worker keeps the tries
it had not recorded when a flush is cancelled."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update

from dialer.settings import WebhookSettings
from dialer.store import Database
from dialer.store.campaigns import apply_campaign
from dialer.store.tables import webhook_outbox_t, webhook_subscriptions_t
from dialer.store.webhooks import (
    DeliveryResult,
    claim_due,
    create_subscription,
    enqueue,
    outbox_counts,
    outbox_rows,
    update_subscription,
)
from dialer.webhooks.core import SUBSCRIBABLE, EventType, WebhookEvent, event_id
from dialer.webhooks.worker import WebhookWorker

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def ended(n: int, campaign_id: int) -> WebhookEvent:
    return WebhookEvent(
        type=EventType.CALL_ENDED,
        id=event_id(EventType.CALL_ENDED, n),
        occurred_at=NOW,
        campaign_id=campaign_id,
        lead_id=n,
        data={"attempt_id": n, "outcome": "no_answer"},
    )


async def test_subscriptions_are_cached_and_changes_are_seen(db: Database) -> None:
    cid = (await apply_campaign(db, "c1", {}, NOW)).campaign.id
    statements: list[str] = []
    db.time_statements(lambda sql, _: statements.append(sql))
    first = await create_subscription(
        db, campaign_id=cid, url="http://127.0.0.1:9/a", events=SUBSCRIBABLE, secret="x", now=NOW
    )
    assert await enqueue(db, [ended(1, cid)], NOW) == 1
    statements.clear()
    for n in range(2, 6):
        assert await enqueue(db, [ended(n, cid)], NOW) == 1
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "webhook_subscriptions" in s]
    assert reads == []  # four write transactions, no read of the subscriptions

    # A change through the store is seen by the next transaction.
    second = await create_subscription(
        db, campaign_id=None, url="http://127.0.0.1:9/b", events=[EventType.CALL_ENDED], secret="y", now=NOW
    )
    assert await enqueue(db, [ended(6, cid)], NOW) == 2
    await update_subscription(db, second.id, NOW, enabled=False)
    assert await enqueue(db, [ended(7, cid)], NOW) == 1

    # Behind the cache's back (another process): disabled, then deleted -- no row, no broken transaction.
    async with db.write() as conn:
        await conn.execute(update(webhook_subscriptions_t).where(webhook_subscriptions_t.c.id == first.id).values(
            enabled=False))  # fmt: skip
    assert await enqueue(db, [ended(8, cid)], NOW) == 0
    async with db.write() as conn:
        await conn.execute(delete(webhook_outbox_t).where(webhook_outbox_t.c.subscription_id == first.id))
        await conn.execute(delete(webhook_subscriptions_t).where(webhook_subscriptions_t.c.id == first.id))
    assert await enqueue(db, [ended(9, cid)], NOW) == 0
    rows = await outbox_rows(db, limit=100)
    assert sorted(r.lead_id for r in rows if r.subscription_id == second.id) == [6]


async def test_tries_of_a_flush_cancelled_mid_transaction_are_recorded_later(db: Database) -> None:
    cid = (await apply_campaign(db, "c2", {}, NOW)).campaign.id
    await create_subscription(db, campaign_id=cid, url="http://127.0.0.1:9/a", events=SUBSCRIBABLE, secret="x", now=NOW)
    await enqueue(db, [ended(n, cid) for n in range(3)], NOW)
    worker = WebhookWorker(db, WebhookSettings(allowed_destinations=["127.0.0.1/32"]), now=lambda: NOW)
    claimed = await claim_due(db, owner=worker.owner, now=NOW, lease=timedelta(seconds=60), limit=10)
    assert len(claimed) == 3
    for row in claimed:
        worker._record(DeliveryResult(row.id, True, 204, None))
    flush = asyncio.create_task(worker._flush())
    await asyncio.sleep(0)  # (inside finish's transaction)
    flush.cancel()
    await asyncio.gather(flush, return_exceptions=True)
    await worker._flush()  # what the stopping worker does on its way out
    assert (await outbox_counts(db))["delivered"] == 3
