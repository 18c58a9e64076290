"""The hard abandon guard (issue 14 §2), power mode at the cap (issue 12 §3) and AMD false-positive estimates
entering the pacer's window (issue 14 §1)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from statistics import NormalDist

from hypothesis import given, settings
from hypothesis import strategies as st
from pacing_helpers import add_answers, agents, window_stats

from dialer.pacing import CallInFlight, CallStage, Guard, PacingMode, PacingSettings, PacingSnapshot, decide
from dialer.pacing.pacer import (
    Cumulants,
    FalsePositiveLoad,
    abandon_quantile,
    bernoulli_cumulants,
    guard_headroom,
    guard_quantile,
    guarded_call_limit,
)
from dialer.pacing.stats import AbandonWindow, PacingStats
from dialer.reports.compliance import AnswerEvent, periods


def live_answers(most_mean: float, most_var: float) -> st.SearchStrategy[Cumulants]:
    """The in-flight live answers' cumulants: a mean and a variance up to these (no skew: the normal case)."""
    return st.builds(Cumulants, st.floats(0, most_mean), st.floats(0, most_var))


@settings(deadline=None)  # behaviour, not timing
@given(
    abandons=st.floats(0, 500),
    live=st.floats(0, 20000),
    leaving_share=st.floats(0, 1),
    cap=st.floats(0.001, 0.2),
    in_flight=live_answers(200, 100),
    free=st.integers(0, 200),
    p_new=st.floats(0, 1),
    limit=st.integers(0, 500),
)
def test_guarded_calls_never_project_the_window_over_the_cap(
    abandons: float,
    live: float,
    leaving_share: float,
    cap: float,
    in_flight: Cumulants,
    free: int,
    p_new: float,
    limit: int,
) -> None:
    leaving = live * leaving_share
    headroom = guard_headroom(abandons, live, leaving, cap)
    k = guarded_call_limit(headroom, in_flight, free, p_new, 2.33, limit)
    assert 0 <= k <= limit
    if k == 0:
        return

    def with_new(calls: int) -> Cumulants:
        """The in-flight answers and ``calls`` new calls' (each at ``p_new``: its cumulants × ``calls``)."""
        skew = p_new * (1 - p_new) * (1 - 2 * p_new)  # each new call's third cumulant
        kurt = bernoulli_cumulants(p_new).fourth  # and its fourth
        return Cumulants(
            in_flight.mean + calls * p_new, in_flight.var + calls * p_new * (1 - p_new), calls * skew, calls * kurt
        )

    worst = abandon_quantile(with_new(k), free, 2.33)
    # The window after the worst case (answers leaving gone, every abandon kept, one abandon of margin).
    projected_abandons = abandons + worst + 1.0
    projected_live = live - leaving + worst + 1.0
    assert projected_abandons <= cap * projected_live + 1e-6
    # And k is the most: one more call would break that.
    if k < limit:
        more = abandon_quantile(with_new(k + 1), free, 2.33)
        assert more + 1.0 > headroom - 1e-9


def _exact_counts(chances: list[float]) -> list[float]:
    """The exact distribution of a sum of independent Bernoullis (a Poisson-binomial count)."""
    dist = [1.0]
    for p in chances:
        nxt = [0.0] * (len(dist) + 1)
        for i, mass in enumerate(dist):
            nxt[i] += mass * (1 - p)
            nxt[i + 1] += mass * p
        dist = nxt
    return dist


@settings(max_examples=300, deadline=None)
@given(chances=st.lists(st.floats(0, 1), min_size=1, max_size=60), scale=st.sampled_from([0.05, 0.3, 1.0]))
def test_the_guards_quantile_of_a_few_calls_answers_is_at_least_their_exact_quantile(
    chances: list[float], scale: float
) -> None:
    """The live answers of the calls in flight are a sum of Bernoullis, right-skewed when their mean is small
    (a young window's few calls at p ≈ 0.2): the guard's quantile, to the nearest count, is at least the count's
    exact quantile at the same level (the normal approximation's is not: 13 calls at 2 % answer twice with
    probability 2.7 %, above the 1 % it allows)."""
    z = 2.33
    ps = [p * scale for p in chances]
    live = Cumulants(
        sum(ps),
        sum(p * (1 - p) for p in ps),
        sum(p * (1 - p) * (1 - 2 * p) for p in ps),
        sum(bernoulli_cumulants(p).fourth for p in ps),
    )
    quantile = guard_quantile(live, 0, z)
    over = sum(mass for count, mass in enumerate(_exact_counts(ps)) if count > quantile + 0.5)
    assert over <= 1 - NormalDist().cdf(z) + 1e-12
    # Through the guard: a new call's own skew is counted too.
    assert (
        guard_quantile(Cumulants(), 0, z, new_calls=len(ps), p_new=ps[0])
        >= ps[0] * len(ps) + z * math.sqrt(len(ps) * ps[0] * (1 - ps[0])) - 1e-9
    )


def test_a_mix_of_likely_and_unlikely_answers_is_taken_at_its_fourth_cumulants_quantile() -> None:
    """Two calls in AMD at 7/8 beside three ringing at 1/16–3/32 (found by the property above): the skew alone
    gives 3.49, rounding to 3 answers, but 4 come with probability 1.15 %; with the fourth cumulant, 3.75."""
    ps = [0.875, 0.875, 0.0625, 0.0625, 0.09375]
    live = sum((bernoulli_cumulants(p) for p in ps), Cumulants())
    assert round(guard_quantile(Cumulants(live.mean, live.var, live.third), 0, 2.33)) == 3
    quantile = guard_quantile(live, 0, 2.33)
    assert round(quantile) == 4
    assert sum(_exact_counts(ps)[5:]) < 0.01 < sum(_exact_counts(ps)[4:])


def test_thirteen_unlikely_answers_are_taken_at_their_skewed_quantile() -> None:
    """13 calls at 2 %: the normal quantile (1.44) rounds to one answer, but two come with probability 2.7 %;
    the guard's (2.15) keeps the chance of more than its count under 1 %."""
    ps = [0.02] * 13
    quantile = guard_quantile(Cumulants(0.26, 13 * 0.02 * 0.98, 13 * 0.02 * 0.98 * 0.96), 0, 2.33)
    assert round(quantile) == 2
    assert sum(_exact_counts(ps)[3:]) < 0.01 < sum(_exact_counts(ps)[2:])


def test_calls_in_flight_use_the_budget_before_they_abandon() -> None:
    """One abandon left by the old rule's count, but a queue of waiting calls would spend it: progressive."""
    settings = PacingSettings()
    stats = window_stats(settings, 1000, 25)  # budget 30, 5 left
    calm = decide(PacingSnapshot(1000.0, settings, agents(ready=0, wrapup=(10, 25.0))), stats)
    assert calm.explanation.guard is None
    assert calm.calls > 0
    crowded = [CallInFlight(CallStage.WAITING, 0.5)] * 5
    held = decide(PacingSnapshot(1000.0, settings, agents(ready=0, wrapup=(10, 25.0)), crowded), stats)
    assert held.explanation.guard is Guard.ABANDON_BUDGET
    assert held.calls == 0


def test_answers_leaving_the_window_count_as_gone() -> None:
    settings = PacingSettings()
    day = settings.window_seconds
    stats = window_stats(settings, 150, 0, now=0.0)  # these leave the window at `day`
    add_answers(stats, 150, 6, now=day / 2)  # budget 9: 3 left, but 0 once the first 150 leave
    early = decide(PacingSnapshot(day / 2 + 10, settings, agents(talking=(10, 60.0))), stats)
    assert early.explanation.guard is None
    late = decide(PacingSnapshot(day - 60.0, settings, agents(talking=(10, 60.0))), stats)
    assert late.explanation.guard is Guard.ABANDON_BUDGET


def test_power_mode_falls_back_to_progressive_when_the_budget_is_spent() -> None:
    """Issue 12 §3: 40 abandons in 440 live answers — power placed 8 where predictive placed 4."""
    for mode in (PacingMode.POWER, PacingMode.PREDICTIVE):
        settings = PacingSettings(mode=mode, power_ratio=2.0)
        stats = window_stats(settings, 440, 40)
        decision = decide(PacingSnapshot(1000.0, settings, agents(ready=4, talking=(6, 30.0))), stats)
        assert decision.calls == 4, mode
        assert decision.explanation.effective_mode is PacingMode.PROGRESSIVE
        assert decision.explanation.guard is Guard.ABANDON_BUDGET


def test_power_mode_tapers_near_the_cap() -> None:
    settings = PacingSettings(mode=PacingMode.POWER, power_ratio=3.0)
    free = decide(PacingSnapshot(1000.0, settings, agents(ready=4)), window_stats(settings, 5000, 0))
    assert free.calls == 12
    stats = window_stats(settings, 5000, 146)  # 4 of 150 left: tapered, more than progressive, less than 3:1
    near = decide(PacingSnapshot(1000.0, settings, agents(ready=4)), stats)
    assert 4 <= near.calls < 12


def test_amd_machine_verdicts_add_the_false_positive_estimate_to_the_window() -> None:
    settings = PacingSettings(amd_false_positive_rate=0.02)
    stats = PacingStats(settings)
    for _ in range(100):  # people, each AMD's human verdict first
        stats.record_amd(True, 10.0)
        stats.record_live_answer(10.0, False, placed_predictively=False)
    level, target = stats.controller.level, stats.controller_setpoint()
    for _ in range(50):
        stats.record_amd(False, 10.0)
        stats.record_amd(True, 10.0)
    # The compliance report's estimate: machines × rate, added to abandons and to live answers.
    assert math.isclose(stats.window.abandons, 1.0)
    assert math.isclose(stats.window.live_answers, 101.0)
    assert math.isclose(stats.window.estimated, 1.0)
    assert math.isclose(stats.amd_false_positive_estimate, 1.0)
    # The controller counts them through its target for the queue's own answers, not as abandons of its own.
    assert stats.controller_setpoint() < target
    assert stats.controller.level == level
    # Without a regime estimate the window holds real answers only.
    plain = PacingStats(PacingSettings())
    plain.record_amd(False, 10.0)
    assert plain.window.abandons == 0.0


@settings(deadline=None, max_examples=60)
@given(
    answers=st.lists(st.sampled_from(["connected", "abandoned", "machine", "human-verdict"]), max_size=300),
    fp=st.one_of(st.just(0.0), st.floats(0.001, 0.5)),
)
def test_the_false_positive_estimate_moves_the_pacer_and_the_report_by_the_same_amount(
    answers: list[str], fp: float
) -> None:
    stats = PacingStats(PacingSettings(amd_false_positive_rate=fp))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events = []
    for i, kind in enumerate(answers):
        now = 60.0 * i
        at = start + timedelta(seconds=now)
        if kind in ("connected", "abandoned"):
            stats.record_live_answer(now, kind == "abandoned", placed_predictively=False)
            events.append(AnswerEvent(at, live=True, abandoned=kind == "abandoned", machine=False))
        else:
            stats.record_amd(kind == "human-verdict", now)
            if kind == "machine":
                events.append(AnswerEvent(at, live=False, abandoned=False, machine=True, estimated=fp))
    (report,) = periods(events, start, start, timedelta(hours=24), 0.03)  # one 24 h period: all of them
    expected = report.rate if report.rate is not None else 0.0
    assert math.isclose(stats.window.rate(), expected, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=300, deadline=None)  # behaviour, not timing (a loaded machine)
@given(
    queue_abandons=st.integers(0, 300),
    live=st.integers(0, 20000),
    machines=st.integers(0, 8000),
    fp=st.floats(0.001, 0.5),
    cap=st.floats(0.005, 0.1),
    flight_machines=st.integers(0, 200),
    per_call=st.floats(0, 0.05),
    k=st.integers(0, 300),
)
def test_the_guard_counts_false_positives_at_their_quantile(
    queue_abandons: int,
    live: int,
    machines: int,
    fp: float,
    cap: float,
    flight_machines: int,
    per_call: float,
    k: int,
) -> None:
    """The window holds ``machines × f`` estimated abandons; the true people hung up on, ``X``, scatter around
    that (variance ``machines f (1 − f)``) and more come from machine verdicts of calls in flight and new calls.
    Whenever the guard lets ``k`` new calls through, the true rate stays at or under the cap with ``X`` at the
    guard's quantile (the normal bound of a binomial count)."""
    z = 2.33
    window = AbandonWindow(86400.0)
    for i in range(live):
        window.add(1000.0, i < queue_abandons)
    for _ in range(machines):
        window.add(1000.0, True, fp)
    assert math.isclose(window.estimated_variance, machines * fp * (1 - fp), rel_tol=1e-9, abs_tol=1e-9)
    scale = 1 - cap
    flight = FalsePositiveLoad(
        Cumulants(scale * flight_machines * fp, scale**2 * flight_machines * fp * (1 - fp)), per_call, scale
    )
    headroom = guard_headroom(
        window.abandons, window.live_answers, 0.0, cap, estimated_variance=window.estimated_variance, z=z
    )
    allowed = guarded_call_limit(headroom, Cumulants(), 0, 0.0, z, k, false_positives=flight)
    if allowed == 0:
        return
    # The true count at the quantile: the window's, the in-flight calls' and the new calls'.
    mean = machines * fp + flight_machines * fp + allowed * per_call
    var = machines * fp * (1 - fp) + flight_machines * fp * (1 - fp) + allowed * per_call * (1 - per_call)
    people = mean + z * math.sqrt(var)
    abandons = queue_abandons + people + 1.0  # the guard keeps one abandon of margin
    assert abandons <= cap * (live + people + 1.0) + 1e-6


def test_a_young_windows_two_scatters_add_in_quadrature() -> None:
    """A young AMD window (300 people, a machine verdict for every two): the controller's own scatter (2 ÷ gain
    abandons, held to half the cap in so small a window) and the true count's behind the estimates are
    independent, so the window is held their joint margin under the cap, not their sum; without estimates the
    margin is the controller's."""
    settings = PacingSettings(amd_false_positive_rate=0.04)
    stats = PacingStats(settings)
    for i in range(300):
        stats.record_amd(True, float(i))
        stats.record_live_answer(float(i), False)
        if i % 2:
            stats.record_amd(False, float(i))
    live = stats.window.live_answers
    scatter = (1 - 0.03) * 2.33 * math.sqrt(150 * 0.04 * 0.96) / live
    young = min(2 / (0.15 * live), 0.03 / 2)
    held = stats.window_setpoint(scatter=2)
    assert math.isclose(held, max(0.0, 0.03 - math.hypot(young, scatter)), rel_tol=1e-9, abs_tol=1e-12)
    assert held > 0.03 - scatter - young  # the sum would hold it lower
    plain = PacingStats(PacingSettings())
    for i in range(300):
        plain.record_live_answer(float(i), False)
    assert math.isclose(plain.window_setpoint(scatter=2), 0.03 - young, rel_tol=1e-9)


def test_the_window_is_held_lower_by_the_false_positive_scatter() -> None:
    settings = PacingSettings(amd_false_positive_rate=0.04)
    stats = PacingStats(settings)
    assert stats.window_setpoint() == stats.setpoint
    # Before any verdict, the next answers' estimates at the prior mix (as many machines as people).
    prior = 0.04 / 1.04
    assert math.isclose(stats.marginal_false_positive_share(), prior)
    assert stats.controller_setpoint() == max(stats.setpoint / 30, (stats.setpoint - prior) / (1 - prior))
    for i in range(10000):  # a machine verdict for every five people (each with AMD's human verdict)
        stats.record_amd(True, float(i))
        stats.record_live_answer(float(i), False)
        if i % 5 == 4:
            stats.record_amd(False, float(i))
    scatter = (1 - 0.03) * 2.33 * math.sqrt(2000 * 0.04 * 0.96) / stats.window.live_answers
    # Independent margins add in quadrature: the controller's (the setpoint's, or its own scatter of 1 / gain
    # abandons where that is larger) and the true count's behind the estimates.
    controller = max(0.03 - stats.setpoint, 1 / (0.15 * stats.window.live_answers))
    cushion = math.hypot(controller, scatter) - scatter
    expected = 0.03 - scatter - cushion
    assert math.isclose(stats.window_setpoint(), expected, rel_tol=1e-9)
    assert stats.window_setpoint() < stats.setpoint
    # The controller holds the queue's own answers where the window's next answers land on that target: ``φ``
    # the estimates' share of them (machines per person × rate), which a steady mix makes the window's average.
    phi = stats.marginal_false_positive_share()
    assert math.isclose(phi, stats.window.estimated / stats.window.live_answers, rel_tol=0.02)
    assert math.isclose(stats.controller_setpoint(), (expected - phi) / (1 - phi), rel_tol=1e-9)
    # Without AMD false positives nothing changes.
    plain = PacingStats(PacingSettings())
    for i in range(2000):
        plain.record_amd(False, float(i))
    assert plain.controller_setpoint() == plain.window_setpoint() == plain.setpoint


@settings(max_examples=200, deadline=None)
@given(
    live=st.integers(2000, 30000),
    machines=st.integers(1, 10000),
    fp=st.floats(0.001, 0.2),
)
def test_queue_abandons_at_the_controllers_target_put_the_window_at_its_setpoint(
    live: int, machines: int, fp: float
) -> None:
    """The false-positive estimate moves the controller by its target: the queue's next answers abandoned at
    ``controller_setpoint()``, with the machine verdicts that come with them (as measured) each counted at the
    regime's rate, grow the window (estimates included) at ``window_setpoint()`` — unless the floor holds the
    target up (a young window: the guard, not the controller, keeps it under the cap)."""
    stats = PacingStats(PacingSettings(amd_false_positive_rate=fp))
    every = max(1, live // machines)
    for i in range(live):
        stats.record_amd(True, float(i % 1000))
        stats.record_live_answer(float(i % 1000), False, placed_predictively=False)
        if i % every == 0:
            stats.record_amd(False, float(i % 1000))
    floor = stats.setpoint / 30
    target = stats.controller_setpoint()
    assert target >= floor - 1e-12
    if target > floor + 1e-12:
        per_answer = stats.machine_verdicts_per_live_answer() * fp  # estimated abandons a person brings
        rate = (target + per_answer) / (1.0 + per_answer)
        assert math.isclose(rate, stats.window_setpoint(), rel_tol=1e-9, abs_tol=1e-12)


def test_estimated_abandons_do_not_wind_the_controller_down() -> None:
    """Hours of machine verdicts while the guard holds the pacer progressive (no predictive call abandons)
    leave the controller's level where it was: the estimates no pacing decision causes move its target only."""
    stats = PacingStats(PacingSettings(amd_false_positive_rate=0.05))
    level = stats.controller.level
    for i in range(5000):
        stats.record_amd(False, float(i))
        stats.record_live_answer(float(i), False, placed_predictively=False)
    assert stats.controller.level == level
    assert stats.controller_setpoint() < stats.setpoint


def test_machine_verdicts_still_in_flight_hold_the_pacer_back() -> None:
    """Same window, same agents: calls in AMD (some of which will be people hung up on) leave less room."""
    settings = PacingSettings(amd_false_positive_rate=0.3)
    stats = window_stats(settings, 1000, 22)
    for _ in range(50):
        stats.amd_human_share.add(False)
    free = decide(PacingSnapshot(1000.0, settings, agents(ready=0, talking=(10, 60.0))), stats)
    in_amd = [CallInFlight(CallStage.AMD, 0.5)] * 12
    held = decide(PacingSnapshot(1000.0, settings, agents(ready=0, talking=(10, 60.0)), in_amd), stats)
    assert held.explanation.guard_headroom < free.explanation.guard_headroom - 1.0
    assert held.calls <= free.calls


@settings(max_examples=300, deadline=None)
@given(
    live=live_answers(100, 50),
    free=st.integers(0, 50),
    fp_mean=st.floats(0, 20),
    fp_var=st.floats(0, 20),
    window_var=st.floats(0, 400),
    z=st.floats(0, 4),
)
def test_the_guards_risks_are_taken_at_their_joint_quantile(
    live: Cumulants, free: int, fp_mean: float, fp_var: float, window_var: float, z: float
) -> None:
    """The window's false-positive scatter, the calls in flight's false positives and their abandons are
    independent: their joint quantile is at least each one's and at most the sum of each one's (the older,
    linear guard); without false positives it is the abandons' quantile alone."""
    fp = FalsePositiveLoad(Cumulants(fp_mean, fp_var), 0.0, 0.97)
    joint = guard_quantile(live, free, z, false_positives=fp, window_var=window_var)
    abandons = abandon_quantile(live, free, z)
    positives = fp_mean + z * math.sqrt(fp_var + window_var)
    assert joint >= max(abandons, positives) - 1e-9
    linear = abandons + fp_mean + z * math.sqrt(fp_var) + z * math.sqrt(window_var)
    assert joint <= linear + 1e-9
    plain = guard_quantile(live, free, z)
    assert math.isclose(plain, abandons, rel_tol=1e-12, abs_tol=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    headroom=st.floats(0, 300),
    live=live_answers(60, 30),
    free=st.integers(0, 40),
    p_new=st.floats(0, 1),
    window_var=st.floats(0, 400),
    per_call=st.floats(0, 0.05),
    limit=st.integers(0, 300),
)
def test_guarded_calls_keep_the_joint_quantile_one_abandon_under_the_headroom(
    headroom: float,
    live: Cumulants,
    free: int,
    p_new: float,
    window_var: float,
    per_call: float,
    limit: int,
) -> None:
    fp = FalsePositiveLoad(Cumulants(0.5, 0.4), per_call, 0.97)
    k = guarded_call_limit(headroom, live, free, p_new, 2.33, limit, false_positives=fp, window_var=window_var)
    assert 0 <= k <= limit
    if k == 0:
        return
    risk = guard_quantile(live, free, 2.33, false_positives=fp, window_var=window_var, new_calls=k, p_new=p_new)
    assert risk + 1.0 <= headroom + 1e-9
    if k < limit:
        more = guard_quantile(live, free, 2.33, false_positives=fp, window_var=window_var, new_calls=k + 1, p_new=p_new)
        assert more + 1.0 > headroom - 1e-9


def test_the_applied_level_follows_the_controllers_target() -> None:
    """Where AMD false-positive estimates take most of the budget, the pacer applies the controller's level
    scaled by its target's share of the setpoint: small in a young window, growing with it, with no wind-down
    of the controller itself; without estimates it is the controller's level."""
    plain = PacingStats(PacingSettings())
    assert plain.controller_level() == plain.controller.level
    stats = PacingStats(PacingSettings(amd_false_positive_rate=0.045))
    levels = []
    for hour in range(1, 25):
        for _ in range(400):
            stats.record_amd(True, hour * 3600.0)
            stats.record_live_answer(hour * 3600.0, False, placed_predictively=False)
        for _ in range(170):
            stats.record_amd(False, hour * 3600.0)
        levels.append(stats.controller_level())
    assert stats.controller.level == plain.controller.level  # untouched
    assert levels[0] < 0.2 * plain.controller.level
    assert levels[-1] > 2 * levels[2]  # the window grew: its target, and the level applied, too
    expected = stats.controller.level * stats.controller_setpoint() / stats.setpoint
    assert abs(levels[-1] - expected) < 1e-15
