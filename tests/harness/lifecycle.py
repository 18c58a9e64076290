"""The lead-lifecycle tests' world: a campaign (spring, US rules) at a Monday morning when New York's calling window is
open and Los Angeles's is not, its leads added as the import does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialer.campaign.config import CampaignConfig
from dialer.store import Database
from dialer.store.leads import NewLead, insert_new_leads
from harness.campaign import minimal_campaign as config
from harness.campaign import stored_campaign

# Monday 2 March 2026, 14:00 UTC: 09:00 in New York (EST) -- open; 06:00 in Los Angeles (PST) -- closed.
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
LA_OPENS = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # 08:00 PST
NY, LA = "America/New_York", "America/Los_Angeles"


async def setup(db: Database, leads: list[NewLead], **extra: object) -> tuple[CampaignConfig, int]:
    """The campaign (``extra``: its TOML keys over :func:`config`'s) and its leads."""
    cfg = config(**extra)
    cid = await stored_campaign(db, cfg, NOW)
    async with db.write() as conn:
        await insert_new_leads(conn, cid, None, leads, NOW)
    return cfg, cid


def lead(phone: str, zones: list[str], **kw: object) -> NewLead:
    return NewLead(phone=phone, status="new", next_dialable_at=NOW - timedelta(minutes=1), tz_candidates=zones, **kw)  # type: ignore[arg-type]
