"""The console's "ready in N s" as evidence, not certainty: the pacer reads an announcement through how late
agents were against theirs (``PacingStats.record_ready_announcement``), a prior until it has its own."""

from __future__ import annotations

import itertools
import math

import pytest
from pacing_helpers import agents, mature_stats

from dialer.pacing import AgentState, AgentView, PacingMode, PacingSettings, PacingSnapshot, PacingStats, decide
from dialer.pacing.pacer import predictive_tables
from dialer.pacing.predictive import STEPS

PREDICTIVE = PacingSettings(mode=PacingMode.PREDICTIVE)
BUDGET = PREDICTIVE.connect_budget_seconds


def row(stats: PacingStats, ready_in: float) -> tuple[float, ...]:
    tables = predictive_tables(stats)
    tables.refresh(BUDGET)
    return tables.announced(ready_in)[0]


def taught(lateness: float, n: int = 400) -> PacingStats:
    stats = mature_stats()
    for _ in range(n):
        stats.record_ready_announcement(lateness)
    return stats


def test_before_any_record_an_announcement_is_honest_to_within_a_few_seconds_either_way() -> None:
    stats = mature_stats()
    mean = row(stats, 10.0)
    at = int(10.0 - BUDGET)  # a call answered then meets the agent exactly at the announced time
    assert 0.35 < mean[at] < 0.65  # not "free then, for sure"
    assert mean[0] < 0.05 < 0.95 < mean[-1]
    assert all(a <= b for a, b in itertools.pairwise(mean))


def test_what_was_learnt_moves_the_agents_expected_free_time() -> None:
    on_time, late, early = taught(0.0), taught(8.0), taught(-6.0)
    at = int(10.0 - BUDGET)
    assert row(on_time, 10.0)[at] > 0.95  # learnt: exact, as told
    assert row(on_time, 10.0)[at - 1] < 0.05
    assert row(late, 10.0)[at + 6] < 0.1  # learnt: eight seconds late (the prior's twentieth on time)
    assert row(late, 10.0)[at + 9] > 0.95
    assert row(early, 10.0)[at - 5] > 0.9  # learnt: six seconds early


def test_what_was_learnt_is_read_given_the_agent_is_not_back_yet() -> None:
    stats = taught(-20.0)  # agents come back 20 s before what they say (a 30 s button for 10 s of work)
    assert row(stats, 25.0)[1] < 0.1 < 0.9 < row(stats, 25.0)[3]  # "ready in 25 s": back in 5 s (τ + 2 s budget)
    # "Ready in 10 s" and not back 20 s early: nothing learnt is left to say when; the prior's share says it.
    assert row(stats, 10.0) == pytest.approx(row(mature_stats(), 10.0), abs=0.02)


def test_an_agent_who_never_came_back_counts_as_late_as_it_gets() -> None:
    stats = mature_stats()
    for _ in range(400):
        stats.record_ready_announcement(math.inf)  # paused or logged out instead
    assert max(row(stats, 5.0)) < 0.1  # (the prior's twentieth still on time)
    with pytest.raises(ValueError, match="lateness"):
        stats.record_ready_announcement(math.nan)


def test_late_agents_bring_fewer_calls_than_punctual_ones() -> None:
    def team() -> list[AgentView]:
        return agents(ready=1, talking=(5, 40.0)) + [AgentView(AgentState.WRAPUP, 5.0, ready_in_seconds=4.0)] * 4

    punctual = decide(PacingSnapshot(1000.0, PREDICTIVE, team()), taught(0.0))
    late = decide(PacingSnapshot(1000.0, PREDICTIVE, team()), taught(40.0))
    assert punctual.calls > late.calls
    e_punctual, e_late = punctual.explanation.expected_free_agents, late.explanation.expected_free_agents
    assert e_punctual is not None
    assert e_late is not None
    assert e_punctual - e_late == pytest.approx(4.0, abs=0.3)  # 40 s late: none of the four within the horizon


def test_the_announcement_rows_follow_new_records() -> None:
    stats = taught(0.0)
    before = row(stats, 10.0)
    for _ in range(600):
        stats.record_ready_announcement(15.0)
    after = row(stats, 10.0)
    assert after != before
    assert sum(after) < sum(before)
    assert len(after) == STEPS
