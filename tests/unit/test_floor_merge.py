"""How a dashboard merges the other daemons' published views (dialer.web.live, pure): its own view is not read back;
a stale view's agents are not shown but its daemon is listed; an agent two daemons published (their console moved
between two publishings) is the one who changed state last; a campaign on standby here shows the row of the daemon
running it, and a campaign only another daemon runs is added."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialer.agents.registry import Agent, AgentStatus
from dialer.store.floor import VIEW_FRESH_SECONDS, FloorView, PublishedAgent
from dialer.web.floor import merged_campaigns, other_daemons

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def view(node: str, seen: float, *agents: Agent, campaigns: tuple[dict[str, object], ...] = ()) -> FloorView:
    at = NOW - timedelta(seconds=seen)
    return FloorView(node, tuple(PublishedAgent(a, {}) for a in agents), campaigns, at, at)


def agent(name: str, since: float, status: AgentStatus = AgentStatus.READY) -> Agent:
    return Agent(name, f"PJSIP/{name}", name, frozenset({"q"}), status, since=since)


def test_fresh_views_are_merged_stale_ones_listed_and_a_moved_agent_is_where_they_went_last() -> None:
    views = [
        view("a", 0, agent("ann", 1.0)),  # this daemon's own: never read back
        view("b", 1, agent("bob", 5.0), agent("cid", 10.0, AgentStatus.PAUSED)),
        view("c", 2, agent("cid", 20.0), campaigns=({"campaign": "x", "state": "running"},)),
        view("d", VIEW_FRESH_SECONDS + 1, agent("dan", 3.0)),
    ]
    floor = other_daemons(views, "a", NOW)
    assert {p.agent.agent_id: node for node, p in floor.agents} == {"bob": "b", "cid": "c"}
    assert [p.agent.status for node, p in floor.agents if p.agent.agent_id == "cid"] == [AgentStatus.READY]
    assert floor.campaigns == ({"campaign": "x", "state": "running", "daemon": "c"},)
    assert [v.node for v in floor.silent] == ["d"]


def test_a_campaign_on_standby_here_shows_its_running_daemons_row() -> None:
    local = [
        {"campaign": "demo", "state": "standby", "daemon": "a"},
        {"campaign": "mine", "state": "running", "daemon": "a"},
    ]
    others = [
        {"campaign": "demo", "state": "running", "daemon": "b"},
        {"campaign": "mine", "state": "standby", "daemon": "b"},
        {"campaign": "theirs", "state": "paused", "daemon": "c"},
    ]
    assert merged_campaigns(local, others) == [
        {"campaign": "demo", "state": "running", "daemon": "b"},
        {"campaign": "mine", "state": "running", "daemon": "a"},
        {"campaign": "theirs", "state": "paused", "daemon": "c"},
    ]
    # Nobody reporting runs it: the standby row stays.
    assert merged_campaigns(local[:1], []) == local[:1]
