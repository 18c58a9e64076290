"""AMD paused where its false positives would break the cap (issue 14; docs/benchmarks.md §1.19): while the abandon
guard holds, and while the legal window is too young to absorb the people AMD takes for machines at the guard's
quantile, the pacer's calls go out without AMD -- machines reach agents instead of people being hung up on."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from pacing_helpers import add_answers, agents, window_stats

from dialer.pacing import Guard, PacingSettings, PacingSnapshot, PacingStats, decide
from dialer.pacing.pacer import amd_young_window
from dialer.pacing.stats import AbandonWindow

FP = 0.044  # uk-amd-fp: P(person | machine verdict) with 2 % of people classed machine


def heard(stats: PacingStats, people: int, machines: int) -> PacingStats:
    """The mix of verdicts AMD (or the agents, while it was paused) reported, interleaved: shares only."""
    owed = 0.0
    for _ in range(people):
        stats.record_amd(True)
        owed += machines / people
        while owed >= 1.0 - 1e-9:
            owed -= 1.0
            stats.record_amd(False)
    return stats


def uk_amd(live: int, abandons: int, **changes: object) -> tuple[PacingSettings, PacingStats]:
    pacing = PacingSettings(amd_false_positive_rate=FP, **changes)  # type: ignore[arg-type]
    return pacing, heard(window_stats(pacing, live, abandons), 3000, 1300)


def test_a_window_too_young_for_the_false_positives_dials_without_amd() -> None:
    pacing, stats = uk_amd(300, 0)
    young = amd_young_window(stats, pacing.guard_quantile_z)
    assert 700 < young < 1000  # about 850 live answers: two and a half hours of 20 agents at p = 0.2
    decision = decide(PacingSnapshot(1000.0, pacing, agents(ready=3, talking=(10, 60.0))), stats)
    assert decision.calls > 0
    assert decision.explanation.guard is None  # the queue's budget is whole: predictive
    assert not decision.amd
    assert "without AMD" in decision.explanation.reason


def test_a_grown_window_runs_amd_and_the_guard_pauses_it() -> None:
    pacing, stats = uk_amd(5000, 60)
    calm = decide(PacingSnapshot(1000.0, pacing, agents(ready=3, talking=(10, 60.0))), stats)
    assert calm.amd
    _, spent = uk_amd(5000, 150)  # 3 %: the guard holds
    held = decide(PacingSnapshot(1000.0, pacing, agents(ready=3, talking=(10, 60.0))), spent)
    assert held.explanation.guard is Guard.ABANDON_BUDGET
    assert held.calls == 3  # progressive: one call per ready agent
    assert not held.amd


def test_amd_runs_where_the_regime_does_not_count_its_false_positives_or_the_campaign_says_so() -> None:
    for pacing in (PacingSettings(), PacingSettings(amd_false_positive_rate=FP, amd_pause_near_cap=False)):
        for live, abandons in ((300, 0), (5000, 148)):
            stats = heard(window_stats(pacing, live, abandons), 3000, 1300)
            decision = decide(PacingSnapshot(1000.0, pacing, agents(ready=3, talking=(10, 60.0))), stats)
            assert decision.amd, (pacing, live)


def test_false_positives_that_alone_reach_the_cap_never_let_amd_run() -> None:
    """The UK default estimate (10 % of machine verdicts) with 0.43 machines a person: about 4 % of live answers."""
    pacing = PacingSettings(amd_false_positive_rate=0.10)
    stats = heard(window_stats(pacing, 50_000, 0), 3000, 1300)
    assert amd_young_window(stats, pacing.guard_quantile_z) == math.inf
    decision = decide(PacingSnapshot(1000.0, pacing, agents(ready=3, talking=(10, 60.0))), stats)
    assert not decision.amd
    assert "its false positives alone, about 4.2% of live answers" in decision.explanation.reason
    assert "inf" not in decision.explanation.reason


@settings(max_examples=200, deadline=None)
@given(
    fp=st.floats(0.001, 0.5),
    people=st.integers(10, 5000),
    machines=st.integers(0, 5000),
    cap=st.floats(0.005, 0.1),
    z=st.floats(0.5, 4.0),
)
def test_at_the_young_limit_the_false_positives_quantile_is_the_cap(
    fp: float, people: int, machines: int, cap: float, z: float
) -> None:
    stats = heard(
        PacingStats(PacingSettings(amd_false_positive_rate=fp, abandon_cap=cap, abandon_setpoint=cap)), people, machines
    )
    phi = stats.marginal_false_positive_share()
    young = amd_young_window(stats, z)
    if phi >= cap:
        assert young == math.inf
        return
    quantile = phi * young + z * math.sqrt(phi * young)
    assert math.isclose(quantile, cap * young, rel_tol=1e-9, abs_tol=1e-9)
    bigger = 2.0 * young + 1.0  # and under it beyond
    assert phi * bigger + z * math.sqrt(phi * bigger) < cap * bigger


def test_an_answer_taken_back_leaves_the_window() -> None:
    window = AbandonWindow(86_400.0)
    stats = PacingStats()
    stats.window = window
    add_answers(stats, 3, 1, now=600.0)  # one abandoned, two not
    stats.record_estimated_abandon(600.0, 0.05)
    stats.retract_live_answer(600.0)
    assert (window.live_answers, window.abandons) == (2.05, 1.05)
    assert window.retract(600.0)
    assert not window.retract(600.0)  # what is left there is abandoned (or an estimate): nothing to take back
    assert not window.retract(60.0)  # nothing was added then
    add_answers(stats, 1, 0, now=90_000.0)  # the first answers have left the window
    assert not window.retract(600.0)
    assert window.live_answers == 1.0
