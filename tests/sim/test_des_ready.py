"""The console's "ready in N s" in the simulated world (``[ready]``): who announces, when, how wrong, the
console's buttons and timer; the simulator feeds the pacer what the daemon's runner feeds it."""

from __future__ import annotations

import random

import pytest

from dialer.pacing import AgentState
from dialer.pacing.stats import READY_LATENESS_OFFSET, READY_LATENESS_PRIOR_WEIGHT
from dialer.sim.des import Simulation, simulate
from dialer.sim.des import policies as P
from dialer.sim.model import SCENARIOS_DIR, ReadyModel, ScenarioError, WorldModel, load_scenario, parse_scenario


def world(**ready: object) -> WorldModel:
    return WorldModel(parse_scenario({"agents": {"count": 10}, "ready": ready}))


def test_the_ready_section_is_read_and_checked() -> None:
    assert parse_scenario({}).ready == ReadyModel()
    assert not ReadyModel().enabled  # nobody presses it unless the scenario says so
    scenario = parse_scenario({"ready": {"share": 0.5, "error_sd": 0.8, "choices": [], "enforced": False}})
    assert scenario.ready == ReadyModel(share=0.5, error_sd=0.8, choices=(), enforced=False)
    with pytest.raises(ScenarioError, match="choices"):
        parse_scenario({"ready": {"choices": [30, 10]}})
    with pytest.raises(ScenarioError, match=r"\[ready\] unknown key"):
        parse_scenario({"ready": {"shares": 0.5}})
    with pytest.raises(ScenarioError, match="share"):
        parse_scenario({"ready": {"share": 1.5}})


def test_an_agent_presses_the_smallest_button_at_or_over_their_estimate() -> None:
    exact = world(share=1.0, error_sd=0.0, after_seconds=5.0)
    rng = random.Random(1)
    said = exact.draw_announcement(rng, 12.0)  # 7 s left: the 10 s button
    assert said is not None
    assert (said.at, said.ready_at, said.wrap) == (5.0, 15.0, 12.0)  # back at 12 s, by the disposition
    said = exact.draw_announcement(rng, 20.0)  # 15 s left: 30 s
    assert said is not None
    assert said.ready_at == 35.0
    assert exact.draw_announcement(rng, 50.0) is None  # 45 s left: no button fits
    assert exact.draw_announcement(rng, 4.0) is None  # over before they look at the console
    free = world(share=1.0, error_sd=0.0, after_seconds=5.0, choices=[])
    said = free.draw_announcement(rng, 12.4)
    assert said is not None
    assert said.ready_at == 13.0  # any number of seconds: the estimate rounded up


def test_the_console_makes_an_agent_who_said_too_little_ready_at_the_announced_time() -> None:
    rng = random.Random(2)
    enforced = world(share=1.0, error_sd=1.0)
    claim = world(share=1.0, error_sd=1.0, enforced=False)
    cut = late = 0
    for _ in range(2000):
        wrap = 5.0 + 20.0 * rng.random()
        state = rng.getstate()
        a = enforced.draw_announcement(rng, wrap)
        rng.setstate(state)
        b = claim.draw_announcement(rng, wrap)
        assert (a is None) == (b is None)
        if a is None or b is None:
            continue
        assert a.wrap == min(wrap, a.ready_at)  # the timer (or a sooner disposition) ends it
        assert b.wrap == wrap  # a claim only: back at their own end
        cut += a.wrap < wrap
        late += b.wrap > b.ready_at
    assert cut > 50
    assert late == cut


def test_a_world_without_announcements_is_the_world_it_was() -> None:
    plain = parse_scenario({"agents": {"count": 10}})
    silent = parse_scenario({"agents": {"count": 10}, "ready": {"share": 0.0, "error_sd": 0.9}})
    assert simulate(plain, P.ours(), seed=3, hours=0.5, warmup_minutes=10.0) == simulate(
        silent, P.ours(), seed=3, hours=0.5, warmup_minutes=10.0
    )


def test_announcing_agents_are_shown_to_the_pacer_and_their_lateness_is_learnt() -> None:
    scenario = parse_scenario({"agents": {"count": 10}, "ready": {"share": 1.0, "after_seconds": 3.0}})
    sim = Simulation(scenario, 4)
    sim.run(P.ours(), 1.0, 0.0)
    lateness = sim.stats.ready_lateness
    assert lateness.samples > 100  # every wrap-up over 3 s, announced and then ended
    # The console's timer: never later than announced (a sooner disposition: earlier); what is above is the prior's.
    prior_share = READY_LATENESS_PRIOR_WEIGHT / (READY_LATENESS_PRIOR_WEIGHT + lateness.effective_samples)
    assert 1.0 - lateness.cdf_at(READY_LATENESS_OFFSET) <= prior_share  # (half of it, a table a few samples old)
    assert lateness.cdf_at(READY_LATENESS_OFFSET - 1.0) < 0.9
    views = sim.agent_views()
    for agent, view in zip([a for a in sim.agents if a.state is not AgentState.PAUSED], views, strict=True):
        if view.ready_in_seconds is not None:
            assert agent.announced_ready is not None
            assert view.ready_in_seconds == pytest.approx(max(0.0, agent.announced_ready - sim.now))
            assert sim.now >= agent.announce_from


def test_ours_ready_is_told_every_wrapup_end_exactly_and_learns_it_so() -> None:
    sim = Simulation(parse_scenario({"agents": {"count": 10}}), 2)
    sim.run(P.ours_ready(), 0.5, 0.0)
    assert sim.stats.ready_lateness.samples > 50
    exact = sim.stats.ready_lateness
    assert exact.cdf_at(READY_LATENESS_OFFSET) - exact.cdf_at(READY_LATENESS_OFFSET - 0.5) > 0.7  # all on time
    plain = Simulation(parse_scenario({"agents": {"count": 10}}), 2)
    plain.run(P.ours(), 0.5, 0.0)
    assert all(v.ready_in_seconds is None for v in plain.agent_views())  # the default world: nothing announced
    assert plain.stats.ready_lateness.samples == 0


@pytest.mark.parametrize("name", ["n10-p020", "n20-p020"])
def test_the_shipped_announcing_worlds_are_the_grids_with_the_conservative_assumptions(name: str) -> None:
    announcing = load_scenario(SCENARIOS_DIR / "ready" / f"{name}.toml")
    grid = load_scenario(name)
    assert announcing.ready == ReadyModel(share=0.5, after_seconds=5.0, error_sd=0.3, choices=(10.0, 30.0))
    assert (announcing.agents, announcing.outbound, announcing.handle) == (grid.agents, grid.outbound, grid.handle)
