"""Attempts: the call record of every dial (start, answer, connect, end, outcome, AMD, agent, disposition)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Numeric, and_, case, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dialer.campaign.late_disposition import CallDispositionState
from dialer.store.callbacks import callbacks_kept_in
from dialer.store.changes import not_none
from dialer.store.engine import Database
from dialer.store.records import RecordReader, by_id
from dialer.store.tables import attempts_t
from dialer.store.webhooks import enqueue_in
from dialer.webhooks import events


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One call record as stored: the dial, its times, outcome and AMD verdict, agent and disposition."""

    id: int
    lead_id: int
    campaign_id: int
    phone: str
    caller_id: str | None
    server: str | None
    trunk: str | None
    action_id: str | None
    channel_id: str | None
    started_at: datetime
    answered_at: datetime | None
    connected_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    hangup_cause: int | None
    amd_status: str | None
    amd_cause: str | None
    agent: str | None
    disposition: str | None
    notes: str | None
    abandoned: bool
    ring_seconds: float | None
    outcome_inferred: bool = False
    amd: bool | None = None  # placed with AMD; None: not recorded
    timed_out_disposition: str | None = None  # the campaign's timeout_disposition gave it (kept when replaced)
    late_disposition_at: datetime | None = None  # the agent's late disposition: when, and who gave it
    late_disposition_by: str | None = None

    def disposition_state(self) -> CallDispositionState:
        """What the late disposition rule reads of the call (dialer.campaign.late_disposition)."""
        return CallDispositionState(
            agent=self.agent,
            ended_at=self.ended_at,
            disposition=self.disposition,
            timed_out_disposition=self.timed_out_disposition,
            late_disposition_at=self.late_disposition_at,
        )


attempt_record = RecordReader(AttemptRecord)


@dataclass(frozen=True, slots=True)
class AttemptStart:
    """What is known when the Originate is sent."""

    lead_id: int
    campaign_id: int
    phone: str
    started_at: datetime
    caller_id: str | None = None
    server: str | None = None
    trunk: str | None = None
    action_id: str | None = None
    channel_id: str | None = None
    amd: bool | None = None  # placed with AMD (``DIALER_AMD``); None: not known when written


@dataclass(frozen=True, slots=True)
class AttemptProgress:
    """Facts learnt while the call runs; None leaves a column as it is."""

    answered_at: datetime | None = None
    connected_at: datetime | None = None
    amd_status: str | None = None
    amd_cause: str | None = None
    agent: str | None = None
    channel_id: str | None = None


@dataclass(frozen=True, slots=True)
class AttemptEnd:
    """How the call ended (the outcome itself is passed separately)."""

    ended_at: datetime
    hangup_cause: int | None = None
    ring_seconds: float | None = None
    answered_at: datetime | None = None
    connected_at: datetime | None = None
    amd_status: str | None = None
    amd_cause: str | None = None
    agent: str | None = None


async def start_attempt(db: Database, start: AttemptStart) -> int:
    """Insert the attempt row before the Originate goes out; its id travels as DIALER_ATTEMPT."""
    async with db.write() as conn:
        return await start_attempt_in(conn, start)


async def start_attempt_in(conn: AsyncConnection, start: AttemptStart) -> int:
    (attempt_id,) = await start_attempts_in(conn, [start])
    return attempt_id


async def start_attempts(db: Database, starts: list[AttemptStart]) -> list[int]:
    """Insert a batch of attempt rows in one transaction (one per claimed lead); ids in the same order."""
    async with db.write() as conn:
        return await start_attempts_in(conn, starts)


async def start_attempts_in(conn: AsyncConnection, starts: Sequence[AttemptStart]) -> list[int]:
    """One multi-row INSERT ... RETURNING for the whole batch (one round trip to the driver, not one per row)."""
    if not starts:
        return []
    rows = [{**{f.name: getattr(s, f.name) for f in fields(AttemptStart)}, "abandoned": False} for s in starts]
    stmt = attempts_t.insert().returning(attempts_t.c.id, sort_by_parameter_order=True)
    ids = [int(i) for i in (await conn.execute(stmt, rows)).scalars()]
    announced = [
        events.call_started(
            attempt_id=i,
            lead_id=s.lead_id,
            campaign_id=s.campaign_id,
            phone=s.phone,
            started_at=s.started_at,
            caller_id=s.caller_id,
            server=s.server,
        )
        for i, s in zip(ids, starts, strict=True)
    ]
    by_lead = {s.lead_id: i for i, s in zip(ids, starts, strict=True)}
    kept = await callbacks_kept_in(conn, by_lead, max(s.started_at for s in starts))
    await enqueue_in(conn, [*announced, *kept], starts[0].started_at)
    return ids


async def update_attempt(db: Database, attempt_id: int, progress: AttemptProgress) -> None:
    values = not_none(**{f.name: getattr(progress, f.name) for f in fields(AttemptProgress)})
    if not values:
        return
    async with db.write() as conn:
        stmt = update(attempts_t).where(attempts_t.c.id == attempt_id).values(**values)
        if progress.answered_at is None:
            await conn.execute(stmt)
            return
        row = (await conn.execute(stmt.returning(attempts_t.c.lead_id, attempts_t.c.campaign_id))).first()
        if row is not None:
            answered = events.call_answered(
                attempt_id=attempt_id, lead_id=row[0], campaign_id=row[1], answered_at=progress.answered_at
            )
            await enqueue_in(conn, [answered], progress.answered_at)


async def get_attempt(db: Database, attempt_id: int) -> AttemptRecord | None:
    return await attempt_record.first(db, by_id(attempts_t, attempt_id))


async def attempts_of_lead(db: Database, lead_id: int) -> list[AttemptRecord]:
    a = attempts_t.c
    return await attempt_record.all(db, select(attempts_t).where(a.lead_id == lead_id).order_by(a.started_at))


@dataclass(frozen=True, slots=True)
class AgentFigures:
    """An agent's calls, talk time (from connected to ended) and dispositions, from the call records."""

    agent: str
    calls: int
    talk_seconds: float
    dispositions: dict[str, int]


def _talk_seconds(db: Database) -> ColumnElement[float]:
    """SQL: a call record's talk time in seconds (connected to ended; 0 when it has none), to the millisecond."""
    a = attempts_t.c
    if db.is_sqlite:  # UTCDateTime is ISO text there: julianday reads it
        seconds: ColumnElement[Any] = (func.julianday(a.ended_at) - func.julianday(a.connected_at)) * 86400.0
    else:
        seconds = cast(func.extract("epoch", a.ended_at - a.connected_at), Numeric)
    talked = and_(a.connected_at.is_not(None), a.ended_at.is_not(None), a.ended_at > a.connected_at)
    return case((talked, func.round(seconds, 3)), else_=0)


async def figures_by_agent(
    db: Database, *where: ColumnElement[bool], agents: Collection[str] = ()
) -> dict[str, AgentFigures]:
    """The figures of each agent of the attempts matching ``where`` (calls nobody took count for nobody); each of
    ``agents`` is listed even idle. Counted and summed in the database (per disposition and agent): a large
    centre's day is 100 000s of calls, and the dashboard asks every few seconds. Grouped by disposition first: by
    agent first, SQLite's planner reads the agent index in order (to skip the grouping's sort) and with it every
    call record kept, instead of the range of start times asked for."""
    a = attempts_t.c
    query = (
        select(a.agent, a.disposition, func.count(), func.sum(_talk_seconds(db)))
        .where(*where)
        .group_by(a.disposition, a.agent)
    )
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    out = {name: AgentFigures(name, 0, 0.0, {}) for name in sorted(agents)}
    for agent, disposition, calls, talk in rows:
        if agent is None:
            continue
        figures = out.get(agent) or AgentFigures(agent, 0, 0.0, {})
        dispositions = dict(figures.dispositions)
        if disposition:
            dispositions[disposition] = dispositions.get(disposition, 0) + int(calls)
        out[agent] = AgentFigures(
            agent, figures.calls + int(calls), figures.talk_seconds + float(talk or 0), dispositions
        )
    return out
