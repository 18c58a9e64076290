"""``decide(snapshot, stats)``: how many calls to place now, and why.

Pure: reads the snapshot and the learned statistics, returns a :class:`PacingDecision` whose
:class:`PacingExplanation` says what was counted and which guard (if any) held the pacer back — the answer to
"why is the dialer not dialing?" shown on the dashboard.

Why one module (over 500 lines): one decision's arithmetic -- the look-ahead, the predictive plan, the guards in
the order they apply and the explanation that names them -- read in one place; what is learnt lives in
:mod:`dialer.pacing.stats`, the predictive tables in :mod:`dialer.pacing.predictive`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from itertools import chain
from typing import Any

from dialer.pacing.blending import expected_inbound_within, inbound_reserve
from dialer.pacing.predictive import STEPS, PredictiveTables, Row, plan_calls, sum_rows
from dialer.pacing.snapshot import AgentState, CallLoad, PacingMode, PacingSnapshot
from dialer.pacing.stats import PacingStats


class Guard(StrEnum):
    """Why the pacer placed fewer calls than its mode would."""

    NO_AGENTS = "no_agents"  # nobody logged in and unpaused: zero calls
    PREVIEW = "preview"  # preview mode: agents dial
    INBOUND_WAITING = "inbound_waiting"  # inbound callers wait: they get the next agent, no outbound now
    FEW_AGENTS = "few_agents"  # too few agents to predict safely: progressive
    IMMATURE = "immature_estimates"  # not enough calls seen to trust the estimates: progressive
    ABANDON_BUDGET = "abandon_budget"  # the legal window's abandon budget is nearly spent: progressive
    CALL_LIMIT = "call_limit"  # the runner's limit (trunk capacity, leads) cut the number


@dataclass(frozen=True, slots=True)
class PacingExplanation:
    mode: PacingMode  # configured mode
    effective_mode: PacingMode  # mode actually applied after guards
    guard: Guard | None
    reason: str
    agents_logged_in: int
    agents_ready: int
    agents_reserved: int
    agents_talking: int
    agents_wrapup: int
    agents_paused: int
    inbound_reserve: int
    inbound_waiting: int
    calls_dialling: int
    calls_amd: int
    calls_waiting: int
    answer_rate: float  # estimated live answers per dial
    expected_free_agents: float | None = None  # agents able to take a call by the end of the horizon
    expected_answers: float | None = None  # live answers expected by then, new calls included
    controller_level: float | None = None  # the online controller's abandon-risk threshold
    applied_level: float | None = None  # after the manual override and the abandon-budget taper
    last_call_risk: float | None = None  # abandon risk of the last call placed
    next_call_risk: float | None = None  # what one more call would have carried
    setpoint: float = 0.0
    window_abandon_rate: float = 0.0
    window_live_answers: float = 0.0  # estimated AMD false positives included (fractions)
    window_abandons: float = 0.0
    window_abandons_left: float = 0.0  # abandons the legal window can still take before reaching the cap
    # The guard's worst case: answers leaving the window soon counted as gone, calls in flight at a high
    # quantile of the abandons they may cause. Below one abandon: progressive.
    guard_headroom: float = 0.0
    aggressiveness: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class PacingDecision:
    calls: int
    explanation: PacingExplanation
    # The calls placed now run AMD (when the campaign has it). False where the regime counts AMD's false positives
    # (``PacingSettings.amd_pause_near_cap``) while the abandon guard holds, or while the window is younger than
    # :func:`amd_young_window`: a person AMD took for a machine would be an abandon the window has no room for, so
    # machines go to agents instead (who mark them).
    amd: bool = True


def predictive_tables(stats: PacingStats) -> PredictiveTables:
    # A memo of values derived from the statistics, kept with them (not state the decision depends on).
    tables = stats.derived_cache
    if not isinstance(tables, PredictiveTables) or tables.stats is not stats:
        tables = PredictiveTables(stats)
        stats.derived_cache = tables
    return tables


def decide(snapshot: PacingSnapshot, stats: PacingStats) -> PacingDecision:
    """The number of calls to place now, with its explanation."""
    settings = snapshot.settings
    counts = dict.fromkeys(AgentState, 0)
    for agent in snapshot.agents:
        counts[agent.state] += 1
    load = snapshot.call_load
    dialling, amd, waiting = load.dialling, load.amd, load.waiting
    in_flight = dialling + amd + waiting
    logged_in = len(snapshot.agents)
    available = logged_in - counts[AgentState.PAUSED]
    ready = counts[AgentState.READY]
    reserve = inbound_reserve(snapshot.inbound, available, settings.inbound_reserve)
    window = stats.window
    window.expire(snapshot.now)
    budget = settings.abandon_cap * window.live_answers
    abandons_left = budget - window.abandons
    tables = predictive_tables(stats)
    tables.refresh(settings.connect_budget_seconds)
    leaving_answers, _ = window.leaving(snapshot.now, settings.guard_lookahead_seconds)
    z = settings.guard_quantile_z
    # The headroom at the window's estimate; the scatter of the true count behind its estimated abandons (AMD
    # false positives) is one of the risks the guard takes at their joint quantile (scatter_var, below).
    window_headroom = guard_headroom(window.abandons, window.live_answers, leaving_answers, settings.abandon_cap)
    scatter_var = (1.0 - settings.abandon_cap) ** 2 * max(0.0, window.estimated_variance)
    # Every ringing call's row, looked up once: the guard, the AMD false positives and the plan read them.
    ring = tables.ringing_rows(load.dialling_ages, load.dialling_answer_rates)
    live = in_flight_live_answers(load, tables, ring=ring)
    p_new = tables.new_call[-1]
    rates = new_call_rates(snapshot, stats)
    if rates is not None:  # the guard counts each new call at the likeliest of the next leads' rates
        ahead, beyond = rates
        p_new = tables.ring_cdf[-1] * max([beyond, *ahead])
    # AMD false positives still to come: each machine verdict of a call in flight (or of a new one) is a person
    # hung up on with probability f (counted by the pacer as f, by the regime at its truth).
    fp = stats.amd_false_positive_rate
    fp_in_flight, fp_new = NO_COUNT, 0.0
    if fp > 0.0:
        machine_per_live = stats.machine_verdicts_per_live_answer()
        fp_in_flight = in_flight_false_positives(load, tables, fp, machine_per_live, ring=ring)
        fp_new = min(1.0, p_new * machine_per_live * fp)
    fp_scale = 1.0 - settings.abandon_cap  # one person hung up on adds an abandon and a live answer
    false_positives = FalsePositiveLoad(fp_in_flight.scaled(fp_scale), fp_new, fp_scale)
    ready_free = max(0, ready - reserve)

    def in_flight_risk(free_agents: int) -> float:
        """The guard's quantile of the calls in flight with ``free_agents`` free (:func:`guard_quantile`)."""
        return guard_quantile(live, free_agents, z, false_positives=false_positives, window_var=scatter_var)

    base: dict[str, Any] = {
        "mode": settings.mode,
        "agents_logged_in": logged_in,
        "agents_ready": ready,
        "agents_reserved": counts[AgentState.RESERVED] + counts[AgentState.RINGING],
        "agents_talking": counts[AgentState.TALKING],
        "agents_wrapup": counts[AgentState.WRAPUP],
        "agents_paused": counts[AgentState.PAUSED],
        "inbound_reserve": reserve,
        "inbound_waiting": snapshot.inbound.callers_waiting,
        "calls_dialling": dialling,
        "calls_amd": amd,
        "calls_waiting": waiting,
        "answer_rate": stats.live_share.value,
        "setpoint": stats.setpoint,
        "window_abandon_rate": window.rate(),
        "window_live_answers": window.live_answers,
        "window_abandons": window.abandons,
        "window_abandons_left": abandons_left,
        "guard_headroom": window_headroom - in_flight_risk(ready_free),
        "aggressiveness": settings.aggressiveness,
    }

    def done(calls: int, effective: PacingMode, guard: Guard | None, reason: str, **extra: Any) -> PacingDecision:
        calls = max(0, calls)
        amd = True
        if settings.amd_pause_near_cap and settings.amd_false_positive_rate > 0.0:
            if guard is Guard.ABANDON_BUDGET:
                amd = False
                reason += "; without AMD (machines reach agents): its false positives would be abandons too"
            elif window.live_answers < (young := amd_young_window(stats, z)):
                amd = False
                if math.isinf(young):
                    reason += (
                        f"; without AMD (machines reach agents): its false positives alone, about"
                        f" {stats.marginal_false_positive_share():.1%} of live answers at the campaign's"
                        f" false-positive rate, would break the {settings.abandon_cap:.1%} cap"
                    )
                else:
                    reason += (
                        f"; without AMD (machines reach agents) until the window holds {young:.0f} live answers: in a"
                        " smaller one its false positives alone could break the cap"
                    )
        if snapshot.max_new_calls is not None and calls > snapshot.max_new_calls:
            calls = max(0, snapshot.max_new_calls)
            if guard is None or calls == 0:  # (none placed: the limit is why, whatever else held the mode)
                guard = Guard.CALL_LIMIT
                reason += f"; cut to {calls} by the runner's call limit"
        return PacingDecision(
            calls, PacingExplanation(effective_mode=effective, guard=guard, reason=reason, **base, **extra), amd
        )

    if available <= 0:
        return done(0, settings.mode, Guard.NO_AGENTS, "no agent logged in and unpaused")
    if settings.mode is PacingMode.PREVIEW:
        return done(0, PacingMode.PREVIEW, Guard.PREVIEW, "preview mode: agents place their own calls")
    if snapshot.inbound.callers_waiting > 0:
        return done(
            0,
            settings.mode,
            Guard.INBOUND_WAITING,
            f"{snapshot.inbound.callers_waiting} inbound caller(s) waiting take the next free agents",
        )

    free_for_outbound = ready - reserve
    progressive_calls = free_for_outbound - in_flight
    progressive_reason = (
        f"{ready} ready − {reserve} kept for inbound − {in_flight} calls in flight = {max(0, progressive_calls)}"
    )
    if settings.mode is PacingMode.PROGRESSIVE:
        return done(progressive_calls, PacingMode.PROGRESSIVE, None, "progressive: " + progressive_reason)
    # Predictive (and power), behind their guards.
    if settings.mode is PacingMode.PREDICTIVE and available < settings.min_agents_predictive:
        return done(
            progressive_calls,
            PacingMode.PROGRESSIVE,
            Guard.FEW_AGENTS,
            f"only {available} agent(s) (< {settings.min_agents_predictive}): progressive; " + progressive_reason,
        )
    if settings.mode is PacingMode.PREDICTIVE and (
        stats.live_answers_total < settings.min_live_answers or stats.handle_samples < settings.min_handle_samples
    ):
        return done(
            progressive_calls,
            PacingMode.PROGRESSIVE,
            Guard.IMMATURE,
            f"estimates immature ({stats.live_answers_total} live answers, {stats.handle_samples} handle times"
            f" seen): progressive; " + progressive_reason,
        )
    free_now = max(0, free_for_outbound)

    def call_limit(limit: int) -> int:
        """The most new calls (≤ ``limit``) the guard lets through with ``free_now`` agents free
        (:func:`guarded_call_limit`)."""
        return guarded_call_limit(
            window_headroom, live, free_now, p_new, z, limit, false_positives=false_positives, window_var=scatter_var
        )

    # The hard guard: with the calls in flight at a high quantile of the abandons they may cause, and the
    # answers about to leave the window gone, is there room for one more abandon? (See guarded_call_limit.)
    spare = window_headroom - in_flight_risk(free_now)
    if spare < 1.0:
        return done(
            progressive_calls,
            PacingMode.PROGRESSIVE,
            Guard.ABANDON_BUDGET,
            f"{window.abandons:.1f} abandons of {window.live_answers:.1f} live answers in the last "
            f"{settings.window_hours:g} h ({window.rate():.2%}, cap {settings.abandon_cap:.1%}); with the calls in"
            f" flight and the answers leaving the window within {settings.guard_lookahead_seconds:g} s, one more"
            " could break the cap: progressive; " + progressive_reason,
        )
    # Near the cap the mode tapers: the last `taper` abandons of the queue's budget (the window's, less what its
    # estimated AMD false positives take) are spent ever more cautiously, so a young window (few live answers,
    # where one abandon moves the rate a lot) is not overrun.
    taper = max(2.0, settings.budget_reserve * (budget - window.estimated))
    budget_factor = min(1.0, max(0.1, (spare - 1.0) / taper))
    if settings.mode is PacingMode.POWER:
        ratio = 1.0 + (settings.power_ratio - 1.0) * budget_factor
        target = math.floor(ratio * free_now + 1e-9)
        limit = call_limit(10**6)
        calls = min(target - in_flight, max(progressive_calls, limit))
        return done(
            calls,
            PacingMode.POWER,
            None,
            f"power {ratio:g}:1 (of {settings.power_ratio:g}:1 near the cap): {target} calls for {free_now}"
            f" free agent(s) − {in_flight} in flight",
        )

    level = stats.controller_level(snapshot.now)
    applied = min(0.9, level * settings.aggressiveness * budget_factor)
    cap = max(0, math.ceil(settings.max_calls_per_agent * max(1, available - reserve)) - in_flight)
    limit = call_limit(cap)
    cap = min(cap, max(limit, progressive_calls))
    plan = predictive_plan(
        snapshot, stats, applied, cap, free_for_outbound=free_for_outbound, waiting=waiting, ringing=ring
    )
    # Never fewer than progressive: a call per ready agent carries no abandon risk the guard does not take anyway,
    # while the rule's normal approximation (MIN_VARIANCE) gives it about 1 %, above a level tapered near the cap.
    calls, next_risk = max(plan.calls, min(cap, progressive_calls)), plan.next_call_risk
    expected_answers = plan.expected_answers
    supply_end = plan.expected_free_agents
    reason = (
        f"predictive: {calls} call(s) — each keeps its abandon risk ≤ {applied:.1%}"
        f" (next would carry {next_risk:.1%}); {supply_end:.1f} agents expected free vs"
        f" {expected_answers:.1f} live answers within {STEPS - 1} s"
    )
    return done(
        calls,
        PacingMode.PREDICTIVE,
        None,
        reason,
        expected_free_agents=supply_end,
        expected_answers=expected_answers,
        controller_level=level,
        applied_level=applied,
        last_call_risk=plan.last_call_risk if calls else None,
        next_call_risk=next_risk,
    )


def amd_young_window(stats: PacingStats, z: float) -> float:
    """The live answers a legal window must hold before AMD may run: below it the people AMD takes for machines
    could break the cap on their own, at the guard's quantile ``z``.

    With ``φ`` the share of live answers that AMD's false positives make (``stats.marginal_false_positive_share``,
    the regime's estimate over the measured mix of verdicts) and ``c`` the cap, the window's false positives are
    about Poisson(``φ L``): their quantile ``φ L + z √(φ L)`` stays under ``c L`` once ``L ≥ z² φ ÷ (c − φ)²``.
    The guard counts the scatter of the window's estimate too, but only after the fact: a young window (the
    campaign's first hours, a small team's whole day) can be past the cap by a few unlucky verdicts before the
    guard has anything to hold (docs/benchmarks.md §1.19). Infinite when ``φ ≥ c``: AMD alone breaks the cap."""
    phi = stats.marginal_false_positive_share()
    cap = stats.abandon_cap
    if phi <= 0.0:
        return 0.0
    if phi >= cap:
        return math.inf
    return z * z * phi / ((cap - phi) ** 2)


def guard_headroom(
    abandons: float,
    live_answers: float,
    leaving_answers: float,
    cap: float,
    *,
    estimated_variance: float = 0.0,
    z: float = 0.0,
) -> float:
    """Abandons the window can still take if the answers about to leave it are gone and none of its abandons
    are: ``cap × (live answers − leaving) − abandons`` (an abandon adds a live answer too, so staying at or
    under this keeps ``abandons ÷ live answers`` at or under the cap).

    The window's estimated abandons (AMD false positives, ``f`` per machine verdict) stand for a true count that
    scatters around them with variance ``estimated_variance``; each true one beyond the estimate costs
    ``1 − cap`` of headroom (an abandon and a live answer), so the headroom is taken at that count's ``z``
    quantile: less ``(1 − cap) z √variance``."""
    scatter = (1.0 - cap) * z * math.sqrt(max(0.0, estimated_variance))
    return cap * max(0.0, live_answers - leaving_answers) - abandons - scatter


def skewed_quantile(mean: float, var: float, third: float, z: float, fourth: float = 0.0) -> float:
    """The ``z`` quantile of a sum of independent small counts (Bernoulli answers, false positives) with these
    cumulants (mean, variance, third and fourth), by Cornish–Fisher: the normal ``mean + z σ`` plus
    ``(z² − 1) κ₃ ÷ (6 σ²)``. A sum of a few unlikely events is skewed to the right (Poisson(2.5)'s 99th
    percentile is 7, the normal's 6.2): the term adds up to ``(z² − 1) ÷ 6`` ≈ 0.74 at ``z`` = 2.33 to a
    small-mean sum, and fades for a large one (κ₃ ÷ σ² ≤ 1 for Bernoullis, while σ grows). Never below the
    normal quantile: a left-skewed sum (calls likelier to answer than not) keeps that.

    With the fourth cumulant ``fourth`` (κ₄), also the expansion to its next order,
    ``σ ((z² − 1) γ₁ ÷ 6 + (z³ − 3z) γ₂ ÷ 24 − (2z³ − 5z) γ₁² ÷ 36)`` (γ₁ = κ₃ ÷ σ³, γ₂ = κ₄ ÷ σ⁴), and the
    larger of the two: a mix of likely and unlikely answers (calls in AMD beside ringing ones) has a heavier tail
    than its skew says — 2 calls at 7/8 and 3 at 1/16–3/32 bring 4 answers with probability 1.15 %, above the 1 %
    that the first order's quantile (3.49) allows; the second's is 3.75. Without it (κ₄ = 0) the second order is
    never the larger, and this is the first order's quantile exactly."""
    var = max(0.0, var)
    skew = (z * z - 1.0) * third / (6.0 * var) if var > 0.0 and z > 1.0 else 0.0
    first = mean + z * math.sqrt(var) + max(0.0, skew)
    if fourth == 0.0 or var < 1e-9 or z <= 1.0:  # (a vanishing variance: no tail to speak of)
        return first
    sd = math.sqrt(var)
    g1, g2 = third / (var * sd), fourth / (var * var)
    second = (z * z - 1.0) * g1 / 6.0 + (z**3 - 3.0 * z) * g2 / 24.0 - (2.0 * z**3 - 5.0 * z) * g1 * g1 / 36.0
    return max(first, mean + z * sd + sd * second)


@dataclass(frozen=True, slots=True)
class Cumulants:
    """The first four cumulants of a sum of independent small counts (live answers, people AMD hangs up on):
    mean, variance, third and fourth. Independent sums add cumulant by cumulant (``+``); the ``z`` quantile is
    skew-aware (:meth:`quantile`)."""

    mean: float = 0.0
    var: float = 0.0
    third: float = 0.0
    fourth: float = 0.0

    def __add__(self, other: Cumulants) -> Cumulants:
        return Cumulants(
            self.mean + other.mean, self.var + other.var, self.third + other.third, self.fourth + other.fourth
        )

    def scaled(self, scale: float) -> Cumulants:
        """The cumulants of ``scale`` × the count (the ``k``-th × ``scale**k``)."""
        return Cumulants(scale * self.mean, scale**2 * self.var, scale**3 * self.third, scale**4 * self.fourth)

    def quantile(self, z: float) -> float:
        """The count's ``z`` quantile (:func:`skewed_quantile`)."""
        return skewed_quantile(self.mean, self.var, self.third, z, self.fourth)

    @classmethod
    def of_bernoullis(cls, chances: Iterable[float], certain: float = 0.0) -> Cumulants:
        """The cumulants of ``certain`` sure counts plus one Bernoulli count of each chance in ``chances`` (the
        calls in flight: :func:`in_flight_live_answers`, :func:`in_flight_false_positives`)."""
        mean = certain
        var = third = fourth = 0.0
        for p in chances:
            v = p * (1.0 - p)  # bernoulli_cumulants(p), inlined on the pacing tick
            mean += p
            var += v
            third += v * (1.0 - 2.0 * p)
            fourth += v * (1.0 - 6.0 * v)
        return cls(mean, var, third, fourth)


NO_COUNT = Cumulants()  # no count at all


def bernoulli_cumulants(p: float) -> Cumulants:
    """The cumulants of one Bernoulli(``p``) count."""
    v = p * (1.0 - p)
    return Cumulants(p, v, v * (1.0 - 2.0 * p), v * (1.0 - 6.0 * v))


def bernoulli_sum_cumulants(n: int, p: float, scale: float = 1.0) -> Cumulants:
    """The cumulants of ``scale`` × the sum of ``n`` independent Bernoulli(``p``) counts (the ``k``-th scaled by
    ``scale**k``)."""
    return Cumulants(
        scale * n * p,
        scale**2 * n * p * (1.0 - p),
        scale**3 * n * p * (1.0 - p) * (1.0 - 2.0 * p),
        scale**4 * n * bernoulli_cumulants(p).fourth,
    )


def abandon_quantile(live: Cumulants, free_agents: int, z: float) -> float:
    """A high quantile (``z`` standard deviations, skew-aware: :func:`skewed_quantile`) of the abandons calls in
    flight may cause: their ``live`` answers beyond the agents ready now (busy agents freeing up only lower it)."""
    return max(0.0, live.quantile(z) - free_agents)


@dataclass(frozen=True, slots=True)
class FalsePositiveLoad:
    """The people AMD will still hang up on as machines, in headroom units: the cumulants of the calls in
    flight's (``in_flight``, already × ``scale``: :meth:`Cumulants.scaled`), and each new call's chance
    ``per_call`` of one (× ``scale`` = 1 − cap)."""

    in_flight: Cumulants = NO_COUNT
    per_call: float = 0.0
    scale: float = 1.0

    def moments(self, new_calls: int) -> Cumulants:
        """Their cumulants with ``new_calls`` more calls placed."""
        return self.in_flight + bernoulli_sum_cumulants(new_calls, self.per_call, self.scale)

    def quantile(self, new_calls: int, z: float) -> float:
        """Their ``z`` quantile with ``new_calls`` more calls placed (skew-aware: :func:`skewed_quantile`)."""
        return self.moments(new_calls).quantile(z)


_NO_FALSE_POSITIVES = FalsePositiveLoad()


def guard_quantile(
    live: Cumulants,
    free_agents: int,
    z: float,
    *,
    false_positives: FalsePositiveLoad = _NO_FALSE_POSITIVES,
    window_var: float = 0.0,
    new_calls: int = 0,
    p_new: float = 0.0,
) -> float:
    """The ``z`` quantile of what may still use the window's headroom, taken jointly (the risks are
    independent): the true people hung up on behind the window's estimate (variance ``window_var``, in headroom
    units), the false positives of the calls in flight and ``new_calls`` new ones, and the ``live`` answers of
    the calls in flight (:func:`in_flight_live_answers`) and the new ones beyond the ``free_agents`` (abandons,
    never fewer than none).

    With ``W`` + ``F`` the false positives and ``X`` the live answers beyond the free agents,
    ``W + F + max(0, X)`` is over ``h`` only if ``W + F + X`` is or ``W + F`` is, so the larger of those two
    quantiles bounds it (each at ``z``, skew-aware: :func:`skewed_quantile`, the window's scatter taken as
    normal). Without false positives this is :func:`abandon_quantile`."""
    fp = false_positives.moments(new_calls)
    fp = Cumulants(fp.mean, fp.var + max(0.0, window_var), fp.third, fp.fourth)
    answers = live + bernoulli_sum_cumulants(new_calls, p_new)
    beyond = Cumulants(answers.mean - free_agents, max(0.0, answers.var), answers.third, answers.fourth)
    return max(fp.quantile(z), (fp + beyond).quantile(z))


def guarded_call_limit(
    headroom: float,
    live: Cumulants,
    free_agents: int,
    p_new: float,
    z: float,
    limit: int,
    *,
    false_positives: FalsePositiveLoad = _NO_FALSE_POSITIVES,
    window_var: float = 0.0,
) -> int:
    """The most new calls (≤ ``limit``), each a live answer with probability ``p_new``, that keep one abandon
    of room: ``guard_quantile(in flight + new, false positives, the window's scatter) + 1 ≤ headroom``.
    """
    lo, hi = 0, max(0, limit)

    def fits(k: int) -> bool:
        risk = guard_quantile(
            live, free_agents, z, false_positives=false_positives, window_var=window_var, new_calls=k, p_new=p_new
        )
        return risk + 1.0 <= headroom

    if not fits(0):
        return 0
    while lo < hi:  # the quantile grows with k: bisect
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def new_call_rates(snapshot: PacingSnapshot, stats: PacingStats) -> tuple[Sequence[float], float] | None:
    """The next leads' answer rates and the rate of calls beyond them (the hour's), when the snapshot gives
    either; None: every new call at the campaign's recent rate."""
    if snapshot.hour_of_day is None and not snapshot.next_answer_rates:
        return None
    return snapshot.next_answer_rates, stats.answer_rate(snapshot.hour_of_day)


def _ringing(
    load: CallLoad, tables: PredictiveTables, ring: Sequence[tuple[Row, Row]] | None
) -> Sequence[tuple[Row, Row]]:
    """Each ringing call's rows: ``ring`` when the caller looked them up already
    (:meth:`PredictiveTables.ringing_rows`)."""
    return tables.ringing_rows(load.dialling_ages, load.dialling_answer_rates) if ring is None else ring


def in_flight_live_answers(
    load: CallLoad, tables: PredictiveTables, *, ring: Sequence[tuple[Row, Row]] | None = None
) -> Cumulants:
    """The cumulants of the live answers the calls in flight will still bring: each ringing call by its age,
    each call in AMD by the human share, each waiting call for sure. ``ring``: the ringing calls' rows
    (:meth:`PredictiveTables.ringing_rows`), when already looked up."""
    ringing = (row[-1] for row, _ in _ringing(load, tables, ring))
    in_amd = (tables.in_amd(age)[0][-1] for age in load.amd_ages)
    return Cumulants.of_bernoullis(chain(ringing, in_amd), float(load.waiting))


def in_flight_false_positives(
    load: CallLoad,
    tables: PredictiveTables,
    fp_rate: float,
    machine_per_live: float,
    *,
    ring: Sequence[tuple[Row, Row]] | None = None,
) -> Cumulants:
    """The cumulants of the people AMD will still hang up on among the calls in flight: each call's chance of a
    machine verdict (a ringing call's live-answer chance × machine verdicts per human verdict; a call in AMD by
    the machine share) × the false-positive rate ``fp_rate``."""
    ringing = Cumulants.of_bernoullis(
        min(1.0, row[-1] * machine_per_live * fp_rate) for row, _ in _ringing(load, tables, ring)
    )
    machine = 1.0 - tables.stats.amd_human_share.value
    q_amd = machine * fp_rate
    return Cumulants(
        ringing.mean + q_amd * load.amd,
        ringing.var + q_amd * (1.0 - q_amd) * load.amd,
        ringing.third + q_amd * (1.0 - q_amd) * (1.0 - 2.0 * q_amd) * load.amd,
        ringing.fourth + bernoulli_cumulants(q_amd).fourth * load.amd,
    )


@dataclass(frozen=True, slots=True)
class PredictivePlan:
    calls: int
    last_call_risk: float
    next_call_risk: float
    expected_free_agents: float  # by the end of the horizon
    expected_answers: float  # by the end of the horizon, the new calls included


def predictive_plan(
    snapshot: PacingSnapshot,
    stats: PacingStats,
    level: float,
    max_calls: int,
    *,
    free_for_outbound: int,
    waiting: int,
    agent_free_in: Sequence[float] | None = None,
    ringing: Sequence[tuple[Row, Row]] | None = None,
) -> PredictivePlan:
    """The predictive rule on a snapshot, without guards (:func:`decide` applies those first).

    ``agent_free_in`` replaces the learned conditional probabilities by exact seconds until each busy agent is
    free (the simulator's clairvoyant bound); ``free_for_outbound`` counts ready agents net of the reserve;
    ``ringing``: the ringing calls' rows when :func:`decide` looked them up already.
    """
    settings = snapshot.settings
    tables = predictive_tables(stats)
    tables.refresh(settings.connect_budget_seconds)
    if agent_free_in is not None:
        budget = settings.connect_budget_seconds
        supply_rows: list[Row] = [exact_free_row(seconds - budget) for seconds in agent_free_in]
        supply_var_rows: list[Row] = [_ZEROS] * len(supply_rows)
    else:
        supply_rows, supply_var_rows = tables.supply_rows(snapshot.agents)
    supply = sum_rows(supply_rows)
    supply_var = sum_rows(supply_var_rows)
    load = snapshot.call_load
    ring = _ringing(load, tables, ringing)
    demand_rows: list[Row] = [mean for mean, _ in ring]
    demand_var_rows: list[Row] = [var for _, var in ring]
    for age in load.amd_ages:
        mean, var = tables.in_amd(age)
        demand_rows.append(mean)
        demand_var_rows.append(var)
    demand = sum_rows(demand_rows)
    demand_var = sum_rows(demand_var_rows)
    budget_s = settings.connect_budget_seconds
    rate = snapshot.inbound.arrivals_per_second
    for t in range(STEPS):
        supply[t] += free_for_outbound
        demand[t] += waiting
        if rate > 0.0:
            inbound = expected_inbound_within(snapshot.inbound, t + budget_s)
            supply[t] -= inbound
            supply_var[t] += inbound

    rates = new_call_rates(snapshot, stats)
    ahead, beyond = rates if rates is not None else ((), 0.0)
    calls, last_risk, next_risk = plan_calls(
        supply,
        supply_var,
        demand,
        demand_var,
        tables.new_call,
        tables.new_call_density,
        level,
        max_calls,
        ring_cdf=tables.ring_cdf if rates is not None else None,
        answer_rates=ahead,
        default_rate=beyond,
    )
    if rates is None:
        new_answers = calls * tables.new_call[-1]
    else:
        new_answers = tables.ring_cdf[-1] * sum(ahead[k] if k < len(ahead) else beyond for k in range(calls))
    return PredictivePlan(calls, last_risk, next_risk, supply[-1], demand[-1] + new_answers)


_ZEROS: Row = (0.0,) * STEPS


def exact_free_row(seconds: float) -> Row:
    """Supply row of an agent known to be free in ``seconds`` (able to take calls answered from then on)."""
    start = max(0, math.ceil(seconds))
    return tuple(1.0 if t >= start else 0.0 for t in range(STEPS))
