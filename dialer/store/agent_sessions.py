"""Agent sessions: each logged-in agent's queues and pause intent, and the daemon holding them, so agents outlive it.

A daemon holds the sessions of the agents it logged in (or took over) with a lease it renews alongside its campaign
leases (dialer.store.ownership). A daemon that dies stops renewing; once the lease has expired another daemon may
take the sessions over (``adopt_sessions``: one ``UPDATE ... WHERE expires_at < now``, so exactly one wins, as for
campaigns) and carry on with the agents still in Asterisk's queues. A daemon that stops cleanly releases them.

Writes are conditional on still holding the session, except the first write after a login on this daemon: the
agent's own login moves the session here (the daemon that held it notices at its next renewal and lets go).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Index, delete, or_, select, update
from sqlmodel import Field, SQLModel

from dialer.store.dialect import upsert_insert
from dialer.store.engine import Database
from dialer.store.records import RecordReader, as_tuple
from dialer.store.tables import metadata
from dialer.store.types import UTCDateTime, json_document

assert metadata is SQLModel.metadata


class AgentSessionRow(SQLModel, table=True):
    __tablename__ = "agent_sessions"
    __table_args__ = (
        Index("ix_agent_sessions_owner", "owner"),
        Index("ix_agent_sessions_expires_at", "expires_at"),
    )

    agent_id: str = Field(primary_key=True, max_length=100)
    interface: str = Field(max_length=120)
    member_name: str = Field(max_length=120)
    # The Asterisk server the agent's phone is on (NULL: no particular one, or the patterns decide on restore).
    server: str | None = Field(default=None, max_length=100)
    queues: list[str] = Field(default_factory=list, sa_type=json_document())
    paused: bool = True
    pause_reason: str | None = Field(default=None, max_length=100)
    since: datetime = Field(sa_type=UTCDateTime)  # when the stored intent (ready, or paused for this reason) began
    owner: str = Field(max_length=255)  # the daemon holding the agent
    expires_at: datetime = Field(sa_type=UTCDateTime)  # the holder's lease; renewed every few seconds
    updated_at: datetime = Field(sa_type=UTCDateTime)  # last change of the session itself (or of its holder)


agent_sessions_t = metadata.tables["agent_sessions"]


@dataclass(frozen=True, slots=True)
class AgentSessionRecord:
    """A logged-in agent's seat (interface, queue member name, queues, paused or ready) and the daemon holding it."""

    agent_id: str
    interface: str
    member_name: str
    queues: tuple[str, ...]
    paused: bool
    pause_reason: str | None
    since: datetime
    owner: str = ""
    expires_at: datetime | None = None
    updated_at: datetime | None = None
    server: str | None = None


_record = RecordReader(AgentSessionRecord, queues=as_tuple, paused=bool)


def _values(session: AgentSessionRecord, owner: str, now: datetime, until: datetime) -> dict[str, Any]:
    return {
        "agent_id": session.agent_id,
        "interface": session.interface,
        "member_name": session.member_name,
        "server": session.server or None,
        "queues": sorted(session.queues),
        "paused": session.paused,
        "pause_reason": (session.pause_reason or None) and session.pause_reason[:100],
        "since": session.since,
        "owner": owner,
        "expires_at": until,
        "updated_at": now,
    }


async def save_sessions(
    db: Database,
    owner: str,
    sessions: Sequence[AgentSessionRecord],
    now: datetime,
    until: datetime,
    *,
    take: Collection[str] = (),
) -> set[str]:
    """Write ``owner``'s sessions, held until ``until``; the agent ids written.

    A session another daemon holds (lease not expired) is left as it is, unless its agent is in ``take`` (they
    just logged in on ``owner``).
    """
    if not sessions:
        return set()
    c = agent_sessions_t.c
    written: set[str] = set()
    async with db.write() as conn:
        for forced in (True, False):
            batch = [_values(s, owner, now, until) for s in sessions if (s.agent_id in take) == forced]
            if not batch:
                continue
            stmt = upsert_insert(conn, agent_sessions_t).values(batch)
            fields = {name: stmt.excluded[name] for name in batch[0] if name != "agent_id"}
            held = None if forced else or_(c.owner == owner, c.expires_at < now)
            upsert = stmt.on_conflict_do_update(index_elements=["agent_id"], set_=fields, where=held)
            result = await conn.execute(upsert.returning(c.agent_id))
            written |= {row[0] for row in result}
    return written


async def delete_sessions(db: Database, owner: str, agent_ids: Collection[str]) -> int:
    """The agents logged out: forget ``owner``'s sessions of them (never another daemon's)."""
    if not agent_ids:
        return 0
    c = agent_sessions_t.c
    async with db.write() as conn:
        result = await conn.execute(delete(agent_sessions_t).where(c.owner == owner, c.agent_id.in_(sorted(agent_ids))))
    return result.rowcount


async def renew_sessions(db: Database, owner: str, now: datetime, ttl: timedelta) -> set[str]:
    """Extend ``owner``'s leases on its sessions; the agent ids it still holds."""
    c = agent_sessions_t.c
    async with db.write() as conn:
        result = await conn.execute(
            update(agent_sessions_t).where(c.owner == owner).values(expires_at=now + ttl).returning(c.agent_id)
        )
        return {row[0] for row in result}


async def release_sessions(db: Database, owner: str, now: datetime) -> int:
    """``owner`` stops cleanly: its sessions may be taken over at once (they stay, to be restored)."""
    c = agent_sessions_t.c
    async with db.write() as conn:
        result = await conn.execute(update(agent_sessions_t).where(c.owner == owner).values(expires_at=now))
    return result.rowcount


async def orphaned_sessions(db: Database, now: datetime, *, owner: str | None = None) -> list[AgentSessionRecord]:
    """Sessions whose holder's lease has run out (and, with ``owner``, every one ``owner`` holds)."""
    c = agent_sessions_t.c
    condition = c.expires_at < now if owner is None else or_(c.expires_at < now, c.owner == owner)
    return sorted(await _record.all(db, select(agent_sessions_t).where(condition)), key=lambda r: r.agent_id)


async def adopt_sessions(
    db: Database, owner: str, agent_ids: Collection[str], now: datetime, ttl: timedelta
) -> list[AgentSessionRecord]:
    """Take over these sessions if they are still free (lease expired) or already ``owner``'s; those taken."""
    if not agent_ids:
        return []
    c = agent_sessions_t.c
    stmt = (
        update(agent_sessions_t)
        .where(c.agent_id.in_(sorted(agent_ids)), or_(c.expires_at < now, c.owner == owner))
        .values(owner=owner, expires_at=now + ttl, updated_at=now)
        .returning(*agent_sessions_t.c)
    )
    async with db.write() as conn:
        return sorted(await _record.all_in(conn, stmt), key=lambda r: r.agent_id)


async def agent_sessions(db: Database) -> list[AgentSessionRecord]:
    """Every stored session, by agent id."""
    return sorted(await _record.all(db, select(agent_sessions_t)), key=lambda r: r.agent_id)
