"""Agent state history: one row per state change, written by the daemon, read by the reports (ACW, pause, idle
time, occupancy), by the staffing what-if (measured wrap-up times) and by a runner loaded mid-day (the handle times
its pacer learns).

A signed-in agent's change of queues with no change of state is a row too: ``status`` = ``previous`` = the state they
stay in, ``reason`` :data:`QUEUES_CHANGED_REASON` (a paused agent's: their pause code, so the pause reads as one) and
the new ``queues`` -- so whoever reads the queues (the staffing forecast's agents logged in) has them from the
moment they changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Index, and_, or_, select
from sqlmodel import Field, SQLModel

from dialer.store.engine import Database
from dialer.store.tables import metadata
from dialer.store.types import UTCDateTime, json_document

assert metadata is SQLModel.metadata

# The reason of a row that records a change of queues, not of state (the agent stays in ``status``).
QUEUES_CHANGED_REASON = "queues_changed"


class AgentEventRow(SQLModel, table=True):
    __tablename__ = "agent_events"
    __table_args__ = (Index("ix_agent_events_agent_at", "agent", "at"), Index("ix_agent_events_at", "at"))

    id: int | None = Field(default=None, primary_key=True)
    agent: str = Field(max_length=100)
    at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(max_length=16)  # the AgentStatus entered
    previous: str | None = Field(default=None, max_length=16)
    reason: str | None = Field(default=None, max_length=100)  # pause code, or what caused the change
    queue: str | None = Field(default=None, max_length=100)  # the queue of the call, when on one
    # The queues the agent was signed in to (asked to be in) after the change; NULL: not recorded (older rows).
    queues: list[str] | None = Field(default=None, sa_type=json_document())


agent_events_t = metadata.tables["agent_events"]


@dataclass(frozen=True, slots=True)
class AgentEventRecord:
    """One change of an agent's state: the status entered, the one left, why, the queue of the call, and the queues
    the agent is signed in to (None: not known)."""

    agent: str
    at: datetime
    status: str
    previous: str | None
    reason: str | None = None
    queue: str | None = None
    queues: tuple[str, ...] | None = None


async def record_agent_events(db: Database, events: Sequence[AgentEventRecord]) -> None:
    """Append a batch of state changes in one transaction."""
    if not events:
        return
    async with db.write() as conn:
        rows = [{**asdict(e), "queues": None if e.queues is None else list(e.queues)} for e in events]
        await conn.execute(agent_events_t.insert(), rows)


async def recent_agent_events(
    db: Database, queue: str, since: datetime, limit: int, *, until: datetime | None = None
) -> list[AgentEventRecord]:
    """The last ``limit`` state changes since ``since`` (and before ``until``) of the agents who took a call of
    ``queue`` in that time, oldest first (a runner loaded mid-day learns its campaign's talk and wrap-up times from
    them; the staffing forecast its inbound queue's wrap-up). Changes of queues alone are left out: no talk or
    wrap-up begins or ends with them."""
    t = agent_events_t.c
    window = (t.at >= since) if until is None else and_(t.at >= since, t.at < until)
    state_change = or_(
        t.previous.is_(None), t.status != t.previous, t.reason.is_(None), t.reason != QUEUES_CHANGED_REASON
    )
    on_queue = select(t.agent).where(t.queue == queue, window)
    latest = (
        select(t.agent, t.at, t.status, t.previous, t.reason, t.queue, t.id)
        .where(window, state_change, t.agent.in_(on_queue))
        .order_by(t.at.desc(), t.id.desc())
        .limit(limit)
        .subquery()
    )
    stmt = select(latest.c.agent, latest.c.at, latest.c.status, latest.c.previous, latest.c.reason, latest.c.queue)
    async with db.read() as conn:
        rows = (await conn.execute(stmt.order_by(latest.c.at, latest.c.id))).all()
    return [AgentEventRecord(r.agent, r.at, r.status, r.previous, r.reason, r.queue) for r in rows]
