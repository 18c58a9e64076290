"""Scheduled callbacks in the store: writing one (the pending row and the ``callback_due`` webhook event that
announces it), and its state following what happens to its lead.

An agent's callback from the console (:func:`dialer.store.console.create_callback`) and a disposition that
schedules one (:func:`dialer.store.lifecycle.record_disposition`) write it the same way, each in its own transaction.

A callback is ``pending`` until one of these, each written in the transaction that makes it so:

* ``done``: the lead is dialled for it -- an attempt starts on the lead at or after its due time, or up to
  :data:`~dialer.campaign.rules.CALLBACK_EARLY` before (:func:`callbacks_kept_in`, from every attempt start);
* ``cancelled``: by a user (:func:`dialer.store.console.cancel_callback`), or because its lead closed for good
  (done, DNC, archived, exhausted) before it was kept (:func:`callbacks_dropped_in`);
* while pending, it outlives the calls of its lead that do not keep it
  (:func:`dialer.campaign.rules.with_pending_callback`, fed by :func:`pending_callback_in`).

Whether a kept callback was on time or late, and a pending one missed, is the performance report's reading of the
calls (:func:`dialer.reports.performance_scan.callback_figures`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dialer.campaign.rules import CALLBACK_EARLY, TERMINAL_STATUSES, PendingCallback
from dialer.store.tables import callbacks_t, leads_t
from dialer.webhooks import events
from dialer.webhooks.core import WebhookEvent

# The states of a callback row (``missed`` is the reports' reading of a pending one past its grace, never stored by
# the daemon).
PENDING, DONE, CANCELLED = "pending", "done", "cancelled"


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
            state=PENDING,
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


async def pending_callback_in(conn: AsyncConnection, lead_id: int) -> PendingCallback | None:
    """The lead's pending callback due soonest (None: it has none)."""
    c = callbacks_t.c
    row = (
        await conn.execute(
            select(c.due_at, c.agent).where(c.lead_id == lead_id, c.state == PENDING).order_by(c.due_at, c.id).limit(1)
        )
    ).first()
    return None if row is None else PendingCallback(row[0], row[1])


async def callbacks_kept_in(conn: AsyncConnection, lead_ids: Collection[int], at: datetime) -> int:
    """Calls to these leads start ``at``: their pending callbacks due by then (or within CALLBACK_EARLY) are kept
    (``done``). The number kept."""
    if not lead_ids:
        return 0
    c = callbacks_t.c
    result = await conn.execute(
        update(callbacks_t)
        .where(c.state == PENDING, c.lead_id.in_(sorted(set(lead_ids))), c.due_at <= at + CALLBACK_EARLY)
        .values(state=DONE, updated_at=at)
    )
    return int(result.rowcount)


async def callbacks_dropped_in(conn: AsyncConnection, lead_ids: Collection[int], now: datetime) -> int:
    """The pending callbacks of those of these leads that are closed for good (done, DNC, archived, exhausted) now
    can never be kept: ``cancelled``. The number cancelled."""
    if not lead_ids:
        return 0
    c = callbacks_t.c
    closed = select(leads_t.c.id).where(
        leads_t.c.id.in_(sorted(set(lead_ids))), leads_t.c.status.in_(sorted(s.value for s in TERMINAL_STATUSES))
    )
    result = await conn.execute(
        update(callbacks_t).where(c.state == PENDING, c.lead_id.in_(closed)).values(state=CANCELLED, updated_at=now)
    )
    return int(result.rowcount)
