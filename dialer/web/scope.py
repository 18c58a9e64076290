"""What a supervisor sees of the live dashboard: their teams' agents only (pure; ``scope`` None: everything).

The floor's agent figures (agents by state, overdue pauses) are defined here once, for the whole floor and for a
scope alike: the dashboard document carries them, the wallboard shows them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any


def count_by_state(agents: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many of ``agents`` (the dashboard's agent rows) are in each state."""
    by_state: dict[str, int] = {}
    for agent in agents:
        by_state[agent["status"]] = by_state.get(agent["status"], 0) + 1
    return by_state


def floor_figures(agents: Collection[Mapping[str, Any]]) -> dict[str, Any]:
    """The floor's agents by state, and how many of them are paused longer than their pause code allows."""
    return {
        "agents_by_state": count_by_state(agents),
        "pauses_overdue": sum(1 for a in agents if a.get("pause_overdue_seconds")),
    }


def scoped_dashboard(
    doc: dict[str, Any], scope: Collection[str] | None, campaigns: Collection[str] | None = None
) -> dict[str, Any]:
    """The dashboard document restricted to the agents in ``scope``: the agent table, the hands raised (every
    daemon's: ``hands``), the alerts about agents (those about no agent stay), the agents of the daemons not
    reporting, the floor's figures and each campaign's agents by state counted over those agents only; and to the
    ``campaigns`` named (None: every campaign; a wallboard kiosk may be limited to some)."""
    if campaigns is not None:
        doc = {**doc, "campaigns": [c for c in doc.get("campaigns", []) if c.get("campaign") in campaigns]}
    if scope is None:
        return doc
    agents = [a for a in doc.get("agents", []) if a.get("agent_id") in scope]
    shown = []
    for campaign in doc.get("campaigns", []):
        staffed = [a for a in agents if campaign.get("queue") in a.get("queues", ())]
        shown.append({**campaign, "agents_by_state": count_by_state(staffed)})
    hands = [h for h in doc.get("hands", []) if h.get("agent_id") in scope]
    alerts = [a for a in doc.get("alerts", []) if a.get("agent") is None or a.get("agent") in scope]
    silent = [{**d, "agents": [a for a in d["agents"] if a in scope]} for d in doc.get("daemons_not_reporting", [])]
    return {
        **doc,
        **floor_figures(agents),
        "agents": agents,
        "campaigns": shown,
        "hands": hands,
        "hands_raised": len(hands),
        "alerts": alerts,
        "daemons_not_reporting": silent,
        "scope": sorted(scope),
    }
