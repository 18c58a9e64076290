"""The traces `dialer trace record` made from asterisk/lab (tests/fixtures/ami-traces/lab/): every byte is the
received stream, and the dialer's classifier gives the outcome the lab's callee acted out."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.ami.recorder_monitoring import ALL_SCENARIOS as SCENARIOS
from dialer.ami.transcript import Sent, read_transcript, received_stream
from dialer.calls.replay import classification_rows, replay_file

LAB = Path(__file__).resolve().parents[1] / "fixtures" / "ami-traces" / "lab"

# action_id -> outcome, from the callee each number reaches in asterisk/lab [lab-pstn] (last digit).
EXPECTED: dict[str, dict[str, str]] = {
    "originate-busy": {"orig-1": "busy"},
    "originate-congestion": {"orig-1": "congestion"},
    "originate-unallocated": {"orig-1": "unallocated"},
    "originate-invalid-number": {"orig-1": "invalid_number"},
    "originate-noanswer": {"orig-1": "no_answer"},
    "originate-answer": {"orig-1": "connected"},
    # An agent's own callback Dial()ed to them alone ([dialer-direct-agent]): DialerAgentConnect, no queue.
    "direct-agent-callback": {"cb-1": "connected"},
    # Lab agents auto-answer in 0.2 s: the agent has the call before the callee hangs up at 2 s.
    "originate-callee-hangs-up-early": {"orig-1": "connected"},
    "originate-channelid": {"cid-1": "busy", "cid-2": "connected", "cid-3": "failed"},
    "originate-dialer-hangup": {"hup-1": "cancelled"},
    # AMD verdicts MACHINE / HUMAN / NOTSURE; dialer-outbound sends HUMAN and NOTSURE to an agent.
    "originate-amd": {"amd-1": "machine", "amd-2": "connected", "amd-3": "connected"},
    # agentless reminder calls (flow reminder over FastAGI): 1 confirms in self-service, 3 reaches an agent.
    "ivr-reminder": {"ivr-1": "self_service", "ivr-2": "connected"},
}


def test_the_lab_set_covers_every_scenario() -> None:
    assert sorted(p.stem for p in LAB.glob("*.txt")) == sorted(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_lab_trace_is_the_scenario_it_names(name: str) -> None:
    path = LAB / f"{name}.txt"
    stream = received_stream(path)
    assert stream.startswith(b"Asterisk Call Manager/")
    sent = [item.action for item in read_transcript(path) if isinstance(item, Sent)]
    wanted = [dict(step.headers).get("Action") for step in SCENARIOS[name].steps if hasattr(step, "headers")]
    assert [action.get("Action") for action in sent] == wanted[: len(sent)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_classifier_gives_the_outcome_the_lab_acted_out(name: str) -> None:
    rows = {row["action_id"]: row["outcome"] for row in classification_rows(replay_file(LAB / f"{name}.txt"))}
    assert rows == EXPECTED[name]


def test_every_call_of_the_burst_gets_an_outcome() -> None:
    rows = classification_rows(replay_file(LAB / "originate-burst-50.txt"))
    assert len(rows) == 50
    assert all(row["outcome"] is not None for row in rows)
