"""The world model: scenario files load with clear errors, and the samplers match the benchmark model."""

from __future__ import annotations

import random
import re
import statistics
from pathlib import Path

import pytest

from dialer.sim.model import (
    CalleeKind,
    Profile,
    ScenarioError,
    WorldModel,
    load_scenario,
    parse_scenario,
    shipped_scenarios,
)


def test_every_shipped_scenario_loads() -> None:
    names = {load_scenario(p).name for p in shipped_scenarios()}
    grid = {f"n{n}-p0{p}" for n in (10, 20, 50, 100) for p in (10, 20, 30)}
    assert grid | {"blended", "drifting", "demo"} <= names


def test_blended_offers_eight_erlangs() -> None:
    s = load_scenario("blended")
    rate_per_second = s.inbound.rate_per_hour.at(0) / 3600
    assert rate_per_second * s.handle.mean_handle_seconds == pytest.approx(8.0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"agents": {"count": -1}}, "[agents] count"),
        ({"agents": {"cuont": 3}}, "unknown key(s): cuont"),
        ({"outbound": {"answer_probability": 1.5}}, "answer_probability"),
        ({"outbound": {"answer_probability": [[1, 0.2], [0, 0.3]]}}, "strictly increasing"),
        ({"outbound": {"answer_probability": 0.95}}, "exceeds 1"),
        ({"inbound": {"erlangs": 2, "rate_per_hour": 3}}, "not both"),
        ({"bogus": {}}, "unknown table"),
        ({"run": {"abandon_target": 0.05}}, "[run] abandon_target = 0.05 is outside"),
    ],
)
def test_bad_scenarios_are_rejected_clearly(data: dict[str, object], message: str) -> None:
    with pytest.raises(ScenarioError, match=re.escape(message)):
        parse_scenario(data, "x.toml")


def test_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such scenario"):
        load_scenario(tmp_path / "nope.toml")


def test_profile_interpolates_and_repeats() -> None:
    profile = Profile(((0.0, 0.30), (8.0, 0.10)), period_hours=8.0)
    assert profile.at(0) == pytest.approx(0.30)
    assert profile.at(4 * 3600) == pytest.approx(0.20)
    assert profile.at(12 * 3600) == pytest.approx(0.20)


def test_samplers_match_the_benchmark_model() -> None:
    world = WorldModel(parse_scenario({"outbound": {"answer_probability": 0.2}}))
    rng = random.Random(5)
    talks = [world.draw_talk(rng, 0.0) for _ in range(40_000)]
    wraps = [world.draw_wrap(rng) for _ in range(40_000)]
    assert statistics.fmean(talks) == pytest.approx(150, rel=0.03)
    assert statistics.stdev(talks) == pytest.approx(120, rel=0.08)
    assert statistics.fmean(wraps) == pytest.approx(15, rel=0.03)
    assert statistics.stdev(wraps) / statistics.fmean(wraps) == pytest.approx(0.5, rel=0.05)
    outcomes = [world.draw_dial_outcome(rng, 0.0) for _ in range(40_000)]
    kinds = [o.kind for o in outcomes]
    assert kinds.count(CalleeKind.HUMAN) / len(kinds) == pytest.approx(0.2, abs=0.01)
    assert kinds.count(CalleeKind.BUSY) / len(kinds) == pytest.approx(0.1, abs=0.01)
    rings = [o.ring_seconds for o in outcomes if o.kind is CalleeKind.HUMAN]
    assert min(rings) >= 1.0
    assert max(rings) < 22.0
    assert statistics.fmean(rings) == pytest.approx(10, rel=0.05)


def test_inbound_arrivals_follow_the_rate() -> None:
    world = WorldModel(parse_scenario({"inbound": {"rate_per_hour": 360.0}}))
    rng = random.Random(3)
    t, count = 0.0, 0
    while True:
        nxt = world.next_inbound_arrival(rng, t)
        assert nxt is not None
        if nxt > 10 * 3600:
            break
        t, count = nxt, count + 1
    assert count == pytest.approx(3600, rel=0.05)


def test_same_seed_same_world() -> None:
    world = WorldModel(load_scenario("n20-p020"))
    a = [world.draw_dial_outcome(random.Random(9), 0.0) for _ in range(3)]
    b = [world.draw_dial_outcome(random.Random(9), 0.0) for _ in range(3)]
    assert a == b
