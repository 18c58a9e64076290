"""The calls recorded over the lab's IAX2 trunk (tests/fixtures/ami-traces/lab/trunk-*.txt): a real trunk channel
(``IAX2/carrier-<n>``, the Originate's ChannelId as its Uniqueid) whose failure comes back from the far switch, not
from a Local channel's Busy()/Congestion(). Replayed through the dialer's parser, typed events and call tracker:
the outcome, the OriginateResponse Reason and the Hangup cause each call ended with, and what the campaign's lead
rules then do with the lead (busy and no answer requeue, congestion retries uncounted, a bad number is archived).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dialer.ami.recorder import TRUNK_CALLS, TRUNK_TEMPLATE
from dialer.calls.outcome import Outcome
from dialer.calls.replay import replay_file
from dialer.calls.tracker import CallEnded
from dialer.campaign.config import load_campaign
from dialer.campaign.rules import LeadSnapshot, LeadStatus, TransitionKind, apply_outcome
from dialer.sim.pbx.tracetools import load_trace

LAB = Path(__file__).resolve().parents[1] / "fixtures" / "ami-traces" / "lab"

# name -> (outcome, OriginateResponse Reason, Hangup Cause of the trunk channel, DialEnd DialStatus), as recorded.
# Busy()/Congestion() at the carrier reach the lab as BUSY/CONGESTION control frames: Reason 5/8, as on Local
# channels but with the cause (17/34) on the channel. A release with a cause gives Reason 0 (19 included: the
# callee's switch gave up, not the Originate Timeout) and the cause decides; 21 and 38 end the dial as NOANSWER.
EXPECTED: dict[str, tuple[Outcome, int, int, str | None]] = {
    "trunk-answer": (Outcome.CONNECTED, 4, 16, "ANSWER"),
    "trunk-busy": (Outcome.BUSY, 5, 17, "BUSY"),
    "trunk-noanswer": (Outcome.NO_ANSWER, 3, 19, None),
    "trunk-congestion": (Outcome.CONGESTION, 8, 34, "CONGESTION"),
    "trunk-unallocated": (Outcome.UNALLOCATED, 0, 1, "NOANSWER"),
    "trunk-invalid-number": (Outcome.INVALID_NUMBER, 0, 28, "NOANSWER"),
    "trunk-cause-busy": (Outcome.BUSY, 0, 17, "BUSY"),
    "trunk-cause-noanswer": (Outcome.NO_ANSWER, 0, 19, "NOANSWER"),
    "trunk-cause-rejected": (Outcome.CONGESTION, 0, 21, "NOANSWER"),
    "trunk-cause-congestion": (Outcome.CONGESTION, 0, 34, "CONGESTION"),
    "trunk-cause-out-of-order": (Outcome.CONGESTION, 0, 38, "NOANSWER"),
}

CAMPAIGN = load_campaign(
    {"name": "trunk", "queue": "sales", "trunk": TRUNK_TEMPLATE, "caller_id": {"number": "+12025550100"}}
)
NOW = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)

# outcome -> what the default lead rules do with a fresh lead (campaign.config default_retry_rules, rules.apply_outcome)
LEAD_RULE: dict[Outcome, tuple[TransitionKind, LeadStatus, timedelta | None, int]] = {
    Outcome.BUSY: (TransitionKind.REQUEUED, LeadStatus.RETRY, timedelta(minutes=10), 1),
    Outcome.NO_ANSWER: (TransitionKind.REQUEUED, LeadStatus.RETRY, timedelta(hours=2), 1),
    Outcome.CONGESTION: (TransitionKind.REQUEUED, LeadStatus.RETRY, timedelta(minutes=5), 0),  # the network's fault
    Outcome.UNALLOCATED: (TransitionKind.ARCHIVED, LeadStatus.ARCHIVED, None, 0),
    Outcome.INVALID_NUMBER: (TransitionKind.ARCHIVED, LeadStatus.ARCHIVED, None, 0),
}


def test_every_trunk_scenario_is_recorded_and_expected() -> None:
    assert sorted(p.stem for p in LAB.glob("trunk-*.txt")) == sorted(TRUNK_CALLS) == sorted(EXPECTED)


def _ended(name: str) -> CallEnded:
    result = replay_file(LAB / f"{name}.txt")
    assert not result.lost
    assert [record.dial_string for record in result.originated] == [TRUNK_TEMPLATE.format(number=TRUNK_CALLS[name][0])]
    return result.ended["orig-1"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_tracker_classifies_the_trunk_call(name: str) -> None:
    outcome, reason, cause, _ = EXPECTED[name]
    ended = _ended(name)
    assert (ended.outcome, ended.reason, ended.cause) == (outcome, reason, cause)
    assert ended.channel_id == "fixture-trunk-1", "the ChannelId is the trunk channel's Uniqueid"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_recording_is_one_trunk_channel_with_the_recorded_dial_status(name: str) -> None:
    _, reason, cause, dial_status = EXPECTED[name]
    messages = load_trace(LAB / f"{name}.txt")
    trunk = {m.get("Channel") or m.get("DestChannel") for m in messages if m.name in ("Newchannel", "DialBegin")}
    channels = {c for c in trunk if c and c.startswith("IAX2/carrier-")}
    assert len(channels) == 1, trunk
    (channel,) = channels
    hangups = [m for m in messages if m.name == "Hangup" and m.get("Channel") == channel]
    assert [m.get("Cause") for m in hangups] == [str(cause)]
    ends = [m.get("DialStatus") for m in messages if m.name == "DialEnd" and m.get("DestChannel") == channel]
    assert ends[:1] == ([dial_status] if dial_status else [])
    (response,) = [m for m in messages if m.name == "OriginateResponse"]
    assert response.get("Reason") == str(reason)
    assert response.get("Uniqueid") == "fixture-trunk-1"
    # failures name the dial string, a success the channel (as on Local channels)
    assert response.get("Channel") == (channel if reason == 4 else TRUNK_TEMPLATE.format(number=TRUNK_CALLS[name][0]))


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if EXPECTED[n][0] in LEAD_RULE))
def test_the_lead_rules_act_on_the_trunk_outcome(name: str) -> None:
    ended = _ended(name)
    lead = LeadSnapshot(id=1, campaign="trunk", phone="+12125550123", tz_candidates=("America/New_York",))
    transition = apply_outcome(lead, ended.outcome, CAMPAIGN, NOW)
    kind, status, delay, attempts = LEAD_RULE[ended.outcome]
    assert (transition.kind, transition.lead.status, transition.lead.attempts) == (kind, status, attempts)
    assert transition.lead.next_dialable_at == (NOW + delay if delay is not None else None)
    if status is LeadStatus.ARCHIVED:
        assert transition.lead.archive_reason == ended.outcome.value
        # a lead with another phone switches to it instead, uncounted
        other = apply_outcome(replace(lead, alt_phones=("+12125550199",)), ended.outcome, CAMPAIGN, NOW)
        assert (other.kind, other.lead.phone) == (TransitionKind.SWITCHED_PHONE, "+12125550199")
