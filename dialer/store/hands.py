"""Raised hands in the store (``raised_hands``): an agent's hand raised on a call (:mod:`dialer.agents.hands`), its
note and since when -- one per agent, kept in the database so that every daemon's dashboard shows it and a restart
does not lose it.

:func:`raise_hand` raises it (again: a new note, the time it was first raised kept) and :func:`lower_hand` lowers
it, each audit-logged (``hand.raise`` / ``hand.lower``) in the same transaction when someone did it (a hand that
lowers itself at the end of the call's wrap-up is not an action of anyone's).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import Field, SQLModel

from dialer.agents.hands import MAX_HAND_NOTE_CHARS, Hand, clean_note
from dialer.store.audit import audit_in
from dialer.store.dialect import upsert_insert
from dialer.store.engine import Database
from dialer.store.tables import metadata
from dialer.store.types import UTCDateTime

assert metadata is SQLModel.metadata


class RaisedHandRow(SQLModel, table=True):
    """An agent's raised hand."""

    __tablename__ = "raised_hands"

    agent_id: str = Field(max_length=64, primary_key=True)
    note: str | None = Field(default=None, max_length=MAX_HAND_NOTE_CHARS)
    raised_at: datetime = Field(sa_type=UTCDateTime)


hands_t = metadata.tables["raised_hands"]


def _hand(agent_id: str, note: str | None, raised_at: datetime) -> Hand:
    return Hand(agent_id, raised_at.timestamp(), note)


async def _get_in(conn: AsyncConnection, agent_id: str) -> Hand | None:
    row = (await conn.execute(select(hands_t).where(hands_t.c.agent_id == agent_id))).mappings().first()
    return _hand(row["agent_id"], row["note"], row["raised_at"]) if row is not None else None


async def raise_hand(db: Database, agent_id: str, note: str | None, *, actor: str, now: datetime) -> Hand:
    """Raise ``agent_id``'s hand with ``note`` (cleaned: :func:`~dialer.agents.hands.clean_note`); raised again,
    the note is replaced and the time it was first raised kept. Audited."""
    cleaned = clean_note(note)
    async with db.write() as conn:
        stmt = upsert_insert(conn, hands_t).values(agent_id=agent_id, note=cleaned, raised_at=now)
        await conn.execute(stmt.on_conflict_do_update(index_elements=["agent_id"], set_={"note": cleaned}))
        await audit_in(conn, actor, "hand.raise", f"agent:{agent_id}", now, note=cleaned)
        hand = await _get_in(conn, agent_id)
        assert hand is not None
        return hand


async def lower_hand(db: Database, agent_id: str, *, actor: str | None, now: datetime) -> Hand | None:
    """Lower ``agent_id``'s hand: by ``actor`` (audited, with how long it was raised), or by itself (None: the
    call's wrap-up is over). The hand lowered; None when it was not raised."""
    async with db.write() as conn:
        hand = await _get_in(conn, agent_id)
        if hand is None:
            return None
        await conn.execute(delete(hands_t).where(hands_t.c.agent_id == agent_id))
        if actor is not None:
            waited = round(max(0.0, now.timestamp() - hand.raised_at), 1)
            await audit_in(conn, actor, "hand.lower", f"agent:{agent_id}", now, raised_seconds=waited)
        return hand


async def get_hand(db: Database, agent_id: str) -> Hand | None:
    async with db.read() as conn:
        return await _get_in(conn, agent_id)


async def raised_hands(db: Database, agents: Collection[str] | None = None) -> dict[str, Hand]:
    """The hands raised now, by agent (``agents``: only theirs)."""
    query = select(hands_t)
    if agents is not None:
        query = query.where(hands_t.c.agent_id.in_(sorted(agents)))
    async with db.read() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return {row["agent_id"]: _hand(row["agent_id"], row["note"], row["raised_at"]) for row in rows}
