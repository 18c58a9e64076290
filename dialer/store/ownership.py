"""Campaign ownership between daemons sharing one database: a lease per campaign.

A daemon runs a campaign's pacing loop only while it holds the campaign's row in ``campaign_leases`` with an
expiry in the future. It renews its leases every few seconds; a daemon that dies stops renewing, and once its
lease has expired any other daemon takes the campaign over with the same statement it uses to renew. A daemon that
drains releases its leases so the others need not wait for the expiry.

The take-over is one ``UPDATE ... WHERE owner = me OR expires_at < now``: on PostgreSQL two daemons racing for an
expired row serialise on its row lock and the second re-checks the WHERE clause against the first one's fresh
expiry, so exactly one wins. New campaigns are inserted with ON CONFLICT DO NOTHING for the same reason. Lease
times come from the daemons' clocks (as lead claims do): keep the hosts NTP-synchronised; the TTL is several
renewal periods, far above any sane clock skew.

Lead claims carry their own leases (dialer.store.claim): a campaign changing owner never strands a lead.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, or_, select, update
from sqlmodel import Field, SQLModel

from dialer.store.dialect import upsert_insert
from dialer.store.engine import Database
from dialer.store.tables import metadata
from dialer.store.types import UTCDateTime

assert metadata is SQLModel.metadata

# Renew this often; a lease lasts OWNERSHIP_TTL, so a dead daemon's campaigns move after at most TTL + one renewal.
RENEW_SECONDS = 5.0
OWNERSHIP_TTL = timedelta(seconds=20)


class CampaignLeaseRow(SQLModel, table=True):
    __tablename__ = "campaign_leases"

    campaign_id: int = Field(primary_key=True, foreign_key="campaigns.id", ondelete="CASCADE")
    owner: str = Field(max_length=255)
    acquired_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


campaign_leases_t = metadata.tables["campaign_leases"]


@dataclass(frozen=True, slots=True)
class CampaignLease:
    """Which daemon (``owner``) runs a campaign: since when, and until when its lease holds unless renewed."""

    campaign_id: int
    owner: str
    acquired_at: datetime
    expires_at: datetime


async def acquire_campaigns(
    db: Database, owner: str, campaign_ids: Collection[int], now: datetime, ttl: timedelta = OWNERSHIP_TTL
) -> set[int]:
    """Renew ``owner``'s leases and take free or expired ones among ``campaign_ids``; the ids it now holds."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return set()
    c = campaign_leases_t.c
    until = now + ttl
    async with db.write() as conn:
        await conn.execute(
            update(campaign_leases_t)
            .where(c.campaign_id.in_(ids), or_(c.owner == owner, c.expires_at < now))
            .values(
                acquired_at=case((c.owner == owner, c.acquired_at), else_=now),
                owner=owner,
                expires_at=until,
            )
        )
        await conn.execute(
            upsert_insert(conn, campaign_leases_t)
            .values([{"campaign_id": i, "owner": owner, "acquired_at": now, "expires_at": until} for i in ids])
            .on_conflict_do_nothing(index_elements=["campaign_id"])
        )
        held = await conn.execute(
            select(c.campaign_id).where(c.campaign_id.in_(ids), c.owner == owner, c.expires_at >= now)
        )
        return {row[0] for row in held}


async def release_campaigns(db: Database, owner: str, campaign_ids: Collection[int] | None = None) -> int:
    """Give up ``owner``'s leases (all of them, or these campaigns'): another daemon may take them at once."""
    c = campaign_leases_t.c
    stmt = delete(campaign_leases_t).where(c.owner == owner)
    if campaign_ids is not None:
        stmt = stmt.where(c.campaign_id.in_(list(campaign_ids)))
    async with db.write() as conn:
        result = await conn.execute(stmt)
    return result.rowcount


async def campaign_leases(db: Database, now: datetime | None = None) -> dict[int, CampaignLease]:
    """Every lease (only the live ones when ``now`` is given), by campaign id."""
    c = campaign_leases_t.c
    stmt = select(campaign_leases_t)
    if now is not None:
        stmt = stmt.where(and_(c.expires_at >= now))
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).mappings().all()
    return {
        r["campaign_id"]: CampaignLease(r["campaign_id"], r["owner"], r["acquired_at"], r["expires_at"]) for r in rows
    }
