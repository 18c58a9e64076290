"""Near the cap the predictive mode tapers into progressive instead of switching to it: the applied level falls
with the window's spare (the abandons left at the guard's quantile), never fewer calls than progressive, never
more than the guard's bound on the projected window (docs/benchmarks.md §1.3–1.4)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pacing_helpers import agents, window_stats

from dialer.pacing import CallInFlight, CallStage, Guard, PacingMode, PacingSettings, PacingSnapshot, decide
from dialer.pacing.pacer import (
    Cumulants,
    guard_headroom,
    guarded_call_limit,
    in_flight_live_answers,
    predictive_tables,
)
from dialer.pacing.stats import PacingStats

PREDICTIVE = PacingSettings(mode=PacingMode.PREDICTIVE)
NOW = 10_000.0


def stats_with_window(live: int, abandons: int) -> PacingStats:
    # An hour ago: nothing leaves within the guard's look-ahead.
    return window_stats(PREDICTIVE, live, abandons, now=NOW - 3600.0)


team = st.tuples(
    st.integers(0, 4),  # ready
    st.integers(0, 12),  # talking
    st.floats(0.0, 600.0),  # for so long
    st.integers(0, 4),  # in wrap-up
    st.floats(0.0, 40.0),  # for so long
    st.lists(st.floats(0.0, 21.0), max_size=10),  # calls ringing, by age
)


def snapshot(spec: tuple[int, int, float, int, float, list[float]]) -> PacingSnapshot:
    ready, talking, t_talk, wrapping, t_wrap, ringing = spec
    views = agents(ready=ready, talking=(talking, t_talk), wrapup=(wrapping, t_wrap))
    calls = [CallInFlight(CallStage.DIALLING, age) for age in ringing]
    return PacingSnapshot(NOW, PREDICTIVE, views, calls)


@settings(deadline=None, max_examples=60)  # behaviour, not timing
@given(spec=team, live=st.integers(100, 3000), rate=st.floats(0.0, 0.035))
def test_the_taper_stays_between_progressive_and_the_guards_bound(
    spec: tuple[int, int, float, int, float, list[float]], live: int, rate: float
) -> None:
    stats = stats_with_window(live, round(rate * live))
    snap = snapshot(spec)
    decision = decide(snap, stats)
    ready, ringing = spec[0], spec[5]
    progressive = max(0, ready - len(ringing))
    available = len(snap.agents)
    if available < PREDICTIVE.min_agents_predictive:
        assert decision.calls == progressive
        return
    # Never fewer than progressive (a call per ready agent), whatever the taper did to the level…
    assert decision.calls >= progressive
    # …and never more than keeps the projected window under the cap at the guard's quantile, one abandon spare.
    tables = predictive_tables(stats)
    live = in_flight_live_answers(snap.call_load, tables)
    live = Cumulants(live.mean, live.var)  # (the normal quantile: a looser bound than the pacer's skewed one)
    headroom = guard_headroom(stats.window.abandons, stats.window.live_answers, 0.0, PREDICTIVE.abandon_cap)
    limit = guarded_call_limit(headroom, live, ready, tables.new_call[-1], PREDICTIVE.guard_quantile_z, 10**6)
    assert decision.calls <= max(progressive, limit)
    if decision.explanation.guard is Guard.ABANDON_BUDGET:
        assert decision.calls == progressive


@settings(deadline=None, max_examples=30)
@given(spec=team, live=st.integers(300, 3000), rates=st.tuples(st.floats(0.0, 0.035), st.floats(0.0, 0.035)))
def test_more_abandons_in_the_window_never_bring_more_calls(
    spec: tuple[int, int, float, int, float, list[float]], live: int, rates: tuple[float, float]
) -> None:
    low, high = sorted(rates)
    snap = snapshot(spec)
    calm = decide(snap, stats_with_window(live, round(low * live)))
    tight = decide(snap, stats_with_window(live, round(high * live)))
    assert tight.calls <= calm.calls
    assert (tight.explanation.applied_level or 0.0) <= (calm.explanation.applied_level or 0.0) + 1e-12
