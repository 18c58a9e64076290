"""The call-control sessions recorded from asterisk/lab (tests/fixtures/ami-traces/lab/callcontrol-*.txt): what
real Asterisk 22 does with the Redirect / Setvar / PlayDTMF / Originate commands of dialer.callcontrol, which the
core relies on -- the customer keeps one channel throughout (the call record's end is its Hangup), a held customer
leaves every bridge, resume and the end of a warm transfer meet in one ConfBridge, the first agent drops out."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.ami.protocol import AmiMessage
from dialer.calls.replay import classification_rows, replay_file
from dialer.sim.pbx.tracetools import load_trace

LAB = Path(__file__).resolve().parents[1] / "fixtures" / "ami-traces" / "lab"
CUSTOMER = "fixture-cc-1"
NAMES = (
    "callcontrol-hold-resume",
    "callcontrol-blind-transfer",
    "callcontrol-warm-transfer",
    "callcontrol-warm-transfer-cancel",
    "callcontrol-conference",
)


def trace(name: str) -> list[AmiMessage]:
    return load_trace(LAB / f"{name}.txt")


def responses(messages: list[AmiMessage]) -> dict[str, tuple[str, str]]:
    return {m.action_id or "": (m.name, m.get("Message") or "") for m in messages if m.is_response}


def customer_events(messages: list[AmiMessage]) -> list[AmiMessage]:
    return [m for m in messages if m.is_event and m.get("Uniqueid") == CUSTOMER]


def bridge_of(messages: list[AmiMessage], upto: int, channel_prefix: str) -> str | None:
    """The bridge a channel (by name prefix) is in after message ``upto``."""
    bridge = None
    for m in messages[:upto]:
        if (m.get("Channel") or "").startswith(channel_prefix):
            if m.name == "BridgeEnter":
                bridge = m.get("BridgeUniqueid")
            elif m.name == "BridgeLeave":
                bridge = None
    return bridge


@pytest.mark.parametrize("name", NAMES)
def test_every_call_control_action_succeeded(name: str) -> None:
    answers = responses(trace(name))
    cc = {k: v for k, v in answers.items() if k.startswith("cc-") and k not in ("cc-end",) and "remove" not in k}
    assert cc, name
    assert all(kind == "Success" for kind, _ in cc.values()), cc


@pytest.mark.parametrize("name", NAMES)
def test_the_customer_keeps_one_channel_and_the_call_is_connected(name: str) -> None:
    messages = trace(name)
    mine = customer_events(messages)
    assert [m.name for m in mine].count("Hangup") == 1
    assert mine[-1].name == "Hangup"
    rows = {row["action_id"]: row["outcome"] for row in classification_rows(replay_file(LAB / f"{name}.txt"))}
    assert rows["cc-orig-1"] == "connected"  # (a 3-way's third party is no campaign call: the dialer never tracks it)


def test_hold_leaves_the_bridge_and_resume_meets_in_the_conference() -> None:
    messages = trace("callcontrol-hold-resume")
    contexts = [m.get("Context") for m in customer_events(messages) if m.name in ("BridgeLeave", "BridgeEnter")]
    # queue bridge -> (hold: no bridge) -> the conference
    assert contexts == ["dialer-outbound", "dialer-hold", "dialer-conference", "dialer-conference"]
    joins = [m for m in messages if m.name == "ConfbridgeJoin"]
    assert {m.get("Conference") for m in joins} == {"dialer-4242"}
    assert len(joins) == 2
    dtmf = [m for m in messages if m.name == "DTMFEnd"]
    assert [m.get("Digit") for m in dtmf] == ["5"]
    # Redirect does not end the queue call: no AgentComplete before the hang-up.
    names = [m.name for m in messages]
    assert names.index("AgentComplete") > names.index("ConfbridgeJoin")


def test_warm_transfer_puts_the_second_agent_with_the_customer_and_the_first_drops_out() -> None:
    messages = trace("callcontrol-warm-transfer")
    consult = next(
        i for i, m in enumerate(messages) if m.name == "DialBegin" and "ccagent2" in (m.get("DestChannel") or "")
    )
    assert (messages[consult].get("Channel") or "").startswith("Local/ccagent1@")  # the agent's leg dials
    end = next(i for i, m in enumerate(messages) if m.is_response and m.action_id == "cc-end")
    customer_bridge = bridge_of(messages, end, "Local/5550001@lab-cc-pstn")
    assert customer_bridge is not None
    assert bridge_of(messages, end, "Local/ccagent2@lab-cc-agents") == customer_bridge
    first_gone = [
        m for m in messages[:end] if m.name == "Hangup" and (m.get("Channel") or "").startswith("Local/ccagent1@")
    ]
    assert first_gone
    complete = next(m for m in messages if m.name == "AgentComplete")
    assert complete.get("Reason") == "agent"


def test_a_cancelled_warm_transfer_returns_to_the_customer() -> None:
    messages = trace("callcontrol-warm-transfer-cancel")
    end = next(i for i, m in enumerate(messages) if m.is_response and m.action_id == "cc-end")
    assert bridge_of(messages, end, "Local/ccagent1@") == bridge_of(messages, end, "Local/5550001@lab-cc-pstn")
    target = [m for m in messages[:end] if m.name == "Hangup" and (m.get("Channel") or "").startswith("Local/5550101@")]
    assert len(target) == 2  # both halves of the outside party


def test_blind_transfer_to_a_queue_is_taken_by_its_member() -> None:
    messages = trace("callcontrol-blind-transfer")
    joins = [m for m in messages if m.name == "QueueCallerJoin" and m.get("Uniqueid") == CUSTOMER]
    assert [m.get("Queue") for m in joins] == ["outbound-agents", "inbound-sales"]
    connects = [m for m in messages if m.name == "AgentConnect"]
    assert [m.get("Queue") for m in connects] == ["outbound-agents", "inbound-sales"]
    assert "ccagent2" in (connects[1].get("DestChannel") or "")


def test_three_way_then_the_agent_drops_out_and_the_two_others_talk_on() -> None:
    messages = trace("callcontrol-conference")
    third = "Local/5550102@lab-cc-pstn"
    drop = next(i for i, m in enumerate(messages) if m.is_response and m.action_id == "cc-drop") - 1
    conference = bridge_of(messages, drop, "Local/5550001@lab-cc-pstn")
    assert conference is not None
    assert bridge_of(messages, drop, third) == conference
    assert bridge_of(messages, drop, "Local/ccagent1@") == conference
    # Until the test hangs the third party up, it talks with the customer without the agent.
    end = next(i for i, m in enumerate(messages) if m.is_response and m.action_id == "cc-third-end")
    assert bridge_of(messages, end, "Local/ccagent1@") is None
    assert bridge_of(messages, end, third) == bridge_of(messages, end, "Local/5550001@lab-cc-pstn") == conference
