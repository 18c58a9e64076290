"""The daemon's campaigns and Asterisk servers as metric samples (read at each /metrics scrape)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from dialer.agents.registry import AgentRegistry, AgentStatus
from dialer.agents.service import AgentService
from dialer.ami.client import AmiClient
from dialer.calls.outcome import Outcome
from dialer.clock import Clock
from dialer.inbound.figures import InboundQueueNow
from dialer.inbound.writer import InboundCallWriter, VisitCounts
from dialer.ops.metrics import CampaignSample, DialerSample, InboundSample, ServerSample
from dialer.runner.pool import Server
from dialer.runner.runner import CampaignRunner


# What the samples read of the daemon (dialer.daemon.Dialer provides it; the daemon imports this module, so the daemon's
# own types are named here by what is read of them).
class ServerLink(Protocol):
    """One Asterisk server and the AMI connection to it (``dialer.daemon.connection.ServerConnection``)."""

    @property
    def server(self) -> Server: ...

    @property
    def client(self) -> AmiClient: ...


class DaemonView(Protocol):
    """The daemon as the metrics see it."""

    @property
    def clock(self) -> Clock: ...

    @property
    def agents(self) -> AgentService: ...

    @property
    def runners(self) -> Mapping[str, CampaignRunner]: ...

    @property
    def connections(self) -> Sequence[ServerLink]: ...

    @property
    def inbound_calls(self) -> InboundCallWriter: ...

    def inbound_live(self) -> list[InboundQueueNow]: ...


_AGENT_STATES = tuple(s.value for s in AgentStatus if s is not AgentStatus.LOGGED_OUT)
_DAY = 24 * 3600.0


def _rate(answers: float, abandons: float) -> float:
    return abandons / answers if answers else 0.0


def campaign_sample(runner: CampaignRunner, registry: AgentRegistry, now: float) -> CampaignSample:
    c = runner.counters
    agents = dict.fromkeys(_AGENT_STATES, 0)
    for agent in registry.in_queue(runner.config.queue):
        agents[agent.status.value] = agents.get(agent.status.value, 0) + 1
    window = runner.stats.window
    legal = window.window_seconds
    rates = {f"{legal / 3600:g}h": _rate(*window.recent(now, legal))}
    if legal > _DAY:
        rates["24h"] = _rate(*window.recent(now, _DAY))
    decision = runner.last_decision
    level = decision.explanation.applied_level if decision is not None else None
    return CampaignSample(
        campaign=runner.name,
        dials=dict(c.dials),
        outcomes=dict(c.outcomes),
        live_answers=sum(n for outcome, n in c.outcomes.items() if Outcome(outcome).is_live_answer),
        abandons=c.outcomes.get(Outcome.ABANDONED.value, 0),
        amd_verdicts=dict(c.amd_verdicts),
        agents=agents,
        calls_in_flight=len(runner.in_flight),
        pacing_level=level or 0.0,
        abandon_rates=rates,
        amd_paused=runner.amd_paused,
    )


def dialer_sample(dialer: DaemonView) -> DialerSample:
    now = dialer.clock.now()
    return DialerSample(
        campaigns=[campaign_sample(r, dialer.agents.registry, now) for r in dialer.runners.values()],
        servers=[
            ServerSample(c.server.name, c.client.state.up, max(0, c.client.state.connects - 1))
            for c in dialer.connections
        ],
        inbound=[inbound_sample(q, dialer.inbound_calls.counts(q.queue)) for q in dialer.inbound_live()],
    )


def inbound_sample(queue: InboundQueueNow, counts: VisitCounts) -> InboundSample:
    return InboundSample(
        queue=queue.queue,
        waiting=queue.waiting,
        longest_waiting_seconds=queue.longest_waiting_seconds,
        service_level=queue.last_hour.service_level,
        visits=counts.by_outcome,
        answered_in_target=counts.answered_in_target,
        short_abandons=counts.short_abandons,
    )
