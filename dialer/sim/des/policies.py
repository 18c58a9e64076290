"""Pacing policies the simulator compares: ours (the daemon's pacer, unchanged) and the baselines.

* ``progressive`` — the pacer in progressive mode: one call per free agent.
* ``fixed-ratio`` — VICIdial's RATIO: keep ``level × active agents`` lines busy (calls ringing, waiting and in
  conversation), active agents being those ready or on a call (an agent in wrap-up is paused); knob: level.
* ``power`` — the pacer in power mode, ``ratio`` calls per *free* agent; knob: ratio (not in the default set).
* ``issabel`` — Issabel CallCenter's rule: free agents plus agents "about to be free" (P(handle ≤ elapsed +
  answer delay) ≥ 0.97, with the *unconditional* CDF), divided by the answer rate; knob: a multiplier.
* ``ev-tuned`` — the textbook expected-value rule: expected live answers of the calls in flight (new ones
  included) ≤ knob × agents expected free by a new call's typical answer time (learned conditional
  probabilities); knob tuned.
* ``ours`` — the pacer in predictive mode with its online controller, default settings, never tuned, fed
  everything it learns from the campaign's records: each agent's own handle times, the answer rate by hour of
  day and by lead history (what the daemon's runner feeds it).
* ``ours-pooled`` — the same with pooled predictions only: the team's handle times, the campaign's recent
  answer rate for every call. ``ours-agent`` / ``ours-hour`` / ``ours-history``: pooled plus one of them.
* ``ours-ready`` — the same, every wrap-up agent announcing exactly when they will be ready, from its first
  second (``AgentView.ready_in_seconds``; clairvoyant about wrap-up ends: an upper bound of the console's signal).
  Every ``ours*`` policy reads the announcements the world's ``[ready]`` model has agents make (as the daemon
  reads the console's), through how late agents were against them (learnt as the daemon learns it).
* ``ours-static`` — the same rule with its level frozen (no controller); knob: the level.
* ``clairvoyant`` — the same rule told each agent's exact free time, with its own online controller: a bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from dialer.pacing import AgentState, PacingMode, PacingSettings, PacingSnapshot, decide
from dialer.pacing.blending import inbound_reserve
from dialer.pacing.pacer import predictive_plan, predictive_tables
from dialer.pacing.predictive import STEPS
from dialer.pacing.snapshot import CallStage
from dialer.sim.des.engine import Simulation
from dialer.sim.model import Scenario


@dataclass(frozen=True, slots=True)
class Learnt:
    """Which predictions learnt from the campaign's records the pacer is fed (the snapshot carries them)."""

    agents: bool = True  # each agent's own handle times (AgentView.agent_id)
    hour: bool = True  # the answer rate by hour of day (PacingSnapshot.hour_of_day)
    history: bool = True  # by lead history (each call's and the next leads' answer rates)


POOLED = Learnt(agents=False, hour=False, history=False)


def _snapshot(
    sim: Simulation, settings: PacingSettings, *, announce_ready: bool = False, learnt: Learnt = POOLED
) -> PacingSnapshot:
    agents = sim.agent_views(announce_ready=announce_ready, with_ids=learnt.agents)
    if not (learnt.hour or learnt.history):
        return PacingSnapshot(sim.now, settings, agents, sim.call_views(), sim.inbound_load())
    return PacingSnapshot(
        sim.now,
        settings,
        agents,
        inbound=sim.inbound_load(),
        load=sim.call_load(by_hour=learnt.hour, by_history=learnt.history),
        hour_of_day=sim.hour_of_day() if learnt.hour else None,
        next_answer_rates=sim.next_answer_rates(2 * len(sim.agents) + 20, by_hour=learnt.hour)
        if learnt.history
        else (),
    )


def amd_false_positive_estimate(scenario: Scenario) -> float:
    """The campaign's false-positive setting for this scenario, as estimated abandons per AMD machine verdict
    (the unit the pacer and the compliance report count): P(person | machine verdict), taken at the busiest
    hour's answer rate (an over- rather than an under-estimate)."""
    amd, out = scenario.amd, scenario.outbound
    if not amd.enabled or amd.false_positive_rate <= 0.0:
        return 0.0
    people = out.answer_probability.maximum * amd.false_positive_rate
    machines = out.machine_share * max(0.0, 1.0 - amd.notsure_rate - amd.false_negative_rate)
    return min(0.99, people / (people + machines)) if people + machines > 0.0 else 0.0


def scenario_settings(sim: Simulation, base: PacingSettings) -> PacingSettings:
    """The campaign settings a manager would enter for this scenario: its connect delay and AMD
    false-positive estimate, and the abandon target where ``[run] abandon_target`` sets one; nothing tuned."""
    connect = sim.scenario.agents.connect_delay_seconds
    fp = amd_false_positive_estimate(sim.scenario)
    target = sim.scenario.run.abandon_target
    setpoint = base.abandon_setpoint if target is None else min(target, base.abandon_cap)
    if (connect, fp, setpoint) == (base.agent_connect_seconds, base.amd_false_positive_rate, base.abandon_setpoint):
        return base
    return replace(base, agent_connect_seconds=connect, amd_false_positive_rate=fp, abandon_setpoint=setpoint)


class PacerPolicy:
    """The daemon's pacer (:func:`dialer.pacing.decide`) with fixed settings."""

    def __init__(
        self, name: str, settings: PacingSettings, *, announce_ready: bool = False, learnt: Learnt = POOLED
    ) -> None:
        self.name = name
        self.settings = settings
        self.announce_ready = announce_ready  # agents in wrap-up say "ready in N s"
        self.learnt = learnt
        self._bound: PacingSettings | None = None
        self.knob = ""

    def calls_now(self, sim: Simulation) -> tuple[int, bool]:
        if self._bound is None:
            self._bound = scenario_settings(sim, self.settings)
            sim.stats.configure(self._bound)
            sim.announce_exact = self.announce_ready  # the world's wrap-up ends told exactly (and learnt so)
        snapshot = _snapshot(sim, self._bound, announce_ready=self.announce_ready, learnt=self.learnt)
        decision = decide(snapshot, sim.stats)
        sim.amd_paused = not decision.amd
        explanation = decision.explanation
        held = explanation.guard is not None and explanation.effective_mode is PacingMode.PROGRESSIVE
        if self.settings.mode is not PacingMode.PROGRESSIVE and sim.metrics is not None:
            sim.metrics.pacer_decision(sim.now, held=held, level=explanation.applied_level)
        return decision.calls, explanation.effective_mode is PacingMode.PREDICTIVE


def ours(*, announce_ready: bool = False, learnt: Learnt = Learnt(), name: str = "ours") -> PacerPolicy:
    return PacerPolicy(name, PacingSettings(mode=PacingMode.PREDICTIVE), announce_ready=announce_ready, learnt=learnt)


def ours_ready() -> PacerPolicy:
    """Ours, with the agents in wrap-up announcing when they will be ready (what the console would send)."""
    return ours(announce_ready=True, name="ours-ready")


def ours_pooled() -> PacerPolicy:
    return ours(learnt=POOLED, name="ours-pooled")


def ours_agent() -> PacerPolicy:
    return ours(learnt=Learnt(agents=True, hour=False, history=False), name="ours-agent")


def ours_hour() -> PacerPolicy:
    return ours(learnt=Learnt(agents=False, hour=True, history=False), name="ours-hour")


def ours_history() -> PacerPolicy:
    return ours(learnt=Learnt(agents=False, hour=False, history=True), name="ours-history")


def progressive() -> PacerPolicy:
    return PacerPolicy("progressive", PacingSettings(mode=PacingMode.PROGRESSIVE))


def power(ratio: float) -> PacerPolicy:
    policy = PacerPolicy("power", PacingSettings(mode=PacingMode.POWER, power_ratio=ratio))
    policy.knob = f"ratio={ratio:.3f}"
    return policy


class FixedRatio:
    """VICIdial's RATIO auto-dial: lines = round(level × active agents) − lines already in use."""

    def __init__(self, level: float) -> None:
        self.name = "fixed-ratio"
        self.level = level
        self.knob = f"level={level:.3f}"

    def calls_now(self, sim: Simulation) -> tuple[int, bool]:
        if sim.inbound_waiting:
            return 0, False
        on_call = sum(1 for a in sim.agents if a.state is AgentState.TALKING or a.state is AgentState.RESERVED)
        active = len(sim.ready) + on_call
        target = math.floor(self.level * active + 0.5)
        return max(0, target - len(sim.in_flight) - on_call), False


def fixed_ratio(level: float) -> FixedRatio:
    return FixedRatio(level)


class IssabelLike:
    """Free agents + agents 'about to be free' by the unconditional handle-time CDF, ÷ answer rate."""

    def __init__(self, multiplier: float, threshold: float = 0.97) -> None:
        self.name = "issabel"
        self.multiplier = multiplier
        self.threshold = threshold
        self.knob = f"multiplier={multiplier:.3f}"

    def calls_now(self, sim: Simulation) -> tuple[int, bool]:
        if sim.scenario.inbound.enabled and sim.inbound_waiting:
            return 0, False
        stats = sim.stats
        answer_delay = stats.live_ring.mean()
        mean_wrap = stats.wrap.mean()
        now = sim.now
        about = 0
        for agent in sim.agents:
            elapsed = now - agent.since
            if agent.state is AgentState.TALKING:
                p_done = stats.talk.cdf_at(elapsed + answer_delay - mean_wrap)
            elif agent.state is AgentState.WRAPUP:
                p_done = stats.wrap.cdf_at(elapsed + answer_delay)
            else:
                continue
            if p_done >= self.threshold:
                about += 1
        waiting = len(sim.outbound_waiting)
        dialling = len(sim.in_flight) - waiting
        free = len(sim.ready) + about - waiting
        if free <= 0:
            return 0, False
        target = math.floor(self.multiplier * free / max(0.01, stats.live_share.value) + 0.5)
        return max(0, target - dialling), False


class ExpectedValue:
    """The textbook predictive rule: keep the expected live answers of the calls in flight (new ones included)
    at ``knob`` × the agents expected free by the typical time a new call takes to be answered (the learned
    mean ring time of live answers). Agents' chances of being free use the same learned
    conditional probabilities as ours; one knob, tuned per cell to the cap on another seed."""

    def __init__(self, knob: float) -> None:
        self.name = "ev-tuned"
        self.level = knob
        self.knob = f"knob={knob:.3f}"
        self.settings = PacingSettings()

    def calls_now(self, sim: Simulation) -> tuple[int, bool]:
        stats = sim.stats
        ready = len(sim.ready)
        if stats.live_answers_total < self.settings.min_live_answers:
            return max(0, ready - len(sim.in_flight)), False
        inbound = sim.inbound_load()
        if inbound.callers_waiting:
            return 0, False
        tables = predictive_tables(stats)
        tables.refresh(self.settings.connect_budget_seconds)
        h = min(STEPS - 1, max(1, round(stats.live_ring.mean())))
        views = sim.agent_views()
        reserve = inbound_reserve(inbound, len(views))
        expected_free = float(ready - reserve)
        for view in views:
            if view.state is AgentState.TALKING or view.state is AgentState.RESERVED:
                expected_free += tables.talking(view.seconds_in_state)[0][h]
            elif view.state is AgentState.WRAPUP:
                expected_free += tables.wrapping(view.seconds_in_state)[0][h]
        live = float(len(sim.outbound_waiting))
        for call in sim.call_views():
            if call.stage is CallStage.DIALLING:
                live += tables.ringing(call.age_seconds)[0][-1]
            elif call.stage is CallStage.AMD:
                live += tables.in_amd(call.age_seconds)[0][-1]
        p_new = tables.new_call[-1]
        if p_new <= 0.0:
            return 0, False
        calls = math.floor((self.level * expected_free - live) / p_new)
        return max(0, min(calls, 12 * len(views) - len(sim.in_flight))), False


def expected_value(knob: float) -> ExpectedValue:
    return ExpectedValue(knob)


class _RulePolicy:
    """The predictive rule without guards, at a fixed level or told exact agent free times."""

    def __init__(self, name: str, level: float | None, clairvoyant: bool) -> None:
        self.name = name
        self.level = level
        self.clairvoyant = clairvoyant
        self.settings = PacingSettings()
        self.knob = f"level={level:.4f}" if level is not None else ""

    def calls_now(self, sim: Simulation) -> tuple[int, bool]:
        stats = sim.stats
        if self.level is None and stats.live_answers_total < self.settings.min_live_answers:
            ready = len(sim.ready)
            return max(0, ready - len(sim.in_flight)), False
        inbound = sim.inbound_load()
        if inbound.callers_waiting:
            return 0, False
        agents = len(sim.agents)
        reserve = inbound_reserve(inbound, agents)
        free = len(sim.ready) - reserve
        waiting = len(sim.outbound_waiting)
        if self.clairvoyant:  # exact free times, and the answer rates ours learns
            snapshot = replace(_snapshot(sim, self.settings, learnt=Learnt(agents=False)), agents=())
        else:
            snapshot = PacingSnapshot(sim.now, self.settings, sim.agent_views(), sim.call_views(), inbound)
        level = self.level if self.level is not None else stats.controller_level(sim.now)
        cap = max(0, math.ceil(self.settings.max_calls_per_agent * max(1, agents - reserve)) - len(sim.in_flight))
        plan = predictive_plan(
            snapshot,
            stats,
            level,
            cap,
            free_for_outbound=free,
            waiting=waiting,
            agent_free_in=sim.busy_agents_free_in() if self.clairvoyant else None,
        )
        return plan.calls, self.level is None


def ours_static(level: float) -> _RulePolicy:
    return _RulePolicy("ours-static", level, clairvoyant=False)


def clairvoyant() -> _RulePolicy:
    return _RulePolicy("clairvoyant", None, clairvoyant=True)
