"""The simulator's world for learnt predictions: agents of their own speed, leads with a history, and the
pacer fed what the daemon's runner feeds it (handle times per agent, dials by hour and lead history)."""

from __future__ import annotations

import random

import pytest

from dialer.sim.des import Simulation
from dialer.sim.des import policies as P
from dialer.sim.model import CalleeKind, ScenarioError, WorldModel, parse_scenario


def test_lead_history_keys_are_read_and_checked() -> None:
    scenario = parse_scenario(
        {"outbound": {"attempt_shares": [0.5, 0.5], "attempt_answer_factors": [1.5, 0.5], "attempt_batch": 50}}
    )
    assert scenario.outbound.attempt_shares == (0.5, 0.5)
    assert scenario.outbound.attempt_batch == 50
    with pytest.raises(ScenarioError, match="one value per attempt"):
        parse_scenario({"outbound": {"attempt_shares": [1.0], "attempt_answer_factors": [1.0, 0.5]}})
    with pytest.raises(ScenarioError, match="list of numbers"):
        parse_scenario({"outbound": {"attempt_shares": "many"}})
    with pytest.raises(ScenarioError, match="agent_talk_spread"):
        parse_scenario({"handle": {"agent_talk_spread": -1}})


def test_answer_factors_by_attempt_keep_the_mix_at_the_answer_probability() -> None:
    world = WorldModel(
        parse_scenario(
            {"outbound": {"answer_probability": 0.2, "attempt_shares": [0.5, 0.5], "attempt_answer_factors": [3, 1]}}
        )
    )
    assert world.attempt_factor(1) == pytest.approx(1.5)
    assert world.attempt_factor(2) == pytest.approx(0.5)
    assert world.attempt_factor(9) == pytest.approx(0.5)  # later attempts: the last factor
    rng = random.Random(5)
    live = {1: 0, 2: 0}
    for attempt in (1, 2):
        for _ in range(20_000):
            live[attempt] += world.draw_dial_outcome(rng, 0.0, attempt).kind is CalleeKind.HUMAN
    assert live[1] / 20_000 == pytest.approx(0.30, abs=0.01)
    assert live[2] / 20_000 == pytest.approx(0.10, abs=0.01)


def test_agents_have_their_own_speed_and_the_pacer_learns_it_per_agent() -> None:
    scenario = parse_scenario(
        {
            "agents": {"count": 6},
            "handle": {"agent_talk_spread": 0.8},
            "outbound": {"attempt_shares": [0.6, 0.4], "attempt_answer_factors": [1.4, 0.4], "attempt_batch": 20},
        }
    )
    sim = Simulation(scenario, seed=2)
    factors = sorted(a.talk_factor for a in sim.agents)
    assert factors[-1] > 1.5 * factors[0]
    sim.run(P.ours(), hours=3.0, warmup_minutes=0.0)
    stats = sim.stats
    assert set(stats.agent_talk) == {a.ident for a in sim.agents}
    assert sum(d.samples for d in stats.agent_talk.values()) == stats.talk.samples
    first, later = stats.answer_rate(history=sim.history(1)), stats.answer_rate(history=sim.history(2))
    assert first > 2 * later  # learnt from the dials' attempt numbers


def test_a_world_without_speeds_or_histories_keeps_its_callers() -> None:
    """The new random streams are drawn after the old ones: the benchmark grid's runs are unchanged, and the
    pooled pacer sees the same calls with and without the new keys at their defaults."""
    plain = parse_scenario({"agents": {"count": 5}})
    spelled = parse_scenario(
        {"agents": {"count": 5}, "handle": {"agent_talk_spread": 0.0}, "outbound": {"attempt_batch": 7}}
    )
    a = Simulation(plain, seed=9).run(P.ours_pooled(), hours=1.0, warmup_minutes=0.0)
    b = Simulation(spelled, seed=9).run(P.ours_pooled(), hours=1.0, warmup_minutes=0.0)
    assert (a.live_answers, a.abandons, a.occupancy) == (b.live_answers, b.abandons, b.occupancy)
