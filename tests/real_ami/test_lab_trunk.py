"""Calls over the lab's IAX2 trunk to the lab carrier (asterisk/lab/iax.conf, asterisk/lab/carrier: a second Asterisk
that `start-lab.sh start` runs beside the lab), originated as the daemon does for a campaign with
``trunk = "IAX2/carrier/{number}"`` and classified by the dialer's AMI client and call tracker (opt-in:
DIALER_TEST_AMI, see conftest.py). The failures come back from the far switch over a real trunk protocol: a
control frame (Busy()/Congestion(): Reason 5/8 with cause 17/34) or a release with its Q.850 cause (Reason 0).
"""

from __future__ import annotations

import pytest
from harness.lab import Lab

from dialer.ami.recorder import TRUNK_TEMPLATE
from dialer.calls.outcome import Outcome

pytestmark = pytest.mark.real_ami

CARRIER = "is the lab carrier running? (asterisk/lab/start-lab.sh start starts it; status shows it)"


async def test_trunk_failures_are_classified_from_reason_and_cause(lab: Lab) -> None:
    expected = {  # number at the carrier ([carrier-numbers]) -> (outcome, Reason, cause)
        "5550002": (Outcome.BUSY, 5, 17),
        "5550004": (Outcome.CONGESTION, 8, 34),
        "5550005": (Outcome.UNALLOCATED, 0, 1),
        "5550006": (Outcome.INVALID_NUMBER, 0, 28),
        "5559017": (Outcome.BUSY, 0, 17),
        "5559019": (Outcome.NO_ANSWER, 0, 19),
        "5559021": (Outcome.CONGESTION, 0, 21),
        "5559034": (Outcome.CONGESTION, 0, 34),
        "5559038": (Outcome.CONGESTION, 0, 38),
        "5550003": (Outcome.NO_ANSWER, 3, 19),
    }
    calls = {n: await lab.originate(n, channel=TRUNK_TEMPLATE.format(number=n)) for n in expected}
    await lab.wait_for(*calls.values())
    for number, wanted in expected.items():
        ended = calls[number].ended
        assert (ended.outcome, ended.reason, ended.cause) == wanted, (number, ended, CARRIER)
        assert ended.channel_id == calls[number].channel_id, "the ChannelId is the trunk channel's Uniqueid"
    # the Originate Timeout ended the unanswered call: it rang the full legal minimum
    assert calls["5550003"].ended.ring_seconds >= 14.5


async def test_a_live_answer_over_the_trunk_reaches_an_auto_answering_agent(lab: Lab) -> None:
    agent = lab.agent()
    await lab.add_agent(agent)
    call = await lab.originate("5550001", channel=TRUNK_TEMPLATE.format(number="5550001"))
    await lab.wait_for(call)
    ended = call.ended
    assert (ended.outcome, ended.reason, ended.agent_interface) == (Outcome.CONNECTED, 4, agent), (ended, CARRIER)
    assert ended.cause == 16
    assert ended.talk_seconds is not None
    assert ended.talk_seconds >= 8  # the carrier's callee talks 10 s after answering (the agent 0.2 s later)
