"""The pacer's look-ahead: the leads the next claim would take, read in the claim's order without claiming them."""

from __future__ import annotations

from harness.claims import LEASE, NOW, add_leads, lead, make_campaign, mixed_due_leads
from sqlalchemy import update

from dialer.store import Database
from dialer.store.claim import ClaimOrder, claim_leads, upcoming_leads
from dialer.store.tables import leads_t


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
