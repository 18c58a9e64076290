"""The pacer's look-ahead: the leads the next claim would take, read in the claim's order without claiming them."""

from __future__ import annotations

from harness import lists
from harness.claims import LEASE, NOW, add_leads, lead, make_campaign, mixed_due_leads
from sqlalchemy import update

from dialer.store import Database
from dialer.store.claim import ClaimOrder, claim_leads, upcoming_leads
from dialer.store.leads import LeadRecord
from dialer.store.lists import update_list
from dialer.store.tables import leads_t


async def upcoming_as_claimed(db: Database, campaign_id: int, limit: int) -> list[LeadRecord]:
    """The ``limit`` upcoming leads of the campaign (at the lists' ``NOW``, the default order), checked to be the
    leads a claim of as many then takes."""
    ahead = await upcoming_leads(db, campaign_id=campaign_id, limit=limit, now=lists.NOW, order=ClaimOrder())
    claimed = await claim_leads(db, campaign_id=campaign_id, owner="r", limit=limit, now=lists.NOW, lease=LEASE)
    assert {g.id for g in claimed} == {g.id for g in ahead}
    return ahead


async def test_upcoming_leads_are_the_next_claims_in_order_and_stay_unclaimed(db: Database) -> None:
    cid = await make_campaign(db)
    await add_leads(db, cid, mixed_due_leads())
    async with db.write() as conn:
        await conn.execute(
            update(leads_t).where(leads_t.c.phone == lead(5).phone).values(attempts=2, last_outcome="no_answer")
        )
    order = ClaimOrder()
    ahead = await upcoming_leads(db, campaign_id=cid, limit=10, now=NOW, order=order)
    assert [g.phone[-1] for g in ahead] == ["3", "2", "5", "1"]
    assert all(g.claim_owner is None and g.status in ("new", "retry") for g in ahead)
    retry = next(g for g in ahead if g.phone.endswith("5"))
    assert (retry.attempts, retry.last_outcome) == (2, "no_answer")
    assert [g.id for g in await upcoming_leads(db, campaign_id=cid, limit=2, now=NOW, order=order)] == [
        g.id for g in ahead[:2]
    ]
    claimed = await claim_leads(db, campaign_id=cid, owner="a", limit=10, now=NOW, lease=LEASE, order=order)
    assert [g.id for g in claimed] == [g.id for g in ahead]
    assert await upcoming_leads(db, campaign_id=cid, limit=10, now=NOW, order=order) == []


async def test_upcoming_leads_follow_the_priority_mix_of_the_campaigns_lists(db: Database) -> None:
    cid, _ = await lists.make_campaign(db)
    low = await lists.make_list(db, cid, "low", range(0, 10))
    high = await lists.make_list(db, cid, "high", range(100, 104))
    await update_list(db, high, lists.NOW, actor="boss", priority=10)
    ahead = await upcoming_as_claimed(db, cid, 6)
    assert [g.list_id for g in ahead] == [high] * 4 + [low] * 2


async def test_upcoming_leads_interleave_a_share_mix_as_successive_claims_take_it(db: Database) -> None:
    cid, _ = await lists.make_campaign(db)
    a = await lists.make_list(db, cid, "a", range(0, 50))
    b = await lists.make_list(db, cid, "b", range(100, 150))
    await update_list(db, a, lists.NOW, actor="boss", share=3.0)
    await update_list(db, b, lists.NOW, actor="boss", share=1.0)
    ahead = await upcoming_as_claimed(db, cid, 8)
    assert [g.list_id for g in ahead] == [a, a, b, a, a, a, b, a]
    assert len({g.id for g in ahead}) == 8


async def test_upcoming_leads_take_due_callbacks_first_from_every_list_once(db: Database) -> None:
    cid, _ = await lists.make_campaign(db)
    low = await lists.make_list(db, cid, "low", range(0, 5))
    high = await lists.make_list(db, cid, "high", range(100, 105))
    await update_list(db, high, lists.NOW, actor="boss", priority=10)
    async with db.write() as conn:
        await conn.execute(update(leads_t).where(leads_t.c.phone == "+14155550003").values(status="callback"))
    ahead = await upcoming_as_claimed(db, cid, 4)
    assert [g.phone for g in ahead][:1] == ["+14155550003"]
    assert [g.list_id for g in ahead] == [low, high, high, high]
