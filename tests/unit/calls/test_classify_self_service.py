"""Agentless calls: a flow that served the person is self-service (never an abandon); a queue that dropped them is."""

from __future__ import annotations

from dialer.calls.classify import CallFacts, classify
from dialer.calls.outcome import AbandonRules, Outcome, count_answer


def facts(**kw: object) -> CallFacts:
    base: dict[str, object] = {
        "answered": True,
        "reason": 4,
        "hangup_cause": 16,
        "dial_status": "ANSWER",
        "amd_status": None,
        "agent_connected": False,
        "hangup_requested": False,
    }
    base.update(kw)
    return CallFacts(**base)  # type: ignore[arg-type]


def test_a_served_flow_is_self_service_and_not_counted() -> None:
    assert classify(facts(flow_served=True)) is Outcome.SELF_SERVICE
    assert Outcome.SELF_SERVICE.is_answered
    assert not Outcome.SELF_SERVICE.is_live_answer
    counted = count_answer(Outcome.SELF_SERVICE, amd_status=None, seconds_after_answer=2.0, rules=AbandonRules())
    assert counted.live == 0


def test_an_agent_or_a_drop_decides_over_the_flow() -> None:
    assert classify(facts(flow_served=True, agent_connected=True)) is Outcome.CONNECTED
    assert classify(facts(flow_served=False)) is Outcome.ABANDONED
    assert classify(facts(flow_served=True, amd_status="MACHINE")) is Outcome.MACHINE
