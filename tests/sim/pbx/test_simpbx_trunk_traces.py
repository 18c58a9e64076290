"""The simulated PBX's IAX2 trunk against the lab's Asterisk 22 over a real IAX2 trunk to the lab carrier
(tests/fixtures/ami-traces/lab/trunk-*.txt; asterisk/lab/iax.conf, asterisk/lab/carrier).

Each recording's actions are replayed at their recorded offsets into the simulated PBX (recorded world: the lab
carrier's numbers, the lab's systemname, channelvars and debug login) and compared as the reference set is
(test_simpbx_traces.py): header shapes of the trunk channel's events, responses, the OriginateResponse fields, the
Hangup / HangupRequest causes and DialEnd statuses; for the failures, the ordered sequence of the trunk channel's
events. The OriginateResponse comes from another thread than the channel events: of the same 10 failures recorded
twice, it came before the trunk channel's Hangup in 3 of the first run (noanswer, invalid-number, cause-congestion)
and in none of the second (the committed files), so its place is checked as a rule.
The agents' side of the answered call is the lab's queue (tests/sim/pbx/test_simpbx_monitoring.py and others):
here only its counts are compared (which agent the queue picks differs). The daemon's tracker over this trunk, against
the PBX's ground truth: test_simpbx_tracker.py (``iax2-trunk-amd``).
"""

from __future__ import annotations

import pytest
from simpbx_helpers import originate, pbx_session
from simpbx_replay import lab_replayed, responses

from dialer.ami.protocol import AmiMessage
from dialer.calls.outcome import Outcome
from dialer.sim.pbx import PbxConfig
from dialer.sim.pbx.tracetools import (
    compare_header_names,
    header_names,
    per_channel_sequences,
    per_channel_values,
)

FAILURES = [
    "trunk-busy",
    "trunk-congestion",
    "trunk-noanswer",
    "trunk-unallocated",
    "trunk-invalid-number",
    "trunk-cause-busy",
    "trunk-cause-noanswer",
    "trunk-cause-rejected",
    "trunk-cause-congestion",
    "trunk-cause-out-of-order",
]
TRACES = [*FAILURES, "trunk-answer"]
TRUNK_ROLE = "IAX2/carrier#1"
NOISE = frozenset({"Newexten", "VarSet", "DeviceStateChange", "NewCallerid", "NewConnectedLine"})


def about_the_trunk(messages: list[AmiMessage]) -> list[AmiMessage]:
    """Responses, OriginateResponses and the events about the trunk channel (the queue's dial of an agent names it
    as Channel but is about the agent's DestChannel)."""
    return [
        m
        for m in messages
        if not m.is_event
        or m.name == "OriginateResponse"
        or (m.get("DestChannel") or m.get("Channel") or "").startswith("IAX2/")
    ]


def originate_responses(messages: list[AmiMessage]) -> list[tuple[str | None, ...]]:
    """OriginateResponse fields, the trunk channel's name reduced to its role."""
    return [
        (
            m.action_id,
            m.get("Response"),
            m.get("Reason"),
            m.get("Uniqueid"),
            "IAX2/carrier-<n>" if (m.get("Channel") or "").startswith("IAX2/carrier-") else m.get("Channel"),
            m.get("Context"),
            m.get("Exten"),
        )
        for m in messages
        if m.name == "OriginateResponse"
    ]


@pytest.mark.parametrize("name", TRACES)
async def test_header_shapes_match_the_recording(name: str) -> None:
    recorded, simulated = (about_the_trunk(m) for m in await lab_replayed(name))
    assert compare_header_names(recorded, simulated) == []
    assert set(header_names(recorded)) == set(header_names(simulated))


@pytest.mark.parametrize("name", TRACES)
async def test_responses_and_outcome_fields_match(name: str) -> None:
    recorded, simulated = await lab_replayed(name)
    assert responses(simulated) == responses(recorded)
    assert originate_responses(simulated) == originate_responses(recorded)
    rec, sim = about_the_trunk(recorded), about_the_trunk(simulated)
    for field, event in (("Cause", "Hangup"), ("Cause", "HangupRequest"), ("ChannelStateDesc", "Newstate")):
        assert per_channel_values(sim, event, field) == per_channel_values(rec, event, field), (field, event)

    def dial_ends(messages: list[AmiMessage]) -> list[tuple[str | None, ...]]:
        return [
            (m.get("DestChannelStateDesc"), m.get("DialStatus"))
            for m in about_the_trunk(messages)
            if m.name == "DialEnd"
        ]

    assert dial_ends(simulated) == dial_ends(recorded)
    dial_string = [m.get("DialString") for m in simulated if m.name == "DialBegin"][:1]
    assert dial_string == [m.get("DialString") for m in recorded if m.name == "DialBegin"][:1]


@pytest.mark.parametrize("name", FAILURES)
async def test_a_failed_trunk_call_is_the_recorded_sequence(name: str) -> None:
    """One channel; every event about it in the recorded order; the OriginateResponse after the far end's verdict
    (the first DialEnd or HangupRequest)."""
    recorded, simulated = await lab_replayed(name)

    def trunk(messages: list[AmiMessage]) -> list[str]:
        return [m.name for m in about_the_trunk(messages) if m.is_event and m.name not in NOISE]

    def without_response(names: list[str]) -> list[str]:
        return [n for n in names if n != "OriginateResponse"]

    assert without_response(trunk(simulated)) == without_response(trunk(recorded))
    for names in (trunk(simulated), trunk(recorded)):
        verdict = min(names.index(n) for n in ("DialEnd", "HangupRequest") if n in names)
        assert names.index("OriginateResponse") > verdict, names


async def test_the_answered_trunk_call_runs_the_dialer_context_on_the_trunk_channel() -> None:
    """The trunk channel itself answers, runs dialer-outbound and is bridged to the agent: its whole event
    sequence is the recorded one. (The queue's ring of the agent is left out: the lab's phones answer without
    ringing, the simulated ones ring first -- a DialState -- which is the agents' model, not the trunk's.)"""
    recorded, simulated = await lab_replayed("trunk-answer")

    rec, sim = per_channel_sequences(recorded), per_channel_sequences(simulated)
    assert len(sim) == len(rec)
    agent_ring = sim[TRUNK_ROLE].index("AgentCalled")
    assert sim[TRUNK_ROLE][:agent_ring] == rec[TRUNK_ROLE][:agent_ring]
    after = [n for n in sim[TRUNK_ROLE][agent_ring:] if n != "DialState"]
    assert after == [n for n in rec[TRUNK_ROLE][agent_ring:] if n != "DialState"]
    trunk_dial = [
        m for m in simulated if m.name in ("DialState", "DialEnd") and (m.get("DestChannel") or "").startswith("IAX2/")
    ]
    assert [m.get("DialStatus") for m in trunk_dial] == ["RINGING", "ANSWER"]
    for event in ("AgentConnect", "AgentComplete", "QueueCallerJoin", "BridgeEnter", "UserEvent"):
        assert sum(m.name == event for m in simulated) == sum(m.name == event for m in recorded), event


@pytest.mark.parametrize(
    ("number", "cause", "outcome"),
    [
        ("+13125559021", "21", Outcome.CONGESTION),
        ("13125559017", "17", Outcome.BUSY),
        ("+13125550105", "1", Outcome.UNALLOCATED),
    ],
)
async def test_the_lab_carrier_takes_e164_numbers_by_their_last_seven_digits(
    number: str, cause: str, outcome: Outcome
) -> None:
    """A campaign's E.164 leads over ``IAX2/carrier/{number}``: the carrier acts out the last seven digits."""
    async with pbx_session(PbxConfig.recorded()) as (pbx, ami):
        repeated, named = originate(number, "e164")
        named["Channel"] = f"IAX2/carrier/{number}"
        await ami.send("Originate", *repeated, **named)
        for _ in range(20):
            await pbx.manual_clock.advance(0.5)
        messages = await ami.drain(within=0.01)
        (record,) = pbx.truth.originates
    assert [m.get("Cause") for m in messages if m.name == "Hangup"] == [cause]
    assert record.outcome is outcome
