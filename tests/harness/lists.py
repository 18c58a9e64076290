"""The lead lists the list and recycling store tests share: one campaign, lists of generated leads, and leads
scrambled into every state the store can hold."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from dialer.campaign.config import CampaignConfig, load_campaign
from dialer.store import Database
from dialer.store.campaigns import apply_campaign
from dialer.store.leads import NewLead, insert_new_leads
from dialer.store.tables import dnc_t, lead_lists_t, leads_t

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CONFIG: dict[str, object] = {
    "name": "c1",
    "queue": "sales",
    "trunk": "PJSIP/{number}@carrier",
    "caller_id": {"number": "+12025550100"},
    "max_attempts": 3,
}


async def make_campaign(db: Database) -> tuple[int, CampaignConfig]:
    """Campaign ``c1`` stored; its id and its parsed configuration."""
    record = (await apply_campaign(db, "c1", dict(CONFIG), NOW)).campaign
    return record.id, load_campaign(dict(CONFIG))


async def make_list(db: Database, campaign_id: int, name: str, phones: range) -> int:
    """A list of new leads, due now, numbered ``+1415555NNNN`` for ``NNNN`` in ``phones``; its id."""
    async with db.write() as conn:
        list_id = (
            await conn.execute(
                lead_lists_t.insert()
                .values(campaign_id=campaign_id, name=name, source_file=name, imported_at=NOW)
                .returning(lead_lists_t.c.id)
            )
        ).scalar_one()
        leads = [NewLead(phone=f"+1415555{n:04d}", status="new", next_dialable_at=NOW) for n in phones]
        await insert_new_leads(conn, campaign_id, list_id, leads, NOW)
    return int(list_id)


async def scramble(
    db: Database,
    seed: int,
    *,
    statuses: Sequence[str],
    attempted_within: timedelta,
    due_within: timedelta,
    time_zones: list[str] | None = None,
) -> None:
    """Every lead given a random status (from ``statuses``), counters, last outcome, a last attempt in the
    ``attempted_within`` before NOW, maybe an abandoned call, a next due time up to ``due_within`` after NOW (or an
    hour before), and ``time_zones`` when given; about 15 % of the numbers go on the DNC list."""
    rng = random.Random(seed)
    async with db.write() as conn:
        ids = (await conn.execute(select(leads_t.c.id, leads_t.c.phone).order_by(leads_t.c.id))).all()
        for lead_id, phone in ids:
            values: dict[str, object] = {
                "status": rng.choice(list(statuses)),
                "attempts": rng.randint(0, 4),
                "dials": rng.randint(0, 10),
                "last_outcome": rng.choice(["no_answer", "busy", "machine", None]),
                "last_attempt_at": NOW - timedelta(minutes=rng.randint(0, int(attempted_within.total_seconds() // 60))),
                "last_abandon_at": rng.choice([None, NOW - timedelta(hours=rng.randint(1, 100))]),
                "next_dialable_at": NOW + timedelta(minutes=rng.randint(-60, int(due_within.total_seconds() // 60))),
            }
            if time_zones is not None:
                values["tz_candidates"] = time_zones
            await conn.execute(update(leads_t).where(leads_t.c.id == lead_id).values(**values))
            if rng.random() < 0.15:
                await conn.execute(dnc_t.insert().values(number=phone, campaign_id=None, source="t", added_at=NOW))
