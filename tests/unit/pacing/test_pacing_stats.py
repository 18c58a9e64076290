"""The online statistics: forgetting histograms, the legal window, the controller, conditional probabilities."""

from __future__ import annotations

import random

import pytest
from pacing_helpers import mature_stats

from dialer.pacing import PacingSettings, PacingStats
from dialer.pacing.predictive import PredictiveTables
from dialer.pacing.stats import AbandonController, AbandonWindow, EmpiricalDistribution, lognormal_cdf


def test_distribution_starts_at_its_prior_and_learns() -> None:
    dist = EmpiricalDistribution(bin_seconds=1.0, bins=600, prior_cdf=lognormal_cdf(100.0, 50.0), prior_weight=10)
    assert dist.mean() == pytest.approx(100.0, rel=0.05)
    rng = random.Random(1)
    for _ in range(3000):
        dist.add(rng.uniform(20.0, 40.0))
    dist.cdf_table()
    assert dist.mean() == pytest.approx(30.0, abs=1.5)
    assert dist.quantile(0.5) == pytest.approx(30.0, abs=1.5)


def test_distribution_forgets_old_samples() -> None:
    dist = EmpiricalDistribution(bin_seconds=1.0, bins=600, prior_cdf=lognormal_cdf(100.0, 50.0), half_life=200)
    for _ in range(2000):
        dist.add(50.0)
    for _ in range(1000):
        dist.add(150.0)
    dist.cdf_table()
    assert dist.cdf_at(100.0) < 0.1  # the old regime has all but vanished


def test_share_follows_drift() -> None:
    stats = PacingStats()
    for i in range(3000):
        stats.record_attempt(10.0, live=i % 10 < 3)
    assert stats.live_share.value == pytest.approx(0.3, abs=0.03)
    for i in range(3000):
        stats.record_attempt(10.0, live=i % 10 == 0)
    assert stats.live_share.value == pytest.approx(0.1, abs=0.03)


def test_window_forgets_what_left_it() -> None:
    window = AbandonWindow(24 * 3600.0)
    window.add(0.0, True)
    window.add(3600.0, False)
    assert (window.live_answers, window.abandons) == (2, 1)
    window.expire(24 * 3600.0 + 120.0)
    assert (window.live_answers, window.abandons) == (1, 0)


def test_a_reader_sees_the_window_at_a_time_without_changing_it() -> None:
    window = AbandonWindow(24 * 3600.0)
    window.add(0.0, abandoned=True)
    window.add(3600.0, abandoned=False)
    window.add(7200.0, abandoned=False)
    assert window.seen_at(7200.0) == (3.0, 1 / 3)
    assert window.seen_at(24 * 3600.0 + 120.0) == (2.0, 0.0)  # the first call has left the window by then ...
    assert (window.live_answers, window.abandons, window.rate()) == (3.0, 1.0, 1 / 3)  # ... the window kept it
    window.expire(24 * 3600.0 + 120.0)
    assert (window.live_answers, window.rate()) == (2.0, 0.0)  # as seen_at saw it


def test_controller_rests_at_the_setpoint() -> None:
    # A world where the abandon probability equals the level it is given: the controller must settle where
    # abandons ÷ answers = setpoint, and hold the count within a few calls of setpoint × answers.
    controller = AbandonController(initial_level=0.2)
    rng = random.Random(4)
    abandons = 0
    for _ in range(40_000):
        abandoned = rng.random() < controller.level
        abandons += abandoned
        controller.update(abandoned, 0.027)
    assert 0.005 < controller.level < 0.1
    assert abandons / 40_000 == pytest.approx(0.027, abs=0.002)


def test_controller_level_moves_the_right_way() -> None:
    controller = AbandonController()
    start = controller.level
    controller.update(True, 0.027)
    assert controller.level < start
    controller = AbandonController()
    controller.update(False, 0.027)
    assert controller.level > start


def test_talking_agents_use_the_conditional_distribution() -> None:
    # Lognormal talk times have a falling hazard: an agent 10 min into a call is LESS likely to finish in the
    # next 30 s than the unconditional CDF (Issabel's rule) says — which counts them as nearly done.
    stats = mature_stats()
    tables = PredictiveTables(stats)
    tables.refresh(2.0)
    conditional = tables.talking(600.0)[0][-1]
    unconditional = stats.talk.cdf_at(600.0 + 30.0)
    assert unconditional > 0.9
    assert conditional < 0.2
    assert tables.talking(600.0)[0][-1] < tables.wrapping(10.0)[0][-1]


def test_ringing_call_becomes_less_promising_with_age() -> None:
    stats = mature_stats()
    tables = PredictiveTables(stats)
    tables.refresh(2.0)
    p_new = tables.new_call[-1]
    assert p_new == pytest.approx(0.2, abs=0.03)
    assert tables.ringing(16.0)[0][-1] < tables.ringing(5.0)[0][-1]
    assert tables.ringing(25.0)[0][-1] < 0.02  # past the ring timeout nobody answers


def test_configure_changes_the_window_without_forgetting() -> None:
    stats = mature_stats()
    stats.configure(PacingSettings(window_hours=720.0, abandon_setpoint=0.02))
    assert stats.window.window_seconds == 720 * 3600.0
    assert stats.setpoint == pytest.approx(0.02)
    assert stats.talk.samples == 400


def test_a_dial_whose_ring_time_is_unknown_teaches_its_fate_but_no_ring_time() -> None:
    """Answered while nobody listened (a response missed in a reconnect: the tracker's ring_seconds None): the
    answer counts, the ring-time distributions learn nothing (the ringing-to-end span is no ring time)."""
    stats = PacingStats()
    rings = (stats.live_ring.samples, stats.dead_ring.samples)
    share = stats.live_share.samples
    stats.record_attempt(None, True)
    assert (stats.live_ring.samples, stats.dead_ring.samples) == rings
    assert stats.live_share.samples == share + 1
    stats.record_attempt(12.0, True)  # (a known ring time is learnt)
    assert stats.live_ring.samples == rings[0] + 1
