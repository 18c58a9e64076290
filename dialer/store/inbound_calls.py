"""Inbound calls: one row per caller's visit to an inbound queue and how it ended (answered, abandoned, timed out,
refused), written by the daemon as each visit ends, read by the inbound report (dialer.reports.inbound)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Index, delete, func, select
from sqlmodel import Field, SQLModel

from dialer.inbound.calls import InboundOutcome
from dialer.store.engine import Database
from dialer.store.records import RecordReader, in_period
from dialer.store.tables import metadata
from dialer.store.types import UTCDateTime

assert metadata is SQLModel.metadata


class InboundCallRow(SQLModel, table=True):
    __tablename__ = "inbound_calls"
    __table_args__ = (
        Index("ix_inbound_calls_queue_joined", "queue", "joined_at"),
        Index("ix_inbound_calls_joined", "joined_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    server: str | None = Field(default=None, max_length=100)
    queue: str = Field(max_length=100)
    caller: str = Field(default="", max_length=64)  # the caller's number as the PBX gave it
    joined_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime = Field(sa_type=UTCDateTime)
    outcome: str = Field(max_length=16)  # InboundOutcome
    wait_seconds: float
    talk_seconds: float | None = None
    agent: str | None = Field(default=None, max_length=100)  # the agent who answered (by their phone)
    queue_status: str | None = Field(default=None, max_length=32)  # Queue()'s QUEUESTATUS, when it returned


inbound_calls_t = metadata.tables["inbound_calls"]


@dataclass(frozen=True, slots=True)
class InboundCallRecord:
    """One caller's visit to an inbound queue, as stored."""

    server: str | None
    queue: str
    caller: str
    joined_at: datetime
    ended_at: datetime
    outcome: InboundOutcome
    wait_seconds: float
    talk_seconds: float | None = None
    agent: str | None = None
    queue_status: str | None = None


_record = RecordReader(InboundCallRecord, outcome=InboundOutcome)


async def record_inbound_calls(db: Database, calls: Sequence[InboundCallRecord]) -> None:
    """Append a batch of finished visits in one transaction."""
    if not calls:
        return
    rows = [{**asdict(c), "outcome": c.outcome.value} for c in calls]
    async with db.write() as conn:
        await conn.execute(inbound_calls_t.insert(), rows)


async def inbound_calls(
    db: Database, *, queue: str | None = None, since: datetime | None = None, until: datetime | None = None
) -> list[InboundCallRecord]:
    """The stored visits, oldest first, by queue and by when the caller called (joined the queue)."""
    t = inbound_calls_t
    query = select(t).order_by(t.c.joined_at, t.c.id)
    if queue is not None:
        query = query.where(t.c.queue == queue)
    query = query.where(*in_period(t.c.joined_at, since, until))
    return await _record.all(db, query)


async def inbound_queue_names(db: Database) -> list[str]:
    """Every queue with a stored visit."""
    async with db.read() as conn:
        rows = await conn.execute(select(inbound_calls_t.c.queue).distinct().order_by(inbound_calls_t.c.queue))
        return [row[0] for row in rows]


async def delete_inbound_calls_before(db: Database, before: datetime) -> int:
    """Retention: delete visits that began before ``before``; the number deleted."""
    async with db.write() as conn:
        result = await conn.execute(delete(inbound_calls_t).where(inbound_calls_t.c.joined_at < before))
        return int(result.rowcount or 0)


async def count_inbound_calls_before(db: Database, before: datetime) -> int:
    async with db.read() as conn:
        query = select(func.count()).select_from(inbound_calls_t).where(inbound_calls_t.c.joined_at < before)
        return int((await conn.execute(query)).scalar_one())
