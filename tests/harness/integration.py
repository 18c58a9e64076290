"""Web worlds wired to a contact centre's other systems (issue 18): a campaign's CRM pop-up and disposition call,
the webhook settings of the running app, and a second campaign whose leads a supervisor's team does not work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from dialer.appkeys import DATABASE, SETTINGS
from dialer.campaign.config import load_campaign_file
from dialer.settings import WebhookSettings
from dialer.store import open_database
from dialer.store.campaigns import apply_campaign
from dialer.store.leads import NewLead, insert_new_leads
from dialer.store.tables import leads_t
from harness.paths import REPO
from harness.web import WebWorld

CRM_HOST = "crm.example.com"
CRM_SECRET = "crm-secret-value"
OTHER = {"name": "other", "queue": "sales", "trunk": "PJSIP/{number}@carrier", "caller_id": {"number": "+14155550100"}}
OTHER_PHONES = ("+14155559001", "+14155559002", "+14155559003")


def fast_webhooks(world: WebWorld, **extra: Any) -> None:
    """Deliveries to loopback and the CRM host, polled and retried quickly (before the app starts)."""
    base: dict[str, Any] = {
        "allowed_destinations": [CRM_HOST, "127.0.0.1/32"],
        "poll_interval_seconds": 0.1,
        "retry_base_seconds": 0.1,
        "retry_cap_seconds": 0.5,
        "crm_secret": CRM_SECRET,
    }
    world.app[SETTINGS].webhooks = WebhookSettings.model_validate(base | extra)


async def with_crm(world: WebWorld, *, mode: str, disposition_url: str | None) -> None:
    """The demo campaign's CRM pop-up (``mode`` tab or frame) on CRM_HOST and its disposition URL."""
    cfg = load_campaign_file(REPO / "campaigns/demo.toml").model_dump(mode="json")
    cfg["crm"] = {
        "popup_url": f"https://{CRM_HOST}/contacts/{{external_id}}?attempt={{attempt_id}}&agent={{agent}}",
        "popup_mode": mode,
        "disposition_url": disposition_url,
    }
    async with open_database(world.settings.database_url) as db:  # (the app may not have started yet)
        await apply_campaign(db, "demo", cfg, datetime.now(UTC))


async def other_campaign(world: WebWorld) -> list[int]:
    """A second campaign with three leads (OTHER_PHONES); alice holds a callback of the first. Their ids."""
    db = world.app[DATABASE]
    now = datetime.now(UTC)
    cid = (await apply_campaign(db, "other", dict(OTHER), now)).campaign.id
    async with db.write() as conn:
        leads = [NewLead(phone=p, status="new", next_dialable_at=now) for p in OTHER_PHONES]
        await insert_new_leads(conn, cid, None, leads, now)
        ids = list(
            (
                await conn.execute(select(leads_t.c.id).where(leads_t.c.campaign_id == cid).order_by(leads_t.c.id))
            ).scalars()
        )
        await conn.execute(
            update(leads_t)
            .where(leads_t.c.id == ids[0])
            .values(status="callback", callback_at=now + timedelta(hours=1), callback_agent="alice")
        )
    return ids
