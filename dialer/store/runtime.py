"""What the running daemon needs from the store besides the lead lifecycle: undo an Originate that never left,
the abandon-window history after a restart, pending callbacks for the scheduler."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from dialer.store.claim import Release, release_in
from dialer.store.engine import Database
from dialer.store.tables import attempts_t, callbacks_t

LIVE_OUTCOMES = ("connected", "abandoned")


async def discard_unsent_attempt(db: Database, attempt_id: int, owner: str, now: datetime) -> None:
    """The Originate never reached Asterisk: nothing was dialled, so no attempt. Delete its row and give the lead
    back to the status it was claimed from (not counted, next dialable time unchanged), in one transaction."""
    async with db.write() as conn:
        lead_id = (
            await conn.execute(select(attempts_t.c.lead_id).where(attempts_t.c.id == attempt_id))
        ).scalar_one_or_none()
        if lead_id is None:
            return
        await conn.execute(delete(attempts_t).where(attempts_t.c.id == attempt_id))
        await release_in(conn, owner, [Release(lead_id)], now)


async def live_answer_history(db: Database, campaign_id: int, since: datetime) -> list[tuple[datetime, bool]]:
    """``(answered or ended at, abandoned)`` of the campaign's live answers since ``since``, oldest first."""
    c = attempts_t.c
    at = c.answered_at
    stmt = (
        select(at, c.ended_at, c.abandoned)
        .where(c.campaign_id == campaign_id, c.outcome.in_(LIVE_OUTCOMES), c.ended_at >= since)
        .order_by(c.ended_at)
    )
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).all()
    return [(answered or ended, bool(abandoned)) for answered, ended, abandoned in rows]


async def pending_callbacks(db: Database, campaign_id: int) -> list[tuple[int, datetime, str | None]]:
    """``(lead id, due at, owning agent or None)`` of the campaign's pending callbacks, soonest first."""
    c = callbacks_t.c
    stmt = (
        select(c.lead_id, c.due_at, c.agent)
        .where(c.campaign_id == campaign_id, c.state == "pending")
        .order_by(c.due_at)
    )
    async with db.read() as conn:
        return [(lead_id, due_at, agent) for lead_id, due_at, agent in (await conn.execute(stmt)).all()]
