"""List management in the store: the claim honours enabled, expiry and the mix; recycling writes exactly what the
pure rules allow; the audit log is append-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from harness.lists import NOW, make_campaign, make_list, scramble
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from dialer.calls.outcome import Outcome
from dialer.lists.recycle import RecycleRule, matching_rule
from dialer.store import Database
from dialer.store.audit import audit, audit_entries, audit_log_t
from dialer.store.claim import claim_leads
from dialer.store.leads import get_lead, lead_record, snapshot
from dialer.store.lists import list_views, recycle_leads, update_list
from dialer.store.tables import dnc_t, lead_lists_t, leads_t

LEASE = timedelta(minutes=2)


async def test_disabled_and_expired_lists_give_the_claim_nothing(db: Database) -> None:
    cid, _ = await make_campaign(db)
    a = await make_list(db, cid, "a", range(0, 5))
    b = await make_list(db, cid, "b", range(100, 105))
    c = await make_list(db, cid, "c", range(200, 205))
    await update_list(db, a, NOW, actor="boss", enabled=False)
    await update_list(db, b, NOW, actor="boss", valid_until=NOW - timedelta(seconds=1))
    got = await claim_leads(db, campaign_id=cid, owner="r", limit=50, now=NOW, lease=LEASE)
    assert {lead.list_id for lead in got} == {c}
    assert len(got) == 5
    await update_list(db, a, NOW, actor="boss", enabled=True)
    again = await claim_leads(db, campaign_id=cid, owner="r", limit=50, now=NOW, lease=LEASE)
    assert {lead.list_id for lead in again} == {a}
    views = {v.id: v for v in await list_views(db, cid)}
    assert views[b].public(NOW)["expired"] is True
    assert views[a].statuses == {"in_call": 5}
    _, entries = await audit_entries(db)
    assert [e.action for e in entries] == ["list.update"] * 3


async def test_priority_mix_empties_the_better_list_first(db: Database) -> None:
    cid, _ = await make_campaign(db)
    low = await make_list(db, cid, "low", range(0, 10))
    high = await make_list(db, cid, "high", range(100, 104))
    await update_list(db, high, NOW, actor="boss", priority=10)
    got = await claim_leads(db, campaign_id=cid, owner="r", limit=6, now=NOW, lease=LEASE)
    assert sorted(lead.list_id or 0 for lead in got) == sorted([high] * 4 + [low] * 2)


async def test_share_mix_splits_each_batch(db: Database) -> None:
    cid, _ = await make_campaign(db)
    a = await make_list(db, cid, "a", range(0, 50))
    b = await make_list(db, cid, "b", range(100, 150))
    await update_list(db, a, NOW, actor="boss", share=3.0)
    await update_list(db, b, NOW, actor="boss", share=1.0)
    got = await claim_leads(db, campaign_id=cid, owner="r", limit=8, now=NOW, lease=LEASE)
    assert sorted(lead.list_id or 0 for lead in got) == sorted([a] * 6 + [b] * 2)


RULES = [RecycleRule(Outcome.NO_ANSWER, timedelta(days=3)), RecycleRule(Outcome.BUSY, timedelta(hours=1))]


async def test_recycle_writes_exactly_what_the_rules_allow_and_the_claim_accepts_it(db: Database) -> None:
    cid, config = await make_campaign(db)
    fresh = await make_list(db, cid, "fresh", range(0, 150))
    old = await make_list(db, cid, "old", range(500, 650))
    await update_list(db, old, NOW, actor="boss", valid_until=NOW - timedelta(days=1))
    await scramble(
        db,
        18,
        statuses=["retry", "retry", "exhausted", "done", "archived", "dnc", "callback", "new"],
        attempted_within=timedelta(days=6),
        due_within=timedelta(days=5),
    )
    async with db.read() as conn:
        rows = (await conn.execute(select(leads_t))).mappings().all()
        dnc = set((await conn.execute(select(dnc_t.c.number))).scalars())
    expected = {
        r["id"]
        for r in rows
        if r["list_id"] != old
        and matching_rule(snapshot(lead_record(r), "c1"), RULES, config, NOW, on_dnc=r["phone"] in dnc) is not None
    }
    assert expected, "the generated leads should give the rules something to recycle"
    dry = await recycle_leads(db, campaign_id=cid, campaign_name="c1", config=config, rules=RULES, now=NOW)
    assert dry.recycled == len(expected)
    async with db.read() as conn:
        unchanged = (await conn.execute(select(leads_t))).mappings().all()
    assert [dict(r) for r in unchanged] == [dict(r) for r in rows], "a dry run writes nothing"

    done = await recycle_leads(
        db, campaign_id=cid, campaign_name="c1", config=config, rules=RULES, now=NOW, dry_run=False, actor="boss"
    )
    assert done.recycled == len(expected)
    assert set(done.by_list) <= {str(fresh)}
    before = {r["id"]: r for r in rows}
    for lead_id in expected:
        lead = await get_lead(db, lead_id)
        assert lead is not None
        assert (lead.status, lead.next_dialable_at) == ("retry", NOW)
        assert (lead.attempts, lead.dials) == (before[lead_id]["attempts"], before[lead_id]["dials"])
    # What the claim takes from the recycled leads is within budget and on no DNC list.
    claimed = await claim_leads(db, campaign_id=cid, owner="r", limit=1000, now=NOW, lease=LEASE)
    recycled_claimed = [c for c in claimed if c.id in expected]
    assert recycled_claimed
    for lead in recycled_claimed:
        assert lead.phone not in dnc
        assert lead.attempts < config.max_attempts
        assert lead.dials < config.dial_limit
    _, entries = await audit_entries(db, target="campaign:c1")
    assert entries[0].action == "lists.recycle"
    assert entries[0].detail["recycled"] == len(expected)


async def test_the_audit_log_refuses_updates_and_deletes(db: Database) -> None:
    await audit(db, "root", "user.change", "user:x", NOW, disabled=True)
    with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
        async with db.write() as conn:
            await conn.execute(update(audit_log_t).values(actor="someone else"))
    with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
        async with db.write() as conn:
            await conn.execute(audit_log_t.delete())
    total, entries = await audit_entries(db)
    assert total == 1
    assert entries[0].actor == "root"


async def test_due_callbacks_of_a_lower_list_are_not_starved_by_the_priority_mix(db: Database) -> None:
    cid, _ = await make_campaign(db)
    low = await make_list(db, cid, "low", range(0, 3))
    high = await make_list(db, cid, "high", range(100, 120))
    await update_list(db, high, NOW, actor="boss", priority=10)
    async with db.write() as conn:
        await conn.execute(update(leads_t).where(leads_t.c.list_id == low).values(status="callback", callback_at=NOW))
    got = await claim_leads(db, campaign_id=cid, owner="r", limit=5, now=NOW, lease=LEASE)
    assert sorted(lead.list_id or 0 for lead in got) == sorted([low] * 3 + [high] * 2)
    assert [lead.claimed_from for lead in got[:3]] == ["callback"] * 3


async def test_a_change_made_by_another_process_applies_once_the_cached_settings_age_out(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid, _ = await make_campaign(db)
    a = await make_list(db, cid, "a", range(0, 5))
    b = await make_list(db, cid, "b", range(100, 105))
    assert len(await claim_leads(db, campaign_id=cid, owner="r", limit=1, now=NOW, lease=LEASE)) == 1
    # As `dialer lists set` would from another process: straight to the table, this process's cache not told.
    async with db.write() as conn:
        await conn.execute(update(lead_lists_t).where(lead_lists_t.c.id == a).values(enabled=False))
    monkeypatch.setattr("dialer.store.claim.LIST_SETTINGS_TTL_SECONDS", 0.0)
    got = await claim_leads(db, campaign_id=cid, owner="r", limit=50, now=NOW, lease=LEASE)
    assert {lead.list_id for lead in got} == {b}
