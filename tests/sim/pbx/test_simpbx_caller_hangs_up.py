"""The simulated PBX against the lab when the caller hangs up while bridged to a queue member
(tests/fixtures/ami-traces/lab/queue-caller-hangs-up-bridged.txt: a Local callee that hangs up 1 s after
answering; queue-trunk-caller-hangs-up-bridged.txt: the carrier's callee hangs up over the IAX2 trunk; the member,
an auto-answering phone of [lab-cc-agents], stays on the line): replayed at the recorded offsets into a PBX set up
like the lab and compared per channel from the bridge on (the comparison of the call-control tests), the member's
legs whole (an auto-answer phone does not ring), the end's order across channels, and when app_queue reports the
member's status (QueueMemberStatus) against the phone's answer and hang-up and AgentConnect / AgentComplete.

Asterisk 22's order: ``AgentComplete`` (Reason caller), the caller's ``BridgeLeave``, the member's ``BridgeLeave``,
the queue hangs the member's leg up (``HangupRequest`` of ``;2``, ``Hangup`` of ``;1`` -- no soft hang-up request
on ``;1``), and only then the member is free (``QueueMemberStatus`` 1). ``BridgeDestroy``, the caller's own h
extension and the member's status come from other threads: their place among these varies between recordings
(the two trunk recordings made differ), so those are compared per channel or as rules.
"""

from __future__ import annotations

import pytest
from simpbx_replay import LAB, replayed, responses

from dialer.ami.protocol import AmiMessage
from dialer.sim.pbx import PbxConfig, QueueConfig
from dialer.sim.pbx.tracetools import (
    compare_header_names,
    header_names,
    per_channel_sequences,
)

TRACES = ["queue-caller-hangs-up-bridged", "queue-trunk-caller-hangs-up-bridged"]
MEMBER = "Local/ccagent1@lab-cc-agents"
END_EVENTS = ("AgentComplete", "BridgeLeave", "BridgeDestroy", "HangupRequest", "SoftHangupRequest", "Hangup")


def lab_like() -> PbxConfig:
    """The lab: lab-debug reads everything, auto-answer phones (0.2 s, no ringing) that stay on the line
    (LAB_CC_TALK)."""
    return PbxConfig.recorded(
        users=(("lab-debug", "lab-debug"),),
        system_name="lab",
        agent_connect_seconds=0.2,
        agent_talk_seconds=60.0,
        agent_phones_ring=False,
        queues=(
            QueueConfig("outbound-agents", wrapuptime=2.0),
            QueueConfig("inbound-sales", weight=10, wrapuptime=2.0),
        ),
    )


async def simulate(name: str) -> tuple[list[AmiMessage], list[AmiMessage]]:
    return await replayed(LAB / f"{name}.txt", lab_like(), tail=5.0)


def from_bridge(sequence: list[str]) -> list[str]:
    return sequence[sequence.index("BridgeEnter") :] if "BridgeEnter" in sequence else []


def end_order(messages: list[AmiMessage]) -> list[str]:
    """The end's steps whose order both recordings share: AgentComplete, the caller's then the member's
    BridgeLeave, BridgeDestroy after them, the queue's hang-up of the member's leg (``;2`` asked, ``;1`` gone, no
    soft request on ``;1``), then the member free. (BridgeDestroy against the member's hang-up, and the member's
    ``;2`` against QueueMemberStatus, come in either order: other threads.)"""
    out = []
    for m in messages:
        channel = m.get("Channel") or ""
        member = channel.startswith(MEMBER)
        if m.name == "AgentComplete" or m.name == "BridgeDestroy":
            out.append(m.name)
        elif m.name == "BridgeLeave":
            out.append("member leaves" if member else "caller leaves")
        elif member and channel.endswith(";1") and m.name in ("SoftHangupRequest", "HangupRequest", "Hangup"):
            out.append(f"member ;1 {m.name}")
        elif member and channel.endswith(";2") and m.name == "HangupRequest":
            out.append("member ;2 HangupRequest")
        elif m.name == "QueueMemberStatus" and "AgentComplete" in out:
            out.append(f"QueueMemberStatus {m.get('Status')}")
    if "BridgeDestroy" in out and out.index("BridgeDestroy") > out.index("member leaves"):
        out.remove("BridgeDestroy")  # (after both BridgeLeaves, its place among the rest varies)
    return out


def member_status_times(messages: list[AmiMessage]) -> list[str]:
    """Each QueueMemberStatus of the member with what came before it: app_queue follows the member's device state,
    which Asterisk updates on another thread, so against AgentConnect it comes either side (both are in the
    recordings) but always after the phone answered (in use) and after its leg hung up (free)."""
    out = []
    answered = hung_up = connected = completed = False
    for m in messages:
        channel = m.get("Channel") or ""
        if m.name == "Newstate" and channel.startswith(MEMBER) and m.get("ChannelStateDesc") == "Up":
            answered = True
        elif m.name == "Hangup" and channel.startswith(MEMBER) and channel.endswith(";1"):
            hung_up = True
        elif m.name == "AgentConnect":
            connected = True
        elif m.name == "AgentComplete":
            completed = True
        elif m.name == "QueueMemberStatus" and m.get("Interface") == MEMBER:
            status = m.get("Status")
            if status == "2":
                out.append(f"in use: answered {answered}, completed {completed}")
            else:
                out.append(f"{status}: connected {connected}, completed {completed}, hung up {hung_up}")
    return out


@pytest.mark.parametrize("name", TRACES)
async def test_the_caller_s_hang_up_while_bridged_event_by_event(name: str) -> None:
    recorded, simulated = await simulate(name)
    assert responses(simulated) == responses(recorded)
    rec, sim = per_channel_sequences(recorded), per_channel_sequences(simulated)
    assert set(rec) == set(sim)
    for role in rec:
        assert from_bridge(sim[role]) == from_bridge(rec[role]), role
        assert sim[role][-1] == rec[role][-1] == "Hangup", role
        if role.startswith(MEMBER):  # an auto-answer phone: no ringing, so the whole leg compares
            assert sim[role] == rec[role], role
    assert (
        end_order(simulated)
        == end_order(recorded)
        == [
            "AgentComplete",
            "caller leaves",
            "member leaves",
            "member ;2 HangupRequest",
            "member ;1 Hangup",
            "QueueMemberStatus 1",
        ]
    )
    assert (
        member_status_times(simulated)
        == member_status_times(recorded)
        == [
            "in use: answered True, completed False",
            "1: connected True, completed True, hung up True",
        ]
    )
    completes = [(m.get("Interface"), m.get("Reason")) for m in simulated if m.name == "AgentComplete"]
    assert completes == [(m.get("Interface"), m.get("Reason")) for m in recorded if m.name == "AgentComplete"]
    assert completes == [(MEMBER, "caller")]
    leaves = [(m.get("Channel", "")[:12], m.get("BridgeNumChannels")) for m in simulated if m.name == "BridgeLeave"]
    assert leaves == [
        (m.get("Channel", "")[:12], m.get("BridgeNumChannels")) for m in recorded if m.name == "BridgeLeave"
    ]
    present = [n for n in (*END_EVENTS, "QueueMemberStatus", "BridgeEnter") if n in header_names(recorded)]
    assert compare_header_names(recorded, simulated, names=present) == []
