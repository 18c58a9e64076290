"""What the daemon sees now, turned into the readings the alert rules judge (pure).

The daemon (``dialer.daemon.alerts``) takes a :class:`Snapshot` of its campaigns, inbound queues, agents and
servers; :func:`readings` gives one :class:`~dialer.alerts.evaluator.Reading` per enabled rule and subject. A
subject a rule cannot judge now (a rate on too few calls, an agent not paused) gets a reading without a figure:
its alert, if raised, clears.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from dialer.alerts.evaluator import Reading
from dialer.alerts.rules import AlertKind, AlertRule
from dialer.inbound.figures import InboundQueueNow


@dataclass(frozen=True, slots=True)
class CampaignNow:
    """A campaign this daemon runs: its state, its abandon window (the regime's: rate, live answers, cap), why it
    is not dialling (None: it is), how many agents of its queue are ready and how long since it last placed a call
    (or, if it has placed none since, since it was first seen running)."""

    name: str
    campaign_id: int
    running: bool
    abandon_rate: float
    live_answers: int
    abandon_cap: float
    why_not: str | None = None
    ready_agents: int = 0
    idle_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class AgentNow:
    """A logged-in agent: since when in their state; their pause's code and its limit in seconds (None: not paused
    or no limit); the end of a wrap-up only their disposition ends (None: not in one)."""

    agent_id: str
    since: float
    pause_reason: str | None = None
    pause_limit_seconds: float | None = None
    wrapup_until: float | None = None


@dataclass(frozen=True, slots=True)
class ServerNow:
    name: str
    up: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the rules judge, at ``now`` (the daemon's clock). ``service_level_target``: the
    ``[inbound_service_level]`` target (a rule's threshold 0 means it)."""

    now: float
    campaigns: Sequence[CampaignNow] = ()
    queues: Sequence[InboundQueueNow] = ()
    agents: Sequence[AgentNow] = ()
    servers: Sequence[ServerNow] = ()
    service_level_target: float = 0.80
    pause_limits: Mapping[str, float] = field(default_factory=dict)


def readings(rules: Sequence[AlertRule], snapshot: Snapshot) -> Iterator[Reading]:
    """One reading per enabled rule and subject of its kind."""
    for rule in rules:
        if rule.enabled:
            yield from _READERS[rule.kind](rule, snapshot)


def _abandon(rule: AlertRule, s: Snapshot) -> Iterator[Reading]:
    for c in s.campaigns:
        value = c.abandon_rate if c.live_answers >= max(1, rule.min_volume) else None
        yield Reading(
            rule,
            f"campaign:{c.name}",
            value,
            c.abandon_cap - rule.threshold,
            campaign=c.name,
            campaign_id=c.campaign_id,
            detail=f"{c.live_answers}",
        )


def _service_level(rule: AlertRule, s: Snapshot) -> Iterator[Reading]:
    limit = rule.threshold or s.service_level_target
    for q in s.queues:
        figures = q.last_hour
        level = figures.service_level
        value = level if level is not None and figures.counted >= max(1, rule.min_volume) else None
        yield Reading(rule, f"queue:{q.queue}", value, limit, detail=f"{figures.counted}")


def _caller_waiting(rule: AlertRule, s: Snapshot) -> Iterator[Reading]:
    for q in s.queues:
        yield Reading(rule, f"queue:{q.queue}", q.longest_waiting_seconds if q.waiting else None, rule.threshold)


def _pause(rule: AlertRule, s: Snapshot) -> Iterator[Reading]:
    for a in s.agents:
        if a.pause_reason is None or a.pause_limit_seconds is None:
            continue
        over = s.now - a.since - a.pause_limit_seconds
        yield Reading(rule, f"agent:{a.agent_id}", over, rule.threshold, agent=a.agent_id, detail=a.pause_reason)


def _wrapup(rule: AlertRule, s: Snapshot) -> Iterator[Reading]:
    for a in s.agents:
        if a.wrapup_until is not None:
            yield Reading(rule, f"agent:{a.agent_id}", s.now - a.wrapup_until, rule.threshold, agent=a.agent_id)


def _not_dialling(rule: AlertRule, s: Snapshot) -> Iterator[Reading]:
    for c in s.campaigns:
        stuck = c.running and c.why_not is not None and c.ready_agents > 0
        yield Reading(
            rule,
            f"campaign:{c.name}",
            c.idle_seconds if stuck else None,
            rule.threshold,
            campaign=c.name,
            campaign_id=c.campaign_id,
            detail=c.why_not if stuck else None,
        )


def _server(rule: AlertRule, s: Snapshot) -> Iterator[Reading]:
    for server in s.servers:
        yield Reading(rule, f"server:{server.name}", 0.0 if server.up else 1.0, 0.0, detail=server.reason)


_READERS = {
    AlertKind.ABANDON_NEAR_CAP: _abandon,
    AlertKind.SERVICE_LEVEL_LOW: _service_level,
    AlertKind.CALLER_WAITING: _caller_waiting,
    AlertKind.PAUSE_OVERDUE: _pause,
    AlertKind.WRAPUP_OVERDUE: _wrapup,
    AlertKind.NOT_DIALLING: _not_dialling,
    AlertKind.SERVER_DOWN: _server,
}
