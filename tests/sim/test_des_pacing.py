"""Seeded simulations: our pacer against the baselines on a reduced grid (relations, never timings)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dialer.bench.pacing import RunPlan, tune
from dialer.sim.des import policies as P
from dialer.sim.des import simulate
from dialer.sim.model import load_scenario, parse_scenario

# (scenario, measured hours): about 2 000–3 000 live answers each, a few seconds per policy. Short runs carry the
# pacer's cautious start (progressive until its estimates mature, a young legal window); the full grid with
# 15 000 live answers per cell is `dialer bench pacing --full`.
REDUCED_GRID = [("n10-p030", 10.0), ("n20-p020", 6.0), ("n50-p010", 2.5)]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "hours"), REDUCED_GRID)
def test_ours_beats_progressive_and_tuned_fixed_ratio_within_the_cap(name: str, hours: float) -> None:
    scenario = load_scenario(name)
    plan = RunPlan(hours=hours, warmup_minutes=30.0, seed=11, tuning_seed=7)
    ours = simulate(scenario, P.ours(), seed=plan.seed, hours=hours, warmup_minutes=30.0)
    progressive = simulate(scenario, P.progressive(), seed=plan.seed, hours=hours, warmup_minutes=30.0)
    level = tune(scenario, P.fixed_ratio, 1.0, 4.0, plan, steps=5)
    fixed = simulate(scenario, P.fixed_ratio(level), seed=plan.seed, hours=hours, warmup_minutes=30.0)

    assert ours.worst_24h_abandon <= 0.03  # every window (the whole run, shorter than 24 h) under the cap
    assert progressive.abandons == 0
    assert ours.occupancy > progressive.occupancy + 0.08
    # The fixed ratio was tuned to ~3 % (more abandons than ours allow) and still keeps agents idler.
    assert ours.occupancy > fixed.occupancy


@pytest.mark.slow
def test_common_random_numbers_make_runs_repeatable() -> None:
    scenario = load_scenario("n20-p020")
    a = simulate(scenario, P.ours(), seed=5, hours=1.0, warmup_minutes=10.0)
    b = simulate(scenario, P.ours(), seed=5, hours=1.0, warmup_minutes=10.0)
    c = simulate(scenario, P.ours(), seed=6, hours=1.0, warmup_minutes=10.0)
    assert a == b
    assert a != c


@pytest.mark.slow
def test_clairvoyant_bound_is_at_least_as_good() -> None:
    scenario = load_scenario("n20-p020")
    ours = simulate(scenario, P.ours(), seed=11, hours=6.0, warmup_minutes=30.0)
    bound = simulate(scenario, P.clairvoyant(), seed=11, hours=6.0, warmup_minutes=30.0)
    assert bound.occupancy >= ours.occupancy - 0.005
    assert bound.abandon_rate <= 0.035


@pytest.mark.slow
def test_blended_keeps_inbound_service_and_outbound_cap() -> None:
    scenario = load_scenario("blended")
    result = simulate(scenario, P.ours(), seed=11, hours=6.0, warmup_minutes=30.0)
    assert result.inbound_calls > 1000
    assert result.inbound_service_level is not None
    assert result.inbound_service_level >= 0.95
    assert result.worst_24h_abandon <= 0.03
    assert result.occupancy > 0.85


def test_no_agents_no_dials() -> None:
    scenario = parse_scenario({"agents": {"count": 0}})
    result = simulate(scenario, P.ours(), seed=1, hours=1.0, warmup_minutes=0.0)
    assert result.dials_per_agent_hour == 0.0
    assert result.live_answers == 0


@pytest.mark.slow
def test_connect_delay_is_taken_off_the_two_seconds() -> None:
    base = load_scenario("n20-p020")
    slow = replace(base, agents=replace(base.agents, connect_delay_seconds=1.0))
    result = simulate(slow, P.ours(), seed=11, hours=4.0, warmup_minutes=30.0)
    assert result.worst_24h_abandon <= 0.03


def test_a_run_reports_how_often_the_pacers_guards_held_it_and_the_level_it_applied() -> None:
    """From the campaign's first call (no warm-up) the pacer is progressive until its estimates mature, then
    predictive at a level its controller sets; the baselines take no decisions of the pacer's."""
    scenario = load_scenario("n10-p030")
    ours = simulate(scenario, P.ours(), seed=3, hours=1.5, warmup_minutes=0.0)
    assert ours.guard_held_share is not None
    assert 0.0 < ours.guard_held_share < 0.5
    assert ours.applied_level_median is not None
    assert 0.0 < ours.applied_level_median < 0.9
    progressive = simulate(scenario, P.progressive(), seed=3, hours=1.5, warmup_minutes=0.0)
    assert progressive.guard_held_share is None
    assert progressive.applied_level_median is None


@pytest.mark.slow
def test_the_scenarios_abandon_target_is_what_our_pacer_aims_at() -> None:
    """``[run] abandon_target`` is the campaign's ``pacing.abandon_target``: a campaign aiming at 1.5 % abandons
    fewer than one at the default (the cap − 0.3 points), on the same world and seed."""
    base = load_scenario("n20-p020")
    low = replace(base, run=replace(base.run, abandon_target=0.015))
    default = simulate(base, P.ours(), seed=11, hours=6.0, warmup_minutes=30.0)
    cautious = simulate(low, P.ours(), seed=11, hours=6.0, warmup_minutes=30.0)
    assert cautious.abandon_rate < 0.02 < default.abandon_rate
    assert cautious.occupancy < default.occupancy
