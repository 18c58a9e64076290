"""Writing a scheduled callback: the pending row and the ``callback_due`` webhook event that announces it.

An agent's callback from the console (:func:`dialer.store.console.create_callback`) and a disposition that
schedules one (:func:`dialer.store.lifecycle.record_disposition`) write it the same way, each in its own transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from dialer.store.tables import callbacks_t
from dialer.webhooks import events
from dialer.webhooks.core import WebhookEvent


async def schedule_callback_in(
    conn: AsyncConnection,
    *,
    lead_id: int,
    campaign_id: int,
    due_at: datetime,
    agent: str | None,
    notes: str | None,
    now: datetime,
) -> tuple[int, WebhookEvent]:
    """A pending callback on the lead, due at ``due_at`` for ``agent`` (None: any), written in the caller's
    transaction: its id, and the ``callback_due`` event for the caller to enqueue with its other events."""
    result = await conn.execute(
        callbacks_t.insert()
        .values(
            lead_id=lead_id,
            campaign_id=campaign_id,
            due_at=due_at,
            agent=agent,
            state="pending",
            notes=notes,
            created_at=now,
            updated_at=now,
        )
        .returning(callbacks_t.c.id)
    )
    callback_id = int(result.scalar_one())
    due = events.callback_due(
        callback_id=callback_id, lead_id=lead_id, campaign_id=campaign_id, due_at=due_at, agent=agent
    )
    return callback_id, due
