"""Predictions learnt from the campaign's own records: each agent's handle times, the answer rate by hour of
day and by lead history — and the pacer reading them from the snapshot."""

from __future__ import annotations

import random

import pytest
from pacing_helpers import agents, mature_stats

from dialer.pacing import AgentState, AgentView, CallLoad, PacingMode, PacingSettings, PacingSnapshot, decide
from dialer.pacing.stats import LeadHistory, PacingStats, ShrunkDistribution

PREDICTIVE = PacingSettings(mode=PacingMode.PREDICTIVE)


def test_an_agent_with_few_samples_reads_as_the_team_and_with_many_as_themselves() -> None:
    stats = PacingStats()
    rng = random.Random(1)
    for _ in range(2000):
        stats.record_talk(rng.lognormvariate(5.0, 0.5))  # the team: about 170 s
    mine = ShrunkDistribution(stats.talk, coarsen=10)
    team_median = stats.talk.quantile(0.5)
    for _ in range(5):
        mine.add(30.0)
    assert mine.quantile(0.5) > 0.8 * team_median  # five samples barely move a prior of 100
    for _ in range(2000):
        mine.add(rng.uniform(20.0, 40.0))
    assert 20.0 < mine.quantile(0.5) < 40.0  # thousands: the agent's own
    assert mine.cdf_at(50.0) > 0.8 > 0.1 > stats.talk.cdf_at(50.0)


def test_the_team_moving_rebuilds_the_agents_blend() -> None:
    stats = PacingStats()
    mine = ShrunkDistribution(stats.talk, coarsen=10)
    before = mine.cdf_at(100.0)
    for _ in range(3000):
        stats.record_talk(20.0)  # the team now talks 20 s
    stats.talk.cdf_table()
    assert mine.cdf_at(100.0) > before + 0.5  # the prior part follows the team


def test_agent_handle_times_count_from_a_few_samples_each() -> None:
    stats = PacingStats()
    for _ in range(PacingStats.AGENT_MIN_SAMPLES - 1):
        stats.record_talk(60.0, "ann")
        stats.record_wrap(5.0, "ann")
    assert stats.agent_handle("ann") is None
    stats.record_talk(60.0, "ann")
    stats.record_wrap(5.0, "ann")
    assert stats.agent_handle("ann") is not None
    assert stats.agent_handle("bob") is None
    assert stats.agent_handle(None) is None
    assert stats.talk.samples == PacingStats.AGENT_MIN_SAMPLES  # the team's learns from every agent


def test_the_pacer_counts_a_known_fast_agent_as_freeing_up_sooner() -> None:
    """Six agents 100 s into a call: a team that mostly talks ~5 minutes keeps them busy past the horizon; when
    those six are known to finish their calls in ~110 s, the pacer expects them free and places more calls."""
    stats = mature_stats(PREDICTIVE)
    rng = random.Random(4)
    for _ in range(3000):  # the rest of the team talks ~5 minutes
        stats.record_talk(rng.uniform(250.0, 350.0), "slow")
        stats.record_wrap(10.0, "slow")
    for name in ("a", "b", "c", "d", "e", "f"):
        for _ in range(300):
            stats.record_talk(rng.uniform(105.0, 115.0), name)
            stats.record_wrap(2.0, name)

    def team(named: bool) -> list[AgentView]:
        return agents(ready=2) + [
            AgentView(AgentState.TALKING, 100.0, agent_id=name if named else None) for name in "abcdef"
        ]

    pooled = decide(PacingSnapshot(1000.0, PREDICTIVE, team(False)), stats)
    own = decide(PacingSnapshot(1000.0, PREDICTIVE, team(True)), stats)
    assert pooled.explanation.expected_free_agents is not None
    assert own.explanation.expected_free_agents is not None
    assert own.explanation.expected_free_agents > pooled.explanation.expected_free_agents + 1.0
    assert own.calls > pooled.calls


def test_answer_rate_by_lead_history_is_learnt_and_unseen_classes_read_as_the_campaign() -> None:
    stats = PacingStats()
    rng = random.Random(2)
    first, third = LeadHistory(1), LeadHistory(3, "no_answer")
    for _ in range(6000):
        stats.record_attempt(10.0, rng.random() < 0.30, history=first)
        stats.record_attempt(10.0, rng.random() < 0.06, history=third)
    average = stats.answer_rate()
    assert 0.15 < average < 0.21
    assert stats.answer_rate(history=first) == pytest.approx(0.30, abs=0.03)
    assert stats.answer_rate(history=third) == pytest.approx(0.06, abs=0.02)
    assert stats.answer_rate(history=LeadHistory(2, "busy")) == pytest.approx(average, rel=0.05)
    assert LeadHistory(7, "no_answer").key == LeadHistory(4, "no_answer").key  # 4th and later: one class


def test_answer_rate_by_hour_of_day_is_learnt_and_an_unseen_hour_reads_as_now() -> None:
    stats = PacingStats()
    rng = random.Random(3)
    for _day in range(2):
        for hour, p in ((9, 0.30), (14, 0.10)):
            for _ in range(3000):
                stats.record_attempt(10.0, rng.random() < p, hour=hour)
    recent = stats.answer_rate()  # the last dials were at 14 h
    assert stats.answer_rate(9) == pytest.approx(0.30, abs=0.03)
    assert stats.answer_rate(14) == pytest.approx(0.10, abs=0.02)
    assert stats.answer_rate(3) == pytest.approx(recent)


def test_the_pacer_reads_each_ringing_calls_answer_rate_and_the_next_leads() -> None:
    """Ten calls ringing 2 s: if their leads rarely answer, fewer live answers are coming and more new calls
    fit; if the next leads rarely answer, each new call brings less and more of them fit."""
    stats = mature_stats(PREDICTIVE)
    team = agents(ready=6, talking=(12, 40.0))
    ages = [2.0] * 10

    def calls(load: CallLoad, **extra: object) -> int:
        return decide(PacingSnapshot(1000.0, PREDICTIVE, team, load=load, **extra), stats).calls  # type: ignore[arg-type]

    pooled = calls(CallLoad(ages))
    assert calls(CallLoad(ages, dialling_answer_rates=[None] * 10)) == pooled
    assert calls(CallLoad(ages, dialling_answer_rates=[0.02] * 10)) > pooled
    assert calls(CallLoad(ages, dialling_answer_rates=[0.6] * 10)) < pooled
    assert calls(CallLoad(ages), next_answer_rates=[0.03] * 60) > pooled
    with pytest.raises(ValueError, match="one to one"):
        CallLoad(ages, dialling_answer_rates=[0.2])
