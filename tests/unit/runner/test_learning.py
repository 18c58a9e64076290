"""What a runner loaded mid-day learns from the campaign's records: each stored dial keyed as the live runner keys
the call it places (the called party's local hour, the lead's history), and the campaign's talk and wrap-up times
read off the agents' state changes by the same timer the live runner uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.lifecycle import config

from dialer.agents.registry import AgentStatus
from dialer.pacing.stats import LeadHistory, PacingStats
from dialer.runner.learning import HandleKind, HandleTimer, learn_from_records
from dialer.store.agent_history import AgentEventRecord
from dialer.store.runtime import DialFact

NY, LA = "America/New_York", "America/Los_Angeles"
AT = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York, 06:00 in Los Angeles
CAMPAIGN = config(timezones={"prefer_postal_code": True})


def dial(
    outcome: str,
    *,
    tz: tuple[str, ...] = (NY,),
    postal: tuple[str, ...] = (),
    before: int = 0,
    previous: str | None = None,
) -> DialFact:
    return DialFact(AT, 7.0, outcome, None, None, before, previous, tz, postal)


def test_a_stored_dial_is_learnt_by_the_hour_and_history_the_live_runner_keys_it_by() -> None:
    dials = [
        *[dial("connected") for _ in range(40)],  # New York, 9 o'clock, first attempts: all answered
        *[dial("no_answer", tz=(NY,), postal=(LA,)) for _ in range(40)],  # the postal code's zone: 6 o'clock
        *[dial("busy", before=2, previous="no_answer") for _ in range(40)],  # third attempts after a no-answer
    ]
    learnt = PacingStats()
    assert learn_from_records(learnt, CAMPAIGN, dials, []).dials == 120
    live = PacingStats()  # what the live runner records for the same calls (dialer.runner.updates)
    for d in dials:
        hour = 6 if d.postal_zones == (LA,) else 9
        history = LeadHistory(d.attempts_before + 1, d.previous_outcome)
        live.record_attempt(d.ring_seconds, d.outcome == "connected", hour=hour, history=history)
    for hour in (6, 9, 14):
        for history in (LeadHistory(), LeadHistory(3, "no_answer"), None):
            assert learnt.answer_rate(hour, history) == live.answer_rate(hour, history)
    assert learnt.answer_rate(9, LeadHistory()) > learnt.answer_rate(6, LeadHistory())
    assert learnt.live_share.value == live.live_share.value
    assert learnt.live_ring.mean() == live.live_ring.mean()


def change(
    agent: str, previous: AgentStatus, current: AgentStatus, seconds: float, queue: str | None = None
) -> AgentEventRecord:
    return AgentEventRecord(agent, AT + timedelta(seconds=seconds), current.value, previous.value, None, queue)


def test_talk_and_wrap_up_of_the_campaigns_calls_only() -> None:
    queue = CAMPAIGN.queue
    ready, talking, wrapup, paused = AgentStatus.READY, AgentStatus.TALKING, AgentStatus.WRAPUP, AgentStatus.PAUSED
    changes = [
        change("a1", ready, talking, 0, queue),
        change("a2", ready, talking, 5, "inbound-sales"),  # a blended agent's inbound call: not the campaign's
        change("a1", talking, wrapup, 90, queue),
        change("a2", talking, wrapup, 100, "inbound-sales"),
        change("a1", wrapup, ready, 102, queue),
        change("a2", wrapup, ready, 130),
        change("a1", ready, talking, 200, queue),
        change("a1", talking, paused, 260),  # hung up into a pause: a talk, no wrap-up
        change("a1", paused, ready, 300),
    ]
    timer = HandleTimer(queue)
    ended = [
        timer.change(c.agent, AgentStatus(c.previous or ""), AgentStatus(c.status), c.at.timestamp(), c.queue)
        for c in changes
    ]
    assert [e for e in ended if e is not None] == [
        (HandleKind.TALK, 90.0),
        (HandleKind.WRAP, 12.0),
        (HandleKind.TALK, 60.0),
    ]
    stats = PacingStats()
    learnt = learn_from_records(stats, CAMPAIGN, [], changes)
    assert (learnt.talks, learnt.wraps) == (2, 1)
    assert (stats.talk.samples, stats.wrap.samples) == (2, 1)
