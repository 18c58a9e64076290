"""The world model shared by the discrete-event simulator and the simulated PBX: seeded, pure, no clock.

A :class:`Scenario` describes the world one campaign dials into (agents, callees, handle times, AMD, inbound
traffic, and how long to run). :class:`WorldModel` draws from it; every sampler takes the random generator
explicitly (a ``random.Random``) and the simulation time ``now`` in **seconds since the scenario started**, so two
runs with the same seed see the same world (common random numbers across pacing policies).

Scenario files are TOML; every key is optional and defaults to the benchmark model (docs/benchmarks.md)::

    [scenario]
    name = "n20-p020"
    description = "20 agents, 20 % live answers"

    [run]                       # only the discrete-event simulator reads this section
    hours = 40.0                # simulated time measured, after the warm-up
    warmup_minutes = 30.0
    seed = 11                   # seed of the reported run
    tuning_seed = 7             # seed on which baseline policies tune their knob
    abandon_target = 0.027      # optional: the campaign's pacing.abandon_target, what our pacer's controller aims
                                #   at (default: the campaign's default, the cap − 0.3 points; at most the cap, 3 %)

    [agents]
    count = 20
    connect_delay_seconds = 0.0 # agent leg answer time after the queue picks it (counts against the 2 s)
    schedule = [[0, 20], [4, 10]]  # optional profile: agents logged in over time (shifts, breaks, logouts)

    [outbound]
    answer_probability = 0.20   # or a profile: [[0, 0.30], [8, 0.10]] (hour, value), see Profile
    answer_probability_period_hours = 8.0   # optional: repeat the profile every 8 h
    busy_share = 0.10           # busy or congestion, released after busy_release_seconds
    congestion_share_of_busy = 0.0
    busy_release_seconds = 3.0
    machine_share = 0.0         # answering machines (of all dials); the rest of the dials ring out
    ring_mean_seconds = 10.0    # lognormal time to answer
    ring_sd_seconds = 5.0
    ring_min_seconds = 1.0
    ring_timeout_seconds = 22.0 # the Originate Timeout: no answer by then = no answer
    max_wait_seconds = 2.0      # a live answer waits this long for an agent, else it is abandoned
    attempt_shares = [1.0]      # lead history: share of dials that are a lead's 1st, 2nd, … attempt
    attempt_answer_factors = [1.0]  # answer probability × this by attempt number (normalised: the mix's mean
                                #   stays answer_probability); attempts after the first follow a no answer
    attempt_batch = 1           # dials come in runs of this many of one attempt number (a hopper's batches)

    [amd]
    enabled = false
    detection_mean_seconds = 2.5  # AMD() listening time after answer (uniform ± detection_spread_seconds)
    detection_spread_seconds = 1.0
    false_positive_rate = 0.0     # human classed MACHINE (hung up; counts as an abandon estimate, Ofcom)
    false_negative_rate = 0.0     # machine classed HUMAN (reaches an agent, who hangs up)
    notsure_rate = 0.0            # NOTSURE verdicts (sent to an agent like HUMAN)
    machine_agent_seconds = 5.0   # how long an agent spends on a machine that reached them

    [handle]
    talk_mean_seconds = 150.0   # lognormal
    talk_sd_seconds = 120.0
    talk_scale = 1.0            # or a profile multiplying talk time through the day
    wrap_mean_seconds = 15.0    # gamma
    wrap_cv = 0.5
    agent_talk_spread = 0.0     # each agent's talk times × a factor of their own: lognormal, mean 1, this sd
                                #   of its log (fast and slow talkers)
    agent_wrap_spread = 0.0     # the same for wrap-up

    [ready]                     # the console's "ready in N s" from agents in wrap-up (default: nobody presses it)
    share = 0.0                 # share of wrap-ups in which the agent announces
    after_seconds = 5.0         # how far into the wrap-up they press it (a wrap-up over by then: no announcement)
    error_sd = 0.3              # their estimate of the wrap-up left = the truth × a lognormal factor (mean 1, this
                                #   sd of its log)
    choices = [10, 30]          # the console's buttons: the smallest at or over the estimate (none: no announcement);
                                #   [] = no buttons, every announcement typed. The default is the console's former
                                #   two buttons (the worlds of docs/benchmarks.md §1.4 keep their meaning); the
                                #   console of today: [5, 10, 15, 20, 30] and a typed number (dialer/agents/ready.py)
    typed_share = 0.0           # share of the announcements typed as a number instead of pressing a button: the
                                #   estimate rounded up to whole seconds, within the console's 1 to 300 s (longer:
                                #   no announcement); 0 to 1, and 1 (or left out) with choices = []
    enforced = true             # the console makes the agent ready at the announced time at the latest (a
                                #   disposition before then ends it sooner); false: a claim only, free at their own
                                #   end (late or early)

    [inbound]
    erlangs = 0.0               # offered load (or rate_per_hour = ...); a profile is allowed for either
    patience_mean_seconds = 120.0   # exponential
    service_level_seconds = 20.0
    queue = "inbound"           # the queue inbound callers join on the simulated PBX

A *profile* is either a number or a list of ``[hour, value]`` points, linearly interpolated and held flat after
the last point; with ``<key>_period_hours`` it repeats (hour 0 again after the period).

Why one module (over 500 lines): the scenario file format (its reference is this docstring), its parsing and the
samplers that read it are one model that the discrete-event simulator and the simulated PBX share.
"""

from __future__ import annotations

import bisect
import math
import random
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from dialer.agents.ready import MAX_READY_ANNOUNCEMENT_SECONDS, MIN_READY_ANNOUNCEMENT_SECONDS
from dialer.calls.outcome import Outcome

SCENARIOS_DIR = Path(__file__).parent / "scenarios"


class ScenarioError(ValueError):
    """A scenario file is unusable; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Profile:
    """A value that may vary with time: piecewise-linear over ``(hour, value)`` points, optionally periodic."""

    points: tuple[tuple[float, float], ...]
    period_hours: float | None = None

    @classmethod
    def constant(cls, value: float) -> Profile:
        return cls(((0.0, value),))

    @property
    def is_constant(self) -> bool:
        return len(self.points) == 1 or all(v == self.points[0][1] for _, v in self.points)

    @property
    def maximum(self) -> float:
        return max(v for _, v in self.points)

    @property
    def minimum(self) -> float:
        return min(v for _, v in self.points)

    def at(self, seconds: float) -> float:
        """The value ``seconds`` after the scenario started."""
        points = self.points
        if len(points) == 1:
            return points[0][1]
        hour = seconds / 3600.0
        if self.period_hours:
            hour %= self.period_hours
        if hour <= points[0][0]:
            return points[0][1]
        if hour >= points[-1][0]:
            return points[-1][1]
        i = bisect.bisect_right([h for h, _ in points], hour)
        (h0, v0), (h1, v1) = points[i - 1], points[i]
        return v0 + (v1 - v0) * (hour - h0) / (h1 - h0)


@dataclass(frozen=True, slots=True)
class RunSpec:
    """How long the discrete-event simulator runs a scenario, and with which seeds (the ``[run]`` table)."""

    hours: float | None = None  # measured simulated hours; None = sized by the bench to its live-answer target
    warmup_minutes: float = 30.0
    seed: int = 11
    tuning_seed: int = 7
    # The campaign's ``pacing.abandon_target`` for our pacer's policies (None: the campaign default,
    # dialer.pacing.snapshot.default_abandon_setpoint); the baselines have no setpoint.
    abandon_target: float | None = None


@dataclass(frozen=True, slots=True)
class AgentsModel:
    """The agent team: how many, how fast their leg answers, who is logged in when (the ``[agents]`` table)."""

    count: int = 20  # agents in the team (the most ever logged in)
    connect_delay_seconds: float = 0.0
    # Agents logged in over time (shifts, breaks, people logging out); None = all ``count`` all the time.
    # An agent leaving while on a call finishes it (and its wrap-up) first.
    schedule: Profile | None = None

    def logged_in_at(self, seconds: float) -> int:
        if self.schedule is None:
            return self.count
        return max(0, min(self.count, round(self.schedule.at(seconds))))


@dataclass(frozen=True, slots=True)
class OutboundModel:
    """The callees an Originate reaches: answer, busy and machine shares, ring times, the lead history by attempt
    (the ``[outbound]`` table)."""

    answer_probability: Profile = field(default_factory=lambda: Profile.constant(0.20))
    busy_share: float = 0.10
    congestion_share_of_busy: float = 0.0
    busy_release_seconds: float = 3.0
    machine_share: float = 0.0
    ring_mean_seconds: float = 10.0
    ring_sd_seconds: float = 5.0
    ring_min_seconds: float = 1.0
    ring_timeout_seconds: float = 22.0
    max_wait_seconds: float = 2.0
    attempt_shares: tuple[float, ...] = (1.0,)
    attempt_answer_factors: tuple[float, ...] = (1.0,)
    attempt_batch: int = 1


@dataclass(frozen=True, slots=True)
class AmdModel:
    """Answering-machine detection: whether it runs, how long it takes and how often it errs (``[amd]``)."""

    enabled: bool = False
    detection_mean_seconds: float = 2.5
    detection_spread_seconds: float = 1.0
    false_positive_rate: float = 0.0
    false_negative_rate: float = 0.0
    notsure_rate: float = 0.0
    machine_agent_seconds: float = 5.0


@dataclass(frozen=True, slots=True)
class HandleModel:
    """Talk and wrap-up times of a connected call, per agent spread included (the ``[handle]`` table)."""

    talk_mean_seconds: float = 150.0
    talk_sd_seconds: float = 120.0
    talk_scale: Profile = field(default_factory=lambda: Profile.constant(1.0))
    wrap_mean_seconds: float = 15.0
    wrap_cv: float = 0.5
    agent_talk_spread: float = 0.0
    agent_wrap_spread: float = 0.0

    @property
    def mean_handle_seconds(self) -> float:
        return self.talk_mean_seconds + self.wrap_mean_seconds


@dataclass(frozen=True, slots=True)
class ReadyModel:
    """How agents in wrap-up use the console's "ready in N s" (see the module docstring's ``[ready]``)."""

    share: float = 0.0
    after_seconds: float = 5.0
    error_sd: float = 0.3
    choices: tuple[float, ...] = (10.0, 30.0)
    enforced: bool = True
    typed_share: float = 0.0  # of the announcements: typed as a number of seconds (every one with no buttons)

    @property
    def enabled(self) -> bool:
        return self.share > 0.0


@dataclass(frozen=True, slots=True)
class Announcement:
    """One wrap-up's announcement: made ``at`` s into the wrap-up, saying ready ``ready_at`` s into it; the agent
    is free ``wrap`` s into it (the wrap-up's length, cut to ``ready_at`` where the console enforces it)."""

    at: float
    ready_at: float
    wrap: float


@dataclass(frozen=True, slots=True)
class InboundModel:
    """Inbound calls to the same agents (blending). ``rate_per_hour`` is the Poisson arrival rate."""

    rate_per_hour: Profile = field(default_factory=lambda: Profile.constant(0.0))
    patience_mean_seconds: float = 120.0
    service_level_seconds: float = 20.0
    queue: str = "inbound"  # the Asterisk queue inbound callers join (the simulated PBX uses it)

    @property
    def enabled(self) -> bool:
        return self.rate_per_hour.maximum > 0.0


@dataclass(frozen=True, slots=True)
class Scenario:
    """The whole world one campaign dials into: one model per table of the scenario file."""

    name: str = "default"
    description: str = ""
    run: RunSpec = field(default_factory=RunSpec)
    agents: AgentsModel = field(default_factory=AgentsModel)
    outbound: OutboundModel = field(default_factory=OutboundModel)
    amd: AmdModel = field(default_factory=AmdModel)
    handle: HandleModel = field(default_factory=HandleModel)
    inbound: InboundModel = field(default_factory=InboundModel)
    ready: ReadyModel = field(default_factory=ReadyModel)


# --------------------------------------------------------------------------------------------------- loading


class _Section:
    """Typed reads from one TOML table, with errors naming the file, table and key; unknown keys are errors."""

    def __init__(self, source: str, name: str, table: Any) -> None:
        if table is None:
            table = {}
        if not isinstance(table, Mapping):
            raise ScenarioError(f"{source}: [{name}] must be a table")
        self.source, self.name, self.table = source, name, dict(table)
        self.used: set[str] = set()

    def _where(self, key: str) -> str:
        return f"{self.source}: [{self.name}] {key}"

    def _value(self, key: str, default: object) -> object:
        """The value of ``key`` (``default`` when absent), the key marked as read."""
        self.used.add(key)
        return self.table.get(key, default)

    def number(self, key: str, default: float, *, low: float = 0.0, high: float = math.inf) -> float:
        value = self._value(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(f"{self._where(key)} must be a number, got {value!r}")
        if not low <= float(value) <= high:
            raise ScenarioError(f"{self._where(key)} = {value} is outside [{low}, {high}]")
        return float(value)

    def integer(self, key: str, default: int, *, low: int = 0) -> int:
        value = self._value(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(f"{self._where(key)} must be an integer, got {value!r}")
        if value < low:
            raise ScenarioError(f"{self._where(key)} = {value} must be at least {low}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self._value(key, default)
        if not isinstance(value, bool):
            raise ScenarioError(f"{self._where(key)} must be true or false, got {value!r}")
        return value

    def text(self, key: str, default: str) -> str:
        value = self._value(key, default)
        if not isinstance(value, str):
            raise ScenarioError(f"{self._where(key)} must be a string, got {value!r}")
        return value

    def numbers(self, key: str, default: tuple[float, ...], *, low: float = 0.0) -> tuple[float, ...]:
        value = self._value(key, list(default))
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)
        ):
            raise ScenarioError(f"{self._where(key)} must be a non-empty list of numbers, got {value!r}")
        if any(float(x) < low for x in value):
            raise ScenarioError(f"{self._where(key)}: every value must be at least {low}")
        return tuple(float(x) for x in value)

    def has(self, key: str) -> bool:
        return key in self.table

    def profile(self, key: str, default: float, *, low: float = 0.0, high: float = math.inf) -> Profile:
        period_key = f"{key}_period_hours"
        self.used.add(period_key)
        value = self._value(key, default)
        if isinstance(value, int | float) and not isinstance(value, bool):
            points: list[tuple[float, float]] = [(0.0, float(value))]
        elif isinstance(value, list) and value:
            points = []
            for item in value:
                if (
                    not isinstance(item, list)
                    or len(item) != 2
                    or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in item)
                ):
                    raise ScenarioError(f"{self._where(key)}: each point must be [hour, value], got {item!r}")
                points.append((float(item[0]), float(item[1])))
            hours = [h for h, _ in points]
            if hours != sorted(hours) or len(set(hours)) != len(hours):
                raise ScenarioError(f"{self._where(key)}: hours must be strictly increasing")
        else:
            raise ScenarioError(f"{self._where(key)} must be a number or a list of [hour, value], got {value!r}")
        for _, v in points:
            if not low <= v <= high:
                raise ScenarioError(f"{self._where(key)}: value {v} is outside [{low}, {high}]")
        period = self.table.get(period_key)
        if period is not None and (isinstance(period, bool) or not isinstance(period, int | float) or period <= 0):
            raise ScenarioError(f"{self._where(period_key)} must be a positive number of hours")
        return Profile(tuple(points), float(period) if period is not None else None)

    def check_unknown(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise ScenarioError(f"{self.source}: [{self.name}] unknown key(s): {', '.join(unknown)}")


_SECTIONS = ("scenario", "run", "agents", "outbound", "amd", "handle", "inbound", "ready")


def parse_scenario(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Build a scenario from parsed TOML (a dict); every problem raises :class:`ScenarioError`."""
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise ScenarioError(f"{source}: unknown table(s): {', '.join(unknown)} (expected {', '.join(_SECTIONS)})")
    s = {name: _Section(source, name, data.get(name)) for name in _SECTIONS}

    meta = s["scenario"]
    name = meta.text("name", Path(source).stem if source != "<scenario>" else "scenario")
    description = meta.text("description", "")

    r = s["run"]
    run = RunSpec(
        hours=r.number("hours", 40.0, low=0.01) if r.has("hours") else None,
        warmup_minutes=r.number("warmup_minutes", 30.0),
        seed=r.integer("seed", 11),
        tuning_seed=r.integer("tuning_seed", 7),
        abandon_target=r.number("abandon_target", 0.027, low=0.001, high=0.03) if r.has("abandon_target") else None,
    )

    a = s["agents"]
    agents = AgentsModel(
        count=a.integer("count", 20),
        connect_delay_seconds=a.number("connect_delay_seconds", 0.0, high=60.0),
        schedule=a.profile("schedule", 0.0) if a.has("schedule") else None,
    )
    if agents.schedule is not None and agents.schedule.maximum > agents.count + 1e-9:
        raise ScenarioError(f"{source}: [agents] schedule goes above count = {agents.count}")

    o = s["outbound"]
    outbound = OutboundModel(
        answer_probability=o.profile("answer_probability", 0.20, high=1.0),
        busy_share=o.number("busy_share", 0.10, high=1.0),
        congestion_share_of_busy=o.number("congestion_share_of_busy", 0.0, high=1.0),
        busy_release_seconds=o.number("busy_release_seconds", 3.0),
        machine_share=o.number("machine_share", 0.0, high=1.0),
        ring_mean_seconds=o.number("ring_mean_seconds", 10.0, low=0.1),
        ring_sd_seconds=o.number("ring_sd_seconds", 5.0),
        ring_min_seconds=o.number("ring_min_seconds", 1.0),
        ring_timeout_seconds=o.number("ring_timeout_seconds", 22.0, low=1.0),
        max_wait_seconds=o.number("max_wait_seconds", 2.0),
        attempt_shares=o.numbers("attempt_shares", (1.0,)),
        attempt_answer_factors=o.numbers("attempt_answer_factors", (1.0,)),
        attempt_batch=o.integer("attempt_batch", 1, low=1),
    )
    if len(outbound.attempt_shares) != len(outbound.attempt_answer_factors) or sum(outbound.attempt_shares) <= 0:
        raise ScenarioError(
            f"{source}: [outbound] attempt_shares and attempt_answer_factors must have one value per attempt"
            " number, the shares not all zero"
        )
    worst = outbound.answer_probability.maximum + outbound.busy_share + outbound.machine_share
    if worst > 1.0 + 1e-9:
        raise ScenarioError(
            f"{source}: [outbound] answer_probability + busy_share + machine_share = {worst:.3f} exceeds 1"
        )
    if outbound.ring_min_seconds >= outbound.ring_timeout_seconds:
        raise ScenarioError(f"{source}: [outbound] ring_min_seconds must be below ring_timeout_seconds")

    d = s["amd"]
    amd = AmdModel(
        enabled=d.boolean("enabled", False),
        detection_mean_seconds=d.number("detection_mean_seconds", 2.5, high=30.0),
        detection_spread_seconds=d.number("detection_spread_seconds", 1.0, high=30.0),
        false_positive_rate=d.number("false_positive_rate", 0.0, high=1.0),
        false_negative_rate=d.number("false_negative_rate", 0.0, high=1.0),
        notsure_rate=d.number("notsure_rate", 0.0, high=1.0),
        machine_agent_seconds=d.number("machine_agent_seconds", 5.0),
    )
    if amd.detection_spread_seconds > amd.detection_mean_seconds:
        raise ScenarioError(f"{source}: [amd] detection_spread_seconds must not exceed detection_mean_seconds")

    h = s["handle"]
    handle = HandleModel(
        talk_mean_seconds=h.number("talk_mean_seconds", 150.0, low=1.0),
        talk_sd_seconds=h.number("talk_sd_seconds", 120.0),
        talk_scale=h.profile("talk_scale", 1.0, low=0.01),
        wrap_mean_seconds=h.number("wrap_mean_seconds", 15.0),
        wrap_cv=h.number("wrap_cv", 0.5, low=0.01, high=10.0),
        agent_talk_spread=h.number("agent_talk_spread", 0.0, high=2.0),
        agent_wrap_spread=h.number("agent_wrap_spread", 0.0, high=2.0),
    )

    i = s["inbound"]
    if i.has("erlangs") and i.has("rate_per_hour"):
        raise ScenarioError(f"{source}: [inbound] give erlangs or rate_per_hour, not both")
    if i.has("rate_per_hour"):
        rate = i.profile("rate_per_hour", 0.0)
    else:
        erlangs = i.profile("erlangs", 0.0, high=10_000.0)
        per_erlang = 3600.0 / handle.mean_handle_seconds
        rate = Profile(tuple((hr, v * per_erlang) for hr, v in erlangs.points), erlangs.period_hours)
    inbound = InboundModel(
        rate_per_hour=rate,
        patience_mean_seconds=i.number("patience_mean_seconds", 120.0, low=0.1),
        service_level_seconds=i.number("service_level_seconds", 20.0),
        queue=i.text("queue", "inbound"),
    )

    y = s["ready"]
    free_entry = y.table.get("choices") == []  # no buttons: every announcement typed
    if free_entry:
        y.used.add("choices")
    if free_entry and y.has("typed_share") and y.table["typed_share"] != 1:
        raise ScenarioError(
            f"{source}: [ready] typed_share = {y.table['typed_share']!r} with choices = []: without buttons every"
            " announcement is typed (give typed_share = 1, or leave it out)"
        )
    ready = ReadyModel(
        share=y.number("share", 0.0, high=1.0),
        after_seconds=y.number("after_seconds", 5.0, high=3600.0),
        error_sd=y.number("error_sd", 0.3, high=3.0),
        choices=() if free_entry else y.numbers("choices", (10.0, 30.0), low=0.0),
        enforced=y.boolean("enforced", True),
        typed_share=y.number("typed_share", 0.0, high=1.0),
    )
    if ready.choices != tuple(sorted(set(ready.choices))):
        raise ScenarioError(f"{source}: [ready] choices must be strictly increasing")

    for section in s.values():
        section.check_unknown()
    return Scenario(name, description, run, agents, outbound, amd, handle, inbound, ready)


def load_scenario(path: str | Path) -> Scenario:
    """Read one scenario file (a bare name like ``n20-p020`` is looked up among the shipped scenarios)."""
    p = Path(path)
    if not p.exists() and not p.suffix and (SCENARIOS_DIR / f"{p.name}.toml").exists():
        p = SCENARIOS_DIR / f"{p.name}.toml"
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ScenarioError(f"{p}: no such scenario file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{p}: not valid TOML: {exc}") from exc
    return parse_scenario(data, str(p))


def shipped_scenarios() -> list[Path]:
    """The scenario files shipped in ``dialer/sim/scenarios/``, sorted by name."""
    return sorted(SCENARIOS_DIR.glob("*.toml"))


# --------------------------------------------------------------------------------------------------- sampling


class CalleeKind(StrEnum):
    """What the dialled side does."""

    HUMAN = "human"  # a live person answers after ring_seconds
    MACHINE = "machine"  # an answering machine picks up after ring_seconds
    NO_ANSWER = "no_answer"  # rings until the ring timeout; the dialer gives up
    BUSY = "busy"  # busy signal after ring_seconds (busy_release_seconds)
    CONGESTION = "congestion"  # network failure after ring_seconds


class AmdVerdict(StrEnum):
    """The ``AMDSTATUS`` Asterisk's ``AMD()`` sets."""

    HUMAN = "HUMAN"
    MACHINE = "MACHINE"
    NOTSURE = "NOTSURE"


@dataclass(frozen=True, slots=True)
class DialOutcome:
    """What one dial will do. Times are relative to the moment the dial starts (the Originate).

    ``ring_seconds``: until answer (HUMAN/MACHINE) or release (NO_ANSWER/BUSY/CONGESTION).
    ``amd_seconds``: after answer, until AMD gives its verdict (0 when AMD is off).
    ``amd_verdict``: None when AMD is off or the call was not answered.
    """

    kind: CalleeKind
    ring_seconds: float
    amd_seconds: float = 0.0
    amd_verdict: AmdVerdict | None = None

    @property
    def answered(self) -> bool:
        return self.kind is CalleeKind.HUMAN or self.kind is CalleeKind.MACHINE

    @property
    def reaches_queue(self) -> bool:
        """The answered call is sent to the agent queue (AMD off, or AMD said HUMAN/NOTSURE)."""
        return self.answered and self.amd_verdict is not AmdVerdict.MACHINE

    @property
    def network_outcome(self) -> Outcome | None:
        """The outcome when no agent is involved; None when the call reaches the queue (connected/abandoned)."""
        if self.kind is CalleeKind.NO_ANSWER:
            return Outcome.NO_ANSWER
        if self.kind is CalleeKind.BUSY:
            return Outcome.BUSY
        if self.kind is CalleeKind.CONGESTION:
            return Outcome.CONGESTION
        if self.amd_verdict is AmdVerdict.MACHINE:
            return Outcome.MACHINE
        return None


def lognormal_parameters(mean: float, sd: float) -> tuple[float, float]:
    """(mu, sigma) of the normal whose exponential has this mean and standard deviation."""
    sigma2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


class WorldModel:
    """Samplers over one scenario. Pure: the caller passes the generator and the time (seconds since start)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        o, h, d = scenario.outbound, scenario.handle, scenario.amd
        self._p = o.answer_probability
        self._p_constant = o.answer_probability.points[0][1] if o.answer_probability.is_constant else None
        self._busy = o.busy_share
        self._congestion = o.congestion_share_of_busy
        self._machine = o.machine_share
        self._ring_mu, self._ring_sigma = lognormal_parameters(o.ring_mean_seconds, o.ring_sd_seconds)
        self._ring_min = o.ring_min_seconds
        self._ring_timeout = o.ring_timeout_seconds
        self._busy_release = o.busy_release_seconds
        self._talk_mu, self._talk_sigma = lognormal_parameters(h.talk_mean_seconds, h.talk_sd_seconds)
        self._talk_scale = h.talk_scale
        self._talk_scale_constant = h.talk_scale.points[0][1] if h.talk_scale.is_constant else None
        self._wrap_shape = 1.0 / (h.wrap_cv**2)
        self._wrap_scale = h.wrap_mean_seconds / self._wrap_shape
        self._amd = d if d.enabled else None
        self._inbound_rate = scenario.inbound.rate_per_hour
        total = sum(o.attempt_shares)
        self._attempt_cumulative = [sum(o.attempt_shares[: i + 1]) / total for i in range(len(o.attempt_shares))]
        mix = sum(share / total * f for share, f in zip(o.attempt_shares, o.attempt_answer_factors, strict=True))
        self._attempt_factor = [f / mix if mix > 0 else 1.0 for f in o.attempt_answer_factors]
        self._inbound_max_per_second = scenario.inbound.rate_per_hour.maximum / 3600.0
        self._patience_rate = 1.0 / scenario.inbound.patience_mean_seconds

    # -- outbound

    def answer_probability(self, now: float) -> float:
        return self._p_constant if self._p_constant is not None else self._p.at(now)

    def draw_ring_seconds(self, rng: random.Random) -> float:
        """Time to answer: lognormal, at least ring_min, and below the ring timeout (redrawn if not)."""
        while True:
            ring = rng.lognormvariate(self._ring_mu, self._ring_sigma)
            if ring < self._ring_timeout:
                return ring if ring > self._ring_min else self._ring_min

    @property
    def attempt_classes(self) -> int:
        """How many attempt numbers dials can have (1: every dial is a lead's first)."""
        return len(self._attempt_cumulative)

    def draw_attempt(self, rng: random.Random) -> int:
        """The attempt number (1-based) of a run of dials, by ``attempt_shares``."""
        u = rng.random()
        return next((i + 1 for i, c in enumerate(self._attempt_cumulative) if u < c), len(self._attempt_cumulative))

    def attempt_factor(self, attempt: int) -> float:
        """The answer probability's factor for a lead's ``attempt``-th dial (the mix averages 1)."""
        return self._attempt_factor[min(attempt, len(self._attempt_factor)) - 1]

    def draw_dial_outcome(self, rng: random.Random, now: float, attempt: int = 1) -> DialOutcome:
        """What the callee of a dial started at ``now`` does (one uniform for the kind, then its timings)."""
        u = rng.random()
        p = self._p_constant if self._p_constant is not None else self._p.at(now)
        if attempt != 1 or len(self._attempt_factor) > 1:
            p = min(1.0 - self._busy - self._machine, p * self.attempt_factor(attempt))
        if u < p:
            kind = CalleeKind.HUMAN
        elif u < p + self._busy:
            congested = self._congestion > 0.0 and rng.random() < self._congestion
            return DialOutcome(CalleeKind.CONGESTION if congested else CalleeKind.BUSY, self._busy_release)
        elif u < p + self._busy + self._machine:
            kind = CalleeKind.MACHINE
        else:
            return DialOutcome(CalleeKind.NO_ANSWER, self._ring_timeout)
        ring = self.draw_ring_seconds(rng)
        amd = self._amd
        if amd is None:
            return DialOutcome(kind, ring)
        delay = amd.detection_mean_seconds + amd.detection_spread_seconds * (2.0 * rng.random() - 1.0)
        v = rng.random()
        if v < amd.notsure_rate:
            verdict = AmdVerdict.NOTSURE
        elif kind is CalleeKind.HUMAN:
            verdict = AmdVerdict.MACHINE if v < amd.notsure_rate + amd.false_positive_rate else AmdVerdict.HUMAN
        else:
            verdict = AmdVerdict.HUMAN if v < amd.notsure_rate + amd.false_negative_rate else AmdVerdict.MACHINE
        return DialOutcome(kind, ring, delay, verdict)

    # -- agents

    def draw_agent_factors(self, rng: random.Random, count: int) -> list[tuple[float, float]]:
        """Each agent's own (talk, wrap-up) factor: lognormal, mean 1, log-sd the scenario's spreads."""
        h = self.scenario.handle

        def factor(spread: float) -> float:
            return rng.lognormvariate(-spread * spread / 2.0, spread) if spread > 0.0 else 1.0

        return [(factor(h.agent_talk_spread), factor(h.agent_wrap_spread)) for _ in range(count)]

    def draw_talk(self, rng: random.Random, now: float, factor: float = 1.0) -> float:
        """Talk time of a conversation that starts at ``now`` (lognormal, scaled by the talk_scale profile and
        the agent's own factor)."""
        scale = self._talk_scale_constant if self._talk_scale_constant is not None else self._talk_scale.at(now)
        return factor * scale * rng.lognormvariate(self._talk_mu, self._talk_sigma)

    def draw_wrap(self, rng: random.Random, factor: float = 1.0) -> float:
        """Wrap-up (after-call work) time: gamma with the scenario's mean and CV (× the agent's factor)."""
        return factor * rng.gammavariate(self._wrap_shape, self._wrap_scale)

    def draw_announcement(self, rng: random.Random, wrap: float) -> Announcement | None:
        """Whether the agent of a wrap-up lasting ``wrap`` s announces "ready in N s", and when (``[ready]``):
        a uniform and a normal per wrap-up, drawn whatever the outcome (the stream stays aligned)."""
        r = self.scenario.ready
        u, z = rng.random(), rng.gauss(0.0, 1.0)
        if u >= r.share or wrap <= r.after_seconds:
            return None
        estimate = (wrap - r.after_seconds) * math.exp(r.error_sd * z - r.error_sd * r.error_sd / 2.0)
        # Typed or a button: u ÷ share is uniform again on [0, 1) (no third draw: a world without typing keeps
        # its stream as it was).
        if not r.choices or u < r.share * r.typed_share:
            said = float(max(MIN_READY_ANNOUNCEMENT_SECONDS, math.ceil(estimate)))
            if said > MAX_READY_ANNOUNCEMENT_SECONDS:
                return None
        else:
            said_button = next((c for c in r.choices if c >= estimate), None)
            if said_button is None:
                return None
            said = said_button
        ready_at = r.after_seconds + said
        return Announcement(r.after_seconds, ready_at, min(wrap, ready_at) if r.enforced else wrap)

    def machine_agent_seconds(self) -> float:
        """How long an agent spends on a machine that reached them (AMD off or a false negative)."""
        return self.scenario.amd.machine_agent_seconds

    # -- inbound

    def inbound_rate_per_second(self, now: float) -> float:
        return self._inbound_rate.at(now) / 3600.0

    def next_inbound_arrival(self, rng: random.Random, now: float) -> float | None:
        """Absolute time of the next inbound arrival after ``now`` (None without inbound traffic).

        A non-homogeneous Poisson process drawn by thinning against the profile's maximum rate.
        """
        top = self._inbound_max_per_second
        if top <= 0.0:
            return None
        t = now
        while True:
            t += rng.expovariate(top)
            if self._inbound_rate.is_constant or rng.random() * top <= self._inbound_rate.at(t) / 3600.0:
                return t

    def draw_patience(self, rng: random.Random) -> float:
        """How long an inbound caller waits in queue before hanging up (exponential)."""
        return rng.expovariate(self._patience_rate)
