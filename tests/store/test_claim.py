"""The atomic claim: ordering, shares, leases, and concurrent claimers never sharing a lead."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from harness.claims import LEASE, NOW, add_leads, lead, make_campaign, mixed_due_leads

from dialer.store import Database
from dialer.store.attempts import AttemptStart, start_attempt
from dialer.store.claim import ClaimOrder, Release, claim_leads, release_expired_leases, release_leads
from dialer.store.leads import get_lead


async def test_claims_best_priority_then_longest_due_and_skips_future(db: Database) -> None:
    cid = await make_campaign(db)
    await add_leads(
        db,
        cid,
        mixed_due_leads(),
    )
    got = await claim_leads(db, campaign_id=cid, owner="a", limit=10, now=NOW, lease=LEASE)
    assert [g.phone[-1] for g in got] == ["3", "2", "5", "1"]
    assert all(g.status == "in_call" and g.claim_owner == "a" and g.lease_expires_at == NOW + LEASE for g in got)
    assert {g.claimed_from for g in got} == {"new", "retry"}
    assert await claim_leads(db, campaign_id=cid, owner="b", limit=10, now=NOW, lease=LEASE) == []


async def test_limit_and_successive_batches(db: Database) -> None:
    cid = await make_campaign(db)
    await add_leads(db, cid, [lead(i, due=-timedelta(seconds=i)) for i in range(10)])
    first = await claim_leads(db, campaign_id=cid, owner="a", limit=4, now=NOW, lease=LEASE)
    second = await claim_leads(db, campaign_id=cid, owner="a", limit=4, now=NOW, lease=LEASE)
    third = await claim_leads(db, campaign_id=cid, owner="a", limit=4, now=NOW, lease=LEASE)
    assert [len(first), len(second), len(third)] == [4, 4, 2]
    phones = [g.phone for g in first + second + third]
    assert len(set(phones)) == 10
    assert phones[0] == lead(9).phone  # the longest due first


async def test_callbacks_come_first_and_agent_callbacks_wait_for_their_agent(db: Database) -> None:
    cid = await make_campaign(db)
    await add_leads(
        db,
        cid,
        [
            lead(1, priority=9),
            lead(2, status="callback"),
            lead(3, status="callback"),
        ],
    )
    async with db.write() as conn:
        from sqlalchemy import update

        from dialer.store.tables import leads_t

        await conn.execute(update(leads_t).where(leads_t.c.phone == lead(3).phone).values(callback_agent="alice"))
    got = await claim_leads(db, campaign_id=cid, owner="a", limit=5, now=NOW, lease=LEASE)
    assert [g.phone for g in got] == [lead(2).phone, lead(1).phone]
    got = await claim_leads(db, campaign_id=cid, owner="a", limit=5, now=NOW, lease=LEASE, agents=["bob"])
    assert got == []
    got = await claim_leads(db, campaign_id=cid, owner="a", limit=5, now=NOW, lease=LEASE, agents=["alice"])
    assert [g.phone for g in got] == [lead(3).phone]


async def test_new_share_mixes_new_and_retry_and_fills_from_the_other(db: Database) -> None:
    cid = await make_campaign(db)
    await add_leads(db, cid, [lead(i) for i in range(10)] + [lead(100 + i, status="retry") for i in range(10)])
    got = await claim_leads(
        db, campaign_id=cid, owner="a", limit=4, now=NOW, lease=LEASE, order=ClaimOrder(new_share=0.5)
    )
    assert sorted(g.claimed_from or "" for g in got) == ["new", "new", "retry", "retry"]
    got = await claim_leads(
        db, campaign_id=cid, owner="a", limit=10, now=NOW, lease=LEASE, order=ClaimOrder(new_share=0.25)
    )
    assert sum(g.claimed_from == "new" for g in got) in (2, 3)
    # 8 retries left minus those taken; ask for more than remain of one kind: the other fills the batch.
    rest = await claim_leads(
        db, campaign_id=cid, owner="a", limit=20, now=NOW, lease=LEASE, order=ClaimOrder(new_share=0.9)
    )
    assert len(got) + len(rest) + 4 == 20


async def test_expired_leases_come_back_and_live_ones_do_not(db: Database) -> None:
    cid = await make_campaign(db)
    await add_leads(db, cid, [lead(1), lead(2, status="retry")])
    got = await claim_leads(db, campaign_id=cid, owner="crashed", limit=5, now=NOW, lease=LEASE)
    assert len(got) == 2
    assert await release_expired_leases(db, NOW + LEASE - timedelta(seconds=1)) == 0
    assert await claim_leads(db, campaign_id=cid, owner="b", limit=5, now=NOW + LEASE, lease=LEASE) == []
    assert await release_expired_leases(db, NOW + LEASE + timedelta(seconds=1)) == 2
    back = {
        g.phone: g for g in await claim_leads(db, campaign_id=cid, owner="b", limit=5, now=NOW + LEASE, lease=LEASE)
    }
    assert back[lead(1).phone].claimed_from == "new"
    assert back[lead(2).phone].claimed_from == "retry"
    assert {g.claim_owner for g in back.values()} == {"b"}


async def test_a_lead_with_an_open_attempt_is_never_released_by_the_lease_sweep(db: Database) -> None:
    cid = await make_campaign(db)
    await add_leads(db, cid, [lead(1), lead(2)])
    got = {g.phone: g for g in await claim_leads(db, campaign_id=cid, owner="crashed", limit=5, now=NOW, lease=LEASE)}
    calling = got[lead(1).phone]
    await start_attempt(db, AttemptStart(lead_id=calling.id, campaign_id=cid, phone=calling.phone, started_at=NOW))
    late = NOW + LEASE * 10
    # Only the lead without a call comes back; the one whose attempt is open stays held, however old its lease.
    assert await release_expired_leases(db, late) == 1
    assert await release_expired_leases(db, late, campaign_ids=[cid]) == 0
    again = await claim_leads(db, campaign_id=cid, owner="b", limit=5, now=late, lease=LEASE)
    assert [g.phone for g in again] == [lead(2).phone]
    assert (await get_lead(db, calling.id)).status == "in_call"  # type: ignore[union-attr]


async def test_release_puts_leads_back_with_new_due_time_only_for_the_holder(db: Database) -> None:
    cid = await make_campaign(db)
    await add_leads(db, cid, [lead(1)])
    (claimed,) = await claim_leads(db, campaign_id=cid, owner="a", limit=1, now=NOW, lease=LEASE)
    later = NOW + timedelta(hours=3)
    assert await release_leads(db, "intruder", [Release(claimed.id, later)], NOW) == 0
    assert await release_leads(db, "a", [Release(claimed.id, later)], NOW) == 1
    stored = await get_lead(db, claimed.id)
    assert stored is not None
    assert (stored.status, stored.next_dialable_at, stored.claim_owner) == ("new", later, None)
    assert await claim_leads(db, campaign_id=cid, owner="a", limit=1, now=NOW, lease=LEASE) == []
    assert len(await claim_leads(db, campaign_id=cid, owner="a", limit=1, now=later, lease=LEASE)) == 1


async def test_concurrent_claimers_on_separate_engines_never_share_a_lead(db: Database, db_target: Any) -> None:
    cid = await make_campaign(db)
    total = 300
    await add_leads(db, cid, [lead(i, due=-timedelta(seconds=i % 17), priority=i % 3) for i in range(total)])
    engines = [db_target.open() for _ in range(4)]
    claimed: dict[str, list[int]] = {}

    async def claimer(name: str, engine: Database) -> None:
        mine: list[int] = []
        while batch := await claim_leads(engine, campaign_id=cid, owner=name, limit=7, now=NOW, lease=LEASE):
            assert all(g.claim_owner == name for g in batch)
            mine.extend(g.id for g in batch)
            await asyncio.sleep(0)
        claimed[name] = mine

    try:
        await asyncio.gather(*(claimer(f"w{i}-{j}", engines[i]) for i in range(4) for j in range(2)))
    finally:
        for engine in engines:
            await engine.dispose()
    every = [lead_id for ids in claimed.values() for lead_id in ids]
    assert len(every) == total
    assert len(set(every)) == total
    assert sum(1 for ids in claimed.values() if ids) >= 2  # the work really was shared
