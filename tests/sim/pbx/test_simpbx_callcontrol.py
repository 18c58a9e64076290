"""The simulated PBX against the recorded Asterisk 22 for call control (tests/fixtures/ami-traces/lab/
callcontrol-hold-resume.txt): hold (dual Redirect to dialer-hold), resume (dual Redirect into the ConfBridge),
PlayDTMF and the customer's hang-up, replayed at the recorded offsets into a PBX set up like the lab (lab-debug
login, dynamic members, auto-answer phones), compared event by event per channel from the moment the call is
bridged, with the same responses and the same header shapes."""

from __future__ import annotations

from pathlib import Path

from dialer.ami.protocol import AmiMessage
from dialer.clock import ManualClock
from dialer.sim.pbx import PbxConfig, QueueConfig, SimulatedPbx
from dialer.sim.pbx.tracetools import compare_header_names, load_trace, per_channel_sequences, replay

LAB = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "ami-traces" / "lab"
CALL_CONTROL_EVENTS = (
    "BridgeEnter",
    "BridgeLeave",
    "BridgeDestroy",
    "ConfbridgeStart",
    "ConfbridgeJoin",
    "ConfbridgeLeave",
    "ConfbridgeEnd",
    "DTMFBegin",
    "DTMFEnd",
    "AgentComplete",
)


def lab_like() -> PbxConfig:
    return PbxConfig.recorded(
        users=(("lab-debug", "lab-debug"),),
        system_name="lab",
        pstn_context="lab-cc-pstn",
        agent_connect_seconds=0.2,
        queues=(
            QueueConfig("outbound-agents", wrapuptime=2.0),
            QueueConfig("inbound-sales", weight=10, wrapuptime=2.0),
        ),
    )


async def simulate(name: str) -> tuple[list[AmiMessage], list[AmiMessage]]:
    clock = ManualClock()
    async with SimulatedPbx(lab_like(), clock=clock) as pbx:
        simulated = await replay(LAB / f"{name}.txt", pbx.port, clock, tail=5.0)
    return load_trace(LAB / f"{name}.txt"), simulated


def from_bridge(sequence: list[str]) -> list[str]:
    """The channel's events from its first BridgeEnter on; a BridgeLeave/ConfbridgeLeave pair in either order
    (Asterisk's threads order them either way: both orders are in the recordings)."""
    tail = sequence[sequence.index("BridgeEnter") :] if "BridgeEnter" in sequence else []
    out: list[str] = []
    for name in tail:
        if out and {out[-1], name} == {"BridgeLeave", "ConfbridgeLeave"}:
            out[-1] = "BridgeLeave"
            name = "ConfbridgeLeave"
        out.append(name)
    return out


async def test_hold_resume_dtmf_and_hang_up_event_by_event() -> None:
    recorded, simulated = await simulate("callcontrol-hold-resume")

    def responses(messages: list[AmiMessage]) -> list[tuple[str | None, ...]]:
        return [
            (m.action_id, m.name, m.get("Message"))
            for m in messages
            if m.is_response and (m.action_id or "").startswith("cc-")
        ]

    assert responses(simulated) == responses(recorded)
    rec, sim = per_channel_sequences(recorded), per_channel_sequences(simulated)
    assert set(rec) == set(sim)
    for role in rec:
        assert from_bridge(sim[role]) == from_bridge(rec[role]), role
    assert compare_header_names(recorded, simulated, names=CALL_CONTROL_EVENTS) == []
    for event in ("ConfbridgeStart", "ConfbridgeEnd", "BridgeDestroy", "AgentComplete"):
        assert sum(m.name == event for m in simulated) == sum(m.name == event for m in recorded), event
    reasons = [m.get("Reason") for m in simulated if m.name == "AgentComplete"]
    assert reasons == [m.get("Reason") for m in recorded if m.name == "AgentComplete"] == ["caller"]


async def test_a_transfer_redirect_is_refused_not_faked() -> None:
    """dialer-transfer is not simulated: the sim says so instead of pretending."""
    _, simulated = await simulate("callcontrol-blind-transfer")
    blind = next(m for m in simulated if m.is_response and m.action_id == "cc-blind")
    assert (blind.name, blind.get("Message")) == ("Error", "Redirect failed (not simulated)")
