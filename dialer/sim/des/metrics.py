"""What one simulated run measured, over the measured period only (the warm-up excluded)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from dialer.pacing import AgentState
from dialer.sim.model import Scenario

DAY_MINUTES = 24 * 60
_BUSY = (AgentState.TALKING, AgentState.WRAPUP, AgentState.RESERVED, AgentState.RINGING)


@dataclass(frozen=True, slots=True)
class RunResult:
    policy: str
    scenario: str
    agents: int
    hours: float
    occupancy: float  # (talk + wrap-up with people) ÷ logged-in agent time
    talk_minutes_per_agent_hour: float
    live_answers: int
    abandons: int
    abandon_rate: float
    # The worst full 24 h window; a run measured over less than 24 h has none: its whole measured period's rate
    # then, marked ``window_partial`` (not a 24 h figure: neither a breach nor a pass of the 24 h rule).
    worst_24h_abandon: float
    worst_1h_abandon: float
    dials_per_agent_hour: float
    idle_gap_mean: float  # seconds an agent waited between calls
    idle_gap_p90: float
    inbound_calls: int = 0
    inbound_service_level: float | None = None  # answered within the service-level time ÷ arrivals
    inbound_abandon_rate: float | None = None
    knob: str = ""  # the tuned knob, for baselines
    seed: int = 0  # the run's seed (set by the bench)
    window_partial: bool = False  # measured over less than 24 h: worst_24h_abandon is the whole run's rate
    # The worst window holding the campaign's start (its first call at t = 0, the warm-up included), from its
    # first hour of calls to its 24th: a 24 h window ending then holds only those calls. Legal windows too, which
    # the measured period's full windows never see (None: the run ended before the campaign's first hour).
    worst_start_abandon: float | None = None
    # The pacer's own decisions in the measured period (None for the baselines, which take none): the share a
    # guard held back to progressive (the abandon budget, immature estimates, too few agents), and the median
    # abandon-risk level it applied when predictive (the controller's, after the taper near the cap).
    guard_held_share: float | None = None
    applied_level_median: float | None = None
    # Logged-in agent time spent on machines that reached them (AMD off, paused or wrong), not in ``occupancy``.
    machine_share: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Metrics:
    def __init__(self, scenario: Scenario, start: float, end: float) -> None:
        self.scenario = scenario
        self.start, self.end = start, end
        minutes = math.ceil((end - start) / 60.0) + 1
        self.answers_per_minute = [0] * minutes
        self.abandons_per_minute = [0] * minutes
        # The campaign's first 24 h from t = 0, warm-up included (the windows holding its start).
        first = min(DAY_MINUTES, math.ceil(end / 60.0) + 1)
        self.start_answers = [0] * first
        self.start_abandons = [0] * first
        self.talk_seconds = 0.0
        self.busy_seconds = 0.0
        self.machine_seconds = 0.0  # agent-seconds on machines (their connect, talk and wrap-up)
        self.logged_in_seconds = 0.0  # agent-seconds logged in (a logged-out agent is PAUSED)
        self.dials = 0
        self.gaps: list[float] = []
        self.inbound_calls = 0
        self.inbound_in_time = 0
        self.inbound_abandons = 0
        self.sl_seconds = scenario.inbound.service_level_seconds
        self.decisions = 0
        self.held = 0
        self.levels: list[float] = []

    def _measured(self, since: float, until: float) -> float:
        """The seconds of ``since`` to ``until`` inside the measured period."""
        lo = since if since > self.start else self.start
        hi = until if until < self.end else self.end
        return hi - lo if hi > lo else 0.0

    def agent_time(self, state: AgentState, since: float, until: float) -> None:
        seconds = self._measured(since, until)
        if seconds <= 0.0:
            return
        if state is not AgentState.PAUSED:
            self.logged_in_seconds += seconds
        if state is AgentState.TALKING:
            self.talk_seconds += seconds
            self.busy_seconds += seconds
        elif state in _BUSY:
            self.busy_seconds += seconds

    def machine_work(self, since: float, until: float) -> None:
        """An agent handles a machine from ``since`` to ``until`` (busy, but not occupied with a person)."""
        self.machine_seconds += self._measured(since, until)

    def dial(self, now: float) -> None:
        if now >= self.start:
            self.dials += 1

    def live_answer(self, now: float, *, abandoned: bool) -> None:
        early = int(now / 60.0)
        if early < len(self.start_answers):
            self.start_answers[early] += 1
            if abandoned:
                self.start_abandons[early] += 1
        if now < self.start:
            return
        minute = int((now - self.start) / 60.0)
        self.answers_per_minute[minute] += 1
        if abandoned:
            self.abandons_per_minute[minute] += 1

    def pacer_decision(self, now: float, *, held: bool, level: float | None) -> None:
        """One decision of the pacer: ``held`` when a guard made it progressive; ``level`` the one applied."""
        if now < self.start:
            return
        self.decisions += 1
        self.held += int(held)
        if level is not None:
            self.levels.append(level)

    def idle_gap(self, now: float, gap: float) -> None:
        if now >= self.start:
            self.gaps.append(gap)

    def inbound_arrival(self, now: float) -> None:
        if now >= self.start:
            self.inbound_calls += 1

    def inbound_answered(self, arrival: float, now: float) -> None:
        if arrival >= self.start and now - arrival <= self.sl_seconds:
            self.inbound_in_time += 1

    def inbound_abandoned(self, arrival: float) -> None:
        if arrival >= self.start:
            self.inbound_abandons += 1

    def result(self, policy: str) -> RunResult:
        agents = self.scenario.agents.count
        hours = (self.end - self.start) / 3600.0
        agent_seconds = self.logged_in_seconds
        answers = sum(self.answers_per_minute)
        abandons = sum(self.abandons_per_minute)
        gaps = sorted(self.gaps)
        inbound = self.inbound_calls
        return RunResult(
            policy=policy,
            scenario=self.scenario.name,
            agents=agents,
            hours=hours,
            occupancy=(self.busy_seconds - self.machine_seconds) / agent_seconds if agent_seconds else 0.0,
            talk_minutes_per_agent_hour=(self.talk_seconds / 60.0) / (agent_seconds / 3600.0) if agents else 0.0,
            live_answers=answers,
            abandons=abandons,
            abandon_rate=abandons / answers if answers else 0.0,
            worst_24h_abandon=worst_window(self.answers_per_minute, self.abandons_per_minute, DAY_MINUTES),
            worst_1h_abandon=worst_window(self.answers_per_minute, self.abandons_per_minute, 60),
            dials_per_agent_hour=self.dials / (agent_seconds / 3600.0) if agent_seconds else 0.0,
            idle_gap_mean=sum(gaps) / len(gaps) if gaps else 0.0,
            idle_gap_p90=gaps[int(0.9 * (len(gaps) - 1))] if gaps else 0.0,
            inbound_calls=inbound,
            inbound_service_level=self.inbound_in_time / inbound if inbound else None,
            inbound_abandon_rate=self.inbound_abandons / inbound if inbound else None,
            window_partial=self.end - self.start < DAY_MINUTES * 60.0,
            machine_share=self.machine_seconds / agent_seconds if agent_seconds else 0.0,
            worst_start_abandon=worst_from_start(self.start_answers, self.start_abandons, START_WINDOW_MINUTES),
            guard_held_share=self.held / self.decisions if self.decisions else None,
            applied_level_median=sorted(self.levels)[len(self.levels) // 2] if self.levels else None,
        )


START_WINDOW_MINUTES = 60  # windows holding the campaign's start count from its first hour of calls


def worst_from_start(answers: list[int], abandons: list[int], from_minute: int) -> float | None:
    """The highest abandon rate of the windows ``[0, m)`` for ``m`` from ``from_minute`` to the end of
    ``answers`` (per-minute counts from the campaign's start); None when there are fewer minutes."""
    if len(answers) <= from_minute:
        return None
    ans, ab = sum(answers[:from_minute]), sum(abandons[:from_minute])
    worst = ab / ans if ans else 0.0
    for i in range(from_minute, len(answers)):
        ans += answers[i]
        ab += abandons[i]
        if ans and ab / ans > worst:
            worst = ab / ans
    return worst


def worst_window(answers: list[int], abandons: list[int], minutes: int) -> float:
    """The highest abandon rate over any ``minutes``-long window (the whole run when it is shorter)."""
    if len(answers) <= minutes:
        total = sum(answers)
        return sum(abandons) / total if total else 0.0
    ans = sum(answers[:minutes])
    ab = sum(abandons[:minutes])
    worst = ab / ans if ans else 0.0
    for i in range(minutes, len(answers)):
        ans += answers[i] - answers[i - minutes]
        ab += abandons[i] - abandons[i - minutes]
        if ans and ab / ans > worst:
            worst = ab / ans
    return worst
