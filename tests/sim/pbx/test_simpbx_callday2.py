"""Call control on the simulated PBX at the ends of calls: a 3-way the agent left ends as a real one does (the
people on it hang up: callcontrol-conference.txt's customer and third party talk on until they go; the lab's
phones never hang up, so there the dialer ended them), whichever moment the agent leaves."""

from __future__ import annotations

from pathlib import Path

import pytest
from simpbx_replay import LAB, call_control_replayed, lab_like, simulated_replay

from dialer.ami.protocol import AmiMessage
from dialer.sim.pbx.tracetools import NOISE, ChannelRoles
from dialer.sim.pbx.world import RECORDED_AGENT_TALK_SECONDS

# The dialer's own ends of the recorded 3-way (and the session's: the events must keep coming).
DIALER_ENDS = ("cc-third-end", "cc-end", "cc-remove-1", "logoff-1")


def edited_trace(tmp_path: Path, name: str, *, drop: tuple[str, ...] = (), at: dict[str, float] | None = None) -> Path:
    """A copy of a lab trace whose sent actions ``drop`` are not sent and ``at`` are sent at other offsets."""
    at = at or {}
    blocks: list[list[str]] = []
    out: list[str] = []
    current: list[str] | None = None
    for line in (LAB / f"{name}.txt").read_text().splitlines(keepends=True):
        if line.startswith("#>> +") and " SENT" in line:
            current = [line]
            blocks.append(current)
            continue
        if current is not None and line.startswith("#>> "):
            current.append(line)
            if line.rstrip("\r\n") == "#>> ":
                ids = [b[len("#>> ActionID: ") :].strip() for b in current if b.startswith("#>> ActionID: ")]
                action_id = ids[0] if ids else ""
                if action_id not in drop:
                    if action_id in at:
                        current[0] = f"#>> +{at[action_id]:.3f}s SENT\n"
                    out.extend(current)
                current = None
            continue
        current = None
        out.append(line)
    path = tmp_path / f"{name}.txt"
    path.write_text("".join(out))
    return path


def hangups(messages: list[AmiMessage]) -> set[str]:
    return {m.get("Channel") or "" for m in messages if m.name == "Hangup"}


def channels(messages: list[AmiMessage]) -> set[str]:
    return {m.get("Channel") or "" for m in messages if m.name == "Newchannel"}


async def test_a_three_way_the_agent_left_ends_when_its_people_hang_up(tmp_path: Path) -> None:
    """Without the dialer's hang-ups of the customer and the third party, they still go (the customer hangs up after
    talking on, the third party left alone in the conference a moment later): every channel ends."""
    path = edited_trace(tmp_path, "callcontrol-conference", drop=DIALER_ENDS)
    simulated = await simulated_replay(path, lab_like(), tail=RECORDED_AGENT_TALK_SECONDS * 3)
    assert channels(simulated)
    assert channels(simulated) <= hangups(simulated)
    assert [m.name for m in simulated if m.name in ("ConfbridgeEnd",)] == ["ConfbridgeEnd"]


async def test_a_three_way_ends_when_the_agent_left_before_the_third_party_answered(tmp_path: Path) -> None:
    """The agent drops out before the Originated third party has answered (it joins the customer afterwards): the
    call still ends."""
    path = edited_trace(tmp_path, "callcontrol-conference", drop=DIALER_ENDS, at={"cc-drop": 4.5})
    simulated = await simulated_replay(path, lab_like(), tail=RECORDED_AGENT_TALK_SECONDS * 3)
    third = [m for m in simulated if m.name == "ConfbridgeJoin" and "5550102" in (m.get("Channel") or "")]
    assert third, "the third party joined the conference"
    assert channels(simulated)
    assert channels(simulated) <= hangups(simulated)


def end_of_call(messages: list[AmiMessage], action_id: str) -> list[tuple[str, str]]:
    """The channel events (event, channel role) after the response to ``action_id`` (the dialer's first hang-up),
    in the session's order, with the two orders Asterisk's threads give either way made one: a channel's
    BridgeLeave/ConfbridgeLeave pair, and a Local pair's end (its ;1's Hangup before or after its ;2's
    SoftHangupRequest + Hangup)."""
    roles = ChannelRoles()
    start = next(i for i, m in enumerate(messages) if m.is_response and m.action_id == action_id)
    out: list[tuple[str, str]] = []
    for m in messages:  # (the roles are numbered in the order of the whole session)
        channel = (m.get("Channel") or "") if m.is_event else ""
        role = roles.role(channel) if channel else ""
        if messages.index(m) > start and role and m.name not in NOISE:
            out.append((m.name, role))
    for i in range(len(out) - 1):
        (a, ra), (b, rb) = out[i], out[i + 1]
        if ra == rb and {a, b} == {"BridgeLeave", "ConfbridgeLeave"}:
            out[i], out[i + 1] = ("BridgeLeave", ra), ("ConfbridgeLeave", rb)
    for i in range(len(out) - 2):
        (a, ra), (b, rb), (c, rc) = out[i : i + 3]
        local_end = (a, b, c) == ("SoftHangupRequest", "Hangup", "Hangup") and ra == rb and ra.endswith(";2")
        if local_end and rc == ra[:-1] + "1":
            out[i : i + 3] = [(c, rc), (a, ra), (b, rb)]
    return out


@pytest.mark.parametrize(
    ("name", "action_id"),
    [
        ("callcontrol-hold-resume", "cc-end"),
        ("callcontrol-warm-transfer", "cc-end"),
        ("callcontrol-warm-transfer-cancel", "cc-end"),
        ("callcontrol-conference", "cc-drop"),
    ],
)
async def test_the_end_of_a_controlled_call_comes_in_the_recorded_order(name: str, action_id: str) -> None:
    """From the dialer's hang-up on, the session's channel events come in the lab's order: a hung-up ;1 leaves,
    runs its h extension, then its ;2 half goes; AgentComplete follows the leaving agent's ConfbridgeLeave; the
    agent's leg (or a transfer target) the customer leaves in the conference stays there until its own phone hangs
    up (;2 first), not hung up with the customer."""
    recorded, simulated = await call_control_replayed(name)
    assert end_of_call(simulated, action_id) == end_of_call(recorded, action_id)


async def test_the_customers_end_after_a_blind_transfer_comes_in_the_recorded_order() -> None:
    """callcontrol-blind-transfer.txt, the closer's queue call hung up by the dialer: the customer's two halves end in
    the lab's order (;1 leaves and runs its h extension -- DialerCallEnd -- before Local hangs ;2 up). (app_queue's
    own events of that end, AgentComplete and the member leg's, are compared per channel elsewhere.)"""
    recorded, simulated = await call_control_replayed("callcontrol-blind-transfer")

    def customer(messages: list[AmiMessage]) -> list[tuple[str, str]]:
        return [
            (name, role)
            for name, role in end_of_call(messages, "cc-end")
            if role.startswith("Local/5550001@") and name != "AgentComplete"
        ]

    assert customer(simulated) == customer(recorded)
