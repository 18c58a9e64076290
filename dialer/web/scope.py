"""What a supervisor sees of the live dashboard: their teams' agents only (pure; ``scope`` None: everything)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


def scoped_dashboard(doc: dict[str, Any], scope: Collection[str] | None) -> dict[str, Any]:
    """The dashboard document restricted to the agents in ``scope``: the agent table, the hands raised, the alerts
    about agents (those about no agent stay), and each campaign's agents by state counted over those agents only."""
    if scope is None:
        return doc
    agents = [a for a in doc.get("agents", []) if a.get("agent_id") in scope]
    campaigns = []
    for campaign in doc.get("campaigns", []):
        by_state: dict[str, int] = {}
        for agent in agents:
            if campaign.get("queue") in agent.get("queues", ()):
                by_state[agent["status"]] = by_state.get(agent["status"], 0) + 1
        campaigns.append({**campaign, "agents_by_state": by_state})
    hands = sum(1 for a in agents if a.get("hand"))
    alerts = [a for a in doc.get("alerts", []) if a.get("agent") is None or a.get("agent") in scope]
    return {
        **doc,
        "agents": agents,
        "campaigns": campaigns,
        "hands_raised": hands,
        "alerts": alerts,
        "scope": sorted(scope),
    }
