"""What the running daemon needs from the store besides the lead lifecycle: undo an Originate that never left,
the calls a daemon adopts, and what a runner loaded mid-day reads of the campaign's past: the abandon-window history
and the dials its pacer learns its estimates from."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, delete, func, select

from dialer.calls.adoption import OpenAttempt
from dialer.calls.outcome import ANSWERED_OUTCOMES, AbandonRules, AnswerCount, count_answer
from dialer.store.claim import Release, release_in
from dialer.store.engine import Database
from dialer.store.tables import IN_CALL_STATUS, attempts_t, leads_t


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


async def open_attempts(
    db: Database, campaign_id: int, now: datetime, *, exclude: Collection[int] = ()
) -> list[OpenAttempt]:
    """The campaign's attempts with no outcome yet (but those in ``exclude``: the caller's calls in flight), with
    who holds their lead. Served by the partial index ``ix_attempts_open``, so it stays cheap on years of calls."""
    a, lead = attempts_t.c, leads_t.c
    claim_live = and_(lead.status == IN_CALL_STATUS, lead.lease_expires_at >= now)
    stmt = (
        select(
            a.id,
            a.lead_id,
            a.phone,
            a.action_id,
            a.channel_id,
            a.started_at,
            a.answered_at,
            a.connected_at,
            a.agent,
            a.amd_status,
            a.amd,
            lead.claim_owner,
            claim_live.label("claim_live"),
        )
        .select_from(attempts_t.join(leads_t, lead.id == a.lead_id))
        .where(a.campaign_id == campaign_id, a.ended_at.is_(None))
        .order_by(a.id)
    )
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).all()
    skip = set(exclude)
    return [
        OpenAttempt(
            attempt_id=int(r.id),
            lead_id=int(r.lead_id),
            phone=r.phone,
            action_id=r.action_id,
            channel_id=r.channel_id,
            started_at=r.started_at.timestamp(),
            answered_at=r.answered_at.timestamp() if r.answered_at is not None else None,
            connected_at=r.connected_at.timestamp() if r.connected_at is not None else None,
            agent=r.agent,
            amd_status=r.amd_status,
            amd=r.amd,
            claim_owner=r.claim_owner,
            claim_live=bool(r.claim_live),
        )
        for r in rows
        if int(r.id) not in skip
    ]


async def answer_history(
    db: Database, campaign_id: int, since: datetime, rules: AbandonRules
) -> list[tuple[datetime, AnswerCount]]:
    """How each answered call of the campaign since ``since`` counts in the abandon rate (``count_answer``, the one
    definition), with the time it counts at (answered, else ended), oldest first."""
    c = attempts_t.c
    stmt = (
        select(c.outcome, c.amd_status, c.answered_at, c.ended_at)
        .where(c.campaign_id == campaign_id, c.outcome.in_(ANSWERED_OUTCOMES), c.ended_at >= since)
        .order_by(c.ended_at)
    )
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).all()
    out: list[tuple[datetime, AnswerCount]] = []
    for outcome, amd_status, answered, ended in rows:
        after = (ended - answered).total_seconds() if answered is not None and ended is not None else None
        count = count_answer(outcome, amd_status=amd_status, seconds_after_answer=after, rules=rules)
        if count.counts:
            out.append((answered or ended, count))
    return out


async def calls_since(db: Database, campaign_id: int, since: datetime) -> int:
    """How many calls the campaign has placed since ``since`` (its attempts started since then)."""
    c = attempts_t.c
    stmt = select(func.count()).select_from(attempts_t).where(c.campaign_id == campaign_id, c.started_at >= since)
    async with db.read() as conn:
        return int((await conn.execute(stmt)).scalar_one())


@dataclass(frozen=True, slots=True)
class DialFact:
    """One ended dial of a campaign, as its pacer learns from it: when it went out, how long it rang (to the
    answer, or to its end when nobody answered), its outcome and AMD verdict, and what its lead had before it
    (the attempts counted before this dial, the previous dial's outcome, the lead's zones)."""

    started_at: datetime
    ring_seconds: float
    outcome: str
    amd_status: str | None
    amd: bool | None
    attempts_before: int
    previous_outcome: str | None
    tz_candidates: tuple[str, ...]
    postal_zones: tuple[str, ...]


async def dial_history(
    db: Database, campaign_id: int, since: datetime, limit: int, counted_outcomes: Collection[str]
) -> list[DialFact]:
    """The campaign's last ``limit`` dials started since ``since`` that ended with a ring time, in the order they
    ended.

    ``attempts_before`` counts the lead's earlier dials whose outcome is in ``counted_outcomes`` (those its retry
    rules count against ``max_attempts``), so that it is what ``leads.attempts`` held when the dial was claimed."""
    a = attempts_t.c
    # The latest dials by their start (the index on campaign and start time serves it on years of calls).
    recent = (
        select(a.id)
        .where(
            a.campaign_id == campaign_id,
            a.started_at >= since,
            a.ended_at.is_not(None),
            a.ring_seconds.is_not(None),
            a.outcome.is_not(None),
        )
        .order_by(a.started_at.desc(), a.id.desc())
        .limit(limit)
    )
    earlier = (a.started_at, a.id)
    counted = case((a.outcome.in_(sorted(counted_outcomes)), 1), else_=0)
    numbered = (
        select(
            a.id,
            a.lead_id,
            func.coalesce(func.sum(counted).over(partition_by=a.lead_id, order_by=earlier, rows=(None, -1)), 0).label(
                "attempts_before"
            ),
            func.lag(a.outcome).over(partition_by=a.lead_id, order_by=earlier).label("previous_outcome"),
        )
        .where(a.campaign_id == campaign_id, a.lead_id.in_(select(a.lead_id).where(a.id.in_(recent))))
        .subquery()
    )
    lead = leads_t.c
    stmt = (
        select(
            a.started_at,
            a.ring_seconds,
            a.outcome,
            a.amd_status,
            a.amd,
            numbered.c.attempts_before,
            numbered.c.previous_outcome,
            lead.tz_candidates,
            lead.postal_zones,
        )
        .join(numbered, numbered.c.id == a.id)
        .join(leads_t, lead.id == a.lead_id)
        .where(a.id.in_(recent))
        .order_by(a.ended_at, a.id)
    )
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).all()
    return [
        DialFact(
            started_at=r.started_at,
            ring_seconds=float(r.ring_seconds),
            outcome=r.outcome,
            amd_status=r.amd_status,
            amd=r.amd,
            attempts_before=int(r.attempts_before),
            previous_outcome=r.previous_outcome,
            tz_candidates=tuple(r.tz_candidates or ()),
            postal_zones=tuple(r.postal_zones or ()),
        )
        for r in rows
    ]
