"""The daemon's status document (``GET /api/status``, the dashboard, ``dialer status``): its servers, agents,
inbound callers, campaigns (each runner's own status) and health."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any

from dialer.agents.registry import AgentRegistry
from dialer.clock import Clock
from dialer.daemon.connection import ServerConnection
from dialer.daemon.ownership import CampaignOwnership
from dialer.inbound.figures import InboundQueueNow, ServiceLevelRule
from dialer.ops.health import HealthRegistry
from dialer.runner.inbound import InboundWatcher
from dialer.runner.runner import CampaignRunner


@dataclass(eq=False)
class StatusView:
    """``inbound_waiting(queue, server)``: callers waiting in an inbound queue (None: on every server)."""

    runners: dict[str, CampaignRunner]
    connections: Sequence[ServerConnection]
    _: KW_ONLY
    owner: str
    clock: Clock
    registry: AgentRegistry
    ownership: CampaignOwnership
    inbound: InboundWatcher
    inbound_queues: frozenset[str]
    inbound_waiting: Callable[[str, str | None], int]
    inbound_live: Callable[[], list[InboundQueueNow]]  # each inbound queue now and its last hour
    service_level: ServiceLevelRule
    health: HealthRegistry

    def server_view(self) -> dict[str, dict[str, Any]]:
        """Per Asterisk server: connected or not, its agents by state, the calls placed there, inbound callers."""
        view: dict[str, dict[str, Any]] = {}
        for conn in self.connections:
            name = conn.server.name
            agents = [a for a in self.registry.agents() if a.logged_in and a.on_server(name)]
            by_status: dict[str, int] = {}
            for agent in agents:
                by_status[agent.status.value] = by_status.get(agent.status.value, 0) + 1
            view[name] = {
                "up": conn.client.is_up,
                "agents": sorted(a.agent_id for a in agents),
                "agents_by_status": dict(sorted(by_status.items())),
                "calls_in_flight": sum(
                    1 for r in self.runners.values() for c in r.in_flight.calls.values() if c.server == name
                ),
                "channels_in_use": conn.server.gate.channels_in_use,
                "inbound_waiting": {q: self.inbound_waiting(q, name) for q in sorted(self.inbound_queues)},
            }
        return view

    def status(self) -> dict[str, Any]:
        owned = self.ownership.owned
        return {
            "owner": self.owner,
            "owned_campaigns": sorted(r.name for r in self.runners.values() if r.campaign_id in owned),
            "ami": {
                c.server.name: {
                    "up": c.client.is_up,
                    "reason": c.client.state.reason,
                    "channels_in_use": c.server.gate.channels_in_use,
                    "tracked_calls": c.server.tracker.active_calls,
                    # Calls of other daemons (or not yet adopted) followed on the wire (dialer.calls.witness).
                    "witnessed_calls": len(c.pump.witness),
                    "events": c.pump.events_seen,
                }
                for c in self.connections
            },
            "agents": [
                {
                    "agent": a.agent_id,
                    "status": a.status.value,
                    "queues": sorted(a.queues),
                    "server": a.server,
                    "since": a.since,
                    "pause_reason": a.pause_reason,
                    "calls_taken": a.calls_taken,
                }
                for a in self.registry.agents()
            ],
            "inbound_waiting": {q: self.inbound_waiting(q, None) for q in sorted(self.inbound_queues)},
            "servers": self.server_view(),
            "inbound_arrivals_per_hour": round(self.inbound.arrivals_per_second(self.clock.now()) * 3600, 1),
            "inbound": [queue.as_json() for queue in self.inbound_live()],
            "service_level_rule": self.service_level.as_json(),
            "campaigns": [runner.status() for runner in self.runners.values()],
            "health": self.health.snapshot(),
        }
