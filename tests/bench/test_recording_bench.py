"""The recording bench's statistics and verdict (the run itself is `dialer bench recording`, not a test)."""

from __future__ import annotations

import pytest

from dialer.bench.recording import (
    RecordingBenchPlan,
    Spread,
    relative_changes,
    run_order,
    scenario,
    throughput_lost,
    verdict,
)
from dialer.sim.model import parse_scenario


def test_relative_changes_pair_off_with_on() -> None:
    assert relative_changes([10.0, 20.0], [11.0, 19.0]) == pytest.approx([0.1, -0.05])


def test_relative_changes_refuse_unpaired_or_empty_costs() -> None:
    with pytest.raises(ValueError, match="pair up"):
        relative_changes([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="positive"):
        relative_changes([0.0], [1.0])


def test_spread_is_median_and_range() -> None:
    assert Spread.of([0.3, -0.1, 0.05]) == Spread(0.05, -0.1, 0.3)
    with pytest.raises(ValueError, match="no values"):
        Spread.of([])


def test_throughput_lost_is_the_inverse_of_the_cost() -> None:
    assert throughput_lost(0.0) == 0.0
    assert throughput_lost(0.25) == pytest.approx(0.2)  # 25 % more CPU per call: 1/1.25 of the calls
    assert throughput_lost(-0.2) == pytest.approx(-0.25)


def test_verdict_judges_the_median_pair_against_five_percent() -> None:
    passing = verdict([0.01, 0.20, 0.03])  # one noisy pair does not decide
    assert passing.startswith("PASS")
    assert "median of 3 pairs" in passing
    assert "target <= 5 %" in passing
    assert verdict([0.07, 0.06, 0.10]).startswith("FAIL")
    assert verdict([0.0530], target=0.05).startswith("FAIL")  # 5.3 % more cost loses 5.03 % of the throughput…
    assert verdict([0.0520], target=0.05).startswith("PASS")  # …just under it


def test_run_order_alternates_abba() -> None:
    assert run_order(3) == ["none", "all", "all", "none", "none", "all"]
    assert run_order(4).count("all") == 4


def test_plan_keeps_the_power_ratio_and_a_valid_world() -> None:
    plan = RecordingBenchPlan(calls=600, agents=150, power_ratio=4.0)
    assert plan.daemon_plan("all").power_ratio == pytest.approx(4.0, rel=0.02)
    assert plan.daemon_plan("all").recording == "all"
    assert plan.leads >= plan.calls
    world = parse_scenario(scenario(plan), "bench-recording")
    assert world.agents.count == 150
