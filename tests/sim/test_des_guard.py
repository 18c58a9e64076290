"""Issue 14 in the simulator: a hard cap for tiny teams, AMD false positives in the pacer's window, agent
schedules. Relations and bounds only, never timings."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.pacing import AgentState
from dialer.sim.des import Simulation, simulate
from dialer.sim.des import policies as P
from dialer.sim.model import load_scenario, parse_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "campaigns" / "scenarios"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_three_agent_team_never_goes_over_the_cap_in_any_24h_window(seed: int) -> None:
    scenario = load_scenario(SCENARIOS / "n3-p020.toml")
    result = simulate(scenario, P.ours(), seed=seed, hours=30.0, warmup_minutes=30.0)
    assert result.abandons > 0  # it does dial ahead
    assert result.worst_24h_abandon <= 0.03


@pytest.mark.slow
def test_amd_false_positives_enter_the_pacers_window_and_keep_the_true_rate_under_the_cap() -> None:
    scenario = load_scenario(SCENARIOS / "uk-amd-fp.toml")
    sim = Simulation(scenario, 3)
    result = sim.run(P.ours(), 5.0, 30.0)
    # The pacer counted an estimate for the people AMD hung up on (fractions of an abandon per machine verdict)…
    assert sim.stats.amd_false_positive_estimate > 1.0
    assert sim.stats.window.abandons != int(sim.stats.window.abandons)
    # …and the true rate (real false positives counted as abandons by the metrics) stays under the cap.
    assert result.worst_24h_abandon <= 0.03


@pytest.mark.slow
@pytest.mark.parametrize("seed", [9, 4])
def test_the_true_rate_with_amd_false_positives_stays_under_the_cap_over_seeds(seed: int) -> None:
    """The people AMD hangs up on scatter around the pacer's estimate; the guard and the controller count that
    scatter, so the true worst window stays under the cap (seed 9 went to 3.08 % over 48 h before)."""
    scenario = load_scenario(SCENARIOS / "uk-amd-fp.toml")
    result = simulate(scenario, P.ours(), seed=seed, hours=8.0, warmup_minutes=30.0)
    assert result.abandons > 0
    assert result.worst_24h_abandon <= 0.03


def test_the_agent_schedule_logs_agents_in_and_out() -> None:
    scenario = parse_scenario(
        {"agents": {"count": 10, "schedule": [[0.0, 10], [0.5, 10], [0.51, 4], [1.0, 4], [1.01, 10]]}}
    )
    sim = Simulation(scenario, 5)
    sim.run(P.progressive(), 0.75, 0.0)  # ends at 45 min: 4 logged in (the rest finished their calls)
    assert len(sim.agent_views()) <= 5
    assert sum(a.state is AgentState.PAUSED for a in sim.agents) >= 5
    later = Simulation(scenario, 5)
    result = later.run(P.progressive(), 1.5, 0.0)
    assert len(later.agent_views()) == 10
    # Occupancy is measured over logged-in time only: a logged-out agent is not idle.
    full = simulate(parse_scenario({"agents": {"count": 10}}), P.progressive(), seed=5, hours=1.5, warmup_minutes=0.0)
    assert result.occupancy > full.occupancy - 0.05


def test_run_hours_of_a_scenario_are_read() -> None:
    assert load_scenario(SCENARIOS / "n3-p020.toml").run.hours == 72.0
    assert parse_scenario({}).run.hours is None


def test_agents_in_wrapup_announce_when_they_will_be_ready_only_when_asked() -> None:
    sim = Simulation(parse_scenario({"agents": {"count": 10}}), 2)
    sim.run(P.ours_ready(), 0.5, 0.0)
    wrapping = [a for a in sim.agents if a.state is AgentState.WRAPUP and not a.leaving]
    told = [v for v in sim.agent_views(announce_ready=True) if v.state is AgentState.WRAPUP]
    assert len(told) == len(wrapping)
    assert sorted(v.ready_in_seconds or 0.0 for v in told) == sorted(max(0.0, a.free_at - sim.now) for a in wrapping)
    sim.announce_exact = False
    assert all(v.ready_in_seconds is None for v in sim.agent_views())  # the default world: nothing announced
