"""Scheduled callbacks in the store: writing one (the pending row and the ``callback_due`` webhook event that
announces it), and its state following what happens to its lead.

An agent's callback from the console (:func:`dialer.store.console.create_callback`) and a disposition that
schedules one (:func:`dialer.store.lifecycle.record_disposition`) write it the same way, each in its own transaction.

A callback is ``pending`` until one of these, each written in the transaction that makes it so:

* ``done``: the lead is dialled for it -- an attempt starts on the lead at or after its due time, or up to
  :data:`~dialer.campaign.rules.CALLBACK_EARLY` before (:func:`callbacks_kept_in`, from every attempt start; the
  attempt is its ``kept_by``). If that call finds the number dead and the lead has another phone, its promise
  carries over to a new pending callback on the lead, due at the same time for the same agent with the same notes
  (:func:`carry_over_in`; the done one's ``carried_to``), announced as ``callback.due`` with ``carried_from``;
* ``cancelled``: by a user (:func:`dialer.store.console.cancel_callback`), or because its lead closed for good
  (done, DNC, archived, exhausted) before it was kept (:func:`callbacks_dropped_in`);
* while pending, it outlives the calls of its lead that do not keep it, and its lead's spent attempt budget
  (:func:`dialer.campaign.rules.with_pending_callback`, fed by :func:`pending_callback_in`).

A lead with several pending callbacks waits for one at a time, the one :func:`pending_callback_in` picks (the
soonest due: :func:`dialer.campaign.rules.held_callback`), whichever change wrote the others: a booking, a cancel,
the end of a call, a disposition.

Each change returns its webhook events (``callback.done``, ``callback.cancelled`` with its :func:`cancel_reason`)
for the caller to enqueue in the same transaction; only the rows changed there are announced (``UPDATE ...
RETURNING`` guarded by ``state = 'pending'``). The same change withdraws the callback's ``callback.due`` if it is
still waiting for its due time (:func:`dialer.store.webhooks.withdraw_unsent_in`): a callback kept early or
cancelled is never announced as due afterwards.

Whether a kept callback was on time or late, and a pending one missed, is the performance report's reading of the
calls (:func:`dialer.reports.performance_scan.callback_figures`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import Update, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dialer.campaign.rules import (
    CALLBACK_EARLY,
    TERMINAL_STATUSES,
    LeadSnapshot,
    LeadStatus,
    PendingCallback,
    held_callback,
)
from dialer.store.campaigns import STORED_REGIME, regime_named
from dialer.store.tables import ERASED_ARCHIVE_REASON, callbacks_t, campaigns_t, leads_t
from dialer.store.webhooks import withdraw_unsent_in
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
    carried_from: int | None = None,
) -> tuple[int, WebhookEvent]:
    """A pending callback on the lead, due at ``due_at`` for ``agent`` (None: any), written in the caller's
    transaction: its id, and the ``callback_due`` event for the caller to enqueue with its other events.
    ``carried_from``: the callback whose promise this one carries over (:func:`carry_over_in`)."""
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
        callback_id=callback_id,
        lead_id=lead_id,
        campaign_id=campaign_id,
        due_at=due_at,
        agent=agent,
        carried_from=carried_from,
    )
    return callback_id, due


async def pending_callback_in(conn: AsyncConnection, lead_id: int) -> PendingCallback | None:
    """The pending callback the lead waits for (None: it has none): :func:`dialer.campaign.rules.held_callback` of
    its pending callbacks -- the soonest due, or, where the campaign's regime requires consent and the lead has none,
    the one its called party asked for. What every change of the lead's callbacks writes on the lead: a booking, a
    cancel, the end of a call, a disposition."""
    c, lead = callbacks_t.c, leads_t.c
    rows = (
        await conn.execute(
            select(
                c.due_at,
                c.agent,
                lead.consent_source,
                lead.consent_at,
                lead.requested_callback_source,
                lead.requested_callback_at,
                lead.requested_callback_due,
                STORED_REGIME.label("regime"),
            )
            .join(leads_t, lead.id == c.lead_id)
            .join(campaigns_t, campaigns_t.c.id == lead.campaign_id)
            .where(c.lead_id == lead_id, c.state == PENDING)
            .order_by(c.id)
        )
    ).all()
    if not rows:
        return None
    first = rows[0]
    asked = LeadSnapshot(
        id=lead_id,
        campaign="",
        phone="",
        consent_source=first.consent_source,
        consent_at=first.consent_at,
        requested_callback_source=first.requested_callback_source,
        requested_callback_at=first.requested_callback_at,
        requested_callback_due=first.requested_callback_due,
    )
    only_asked = asked.dialled_only_as_requested(regime_named(first.regime).requires_consent)
    return held_callback(
        PendingCallback(row.due_at, row.agent, only_asked and asked.requested(row.due_at)) for row in rows
    )


async def carry_over_in(conn: AsyncConnection, lead_id: int, attempt_id: int, now: datetime) -> list[WebhookEvent]:
    """The callbacks of the lead that ``attempt_id``'s call kept carry over to the lead's next phone (the call found
    the number dead: :func:`dialer.campaign.rules.carries_callbacks_over`): a pending callback each, due at the same
    time for the same agent with the same notes, the kept one's ``carried_to``. Their ``callback.due`` events (with
    ``carried_from``), for the caller to enqueue."""
    c = callbacks_t.c
    kept = (
        await conn.execute(
            select(c.id, c.campaign_id, c.due_at, c.agent, c.notes)
            .where(c.lead_id == lead_id, c.kept_by == attempt_id, c.state == DONE, c.carried_to.is_(None))
            .order_by(c.id)
        )
    ).all()
    announced: list[WebhookEvent] = []
    for callback in kept:
        carried_id, due = await schedule_callback_in(
            conn,
            lead_id=lead_id,
            campaign_id=int(callback.campaign_id),
            due_at=callback.due_at,
            agent=callback.agent,
            notes=callback.notes,
            now=now,
            carried_from=int(callback.id),
        )
        await conn.execute(update(callbacks_t).where(c.id == callback.id).values(carried_to=carried_id, updated_at=now))
        announced.append(due)
    return announced


async def _closed(conn: AsyncConnection, statement: Update, now: datetime) -> list[events.Callback]:
    """The pending callbacks an UPDATE of ``callbacks`` closed (kept or cancelled), by id; the ``callback.due`` of
    each is withdrawn if its delivery is still waiting for its due time (after ``now``): it will not fall due."""
    c = callbacks_t.c
    rows = (await conn.execute(statement.returning(c.id, c.lead_id, c.campaign_id, c.due_at, c.agent))).all()
    closed = sorted((events.Callback(*row) for row in rows), key=lambda callback: callback.callback_id)
    await withdraw_unsent_in(conn, [events.callback_due_id(callback.callback_id) for callback in closed], now)
    return closed


async def callbacks_kept_in(conn: AsyncConnection, attempts: Mapping[int, int], at: datetime) -> list[WebhookEvent]:
    """Calls start ``at``, ``attempts`` by lead id: the leads' pending callbacks due by then (or within
    CALLBACK_EARLY) are kept (``done``, ``kept_by`` the lead's attempt). The ``callback.done`` event of each, for the
    caller to enqueue."""
    if not attempts:
        return []
    c = callbacks_t.c
    # The due ones first (one statement whatever the number of leads: an expanding IN), then each kept by its own
    # lead's attempt -- a CASE over the leads would be a new statement, compiled and cached, for every claim size.
    due = (
        await conn.execute(
            select(c.id, c.lead_id).where(
                c.state == PENDING, c.lead_id.in_(sorted(attempts)), c.due_at <= at + CALLBACK_EARLY
            )
        )
    ).all()
    kept: list[events.Callback] = []
    for callback_id, lead_id in due:
        kept += await _closed(
            conn,
            update(callbacks_t)
            .where(c.id == callback_id, c.state == PENDING)
            .values(state=DONE, kept_by=attempts[lead_id], updated_at=at),
            at,
        )
    return [events.callback_done(callback, attempt_id=attempts[callback.lead_id], at=at) for callback in kept]


def cancel_reason(lead_status: str, archive_reason: str | None) -> str:
    """Why a callback was cancelled, as ``callback.cancelled`` says: the closing of its lead (its status: done, dnc,
    archived, exhausted; ``erased`` for an archived lead erased on request). A user's cancel is :data:`BY_USER`."""
    if lead_status == LeadStatus.ARCHIVED.value and archive_reason == ERASED_ARCHIVE_REASON:
        return ERASED_ARCHIVE_REASON
    return lead_status


BY_USER = "user"  # the cancel reason of a callback a user cancelled (the console, POST /api/callbacks/{id}/cancel)


async def cancel_in(conn: AsyncConnection, reasons: Mapping[int, str], now: datetime) -> list[WebhookEvent]:
    """Cancel these callbacks (``reasons``: why, by callback id) if still pending: the ``callback.cancelled`` event of
    each one cancelled here (a callback kept or cancelled meanwhile by another transaction is not)."""
    if not reasons:
        return []
    c = callbacks_t.c
    cancelled = await _closed(
        conn,
        update(callbacks_t)
        .where(c.state == PENDING, c.id.in_(sorted(reasons)))
        .values(state=CANCELLED, updated_at=now),
        now,
    )
    return [events.callback_cancelled(callback, reason=reasons[callback.callback_id], at=now) for callback in cancelled]


async def callbacks_dropped_in(conn: AsyncConnection, lead_ids: Collection[int], now: datetime) -> list[WebhookEvent]:
    """The pending callbacks of those of these leads that are closed for good (done, DNC, archived, exhausted) now
    can never be kept: ``cancelled``, each with its lead's closing as the reason (:func:`cancel_reason`). Their
    ``callback.cancelled`` events, for the caller to enqueue after its own events of the leads."""
    if not lead_ids:
        return []
    c, lead = callbacks_t.c, leads_t.c
    closed = await conn.execute(
        select(c.id, lead.status, lead.archive_reason)
        .join(leads_t, lead.id == c.lead_id)
        .where(
            c.state == PENDING,
            c.lead_id.in_(sorted(set(lead_ids))),
            lead.status.in_(sorted(s.value for s in TERMINAL_STATUSES)),
        )
    )
    reasons = {int(row.id): cancel_reason(row.status, row.archive_reason) for row in closed}
    return await cancel_in(conn, reasons, now)
