"""Messages from supervisors and managers to agents in the store: the message (``messages``: sender, audience,
text, sent time) and one receipt per recipient (``message_recipients``: when they read it, None while unread).

:func:`send_message` writes a message and its receipts (audit-logged in the same transaction) for the recipients
the caller resolved (:func:`recipients_of`: an agent, a team's members, every enabled agent); :func:`mark_read`
records a recipient's reading; the listings read them with their receipts. Messages are purged after
``message_retention_days`` (:func:`delete_messages_before`, the daemon's daily maintenance).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import BigInteger, ColumnElement, Index, String, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import Field, SQLModel

from dialer.agents.messages import Audience
from dialer.store.admin import UnknownTeamError, teams_t
from dialer.store.audit import audit_in
from dialer.store.auth import Role, UnknownUserError, users_t
from dialer.store.engine import Database
from dialer.store.records import RecordReader, paged
from dialer.store.tables import BigId, metadata
from dialer.store.types import UTCDateTime

assert metadata is SQLModel.metadata


class MessageRow(SQLModel, table=True):
    """A message sent to an agent, a team's members or every agent."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_sender_sent", "sender", "sent_at"),)

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    sender: str = Field(max_length=64)
    sent_at: datetime = Field(sa_type=UTCDateTime, index=True)
    audience: str = Field(max_length=16)  # agent | team | everyone (dialer.agents.messages.Audience)
    audience_name: str | None = Field(default=None, max_length=100)  # the agent's or the team's name
    text: str = Field(sa_type=String(500))


class MessageRecipientRow(SQLModel, table=True):
    """A recipient of a message and when they read it (None: not yet)."""

    __tablename__ = "message_recipients"
    __table_args__ = (Index("ix_message_recipients_agent_read", "agent", "read_at"),)

    message_id: int = Field(sa_type=BigInteger, foreign_key="messages.id", primary_key=True)
    agent: str = Field(max_length=64, primary_key=True)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


messages_t = metadata.tables["messages"]
recipients_t = metadata.tables["message_recipients"]


@dataclass(frozen=True, slots=True)
class Receipt:
    """A recipient of a message and when they read it (None: unread)."""

    agent: str
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: int
    sender: str
    sent_at: datetime
    audience: Audience
    audience_name: str | None
    text: str
    recipients: tuple[Receipt, ...] = ()

    def receipt_of(self, agent: str) -> Receipt | None:
        return next((r for r in self.recipients if r.agent == agent), None)


@dataclass(frozen=True, slots=True)
class MessageFilter:
    """Which messages a listing shows: those ``recipient`` received (``unread``: only those they have not read),
    and, for a reader with a scope (a supervisor), those ``sender`` sent or any of ``agents`` received."""

    recipient: str | None = None
    unread: bool = False
    sender: str | None = None
    agents: Collection[str] | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        m, r = messages_t.c, recipients_t.c
        where: list[ColumnElement[bool]] = []
        if self.recipient is not None:
            mine = [r.message_id == m.id, r.agent == self.recipient]
            if self.unread:
                mine.append(r.read_at.is_(None))
            where.append(exists().where(*mine))
        if self.agents is not None:
            theirs = exists().where(r.message_id == m.id, r.agent.in_(sorted(self.agents)))
            where.append(or_(m.sender == self.sender, theirs) if self.sender is not None else theirs)
        return where


_message = RecordReader(MessageRecord, audience=Audience)  # (its receipts read apart: _with_receipts)


async def recipients_of(db: Database, audience: Audience, name: str | None) -> list[str]:
    """The users a message to ``audience`` goes to: the agent ``name`` (a user; :class:`UnknownUserError` if
    not one), the enabled members of team ``name`` (:class:`UnknownTeamError`), or every enabled agent."""
    u = users_t.c
    async with db.read() as conn:
        if audience is Audience.AGENT:
            found = (await conn.execute(select(u.name).where(u.name == name, u.disabled.is_(False)))).scalar()
            if found is None:
                raise UnknownUserError(str(name))
            return [str(found)]
        if audience is Audience.TEAM:
            team_id = (await conn.execute(select(teams_t.c.id).where(teams_t.c.name == name))).scalar()
            if team_id is None:
                raise UnknownTeamError(str(name))
            query = select(u.name).where(u.team_id == team_id, u.disabled.is_(False))
        else:
            query = select(u.name).where(u.role == Role.AGENT.value, u.disabled.is_(False))
        return sorted(str(n) for n in (await conn.execute(query)).scalars())


async def _with_receipts(conn: AsyncConnection, found: Sequence[MessageRecord]) -> list[MessageRecord]:
    if not found:
        return []
    r = recipients_t.c
    rows = (
        await conn.execute(
            select(r.message_id, r.agent, r.read_at).where(r.message_id.in_([m.id for m in found])).order_by(r.agent)
        )
    ).all()
    receipts: dict[int, list[Receipt]] = {}
    for message_id, agent, read_at in rows:
        receipts.setdefault(int(message_id), []).append(Receipt(str(agent), read_at))
    return [replace(m, recipients=tuple(receipts.get(m.id, ()))) for m in found]


async def send_message(
    db: Database,
    *,
    sender: str,
    audience: Audience,
    audience_name: str | None,
    recipients: Collection[str],
    text: str,
    now: datetime,
) -> MessageRecord:
    """Store a message to ``recipients`` (each unread), audit-logged (``message.send``) in the same transaction."""
    m = messages_t.c
    async with db.write() as conn:
        inserted = await conn.execute(
            messages_t.insert()
            .values(sender=sender, sent_at=now, audience=audience.value, audience_name=audience_name, text=text)
            .returning(m.id)
        )
        message_id = int(inserted.scalar_one())
        names = sorted(set(recipients))
        if names:
            await conn.execute(recipients_t.insert(), [{"message_id": message_id, "agent": n} for n in names])
        target = f"{audience.value}:{audience_name}" if audience_name is not None else audience.value
        await audit_in(conn, sender, "message.send", target, now, message_id=message_id, recipients=len(names))
        found = await _message.all_in(conn, select(messages_t).where(m.id == message_id))
        return (await _with_receipts(conn, found))[0]


async def get_message(db: Database, message_id: int) -> MessageRecord | None:
    async with db.read() as conn:
        found = await _message.all_in(conn, select(messages_t).where(messages_t.c.id == message_id))
        records = await _with_receipts(conn, found)
    return records[0] if records else None


async def mark_read(db: Database, message_id: int, agent: str, now: datetime) -> MessageRecord | None:
    """``agent`` read the message (the first reading's time is kept). None when they are not one of its
    recipients (or there is no such message)."""
    r = recipients_t.c
    async with db.write() as conn:
        receipt = (
            await conn.execute(select(r.read_at).where(r.message_id == message_id, r.agent == agent).with_for_update())
        ).first()
        if receipt is None:
            return None
        if receipt.read_at is None:
            await conn.execute(
                recipients_t.update().where(r.message_id == message_id, r.agent == agent).values(read_at=now)
            )
        found = await _message.all_in(conn, select(messages_t).where(messages_t.c.id == message_id))
        return (await _with_receipts(conn, found))[0]


async def list_messages(
    db: Database, where: MessageFilter, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[MessageRecord]]:
    """One page of the messages ``where`` selects, latest first, with their receipts, and how many there are."""
    m = messages_t.c
    query = select(messages_t).order_by(m.sent_at.desc(), m.id.desc())
    total, found = await paged(db, messages_t, query, where.conditions(), _message, limit=limit, offset=offset)
    async with db.read() as conn:
        return total, await _with_receipts(conn, found)


async def delete_messages_before(db: Database, cutoff: datetime, *, batch: int = 10_000) -> int:
    """Delete the messages sent before ``cutoff`` (retention) with their receipts, in batches. How many."""
    m = messages_t.c
    total = 0
    while True:
        async with db.write() as conn:
            ids = list((await conn.execute(select(m.id).where(m.sent_at < cutoff).limit(batch))).scalars())
            if not ids:
                return total
            await conn.execute(delete(recipients_t).where(recipients_t.c.message_id.in_(ids)))
            await conn.execute(delete(messages_t).where(m.id.in_(ids)))
        total += len(ids)
