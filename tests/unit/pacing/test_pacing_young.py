"""A young window (the campaign's first hours: every window holding its start, or a small team's whole 24 h) is
held lower than the setpoint, by the controller's own scatter in abandons, rising to the setpoint as it fills
(issue 14; docs/benchmarks.md §1.6)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pacing_helpers import add_answers, agents, window_stats

from dialer.pacing import PacingMode, PacingSettings, PacingSnapshot, decide
from dialer.pacing.stats import YOUNG_WINDOW_SCATTER, PacingStats

NOW = 10_000.0


def stats_with_window(live: int, abandons: int, *, rolling: bool = False) -> PacingStats:
    """A window of ``live`` answers an hour old, ``abandons`` of them abandoned; ``rolling``: one more about to
    leave it (a window past its first 24 h)."""
    stats = window_stats(PacingSettings(), 0, 0)
    if rolling:
        stats.window.add(NOW - stats.window.window_seconds + 300.0, False)
    add_answers(stats, live, abandons, now=NOW - 3600.0)
    return stats


@settings(max_examples=200, deadline=None)
@given(live=st.integers(31, 30_000))
def test_a_window_held_at_its_target_keeps_the_controllers_scatter_of_room(live: int) -> None:
    """The controller holds a window's abandons within about ``1 ÷ gain`` of its target whatever the window's
    size: the target leaves that many abandons under the cap (half the budget while that is less). With the
    fixed setpoint (cap − 0.3 points) a window of 1 000 live answers had 3 abandons of room for the controller's
    6.7."""
    stats = stats_with_window(live, 0)
    target = stats.window_setpoint()
    room = (stats.abandon_cap - target) * live
    assert room >= min(1.0 / stats.controller.gain, stats.abandon_cap * live / 2.0) - 1e-9
    assert target <= stats.setpoint
    # The controller's own target (no AMD estimates here) is the window's, above its floor.
    assert stats.controller_setpoint() == max(stats.setpoint / 30.0, target)


@settings(max_examples=100, deadline=None)
@given(live=st.integers(31, 20_000), more=st.integers(1, 10_000))
def test_the_target_rises_to_the_setpoint_as_the_window_fills(live: int, more: int) -> None:
    young, older = stats_with_window(live, 0), stats_with_window(live + more, 0)
    assert young.window_setpoint() <= older.window_setpoint() + 1e-12


def test_a_full_window_is_held_at_the_setpoint() -> None:
    """(The end the target rises to: the same window for every example above, so checked once.)"""
    full = stats_with_window(30_000, 0)
    assert full.window_setpoint() == full.setpoint


def test_a_small_window_dials_less_than_a_full_one_with_the_same_controller() -> None:
    """The same team, the same controller, the same window rate, answers about to leave the window (a small
    team's rolling 24 h): the window holding fewer live answers applies a lower level."""
    team = agents(ready=2, talking=(7, 60.0), wrapup=(1, 5.0))

    def applied(live: int) -> float:
        stats = stats_with_window(live, round(0.02 * live), rolling=True)
        snapshot = PacingSnapshot(now=NOW, settings=PacingSettings(mode=PacingMode.PREDICTIVE), agents=team)
        level = decide(snapshot, stats).explanation.applied_level
        assert level is not None
        return level

    assert applied(800) < applied(20_000)


def test_a_growing_windows_next_answers_are_aimed_so_the_whole_window_keeps_its_target() -> None:
    """Nothing leaves the window (the campaign's first day): its next answers are held at the growth of its
    target abandons, so their sum is the window's target (aiming them at the window's average as it rises would
    leave the early deficit in the window: a window lower than it needs to be, occupancy lost). Once answers
    leave it, the next answers are held at the window's target itself."""
    stats = stats_with_window(100, 0)
    total = 0.0
    k = YOUNG_WINDOW_SCATTER
    assert k >= 1.0
    start = stats.window.live_answers * stats.window_setpoint(scatter=k)
    for _ in range(4000):
        marginal = stats.marginal_window_setpoint(NOW)
        assert marginal >= stats.window_setpoint(scatter=k) - 1e-12
        total += marginal
        stats.window.add(NOW - 3600.0, False)
    target = stats.window.live_answers * stats.window_setpoint(scatter=k)
    assert abs(start + total - target) < 1.0  # abandons
    # Answers about to leave: a rolling window, held at its target.
    assert stats.marginal_window_setpoint(NOW + stats.window.window_seconds - 3700.0) == stats.window_setpoint()
    assert stats_with_window(1000, 0).marginal_window_setpoint(NOW) > stats.abandon_cap - 1e-9
    rolling = stats_with_window(1000, 0, rolling=True)
    assert rolling.marginal_window_setpoint(NOW) == rolling.window_setpoint() < rolling.setpoint
    assert stats.marginal_window_setpoint() == stats.window_setpoint()
