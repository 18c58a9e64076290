"""A supervisor's dashboard: only their teams' agents (their alerts, their raised hands), and each campaign's agents by
state counted over them."""

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


def test_a_supervisor_sees_the_hands_of_their_agents_whichever_daemon_serves_them() -> None:
    # "dan" is an agent of another daemon (no row here): his hand is in the feed all the same.
    hands = [{"agent_id": "bob", "note": None}, {"agent_id": "dan", "note": "refund?"}]
    doc = scoped_dashboard({**DOC, "hands": hands, "hands_raised": 2}, {"alice", "dan"})
    assert ([h["agent_id"] for h in doc["hands"]], doc["hands_raised"]) == (["dan"], 1)
