"""The simulated PBX against the recorded Asterisk 22: same actions in, same dialect out.

Each recorded session's actions are replayed at their recorded offsets into the simulated PBX (recorded world:
outcome by the number's last digit, the recorded queues.conf) under a manual clock, and the two sessions are
compared: header-name shapes per event type, per-channel event order, responses, OriginateResponse fields,
Hangup causes and DialEnd statuses per channel. Orders Asterisk itself varies (OriginateResponse against the
channel events, AgentComplete against BridgeLeave) are checked as rules instead.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from simpbx_replay import replayed

from dialer.ami.protocol import AmiMessage
from dialer.sim.pbx import PbxConfig
from dialer.sim.pbx.tracetools import (
    compare_header_names,
    event_sequence,
    header_names,
    per_channel_sequences,
    per_channel_values,
)

VARYING = frozenset({"OriginateResponse", "AgentComplete"})

TRACES = [
    "login-ok",
    "login-bad-secret",
    "originate-answer",
    "originate-busy",
    "originate-noanswer",
    "originate-congestion",
    "originate-unallocated",
    "originate-invalid-number",
    "originate-callee-hangs-up-early",
    "originate-amd",
    "originate-channelid",
    "originate-dialer-hangup",
    "bad-action",
    "queue-add-pause-remove",
    "inbound-call-waiting",
    "queue-status",
    "core-show-channels",
]

# Single-call outcome traces whose whole (noise-free) event sequence is one fixed order.
FIXED_ORDER = [
    "originate-busy",
    "originate-noanswer",
    "originate-congestion",
    "originate-unallocated",
    "originate-invalid-number",
    "originate-answer",
]


async def simulate(traces_dir: Path, name: str) -> tuple[list[AmiMessage], list[AmiMessage]]:
    return await replayed(traces_dir / f"{name}.txt", PbxConfig.recorded(), tail=5.0)


def without(sequence: list[str], names: frozenset[str]) -> list[str]:
    return [n for n in sequence if n not in names]


def originate_responses(messages: list[AmiMessage]) -> list[tuple[str | None, ...]]:
    """OriginateResponse fields with the ids reduced to their kind (unknown / dial string / channel / id)."""
    out = []
    for m in messages:
        if m.name != "OriginateResponse":
            continue
        uid = m.get("Uniqueid") or ""
        channel = m.get("Channel") or ""
        uid_kind = "<unknown>" if uid == "<unknown>" else ("generated" if uid.startswith("amiref-") else uid)
        channel_kind = "channel" if ";" in channel else channel
        out.append(
            (m.action_id, m.get("Response"), m.get("Reason"), uid_kind, channel_kind, m.get("Context"), m.get("Exten"))
        )
    return sorted(out, key=str)


@pytest.mark.parametrize("name", TRACES)
async def test_header_shapes_match_the_recording(traces_dir: Path, name: str) -> None:
    recorded, simulated = await simulate(traces_dir, name)
    assert compare_header_names(recorded, simulated) == []
    # Every kind of message the recording has, the simulation has (a few call-noise events excepted).
    optional = {"NewCallerid", "NewConnectedLine"} if name == "bad-action" else set()
    assert set(header_names(recorded)) - set(header_names(simulated)) <= optional


@pytest.mark.parametrize("name", TRACES)
async def test_per_channel_event_order_matches(traces_dir: Path, name: str) -> None:
    recorded, simulated = await simulate(traces_dir, name)
    rec, sim = per_channel_sequences(recorded), per_channel_sequences(simulated)
    assert set(rec) == set(sim)
    for role in rec:
        assert without(sim[role], VARYING) == without(rec[role], VARYING), role
        assert Counter(without(sim[role], VARYING)) == Counter(without(rec[role], VARYING)), role
    # AgentComplete may even lose its caller snapshot when the caller is already gone (core-show-channels.txt):
    # count the varying events over the whole session instead.
    for event in VARYING:
        assert sum(m.name == event for m in simulated) == sum(m.name == event for m in recorded), event


@pytest.mark.parametrize("name", TRACES)
async def test_responses_are_text_equal(traces_dir: Path, name: str) -> None:
    recorded, simulated = await simulate(traces_dir, name)

    def responses(messages: list[AmiMessage]) -> list[tuple[str | None, ...]]:
        return [
            (m.action_id, m.get("Response"), m.get("Message"), m.get("Events"), m.get("EventList"), m.get("Ping"))
            for m in messages
            if m.is_response
        ]

    assert responses(simulated) == responses(recorded)


@pytest.mark.parametrize("name", TRACES)
async def test_outcome_fields_match(traces_dir: Path, name: str) -> None:
    recorded, simulated = await simulate(traces_dir, name)
    assert originate_responses(simulated) == originate_responses(recorded)
    for field, event in (
        ("Cause", "Hangup"),
        ("Cause-txt", "Hangup"),
        ("DialStatus", "DialEnd"),
        ("Status", "UserEvent"),
    ):
        assert per_channel_values(simulated, event, field) == per_channel_values(recorded, event, field), (field, event)
    assert sorted(m.get("Reason") or "" for m in simulated if m.name == "AgentComplete") == sorted(
        m.get("Reason") or "" for m in recorded if m.name == "AgentComplete"
    )


@pytest.mark.parametrize("name", FIXED_ORDER)
async def test_single_call_event_order_is_the_recorded_one(traces_dir: Path, name: str) -> None:
    recorded, simulated = await simulate(traces_dir, name)
    assert event_sequence(simulated) == event_sequence(recorded)


async def test_busy_order_rule(traces_dir: Path) -> None:
    """busy: ;2 Hangup (cause 17), then OriginateResponse Reason 5, then ;1 Hangup (cause 0)."""
    _, simulated = await simulate(traces_dir, "originate-busy")
    order = [
        (m.name, (m.get("Channel") or "")[-2:], m.get("Cause") or m.get("Reason"))
        for m in simulated
        if m.name in ("Hangup", "OriginateResponse")
    ]
    assert order == [("Hangup", ";2", "17"), ("OriginateResponse", "tn", "5"), ("Hangup", ";1", "0")]


async def test_no_answer_has_no_dial_end_and_reason_3(traces_dir: Path) -> None:
    _, simulated = await simulate(traces_dir, "originate-noanswer")
    names = event_sequence(simulated)
    assert "DialEnd" not in names
    assert names.index("DialState") < names.index("OriginateResponse")
    response = next(m for m in simulated if m.name == "OriginateResponse")
    assert (response.get("Response"), response.get("Reason"), response.get("Uniqueid")) == ("Failure", "3", "<unknown>")
    assert response.get("Channel") == "Local/5550003@sim-pstn"
    assert {m.get("Cause") for m in simulated if m.name == "Hangup"} == {"19"}


async def test_channel_id_becomes_the_uniqueid_and_a_duplicate_fails(traces_dir: Path) -> None:
    _, simulated = await simulate(traces_dir, "originate-channelid")
    uniqueids = {m.get("Uniqueid") for m in simulated if m.name == "Newchannel"}
    assert {"lead4001-a1", "lead4001-a1-far", "lead4003-a1", "lead4003-a1;2"} <= uniqueids
    duplicate = next(m for m in simulated if m.name == "OriginateResponse" and m.action_id == "cid-dup")
    assert (duplicate.get("Response"), duplicate.get("Reason"), duplicate.get("Uniqueid")) == (
        "Failure",
        "0",
        "lead4003-a1",
    )
    assert duplicate.get("Channel") == "Local/5550013@sim-pstn"


async def test_burst_of_50_originates_matches_the_recorded_outcomes(traces_dir: Path) -> None:
    """originate-burst-50.txt: 50 back-to-back Originates, 16 answered for 3 agents (the over-dial case)."""
    recorded, simulated = await simulate(traces_dir, "originate-burst-50")
    assert compare_header_names(recorded, simulated) == []
    assert originate_responses(simulated) == originate_responses(recorded)
    for event in ("QueueCallerJoin", "AgentConnect", "QueueCallerAbandon", "OriginateResponse"):
        assert sum(m.name == event for m in simulated) == sum(m.name == event for m in recorded), event
    queued = [m for m in simulated if m.is_response and m.get("Message") == "Originate successfully queued"]
    assert len(queued) == 50
