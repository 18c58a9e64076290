"""What the pacer sees: one immutable snapshot of agents, calls in flight, inbound load and settings.

The daemon's campaign runner (and the discrete-event simulator) build a :class:`PacingSnapshot` on every tick
and on every agent becoming free. Times are seconds; ``now`` is whatever clock the caller uses (the pacer only
compares it with times it was given).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class PacingMode(StrEnum):
    PREVIEW = "preview"  # the agent clicks dial: the pacer never places calls
    PROGRESSIVE = "progressive"  # one call per free agent: never abandons
    POWER = "power"  # a fixed number of calls per free agent
    PREDICTIVE = "predictive"  # dials ahead of agents becoming free, held to the abandon setpoint


class AgentState(StrEnum):
    READY = "ready"  # logged in, unpaused, idle: can take a call now
    RESERVED = "reserved"  # picked by the queue for a call, leg being connected
    RINGING = "ringing"  # agent phone ringing (no auto-answer)
    TALKING = "talking"
    WRAPUP = "wrapup"  # after-call work
    PAUSED = "paused"  # logged in but not taking calls: not counted at all


class CallStage(StrEnum):
    DIALLING = "dialling"  # Originate sent, callee not answered yet (ringing)
    AMD = "amd"  # answered, answering-machine detection running
    WAITING = "waiting"  # a live person answered and waits in queue for an agent (the 2 s clock runs)


@dataclass(frozen=True, slots=True)
class AgentView:
    state: AgentState
    seconds_in_state: float = 0.0
    blended: bool = False  # also takes inbound calls
    # In wrap-up: the agent's own "ready in N s" (the console's announcement), seconds from the snapshot's
    # ``now``. None (the default): unknown, the pacer uses the learned wrap-up distribution.
    ready_in_seconds: float | None = None
    # Whose: the pacer reads this agent's own handle times (``PacingStats.record_talk(…, agent=…)``) once it has
    # a few. None: the team's.
    agent_id: str | None = None

    def __post_init__(self) -> None:
        if self.ready_in_seconds is not None and not (
            math.isfinite(self.ready_in_seconds) and self.ready_in_seconds >= 0.0
        ):
            raise ValueError(f"ready_in_seconds {self.ready_in_seconds} must be a finite number ≥ 0")


@dataclass(frozen=True, slots=True)
class CallInFlight:
    stage: CallStage
    age_seconds: float  # since the Originate (DIALLING) or since entering the stage (AMD, WAITING)
    # Live answers per dial expected of this call's lead when it was placed (``PacingStats.answer_rate`` by hour
    # and lead history); None: the campaign's rate.
    answer_rate: float | None = None


@dataclass(frozen=True, slots=True)
class CallLoad:
    """The calls in flight still needing an agent, as the pacer reads them: how long each ringing call and each
    call in AMD has been in its stage, and how many answered calls wait for an agent.

    The same information as a list of :class:`CallInFlight`, grouped by stage: a caller that keeps its calls by
    stage (the daemon's runner, see ``dialer.runner.inflight``) hands it over without one object per call.
    """

    dialling_ages: Sequence[float] = ()
    amd_ages: Sequence[float] = ()
    waiting: int = 0
    # Each ringing call's expected live answers per dial (``CallInFlight.answer_rate``), in the order of
    # ``dialling_ages``; None (or a None entry): the campaign's rate.
    dialling_answer_rates: Sequence[float | None] | None = None

    def __post_init__(self) -> None:
        rates = self.dialling_answer_rates
        if rates is not None and len(rates) != len(self.dialling_ages):
            raise ValueError("dialling_answer_rates must match dialling_ages one to one")

    @classmethod
    def of(cls, calls: Iterable[CallInFlight]) -> CallLoad:
        dialling: list[float] = []
        rates: list[float | None] = []
        amd: list[float] = []
        waiting = 0
        for call in calls:
            if call.stage is CallStage.DIALLING:
                dialling.append(call.age_seconds)
                rates.append(call.answer_rate)
            elif call.stage is CallStage.AMD:
                amd.append(call.age_seconds)
            else:
                waiting += 1
        return cls(dialling, amd, waiting, rates if any(r is not None for r in rates) else None)

    @property
    def dialling(self) -> int:
        return len(self.dialling_ages)

    @property
    def amd(self) -> int:
        return len(self.amd_ages)

    @property
    def total(self) -> int:
        return len(self.dialling_ages) + len(self.amd_ages) + self.waiting


@dataclass(frozen=True, slots=True)
class InboundLoad:
    """Inbound traffic offered to the same (blended) agents; inbound calls have priority in the queue."""

    callers_waiting: int = 0
    arrivals_per_second: float = 0.0  # expected arrival rate now (forecast or recent measurement)
    mean_handle_seconds: float = 165.0  # inbound talk + wrap-up, to size the reserve


class PacingSettingsError(ValueError):
    pass


def default_abandon_setpoint(cap: float) -> float:
    """What the online controller aims at unless a campaign says otherwise: 0.3 points under the cap (at least half
    of it) -- the top of the measured occupancy-against-setpoint curve (docs/benchmarks.md §1.3); the guard, not
    the setpoint, keeps every window under the cap."""
    return round(max(cap - 0.003, cap / 2), 6)


@dataclass(frozen=True, slots=True)
class PacingSettings:
    """A campaign's pacing knobs. Defaults are the compliant ones (3 % per 24 h, 2 s to connect)."""

    mode: PacingMode = PacingMode.PREDICTIVE
    power_ratio: float = 2.0  # calls per free agent in power mode
    abandon_cap: float = 0.03  # legal cap on abandoned ÷ live answers over the window
    abandon_setpoint: float = default_abandon_setpoint(0.03)  # what the online controller aims at (below the cap)
    window_hours: float = 24.0  # legal window: 24 h (Ofcom) or 720 h (US, 30 days)
    aggressiveness: float = 1.0  # manual override, within [MIN_AGGRESSIVENESS, MAX_AGGRESSIVENESS]
    max_wait_seconds: float = 2.0  # a live answer must reach an agent within this (greeting → agent)
    agent_connect_seconds: float = 0.0  # agent leg answer time, taken off max_wait_seconds
    min_agents_predictive: int = 3  # fewer available agents than this: progressive
    min_live_answers: int = 30  # fewer live answers seen than this: estimates immature, progressive
    min_handle_samples: int = 20
    budget_reserve: float = 0.05  # guard fires when abandons reach (1 − this) of the window's budget
    max_calls_per_agent: float = 12.0  # hard ceiling on calls in flight per available agent
    inbound_reserve: int | None = None  # agents kept free for inbound; None = sized from the inbound load
    # Share of AMD machine verdicts that were people, counted as abandoned live answers by the regime (Ofcom):
    # the campaign's ``CampaignConfig.amd_false_positive_rate`` (0 where the regime does not count them).
    amd_false_positive_rate: float = 0.0
    # Where the regime counts AMD's false positives (``amd_false_positive_rate`` > 0), calls go out without AMD while
    # the abandon guard holds and while the window is too young to absorb them (``PacingDecision.amd``).
    amd_pause_near_cap: bool = True
    # Guard: calls in flight count at this quantile of the abandons they may still cause.
    guard_quantile_z: float = 2.33  # ≈ 99th percentile (normal)
    guard_lookahead_seconds: float = 600.0  # answers leaving the window this soon are counted as gone

    MIN_AGGRESSIVENESS = 0.5
    MAX_AGGRESSIVENESS = 1.5

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not 0.0 < self.abandon_cap < 1.0:
            problems.append(f"abandon_cap {self.abandon_cap} must be in (0, 1)")
        if not 0.0 < self.abandon_setpoint <= self.abandon_cap:
            problems.append(f"abandon_setpoint {self.abandon_setpoint} must be in (0, abandon_cap]")
        if not 1.0 <= self.power_ratio <= 20.0:
            problems.append(f"power_ratio {self.power_ratio} must be in [1, 20]")
        if not self.MIN_AGGRESSIVENESS <= self.aggressiveness <= self.MAX_AGGRESSIVENESS:
            problems.append(
                f"aggressiveness {self.aggressiveness} must be in "
                f"[{self.MIN_AGGRESSIVENESS}, {self.MAX_AGGRESSIVENESS}]"
            )
        if self.window_hours <= 0 or not math.isfinite(self.window_hours):
            problems.append("window_hours must be positive")
        if self.max_wait_seconds - self.agent_connect_seconds < 0:
            problems.append("agent_connect_seconds exceeds max_wait_seconds: no call could ever connect in time")
        if not 0.0 <= self.amd_false_positive_rate < 1.0:
            problems.append(f"amd_false_positive_rate {self.amd_false_positive_rate} must be in [0, 1)")
        if self.guard_quantile_z < 0 or self.guard_lookahead_seconds < 0:
            problems.append("guard_quantile_z and guard_lookahead_seconds must not be negative")
        if self.inbound_reserve is not None and self.inbound_reserve < 0:
            problems.append("inbound_reserve must not be negative")
        if problems:
            raise PacingSettingsError("; ".join(problems))

    @property
    def window_seconds(self) -> float:
        return self.window_hours * 3600.0

    @property
    def connect_budget_seconds(self) -> float:
        """How long an answered call may wait for the queue to pick an agent."""
        return self.max_wait_seconds - self.agent_connect_seconds


@dataclass(frozen=True, slots=True)
class PacingSnapshot:
    """The calls in flight come either one by one (``calls``) or already grouped (``load``); the pacer reads
    ``load``, which is built from ``calls`` when not given."""

    now: float
    settings: PacingSettings
    agents: Sequence[AgentView] = ()
    calls: Sequence[CallInFlight] = ()
    inbound: InboundLoad = field(default_factory=InboundLoad)
    max_new_calls: int | None = None  # trunk/lead supply limit the runner imposes (None = no limit)
    load: CallLoad | None = None
    # The hour of day (0–23) new calls beyond ``next_answer_rates`` go out in, the called party's local hour (the
    # daemon's runner: dialer.runner.lookahead): their answer rate is the hour's (``PacingStats.answer_rate``).
    # None: the campaign's recent rate.
    hour_of_day: int | None = None
    # The expected live answers per dial of the next leads to be dialled, in order (by their history and local
    # hour); calls beyond them at the hour's rate.
    next_answer_rates: Sequence[float] = ()

    def __post_init__(self) -> None:
        if self.load is None:
            object.__setattr__(self, "load", CallLoad.of(self.calls))
        elif self.calls:
            raise ValueError("give the calls in flight as calls or as load, not both")

    @property
    def call_load(self) -> CallLoad:
        """The calls in flight grouped by stage (what the pacer reads)."""
        assert self.load is not None  # set by __post_init__
        return self.load
