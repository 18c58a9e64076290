"""Quality evaluations in the store (dialer.store.evaluations), on SQLite and PostgreSQL: one per call and evaluator
(scoring again replaces it, audited both times, announced as evaluation.saved), listings by agent, campaign, period
and scope, the per-agent figures, and the retention purge deleting them with their calls."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from harness.claims import NOW, add_leads, lead, make_campaign
from sqlalchemy import select, update

from dialer.quality.scorecard import default_scorecard
from dialer.quality.scoring import score
from dialer.store import Database
from dialer.store.attempts import AttemptStart, start_attempt
from dialer.store.audit import audit_entries
from dialer.store.evaluations import (
    EvaluationFilter,
    EvaluationRecord,
    agent_quality,
    list_evaluations,
    save_evaluation,
)
from dialer.store.reports import delete_attempts_before
from dialer.store.tables import attempts_t, leads_t
from dialer.store.webhooks import create_subscription, outbox_rows

CARD = default_scorecard()
GOOD: dict[str, Any] = {
    "greeting": True,
    "compliance": True,
    "discovery": 5,
    "resolution": 4,
    "courtesy": 5,
    "disposition": True,
}
CRITICAL: dict[str, Any] = {**GOOD, "compliance": False}


async def _call(db: Database, campaign: int, agent: str, n: int, started: timedelta = timedelta(0)) -> int:
    await add_leads(db, campaign, [lead(n)])
    async with db.read() as conn:
        lead_id = (await conn.execute(select(leads_t.c.id).where(leads_t.c.phone == lead(n).phone))).scalar_one()
    attempt = await start_attempt(db, AttemptStart(lead_id, campaign, lead(n).phone, NOW + started))
    async with db.write() as conn:
        await conn.execute(update(attempts_t).where(attempts_t.c.id == attempt).values(agent=agent))
    return attempt


async def _save(
    db: Database, attempt: int, campaign: int, agent: str, evaluator: str, answers: dict[str, Any], at: datetime = NOW
) -> tuple[EvaluationRecord, bool]:
    return await save_evaluation(
        db,
        attempt_id=attempt,
        campaign_id=campaign,
        agent=agent,
        evaluator=evaluator,
        answers=answers,
        comment="well done",
        scored=score(CARD, answers),
        scorecard=CARD.model_dump(mode="json"),
        now=at,
    )


async def test_one_evaluation_per_call_and_evaluator_the_latest_replacing_it(db: Database) -> None:
    campaign = await make_campaign(db)
    await create_subscription(db, campaign_id=None, url="https://crm.example.com/h", events=["*"], secret="s", now=NOW)
    attempt = await _call(db, campaign, "alice", 1)
    first, replaced = await _save(db, attempt, campaign, "alice", "sue", CRITICAL)
    assert not replaced
    assert (first.score, first.critical_failed, first.campaign, first.comment) == (0.0, True, "c1", "well done")
    again, replaced = await _save(db, attempt, campaign, "alice", "sue", GOOD, NOW + timedelta(minutes=5))
    assert replaced
    assert again.id == first.id
    assert (again.score, again.critical_failed, again.created_at) == (95.6, False, NOW + timedelta(minutes=5))
    assert again.scorecard == CARD.model_dump(mode="json")
    other, _ = await _save(db, attempt, campaign, "alice", "boss", GOOD)
    total, items = await list_evaluations(db, EvaluationFilter(attempt_id=attempt))
    assert total == 2
    assert {(e.evaluator, e.score) for e in items} == {("sue", 95.6), ("boss", 95.6)}
    # Audited (both of sue's saves) and announced each time.
    _, audit = await audit_entries(db, target=f"call:{attempt}")
    assert [(a.actor, a.action) for a in reversed(audit)] == [
        ("sue", "evaluation.save"),
        ("sue", "evaluation.replace"),
        ("boss", "evaluation.save"),
    ]
    assert audit[-1].detail == {"agent": "alice", "score": 0.0, "critical_failed": True}
    announced = [r for r in await outbox_rows(db) if r.event_type == "evaluation.saved"]
    assert len(announced) == 3
    assert other.id != first.id


async def test_listings_filter_by_agent_campaign_period_and_scope_and_figures_per_agent(db: Database) -> None:
    c1 = await make_campaign(db, "c1")
    c2 = await make_campaign(db, "c2")
    a1 = await _call(db, c1, "alice", 1)
    a2 = await _call(db, c1, "alice", 2)
    b1 = await _call(db, c2, "bob", 3)
    await _save(db, a1, c1, "alice", "sue", GOOD, NOW)
    await _save(db, a2, c1, "alice", "sue", CRITICAL, NOW + timedelta(days=1))
    await _save(db, b1, c2, "bob", "boss", GOOD, NOW + timedelta(days=2))
    total, items = await list_evaluations(db, EvaluationFilter())
    assert total == 3
    assert [e.attempt_id for e in items] == [b1, a2, a1]  # latest first
    assert (await list_evaluations(db, EvaluationFilter(agent="alice")))[0] == 2
    assert (await list_evaluations(db, EvaluationFilter(campaign_id=c2)))[0] == 1
    assert (await list_evaluations(db, EvaluationFilter(agents={"bob"})))[0] == 1
    assert (await list_evaluations(db, EvaluationFilter(agents=set())))[0] == 0
    day2 = EvaluationFilter(since=NOW + timedelta(days=1), until=NOW + timedelta(days=2))
    assert [e.attempt_id for e in (await list_evaluations(db, day2))[1]] == [a2]
    paged = await list_evaluations(db, EvaluationFilter(), limit=1, offset=1)
    assert (paged[0], [e.attempt_id for e in paged[1]]) == (3, [a2])
    figures = {f.agent: f for f in await agent_quality(db, EvaluationFilter())}
    assert (figures["alice"].evaluations, figures["alice"].mean_score, figures["alice"].critical_failures) == (
        2,
        47.8,
        1,
    )
    assert (figures["bob"].calls, figures["bob"].evaluations, figures["bob"].critical_failures) == (1, 1, 0)
    # A calibration: a second evaluator scores alice's good call. It weighs once, with the mean of its scores, and
    # her mean stays the mean over her calls; a critical failure by either evaluator fails the call once.
    await _save(db, a1, c1, "alice", "boss", CRITICAL, NOW + timedelta(days=3))
    await _save(db, a2, c1, "alice", "boss", CRITICAL, NOW + timedelta(days=3))
    alice = {f.agent: f for f in await agent_quality(db, EvaluationFilter())}["alice"]
    good = figures["bob"].mean_score  # bob's one call is scored GOOD; a critical failure scores 0
    assert (alice.calls, alice.evaluations, alice.critical_failures) == (2, 4, 2)
    assert alice.mean_score == pytest.approx((good / 2 + 0) / 2, abs=0.05)
    assert [f.agent for f in await agent_quality(db, EvaluationFilter(agents={"bob"}))] == ["bob"]


async def test_the_retention_purge_deletes_evaluations_with_their_calls(db: Database) -> None:
    campaign = await make_campaign(db)
    old = await _call(db, campaign, "alice", 1, started=-timedelta(days=400))
    recent = await _call(db, campaign, "alice", 2)
    await _save(db, old, campaign, "alice", "sue", GOOD)
    await _save(db, recent, campaign, "alice", "sue", GOOD)
    assert await delete_attempts_before(db, NOW - timedelta(days=365)) == 1
    total, items = await list_evaluations(db, EvaluationFilter())
    assert (total, [e.attempt_id for e in items]) == (1, [recent])
