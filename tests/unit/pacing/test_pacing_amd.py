"""AMD in the pacer's predictions and budget (issue 14): a person reaches the queue after AMD's verdict, the
taper spends the queue's share of the budget, and an agent like the team reads the team's rows."""

from __future__ import annotations

import random

from pacing_helpers import agents, mature_stats, window_stats

from dialer.pacing import PacingMode, PacingSettings, PacingSnapshot, decide
from dialer.pacing.pacer import predictive_tables
from dialer.pacing.stats import PacingStats

PREDICTIVE = PacingSettings(mode=PacingMode.PREDICTIVE)


def test_the_amd_listening_time_is_learnt_from_verdicts() -> None:
    stats = PacingStats()
    assert stats.amd_seconds is None
    stats.record_amd(True)  # no duration given: the share only
    assert stats.amd_seconds is None
    for _ in range(2000):
        stats.record_amd(True, seconds=3.0)
    assert stats.amd_seconds is not None
    assert abs(stats.amd_seconds - 3.0) < 1e-9
    for _ in range(3000):
        stats.record_amd(False, seconds=5.0)
    assert stats.amd_seconds > 4.9  # forgets: follows a changed AMD setting


def test_a_person_reaches_the_queue_after_amds_verdict_not_at_the_answer() -> None:
    stats = mature_stats(PREDICTIVE)
    tables = predictive_tables(stats)
    tables.refresh(2.0)
    plain_ring, _ = tables.ringing(5.0)
    plain_new = tables.new_call
    for _ in range(500):
        stats.record_amd(True, seconds=4.0)
    tables.refresh(2.0)
    assert tables.amd_delay == 4.0
    delayed_ring, _ = tables.ringing(5.0)
    # Shifted by the listening time: nothing reaches the queue in the first 4 s, the same share later.
    assert all(x == 0.0 for x in delayed_ring[:5])
    assert all(abs(delayed_ring[t] - plain_ring[t - 4]) < 1e-9 for t in range(5, len(plain_ring)))
    assert all(a <= b + 1e-12 for a, b in zip(tables.new_call, plain_new, strict=True))
    # A call 1 s into AMD reaches the queue 3 s on (the learnt 4 s), not at 2.5 s less its age.
    amd_row, _ = tables.in_amd(1.0)
    assert amd_row[2] == 0.0
    assert amd_row[3] > 0.0


def test_the_taper_spends_the_queues_share_of_the_budget() -> None:
    """A window whose budget is mostly taken by AMD false-positive estimates: the taper counts the queue's
    share (what is left for queue abandons), not the whole budget, so a window with room to spare for the
    queue is not tapered as if it were near the cap."""
    settings = PacingSettings(mode=PacingMode.PREDICTIVE, amd_false_positive_rate=0.05)
    stats = window_stats(settings, 20000, 0)  # budget 600
    for _ in range(8000):  # 400 estimated: 200 left for the queue
        stats.window.add(1000.0, True, 0.05)
    for _ in range(150):
        stats.window.add(1000.0, True)  # 150 queue abandons: 50 left, above 5 % of the queue's 200
    decision = decide(PacingSnapshot(1000.0, settings, agents(ready=0, talking=(10, 60.0))), stats)
    explanation = decision.explanation
    assert explanation.guard is None
    assert explanation.applied_level is not None
    assert explanation.controller_level is not None
    assert abs(explanation.applied_level - explanation.controller_level * settings.aggressiveness) < 1e-12


def test_an_agent_like_the_team_reads_the_teams_rows_and_a_different_one_their_own() -> None:
    stats = mature_stats(PREDICTIVE)
    rng = random.Random(7)
    for _ in range(400):
        talk, wrap = rng.lognormvariate(4.8, 0.6), rng.gammavariate(4.0, 3.75)
        stats.record_talk(talk, "like")  # the same world as the team
        stats.record_wrap(wrap, "like")
        stats.record_talk(talk * 0.4, "fast")  # a fast talker
        stats.record_wrap(wrap, "fast")
    for _ in range(6000):  # the rest of the team (the team's histogram forgets: these dominate it)
        stats.record_talk(rng.lognormvariate(4.8, 0.6))
        stats.record_wrap(rng.gammavariate(4.0, 3.75))
    tables = predictive_tables(stats)
    tables.refresh(2.0)
    team_row = tables.talking(60.0)
    assert tables.talking(60.0, "like") is team_row  # one shared memo
    assert tables.talking(60.0, "fast") is not team_row
    assert tables.talking(60.0, "fast")[0][-1] > team_row[0][-1]  # the fast talker frees up sooner
