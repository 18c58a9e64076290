"""The daemon's campaigns and Asterisk servers as metric samples (read at each /metrics scrape)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dialer.agents.registry import AgentRegistry, AgentStatus
from dialer.calls.outcome import Outcome
from dialer.ops.metrics import CampaignSample, DialerSample, ServerSample
from dialer.runner.runner import CampaignRunner

if TYPE_CHECKING:
    from dialer.daemon import Dialer

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
    )


def dialer_sample(dialer: Dialer) -> DialerSample:
    now = dialer.clock.now()
    return DialerSample(
        campaigns=[campaign_sample(r, dialer.agents.registry, now) for r in dialer.runners.values()],
        servers=[
            ServerSample(c.server.name, c.client.state.up, max(0, c.client.state.connects - 1))
            for c in dialer.connections
        ],
    )
