"""Claim tests' world: a campaign, leads added as the import does, and one mixed set of due and not-due leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dialer.store import Database
from dialer.store.campaigns import apply_campaign
from dialer.store.leads import NewLead, insert_new_leads

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


async def make_campaign(db: Database, name: str = "c1") -> int:
    return (await apply_campaign(db, name, {"name": name}, NOW)).campaign.id


async def add_leads(db: Database, campaign_id: int, leads: list[NewLead]) -> None:
    async with db.write() as conn:
        await insert_new_leads(conn, campaign_id, None, leads, NOW)


def lead(n: int, *, status: str = "new", due: timedelta = timedelta(0), priority: int = 0, **kw: Any) -> NewLead:
    return NewLead(phone=f"+1415555{n:04d}", status=status, next_dialable_at=NOW + due, priority=priority, **kw)


def mixed_due_leads() -> list[NewLead]:
    """Six leads: two due new ones, a due one of better priority, one not due yet, a due retry, an archived one."""
    return [
        lead(1, due=-timedelta(minutes=5)),
        lead(2, due=-timedelta(minutes=50)),
        lead(3, priority=5, due=-timedelta(minutes=1)),
        lead(4, due=timedelta(minutes=1)),  # not due yet
        lead(5, status="retry", due=-timedelta(minutes=10)),
        lead(6, status="archived"),
    ]
