"""The wallboard's figures are the dashboard document's, restricted to the viewer: agents by state and overdue
pauses over the viewer's agents, the running campaigns only (a kiosk's named ones), the abandon rate's standing
against its cap, the inbound queues' service level against the target."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dialer.web.scope import floor_figures
from dialer.web.wallboard import Viewer, abandon_level, service_level, today_began, wallboard_document

AGENTS: list[dict[str, Any]] = [
    {"agent_id": "alice", "status": "ready", "queues": ["q1"], "pause_overdue_seconds": None, "hand": None},
    {"agent_id": "bob", "status": "paused", "queues": ["q1"], "pause_overdue_seconds": 40.0, "hand": None},
    {"agent_id": "carol", "status": "talking", "queues": ["q1"], "pause_overdue_seconds": None, "hand": {"note": ""}},
    {"agent_id": "dan", "status": "wrapup", "queues": ["q2"], "pause_overdue_seconds": None, "hand": None},
]


def _campaign(name: str, state: str, rate: float, cap: float = 0.03) -> dict[str, Any]:
    return {
        "campaign": name,
        "state": state,
        "queue": "q1",
        "dial_mode": "predictive",
        "agents_by_state": {},
        "abandon_window": {"hours": 24, "live_answers": 100, "abandoned": 2, "rate": rate, "cap": cap},
        "today": {"calls": 250, "live_answers": 90, "abandoned": 2},
    }


DOC: dict[str, Any] = {
    "at": 10.0,
    "campaigns": [
        _campaign("demo", "running", 0.025),
        _campaign("other", "running", 0.01),
        _campaign("off", "stopped", 0),
    ],
    "agents": AGENTS,
    **floor_figures(AGENTS),
    "hands_raised": 1,
    "inbound": [
        {"queue": "in", "waiting": 3, "longest_waiting_seconds": 42.0, "last_hour": {"service_level": 0.7}},
        {"queue": "quiet", "waiting": 0, "longest_waiting_seconds": None, "last_hour": {"service_level": None}},
    ],
    "service_level_rule": {"answer_within_seconds": 20, "target": 0.8, "short_abandon_seconds": 5},
}


def test_the_floor_figures_are_counted_once_over_the_agent_rows() -> None:
    assert floor_figures(AGENTS) == {
        "agents_by_state": {"ready": 1, "paused": 1, "talking": 1, "wrapup": 1},
        "pauses_overdue": 1,
    }


def test_everyone_sees_the_whole_floor_and_the_running_campaigns() -> None:
    board = wallboard_document(DOC, Viewer())
    assert board["agents"] == {"ready": 1, "talking": 1, "wrapup": 1, "paused": 1}
    assert (board["pauses_overdue"], board["hands_raised"]) == (1, 1)
    assert [c["campaign"] for c in board["campaigns"]] == ["demo", "other"]  # a stopped one is not on the wall
    demo = board["campaigns"][0]
    assert (demo["calls_today"], demo["live_answers_today"], demo["dial_mode"]) == (250, 90, "predictive")
    assert (demo["abandon_rate"], demo["abandon_cap"], demo["abandon_level"]) == (0.025, 0.03, "warn")
    assert demo["abandon_margin"] == pytest.approx(0.005)
    assert board["campaigns"][1]["abandon_level"] == "ok"
    queues = {q["queue"]: q for q in board["inbound"]}
    assert (queues["in"]["waiting"], queues["in"]["late"], queues["in"]["service_level_state"]) == (3, True, "below")
    assert (queues["quiet"]["late"], queues["quiet"]["service_level_state"]) == (False, "none")


def test_a_scoped_viewer_sees_their_agents_and_campaigns_only() -> None:
    board = wallboard_document(DOC, Viewer(agents=frozenset({"alice", "bob", "sue"}), campaigns=frozenset({"other"})))
    assert board["agents"] == {"ready": 1, "talking": 0, "wrapup": 0, "paused": 1}
    assert (board["pauses_overdue"], board["hands_raised"]) == (1, 0)
    assert [c["campaign"] for c in board["campaigns"]] == ["other"]


@pytest.mark.parametrize(
    ("rate", "cap", "level"),
    [
        (0.0, 0.03, "ok"),
        (0.0239, 0.03, "ok"),
        (0.024, 0.03, "warn"),
        (0.03, 0.03, "over"),
        (0.0, 0.0, "ok"),
        (0.01, 0.0, "over"),
    ],
)
def test_the_abandon_rate_against_its_cap(rate: float, cap: float, level: str) -> None:
    assert abandon_level(rate, cap) == level


def test_the_service_level_against_its_target() -> None:
    assert [service_level(v, 0.8) for v in (None, 0.79, 0.8, 1.0)] == ["none", "below", "ok", "ok"]


def test_today_begins_at_midnight_in_the_campaigns_zone() -> None:
    # 03:30 UTC on 7 December is still the 6th in New York (22:30), already the 7th in Tokyo (12:30).
    now = datetime(2026, 12, 7, 3, 30, tzinfo=UTC).timestamp()
    assert today_began(now, "America/New_York").astimezone(UTC) == datetime(2026, 12, 6, 5, 0, tzinfo=UTC)
    assert today_began(now, "Asia/Tokyo").astimezone(UTC) == datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
    assert today_began(now, "UTC") == datetime(2026, 12, 7, tzinfo=UTC)
