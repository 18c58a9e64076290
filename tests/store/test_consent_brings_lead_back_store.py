"""Recording consent brings back a lead its CN campaign set aside for want of it (both engines): once the called
party's consent is recorded, the lead is due again at the earliest time its other rules allow -- now, the calling
window's next opening, a pending callback's time, the re-call gap after an abandon -- in the consent's transaction
and audited; a lead its budget closed, or one on a call, is left as it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.campaign import cn_campaign_data, stored_cn_leads
from sqlalchemy import update

from dialer.campaign.config import CampaignConfig, load_campaign
from dialer.store import Database
from dialer.store.audit import audit_entries
from dialer.store.leads import get_lead, record_consent
from dialer.store.lifecycle import RECHECK_IMPOSSIBLE_AFTER, claim_dialable
from dialer.store.status import lead_status
from dialer.store.tables import leads_t

CN = load_campaign(cn_campaign_data(name="cn-back"))
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai (a Monday, no holiday)
NUMBERS = ("+8613800138001", "+8613800138002", "+8613800138003", "+8613800138004")


async def set_aside_leads(db: Database, campaign: CampaignConfig = CN) -> tuple[int, list[int]]:
    """The campaign with four leads without consent, due now, which the claim at NOW sets aside: its id and theirs."""
    cid, ids = await stored_cn_leads(db, campaign, NOW, NUMBERS)
    batch = await claim_dialable(db, campaign, campaign_id=cid, owner="r", limit=10, now=NOW)
    assert batch.leads == []
    assert batch.set_aside == {"no_consent": len(NUMBERS)}
    for lead_id in ids:
        lead = await get_lead(db, lead_id)
        assert lead is not None
        assert (lead.status, lead.next_dialable_at) == ("retry", NOW + RECHECK_IMPOSSIBLE_AFTER)  # parked
    return cid, ids


async def next_time(db: Database, lead_id: int) -> datetime:
    lead = await get_lead(db, lead_id)
    assert lead is not None
    return lead.next_dialable_at


async def test_consent_makes_a_set_aside_lead_dialable_now_and_the_claim_dials_it(db: Database) -> None:
    cid, (lead_id, *others) = await set_aside_leads(db)
    at = NOW + timedelta(hours=1)  # 11:00 in Shanghai: the window is open
    before = await lead_status(db, CN, cid, at)
    assert before.not_dialable["no_consent"] == len(NUMBERS)
    written = await record_consent(db, lead_id, "signed form", by="sue", attempt_id=None, now=at)
    assert written is not None
    assert written.recorded
    assert (written.lead.status, written.lead.next_dialable_at) == ("retry", at)
    (entry,) = (await audit_entries(db, target=f"lead:{lead_id}"))[1]
    assert entry.action == "lead.consent"
    assert entry.detail["dialable_from"] == at.isoformat()
    after = await lead_status(db, CN, cid, at)
    assert after.not_dialable["no_consent"] == len(others)
    batch = await claim_dialable(db, CN, campaign_id=cid, owner="r", limit=10, now=at)
    assert [lead.id for lead in batch.leads] == [lead_id]


async def test_consent_outside_the_window_makes_it_due_at_the_next_opening(db: Database) -> None:
    _, (lead_id, *_) = await set_aside_leads(db)
    evening = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # 21:00 in Shanghai: closed until 09:00
    await record_consent(db, lead_id, "signed form", by="sue", attempt_id=None, now=evening)
    assert await next_time(db, lead_id) == datetime(2026, 3, 3, 1, 0, tzinfo=UTC)


async def test_a_pending_callback_and_the_recall_gap_still_hold_the_lead(db: Database) -> None:
    strict = load_campaign(
        cn_campaign_data(
            name="cn-gap", compliance={"no_recall_after_abandon": "72h"}, retry={"abandoned": {"delay": "72h"}}
        )
    )
    _, (callback, abandoned, *_) = await set_aside_leads(db, strict)
    due = NOW + timedelta(days=2)
    async with db.write() as conn:
        parked = update(leads_t).where(leads_t.c.id == callback)
        await conn.execute(parked.values(status="callback", callback_at=due, callback_agent="al"))
        abandon_at = NOW - timedelta(hours=1)
        await conn.execute(update(leads_t).where(leads_t.c.id == abandoned).values(last_abandon_at=abandon_at))
    await record_consent(db, callback, "signed form", by="sue", attempt_id=None, now=NOW)
    assert await next_time(db, callback) == due
    await record_consent(db, abandoned, "signed form", by="sue", attempt_id=None, now=NOW)
    assert await next_time(db, abandoned) == abandon_at + timedelta(hours=72)


async def test_a_lead_over_its_budget_or_on_a_call_is_left_as_it_is(db: Database) -> None:
    _, (spent, on_call, *_) = await set_aside_leads(db)
    async with db.write() as conn:
        await conn.execute(update(leads_t).where(leads_t.c.id == spent).values(attempts=CN.max_attempts))
        await conn.execute(update(leads_t).where(leads_t.c.id == on_call).values(status="in_call", claim_owner="r"))
    for lead_id in (spent, on_call):
        written = await record_consent(db, lead_id, "verbal", by="sue", attempt_id=None, now=NOW)
        assert written is not None
        assert written.recorded  # the consent is recorded ...
        assert written.lead.next_dialable_at == NOW + RECHECK_IMPOSSIBLE_AFTER  # ... and the lead's time untouched
        (entry,) = (await audit_entries(db, target=f"lead:{lead_id}"))[1]
        assert entry.detail["dialable_from"] is None
