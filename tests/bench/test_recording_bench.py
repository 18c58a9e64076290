"""The recording bench's statistics and verdict (the run itself is `dialer bench recording`, not a test)."""

from __future__ import annotations

import pytest

from dialer.bench.recording import (
    Interval,
    RecordingBenchPlan,
    Spread,
    bootstrap_median,
    paired,
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


def test_bootstrap_interval_holds_the_median_and_narrows_with_more_pairs() -> None:
    few = [0.01, -0.15, 0.12, 0.03, -0.02, 0.20]
    interval = bootstrap_median(few)
    assert interval.median == pytest.approx(0.02)
    assert (interval.pairs, interval.confidence) == (6, 0.95)
    assert min(few) <= interval.low <= interval.median <= interval.high <= max(few)
    assert bootstrap_median(few) == interval  # seeded: the same pairs give the same interval
    many = bootstrap_median(few * 8)
    assert many.high - many.low < interval.high - interval.low
    assert bootstrap_median([0.04]) == Interval(0.04, 0.04, 0.04, 0.95, 1)
    with pytest.raises(ValueError, match="no values"):
        bootstrap_median([])
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_median([0.1], confidence=1.0)


def test_verdict_is_read_from_the_confidence_interval_not_the_median_alone() -> None:
    tight = [0.01, 0.00, -0.01, 0.02, 0.01, 0.00, -0.02, 0.01]
    passing = verdict(tight)
    assert passing.startswith("PASS"), passing
    assert "median of 8 pairs" in passing
    assert "95 % bootstrap interval" in passing
    assert "target <= 5 %" in passing
    assert verdict([0.07, 0.06, 0.10, 0.08, 0.09, 0.07]).startswith("FAIL")
    # A median well within the target but a ±20 % noise: the interval straddles 5 %, no verdict either way.
    noisy = [0.01, 0.20, -0.18, 0.03, 0.15, -0.12, 0.02]
    assert verdict(noisy).startswith("INCONCLUSIVE"), verdict(noisy)
    assert verdict([0.01, 0.0, 0.02]).startswith("INCONCLUSIVE")  # too few pairs for any interval
    assert verdict([0.0530] * 6, target=0.05).startswith("FAIL")  # 5.3 % more cost loses 5.03 % of the throughput…
    assert verdict([0.0520] * 6, target=0.05).startswith("PASS")  # …just under it


def test_runs_pair_up_adjacently_whichever_came_first() -> None:
    order = run_order(3)
    runs = [{"recording": mode, "i": i} for i, mode in enumerate(order)]
    assert [(off["i"], on["i"]) for off, on in paired(runs)] == [(0, 1), (3, 2), (4, 5)]
    with pytest.raises(ValueError, match="pairs"):
        paired(runs[:3])
    with pytest.raises(ValueError, match="one run without recording"):
        paired([{"recording": "all"}, {"recording": "all"}])


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
