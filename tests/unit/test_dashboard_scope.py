"""A supervisor's dashboard: only their teams' agents, and each campaign's agents by state counted over them."""

from __future__ import annotations

from dialer.web.scope import scoped_dashboard

DOC = {
    "at": 1.0,
    "campaigns": [{"campaign": "demo", "queue": "q1", "agents_by_state": {"ready": 2, "talking": 1}}],
    "agents": [
        {"agent_id": "alice", "status": "ready", "queues": ["q1"]},
        {"agent_id": "bob", "status": "ready", "queues": ["q1"]},
        {"agent_id": "carol", "status": "talking", "queues": ["q1", "q2"]},
    ],
}


def test_everyone_sees_everything() -> None:
    assert scoped_dashboard(DOC, None) is DOC


def test_a_supervisor_sees_their_agents_only() -> None:
    doc = scoped_dashboard(DOC, {"alice", "carol", "sue"})
    assert [a["agent_id"] for a in doc["agents"]] == ["alice", "carol"]
    assert doc["campaigns"][0]["agents_by_state"] == {"ready": 1, "talking": 1}
    assert doc["scope"] == ["alice", "carol", "sue"]
    assert DOC["agents"][1]["agent_id"] == "bob"  # the shared document is not changed


def test_a_supervisor_sees_their_agents_alerts_and_those_about_no_agent() -> None:
    alerts = [
        {"rule": "pause_overdue", "subject": "agent:bob", "agent": "bob"},
        {"rule": "wrapup_overdue", "subject": "agent:alice", "agent": "alice"},
        {"rule": "server_down", "subject": "server:pbx1", "agent": None},
    ]
    doc = scoped_dashboard({**DOC, "alerts": alerts}, {"alice", "sue"})
    assert [a["subject"] for a in doc["alerts"]] == ["agent:alice", "server:pbx1"]
