"""`dialer status` as text: how each campaign dials (an agentless one by its IVR flow, not a dial mode it does not
use) and its live answers as counted (whole unless an AMD false-positive estimate is in)."""

from __future__ import annotations

from typing import Any

from dialer.commands.status import render


def _campaign(name: str, live: float, agentless: dict[str, Any] | None) -> dict[str, Any]:
    counters = {"attempts": 40, "connected": 12, "abandoned": 0, "requeued": 20, "archived": 3}
    window = {"rate": 0.0, "live_answers": live, "cap": 0.03, "hours": 24.0}
    return {
        "campaign": name,
        "state": "running",
        "dial_mode": "progressive",
        "counters": counters,
        "calls_in_flight": 2,
        "abandon_window": window,
        "agentless": agentless,
    }


def test_an_agentless_campaign_reads_by_its_flow_and_live_answers_by_their_count() -> None:
    status = {
        "ami": {},
        "agents": [],
        "campaigns": [
            _campaign("sales", 12.0, None),
            _campaign("reminder", 7.0, {"flow": "reminder", "max_channels": 30}),
            _campaign("uk", 12.4, None),
        ],
    }
    lines = render(status).splitlines()
    assert lines[1].startswith("campaign sales [running, progressive]:")
    assert lines[2].startswith("campaign reminder [running, agentless, IVR flow reminder]:")
    assert "of 12 live answers" in lines[1]
    assert "of 7 live answers" in lines[2]
    assert "of 12.4 live answers" in lines[3]


def test_each_inbound_queue_reads_its_callers_waiting_and_the_last_hours_service_level() -> None:
    from dialer.inbound.calls import InboundCall, InboundOutcome
    from dialer.inbound.figures import InboundQueueNow, ServiceLevelRule, queue_figures

    rule = ServiceLevelRule()
    visits = [
        InboundCall("pbx", "care", "u1", "", 0.0, outcome=InboundOutcome.ANSWERED, wait_seconds=4.0),
        InboundCall("pbx", "care", "u2", "", 0.0, outcome=InboundOutcome.ABANDONED, wait_seconds=40.0),
    ]
    queue = InboundQueueNow("care", 2, 31.6, queue_figures("care", visits, rule))
    status = {"ami": {}, "agents": [], "inbound": [queue.as_json()], "service_level_rule": rule.as_json()}
    line = render(status).splitlines()[1]
    assert line == (
        "inbound care: 2 waiting (longest 32 s); last hour 2 offered, 1 answered, service level 50% (target 80% within "
        "20 s), 1 abandoned"
    )
