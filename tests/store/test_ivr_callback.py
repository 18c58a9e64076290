"""A callback an inbound caller books in the IVR (book_callback), against the real store: the caller's number read in
the campaign's region, refused when withheld, not a number, on a DNC list, for a campaign that does not exist or on a
closed lead; else the campaign's existing lead with that number, or a new one, becomes a callback for anyone -- and
the ordinary claim dials it only inside the calling window and never once the number is on the DNC list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.campaign import minimal_campaign, stored_campaign
from sqlalchemy import select, update

from dialer.campaign.config import CampaignConfig
from dialer.store import Database
from dialer.store.console import list_callbacks
from dialer.store.dnc import add_dnc
from dialer.store.ivrcallback import Booked, Refusal, book_caller_callback
from dialer.store.lead_export import LeadExportFilter, exported_leads
from dialer.store.leads import NewLead, find_leads_by_phone, get_lead, insert_new_leads
from dialer.store.lifecycle import claim_dialable
from dialer.store.tables import leads_t

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # 10:00 in New York: inside the default calling window
NIGHT = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 02:00 in New York: outside it
KNOWN = "+12025550101"


async def campaign(db: Database, name: str = "spring", **extra: object) -> tuple[CampaignConfig, int]:
    cfg = minimal_campaign(name, timezone="America/New_York", **extra)
    cid = await stored_campaign(db, cfg, NOW)
    async with db.write() as conn:
        lead = NewLead(phone=KNOWN, status="new", next_dialable_at=NOW, tz_candidates=("America/New_York",))
        await insert_new_leads(conn, cid, None, [lead], NOW)
    return cfg, cid


async def test_a_caller_with_a_lead_gets_a_callback_on_it(db: Database) -> None:
    _, cid = await campaign(db)
    (lead,) = await find_leads_by_phone(db, cid, KNOWN)
    booked = await book_caller_callback(db, "spring", "(202) 555-0101", NOW + timedelta(minutes=30), "ivr", NOW)
    assert isinstance(booked, Booked)
    assert (booked.lead_id, booked.new_lead, booked.due_at) == (lead.id, False, NOW + timedelta(minutes=30))
    assert not booked.moved  # 10:30 where the caller lives: inside the calling window, due when asked
    total, (listing,) = await list_callbacks(db, campaign_id=cid)
    assert total == 1
    assert (listing.phone, listing.callback.agent, listing.callback.state) == (KNOWN, None, "pending")
    assert listing.callback.notes == "ivr"
    after = await get_lead(db, lead.id)
    assert after is not None
    assert (after.status, after.callback_at, after.callback_agent) == ("callback", NOW + timedelta(minutes=30), None)


async def test_a_caller_without_a_lead_gets_a_new_one_in_the_campaign(db: Database) -> None:
    _, cid = await campaign(db)
    booked = await book_caller_callback(db, "spring", "2025550177", NOW, None, NOW)  # national: read in the US
    assert isinstance(booked, Booked)
    assert booked.new_lead
    (lead,) = await find_leads_by_phone(db, cid, "+12025550177")
    assert lead.id == booked.lead_id
    assert (lead.status, lead.callback_at, lead.tz_candidates) == ("callback", NOW, ["America/New_York"])
    # booked twice: the same lead, a second callback
    again = await book_caller_callback(db, "spring", "+12025550177", NOW, None, NOW)
    assert isinstance(again, Booked)
    assert (again.lead_id, again.new_lead) == (lead.id, False)


async def test_refusals(db: Database) -> None:
    _, cid = await campaign(db)
    await campaign(db, "other")
    assert await book_caller_callback(db, "nope", KNOWN, NOW, None, NOW) is Refusal.UNKNOWN_CAMPAIGN
    for withheld in ("", "unknown", "Anonymous"):
        assert await book_caller_callback(db, "spring", withheld, NOW, None, NOW) is Refusal.NO_NUMBER
    for bad in ("12", "0312345678", "letters"):
        assert await book_caller_callback(db, "spring", bad, NOW, None, NOW) is Refusal.INVALID_NUMBER
    await add_dnc(db, "+12025550188", now=NOW)  # the global list
    await add_dnc(db, "+12025550199", campaign_id=cid, now=NOW)  # this campaign's list
    assert await book_caller_callback(db, "spring", "+12025550188", NOW, None, NOW) is Refusal.DNC
    assert await book_caller_callback(db, "spring", "+12025550199", NOW, None, NOW) is Refusal.DNC
    assert isinstance(await book_caller_callback(db, "other", "+12025550199", NOW, None, NOW), Booked)
    async with db.write() as conn:
        await conn.execute(update(leads_t).where(leads_t.c.campaign_id == cid).values(status="done"))
    assert await book_caller_callback(db, "spring", KNOWN, NOW, None, NOW) is Refusal.LEAD_CLOSED
    total, _ = await list_callbacks(db, campaign_id=cid)
    assert total == 0  # nothing booked for a refused caller
    async with db.read() as conn:
        phones = set((await conn.execute(select(leads_t.c.phone).where(leads_t.c.campaign_id == cid))).scalars())
    assert phones == {KNOWN}  # and no lead created


async def test_the_callback_is_dialled_by_the_ordinary_claim_under_its_rules(db: Database) -> None:
    cfg, cid = await campaign(db)
    booked = await book_caller_callback(db, "spring", "+12025550177", NIGHT, None, NIGHT)
    assert isinstance(booked, Booked)
    # asked for now, but 02:00 where the caller lives: due when the window opens there (08:00), and said so
    assert (booked.due_at, booked.moved) == (datetime(2026, 12, 7, 13, 0, tzinfo=UTC), True)
    (lead,) = await find_leads_by_phone(db, cid, "+12025550177")
    assert (lead.status, lead.callback_at, lead.next_dialable_at) == ("callback", booked.due_at, booked.due_at)
    batch = await claim_dialable(db, cfg, campaign_id=cid, owner="d1", limit=10, now=NIGHT)
    assert batch.leads == []
    # inside the window it is dialled first (callbacks before new leads)
    batch = await claim_dialable(db, cfg, campaign_id=cid, owner="d1", limit=1, now=NOW)
    assert [lead.id for lead in batch.leads] == [booked.lead_id]
    # a number that joins the DNC list after the booking is never dialled
    other = await book_caller_callback(db, "spring", "+12025550166", NOW, None, NOW)
    assert isinstance(other, Booked)
    await add_dnc(db, "+12025550166", now=NOW)
    batch = await claim_dialable(db, cfg, campaign_id=cid, owner="d1", limit=10, now=NOW)
    assert other.lead_id not in [lead.id for lead in batch.leads]


async def test_a_number_the_calling_window_never_opens_for_is_refused(db: Database) -> None:
    """A lead with no time zone, in a campaign that skips such leads, would never be dialled: no promise is made."""
    _, cid = await campaign(db, timezones={"fallback": "skip"})
    async with db.write() as conn:
        await conn.execute(update(leads_t).where(leads_t.c.campaign_id == cid).values(tz_candidates=[]))
    assert await book_caller_callback(db, "spring", KNOWN, NOW, None, NOW) is Refusal.NO_WINDOW
    total, _ = await list_callbacks(db, campaign_id=cid)
    assert total == 0


async def test_the_lead_export_reads_the_callback_the_caller_asked_for(db: Database) -> None:
    _, cid = await campaign(db)
    due = NOW + timedelta(minutes=30)
    booked = await book_caller_callback(db, "spring", KNOWN, due, None, NOW, source="ivr flow support")
    assert isinstance(booked, Booked)
    assert await book_caller_callback(db, "spring", "+12025550102", due, None, NOW) is not None
    leads = [lead async for page in exported_leads(db, LeadExportFilter(cid)) for lead in page]
    asked = {lead.phone: (lead.requested_callback_source, lead.requested_callback_at) for lead in leads}
    assert asked == {KNOWN: ("ivr flow support", NOW), "+12025550102": ("ivr", NOW)}
    assert {lead.requested_callback_due for lead in leads} == {due}
