"""Staffing what-if: how would this campaign run with N agents?

The campaign's world is measured from its own call records (share of dials answered by a person, busy/failed
and machine shares, time to answer, talk time) and fed to the discrete-event simulator (dialer/sim/des) driving
the very pacer the daemon runs (:func:`dialer.pacing.decide`, with the campaign's pacing settings as the
runner builds them). Each staffing level is one seeded run over the same callers (common random numbers), so
differences between levels come from staffing, not luck. Figures the history cannot support yet fall back to the
simulator's benchmark model, and the plan says which.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from statistics import fmean, pstdev
from typing import Any

from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig
from dialer.campaign.pacing import pacing_settings
from dialer.i18n import M_, N_, _
from dialer.reports.common import ReportRange, seconds_between
from dialer.sim.des import simulate
from dialer.sim.des.policies import PacerPolicy
from dialer.sim.model import AmdModel, HandleModel, OutboundModel, Profile, Scenario
from dialer.store.campaigns import load_stored_campaign
from dialer.store.engine import Database
from dialer.store.reports import ReportAttempt, agent_events, iter_report_attempts

MIN_ATTEMPTS = 100  # dial shares (answer, busy, machine) need at least this many finished attempts
MIN_SAMPLES = 30  # a mean/sd (ring, talk, wrap) needs at least this many observations
FAST_FAILURES = (
    Outcome.BUSY.value,
    Outcome.CONGESTION.value,
    Outcome.UNALLOCATED.value,
    Outcome.INVALID_NUMBER.value,
    Outcome.FAILED.value,
)
MAX_LEVELS = 40


class PlanError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Figure:
    value: float
    source: str  # "measured (n=…)" or "model default (…)", in the reader's language
    measured: bool = True  # False: the simulator's model default (too little history)

    def as_json(self) -> dict[str, Any]:
        return {"value": round(self.value, 4), "source": self.source}


@dataclass(frozen=True, slots=True)
class MeasuredWorld:
    """What the campaign's history says about the people it dials and its agents."""

    attempts: int
    answer_probability: Figure  # live person ÷ dials
    fast_failure_share: Figure  # busy, congestion, bad numbers ÷ dials (released within seconds)
    machine_share: Figure
    ring_mean_seconds: Figure
    ring_sd_seconds: Figure
    talk_mean_seconds: Figure
    talk_sd_seconds: Figure
    wrap_mean_seconds: Figure
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "answer_probability": self.answer_probability.as_json(),
            "fast_failure_share": self.fast_failure_share.as_json(),
            "machine_share": self.machine_share.as_json(),
            "ring_mean_seconds": self.ring_mean_seconds.as_json(),
            "ring_sd_seconds": self.ring_sd_seconds.as_json(),
            "talk_mean_seconds": self.talk_mean_seconds.as_json(),
            "talk_sd_seconds": self.talk_sd_seconds.as_json(),
            "wrap_mean_seconds": self.wrap_mean_seconds.as_json(),
            "notes": list(self.notes),
        }


def _share(count: int, total: int, default: float, what: str) -> Figure:
    if total >= MIN_ATTEMPTS:
        return Figure(count / total, _("measured ({count} of {total} dials)").format(count=count, total=total))
    source = _("model default ({what}: only {total} finished dials, need {min})").format(
        what=_(what), total=total, min=MIN_ATTEMPTS
    )
    return Figure(default, source, measured=False)


def _mean_sd(samples: Sequence[float], default_mean: float, default_sd: float, what: str) -> tuple[Figure, Figure]:
    if len(samples) >= MIN_SAMPLES:
        source = _("measured (n={n})").format(n=len(samples))
        return Figure(fmean(samples), source), Figure(max(pstdev(samples), 0.1), source)
    source = _("model default ({what}: only {n} observations, need {min})").format(
        what=_(what), n=len(samples), min=MIN_SAMPLES
    )
    return Figure(default_mean, source, measured=False), Figure(default_sd, source, measured=False)


def wrap_durations(events: Sequence[Any]) -> list[float]:
    """Wrap-up durations from the agents' state history (time from entering wrapup to the next state). A row in the
    state the agent already is in (a change of queues during the wrap-up: dialer.store.agent_history) does not end
    it."""
    by_agent: dict[str, list[Any]] = {}
    for e in sorted(events, key=lambda e: e.at):
        by_agent.setdefault(e.agent, []).append(e)
    out = []
    for changes in by_agent.values():
        entered: Any = None  # the row that entered the wrap-up under way
        for change in changes:
            if change.status == "wrapup":
                entered = entered or change
            elif entered is not None:
                out.append((change.at - entered.at).total_seconds())
                entered = None
    return out


@dataclass
class DialSample:
    """What ``measure`` keeps of a campaign's history: outcome counts and the ring and talk samples."""

    outcomes: Counter[str] = field(default_factory=Counter)
    answered_ring: list[float] = field(default_factory=list)
    talks: list[float] = field(default_factory=list)

    def add(self, attempts: Iterable[ReportAttempt]) -> None:
        for a in attempts:
            if a.outcome is None or a.outcome == Outcome.CANCELLED.value:  # still up, or our own hang-up
                continue
            self.outcomes[a.outcome] += 1
            if a.outcome in (Outcome.CONNECTED.value, Outcome.ABANDONED.value) and a.ring_seconds is not None:
                self.answered_ring.append(a.ring_seconds)
            if a.outcome == Outcome.CONNECTED.value:
                talk = seconds_between(a.connected_at, a.ended_at)
                if talk is not None:
                    self.talks.append(talk)


def measure(attempts: Iterable[ReportAttempt] | DialSample, wraps: Sequence[float] | None = None) -> MeasuredWorld:
    """Pure: the dial shares and handle times of the campaign's finished attempts."""
    base_out, base_handle = OutboundModel(), HandleModel()
    if isinstance(attempts, DialSample):
        sample = attempts
    else:
        sample = DialSample()
        sample.add(attempts)
    outcomes = sample.outcomes
    total = sum(outcomes.values())
    live = outcomes[Outcome.CONNECTED.value] + outcomes[Outcome.ABANDONED.value]
    answered_ring, talks = sample.answered_ring, sample.talks
    ring_mean, ring_sd = _mean_sd(
        answered_ring, base_out.ring_mean_seconds, base_out.ring_sd_seconds, N_("time to answer")
    )
    talk_mean, talk_sd = _mean_sd(talks, base_handle.talk_mean_seconds, base_handle.talk_sd_seconds, N_("talk time"))
    notes = []
    if wraps is not None and len(wraps) >= MIN_SAMPLES:
        wrap = Figure(fmean(wraps), _("measured (n={n})").format(n=len(wraps)))
    elif wraps is None:
        wrap = Figure(
            base_handle.wrap_mean_seconds, _("model default (agent state history not recorded)"), measured=False
        )
        notes.append(_("wrap-up time is the simulator's default: the agents' state history is not recorded"))
    else:
        wrap = Figure(
            base_handle.wrap_mean_seconds,
            _("model default (only {n} wrap-ups, need {min})").format(n=len(wraps), min=MIN_SAMPLES),
            measured=False,
        )
    world = MeasuredWorld(
        attempts=total,
        answer_probability=_share(live, total, base_out.answer_probability.points[0][1], N_("answer rate")),
        fast_failure_share=_share(
            sum(outcomes[o] for o in FAST_FAILURES), total, base_out.busy_share, N_("busy/failed share")
        ),
        machine_share=_share(outcomes[Outcome.MACHINE.value], total, base_out.machine_share, N_("machine share")),
        ring_mean_seconds=ring_mean,
        ring_sd_seconds=ring_sd,
        talk_mean_seconds=talk_mean,
        talk_sd_seconds=talk_sd,
        wrap_mean_seconds=wrap,
        notes=tuple(notes),
    )
    defaults = [
        name
        for name in ("answer_probability", "fast_failure_share", "ring_mean_seconds", "talk_mean_seconds")
        if not getattr(world, name).measured
    ]
    if defaults:
        world = replace(
            world,
            notes=(
                *world.notes,
                _("too little history for {figures}: the simulator's benchmark model is used").format(
                    figures=", ".join(defaults)
                ),
            ),
        )
    return world


def scenario_for(world: MeasuredWorld, config: CampaignConfig, agents: int) -> Scenario:
    base = Scenario()
    shares = world.answer_probability.value + world.fast_failure_share.value + world.machine_share.value
    scale = 1.0 / shares if shares > 1.0 else 1.0  # defaults mixed with measurements may overshoot 100 %
    return replace(
        base,
        name=f"{config.name}-{agents}",
        description=f"measured world of campaign {config.name}, {agents} agents",
        agents=replace(base.agents, count=agents),
        outbound=replace(
            base.outbound,
            answer_probability=Profile.constant(world.answer_probability.value * scale),
            busy_share=world.fast_failure_share.value * scale,
            machine_share=world.machine_share.value * scale,
            ring_mean_seconds=world.ring_mean_seconds.value,
            ring_sd_seconds=world.ring_sd_seconds.value,
            ring_timeout_seconds=float(config.ring_timeout_seconds),
            max_wait_seconds=config.max_connect_seconds,
        ),
        # The measured machines are the ones AMD already caught; model its listening time, not its errors.
        amd=AmdModel(enabled=config.amd.enabled),
        handle=replace(
            base.handle,
            talk_mean_seconds=world.talk_mean_seconds.value,
            talk_sd_seconds=world.talk_sd_seconds.value,
            wrap_mean_seconds=world.wrap_mean_seconds.value,
        ),
    )


@dataclass(frozen=True, slots=True)
class StaffingLevel:
    agents: int
    occupancy: float
    abandon_rate: float
    worst_hour_abandon: float
    live_answers: int
    contacts_per_hour: float  # conversations (live answers that reached an agent) per hour
    dials_per_hour: float
    idle_gap_mean_seconds: float

    @property
    def contacts_per_agent_hour(self) -> float:
        return self.contacts_per_hour / self.agents if self.agents else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "agents": self.agents,
            "occupancy": round(self.occupancy, 4),
            "abandon_rate": round(self.abandon_rate, 5),
            "worst_hour_abandon_rate": round(self.worst_hour_abandon, 5),
            "live_answers": self.live_answers,
            "contacts_per_hour": round(self.contacts_per_hour, 1),
            "contacts_per_agent_hour": round(self.contacts_per_agent_hour, 2),
            "dials_per_hour": round(self.dials_per_hour, 1),
            "idle_gap_mean_seconds": round(self.idle_gap_mean_seconds, 1),
        }


@dataclass(frozen=True, slots=True)
class StaffingPlan:
    campaign: str
    dial_mode: str
    abandon_cap: float
    hours: float
    seed: int
    world: MeasuredWorld
    levels: tuple[StaffingLevel, ...]
    notes: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "report": "staffing_plan",
            "campaign": self.campaign,
            "dial_mode": self.dial_mode,
            "abandon_cap": self.abandon_cap,
            "simulated_hours": self.hours,
            "seed": self.seed,
            "measured": self.world.as_json(),
            "levels": [lvl.as_json() for lvl in self.levels],
            "notes": list(self.notes),
        }


def agent_levels(spec: str, step: int) -> list[int]:
    """``10..40`` (with ``step``), ``10,20,35`` or ``25``."""
    try:
        if ".." in spec:
            low, high = (int(x) for x in spec.split("..", 1))
            if step < 1:
                raise PlanError(M_("--step must be at least 1"))
            levels = list(range(low, high + 1, step))
            if levels and levels[-1] != high:
                levels.append(high)
        else:
            levels = [int(x) for x in spec.split(",") if x.strip()]
    except ValueError:
        raise PlanError(M_("--agents {spec}: expected 10..40, 10,20,30 or 25", spec=repr(spec))) from None
    if not levels or min(levels) < 1:
        raise PlanError(M_("--agents {spec}: agent counts must be at least 1", spec=repr(spec)))
    if len(levels) > MAX_LEVELS:
        raise PlanError(
            M_(
                "--agents {spec}: {n} levels; at most {max} (use a larger --step)",
                spec=repr(spec),
                n=len(levels),
                max=MAX_LEVELS,
            )
        )
    return sorted(set(levels))


def run_plan(
    config: CampaignConfig, world: MeasuredWorld, levels: Sequence[int], *, hours: float, seed: int
) -> StaffingPlan:
    """Pure CPU: one seeded simulation per staffing level, the daemon's pacer with the campaign's settings."""
    if hours <= 0:
        raise PlanError(M_("--hours must be positive"))
    settings = pacing_settings(config)
    out = []
    for agents in levels:
        policy = PacerPolicy(f"campaign:{config.name}", settings)
        result = simulate(scenario_for(world, config, agents), policy, seed=seed, hours=hours, warmup_minutes=30.0)
        out.append(
            StaffingLevel(
                agents=agents,
                occupancy=result.occupancy,
                abandon_rate=result.abandon_rate,
                worst_hour_abandon=result.worst_1h_abandon,
                live_answers=result.live_answers,
                contacts_per_hour=(result.live_answers - result.abandons) / hours,
                dials_per_hour=result.dials_per_agent_hour * agents,
                idle_gap_mean_seconds=result.idle_gap_mean,
            )
        )
    return StaffingPlan(
        campaign=config.name,
        dial_mode=config.dial_mode.value,
        abandon_cap=config.abandon_cap,
        hours=hours,
        seed=seed,
        world=world,
        levels=tuple(out),
        notes=(
            _(
                "each level: {hours} simulated hours after a 30 min warm-up, seed {seed}, the daemon's pacer with "
                "this campaign's pacing settings"
            ).format(hours=f"{hours:g}", seed=seed),
        ),
    )


async def measure_campaign(db: Database, campaign: str, span: ReportRange) -> tuple[CampaignConfig, MeasuredWorld]:
    """Raises ``UnknownCampaignError`` for an unknown campaign."""
    record, config = await load_stored_campaign(db, campaign)
    sample = DialSample()
    async for page in iter_report_attempts(db, record.id, span.start, span.end):
        sample.add(page)
    events = await agent_events(db, span.start, span.end)
    return config, measure(sample, None if events is None else wrap_durations(events))


async def staffing_plan(
    db: Database,
    campaign: str,
    levels: Sequence[int],
    *,
    hours: float = 8.0,
    seed: int = 1,
    span: ReportRange | None = None,
) -> StaffingPlan:
    """Measure, then simulate (CPU-bound: call it from a worker thread in a server)."""
    config, world = await measure_campaign(db, campaign, span or ReportRange())
    return run_plan(config, world, levels, hours=hours, seed=seed)
