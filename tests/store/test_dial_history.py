"""The dials a runner loaded mid-day learns from (``dial_history``): each keyed by what its lead had when it was
claimed -- the attempts counted before it and the previous dial's outcome, as ``leads.attempts`` and
``leads.last_outcome`` held them -- oldest first, the latest ``limit`` of them."""

from __future__ import annotations

from datetime import timedelta

from harness.lifecycle import LA, NOW, NY, config, lead, setup

from dialer.calls.outcome import Outcome
from dialer.store import Database
from dialer.store.attempts import AttemptEnd, AttemptStart, start_attempt
from dialer.store.lifecycle import claim_dialable, record_outcome
from dialer.store.runtime import dial_history

# Busy and no-answer count against max_attempts here, congestion does not (a network fault, not the lead's).
CAMPAIGN = config(
    max_attempts=9,
    retry={
        "busy": {"delay": "1m"},
        "no_answer": {"delay": "1m"},
        "congestion": {"delay": "1m", "counts": False},
    },
)
OUTCOMES = [Outcome.NO_ANSWER, Outcome.CONGESTION, Outcome.BUSY, Outcome.NO_ANSWER, Outcome.CONNECTED]


async def test_each_dial_carries_what_its_lead_had_when_it_was_claimed(db: Database) -> None:
    _, cid = await setup(db, [lead("+12125550101", [NY]), lead("+13105550102", [LA], postal_zones=[NY])])
    counted = [o.value for o, rule in CAMPAIGN.retry.items() if rule.counts]
    had: list[tuple[int, str | None, float]] = []  # (attempts, last outcome, ring seconds) at each claim
    at = NOW + timedelta(hours=3)  # both calling windows open
    for n, outcome in enumerate(OUTCOMES):
        batch = await claim_dialable(db, CAMPAIGN, campaign_id=cid, owner="r", limit=1, now=at)
        (claimed,) = batch.leads
        ring = 3.0 + n
        had.append((claimed.attempts, claimed.last_outcome, ring))
        attempt = await start_attempt(
            db, AttemptStart(lead_id=claimed.id, campaign_id=cid, phone=claimed.phone, started_at=at)
        )
        end = AttemptEnd(ended_at=at + timedelta(seconds=ring), ring_seconds=ring)
        await record_outcome(db, CAMPAIGN, attempt, outcome, end)
        at += timedelta(minutes=5)
    dials = await dial_history(db, cid, NOW, 100, counted)
    assert [(d.attempts_before, d.previous_outcome, d.ring_seconds) for d in dials] == had
    assert [d.outcome for d in dials] == [o.value for o in OUTCOMES]
    assert {d.tz_candidates for d in dials} == {(NY,), (LA,)}
    assert {d.postal_zones for d in dials} == {(), (NY,)}
    # the latest two, oldest first; none ended before ``since``
    assert [d.outcome for d in await dial_history(db, cid, NOW, 2, counted)] == ["no_answer", "connected"]
    assert await dial_history(db, cid, at, 100, counted) == []
