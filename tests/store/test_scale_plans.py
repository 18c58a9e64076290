"""The pages a large centre opens all day look their rows up through an index, on SQLite and PostgreSQL: the plan
of the statements each store function really sends (dialer.store.plans) names the index and reads no table whole.
Found by ``dialer bench scale`` (docs/benchmarks.md §2.4), indexes from migration 0039: without them each of these read
every call record, lead or audit entry -- the dashboard's agent figures every 5 seconds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from harness.claims import make_campaign
from sqlalchemy import select, update

from dialer.store import Database
from dialer.store.audit import audit_entries
from dialer.store.benchdata import generate_attempts, generate_audit, generate_leads
from dialer.store.claim import claim_leads
from dialer.store.console import LeadQuery, agent_figures, agent_may_see_lead, attempts_of_agent, search_leads
from dialer.store.plans import captured_statements, query_plans, scans_whole
from dialer.store.tables import attempts_t, leads_t

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

Call = Callable[[Database], Awaitable[object]]

CASES: dict[str, tuple[Call, str, str]] = {
    # name: (the store call, the table it must not read whole, the index it looks up)
    "dashboard agent figures": (
        lambda db: agent_figures(db, NOW - timedelta(hours=24)),
        "attempts",
        "ix_attempts_started",
    ),
    "an agent's calls": (lambda db: attempts_of_agent(db, "agent-007", 50, 0), "attempts", "ix_attempts_agent_started"),
    "an agent's leads": (lambda db: search_leads(db, LeadQuery(agent="agent-007")), "leads", "ix_leads_callback_agent"),
    "one agent's audit entries": (
        lambda db: audit_entries(db, target="agent:agent-007", limit=20),
        "audit_log",
        "ix_audit_log_target",
    ),
}


async def _centre(db: Database) -> int:
    """A small centre built the bench's way: leads, a month of calls by 20 agents, audit entries."""
    campaign_id = await make_campaign(db)
    await generate_leads(db, campaign_id, 400, NOW)
    await generate_attempts(db, campaign_id, 2000, NOW, agents=20)
    await generate_audit(db, 400, NOW, agents=20)
    async with db.write() as conn:  # a callback agent-007 owns
        await conn.execute(update(leads_t).where(leads_t.c.id == 399).values(callback_agent="agent-007"))
    return campaign_id


@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_page_of_a_big_table_is_looked_up_through_its_index(db: Database, case: str) -> None:
    await _centre(db)
    call, table, index = CASES[case]
    async with captured_statements(db) as sent:
        await call(db)
    plans = await query_plans(db, sent, prefer_index=True)
    assert plans
    assert not [p for p in plans if scans_whole(p, table)], plans
    assert any(index in p for p in plans), plans


async def test_the_claim_finds_its_leads_through_the_claim_index(db: Database) -> None:
    campaign_id = await _centre(db)
    async with captured_statements(db) as sent:
        got = await claim_leads(db, campaign_id=campaign_id, owner="a", limit=50, now=NOW, lease=timedelta(minutes=2))
    assert len(got) == 50
    plans = await query_plans(db, sent, prefer_index=True)
    assert not [p for p in plans if scans_whole(p, "leads")], plans
    assert any("ix_leads_claim" in p for p in plans), plans


async def test_an_agents_leads_are_those_they_talked_to_or_own_a_callback_of(db: Database) -> None:
    campaign_id = await _centre(db)
    total, leads = await search_leads(db, LeadQuery(agent="agent-007", limit=500))
    # agent-007 talked to call n (n % 20 == 7, n % 3 != 0), lead first + n % 400; and owns lead 399's callback
    talked = {1 + n % 400 for n in range(1, 2001) if n % 3 and n % 20 == 7}
    assert {lead.id for lead in leads} == talked | {399}
    assert total == len(talked | {399})
    assert all(lead.campaign_id == campaign_id for lead in leads)
    assert await agent_may_see_lead(db, 399, "agent-007")
    assert not await agent_may_see_lead(db, 399, "agent-008")


async def test_agent_figures_are_counted_in_the_database(db: Database) -> None:
    await _centre(db)
    since = NOW - timedelta(days=10)
    # generate_attempts: call n of 2000 starts at NOW - 30 days + n * 30 days // 2000; agent n % 20 answers it
    # unless n % 3 == 0, talks 60 s, and marks a sale when n % 5 == 0.
    span, epoch = 30 * 86400, int(NOW.timestamp())
    ours = [n for n in range(1, 2001) if n % 3 and n % 20 == 7 and epoch - span + n * span // 2000 >= since.timestamp()]
    async with db.write() as conn:  # one call of theirs talked 12.3452 s instead
        a = attempts_t.c
        one = (
            await conn.execute(
                select(a.id, a.connected_at).where(a.agent == "agent-007", a.started_at >= since).limit(1)
            )
        ).one()
        await conn.execute(
            update(attempts_t).where(a.id == one.id).values(ended_at=one.connected_at + timedelta(seconds=12.3452))
        )
    figures = (await agent_figures(db, since))["agent-007"]
    assert figures.calls == len(ours)
    assert figures.talk_seconds == pytest.approx(60.0 * (len(ours) - 1) + 12.345, abs=1e-3)
    assert figures.dispositions == {"not_interested": len(ours)}  # (n % 20 == 7: never n % 5 == 0)
    assert (await agent_figures(db, since))["agent-005"].dispositions.keys() == {"sale"}
    assert set(await agent_figures(db, since)) == {f"agent-{i:03d}" for i in range(20)}


async def test_an_agents_calls_come_a_page_at_a_time_newest_first(db: Database) -> None:
    await _centre(db)
    async with db.read() as conn:
        theirs = (
            (
                await conn.execute(
                    select(attempts_t.c.id).where(attempts_t.c.agent == "agent-007").order_by(attempts_t.c.id.desc())
                )
            )
            .scalars()
            .all()
        )
    assert len(theirs) > 60
    pages = [await attempts_of_agent(db, "agent-007", 50, offset) for offset in (0, 50, 100)]
    assert [total for total, _ in pages] == [len(theirs)] * 3
    assert [[a.id for a in page] for _, page in pages] == [list(theirs[:50]), list(theirs[50:100]), []]
    assert {a.agent for _, page in pages for a in page} == {"agent-007"}


def test_scans_whole_tells_a_scan_from_a_look_up() -> None:
    assert scans_whole("SCAN attempts", "attempts")
    assert scans_whole("SCAN attempts USING INDEX ix_attempts_campaign_started", "attempts")
    assert not scans_whole("SEARCH attempts USING INDEX ix_attempts_started (started_at>?)", "attempts")
    assert not scans_whole("SCAN leads", "attempts")
    assert scans_whole("Limit  (cost=0.00..1.00 rows=1)\n  ->  Seq Scan on attempts  (cost=0.00..1.00)", "attempts")
    assert not scans_whole("Index Scan using ix_attempts_started on attempts  (cost=0.29..8.31)", "attempts")
    assert not scans_whole("Seq Scan on attempts_archive", "attempts")
