"""Manual dial (dialer.callcontrol): the lead an agent dials by hand, found or created, and claimed like any lead."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from dialer.store.engine import Database
from dialer.store.leads import LeadRecord, NewLead, insert_new_leads, lead_record
from dialer.store.tables import CLAIMABLE_STATUSES, IN_CALL_STATUS, leads_t


async def lead_for_number(db: Database, campaign_id: int, e164: str, zones: tuple[str, ...], now: datetime) -> int:
    """The campaign's lead with this number, created (status new) when there is none; returns its id."""
    c = leads_t.c
    async with db.write() as conn:
        found = (
            await conn.execute(select(c.id).where(c.campaign_id == campaign_id, c.phone == e164))
        ).scalar_one_or_none()
        if found is not None:
            return int(found)
        await insert_new_leads(
            conn, campaign_id, None, [NewLead(phone=e164, status="new", next_dialable_at=now, tz_candidates=zones)], now
        )
        return int((await conn.execute(select(c.id).where(c.campaign_id == campaign_id, c.phone == e164))).scalar_one())


async def claim_lead(db: Database, lead_id: int, owner: str, now: datetime, lease: timedelta) -> LeadRecord | None:
    """Claim this one lead for a call (as the pacer's claim does); None when it is not claimable now (in a call,
    closed, on the DNC list ...)."""
    c = leads_t.c
    async with db.write() as conn:
        result = await conn.execute(
            update(leads_t)
            .where(c.id == lead_id, c.status.in_(CLAIMABLE_STATUSES))
            .values(
                claimed_from=c.status,
                status=IN_CALL_STATUS,
                claim_owner=owner,
                lease_expires_at=now + lease,
                updated_at=now,
            )
        )
        if result.rowcount != 1:
            return None
        return await lead_record.one_in(conn, select(leads_t).where(c.id == lead_id))
