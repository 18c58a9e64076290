"""The pacer's memory of each campaign (:class:`dialer.pacing.memory.PacerMemory`, a JSON document): written by the
daemon that owns the campaign, read by the one that loads its runner next (a restart, a takeover)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Field, SQLModel

from dialer.store.dialect import upsert_insert
from dialer.store.engine import Database
from dialer.store.ownership import campaign_leases_t
from dialer.store.records import RecordReader
from dialer.store.tables import metadata
from dialer.store.types import UTCDateTime, json_document

assert metadata is SQLModel.metadata


class PacerMemoryRow(SQLModel, table=True):
    __tablename__ = "pacer_memory"

    campaign_id: int = Field(primary_key=True, foreign_key="campaigns.id", ondelete="CASCADE")
    owner: str = Field(max_length=255)  # the daemon that wrote it
    saved_at: datetime = Field(sa_type=UTCDateTime)
    memory: dict[str, Any] = Field(sa_type=json_document())


pacer_memory_t = metadata.tables["pacer_memory"]


@dataclass(frozen=True, slots=True)
class StoredMemory:
    campaign_id: int
    owner: str
    saved_at: datetime
    memory: dict[str, Any]


_stored_memory = RecordReader(StoredMemory, memory=dict)


async def save_pacer_memory(
    db: Database, campaign_id: int, owner: str, saved_at: datetime, memory: dict[str, Any]
) -> bool:
    """Store ``owner``'s memory of the campaign, replacing the last one -- only while ``owner`` holds the campaign's
    lease (a daemon that lost it without noticing yet must not overwrite the new owner's). False: not written."""
    lease = campaign_leases_t.c
    row = {"campaign_id": campaign_id, "owner": owner, "saved_at": saved_at, "memory": memory}
    async with db.write() as conn:
        held = await conn.execute(
            select(lease.campaign_id).where(
                lease.campaign_id == campaign_id, lease.owner == owner, lease.expires_at >= saved_at
            )
        )
        if held.first() is None:
            return False
        stmt = upsert_insert(conn, pacer_memory_t).values(row)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["campaign_id"],
                set_={"owner": stmt.excluded.owner, "saved_at": stmt.excluded.saved_at, "memory": stmt.excluded.memory},
            )
        )
    return True


async def load_pacer_memory(db: Database, campaign_id: int) -> StoredMemory | None:
    return await _stored_memory.first(db, select(pacer_memory_t).where(pacer_memory_t.c.campaign_id == campaign_id))
