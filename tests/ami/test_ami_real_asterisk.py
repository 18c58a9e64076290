"""AmiClient + CallTracker against a real Asterisk running the lab dialplan (asterisk/lab).

Needs DIALER_TEST_AMI=host:port:user:secret (e.g. 127.0.0.1:5038:dialer:dialer-lab); skipped otherwise.
"""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest
from harness.lab import lab_settings, tracked

from dialer.ami.actions import OriginateRequest, OriginateStatus
from dialer.ami.client import AmiClient
from dialer.ami.events import AmiEvent
from dialer.calls.outcome import Outcome
from dialer.calls.tracker import CallEnded, CallLost, CallTracker

pytestmark = pytest.mark.real_ami

QUEUE = "outbound-agents"
AGENT = "Local/agent1@lab-agents"


async def test_outcomes_through_a_real_asterisk() -> None:
    settings = lab_settings()
    run = secrets.token_hex(3)
    numbers = {"5550002": Outcome.BUSY, "5550005": Outcome.UNALLOCATED, "5550001": Outcome.CONNECTED}
    tracker = CallTracker()
    ended: dict[str, CallEnded] = {}
    async with AmiClient(settings) as ami:
        await ami.wait_up(5)
        await ami.queue_add(QUEUE, AGENT, member_name="Lab Agent 1")
        try:

            async def consume() -> None:
                async for event in ami.events():
                    _apply(tracker, event, ended)
                    if len(ended) == len(numbers):
                        return

            consumer = asyncio.create_task(consume())
            for number in numbers:
                attempt = f"{run}-{number}"
                request = OriginateRequest(
                    channel=f"Local/{number}@lab-pstn",
                    attempt_id=attempt,
                    context="dialer-outbound",
                    caller_id='"Dialer test" <8005551000>',
                    timeout_ms=15_000,
                    variables={"DIALER_CAMPAIGN": "test", "DIALER_QUEUE": QUEUE, "DIALER_AMD": "0"},
                    channel_id=f"t-{attempt}",
                    action_id=f"t-{attempt}",
                )
                tracker.register(tracked(request, number))
                result = await ami.originate(request)
                assert result.status is OriginateStatus.QUEUED, result
            async with asyncio.timeout(40):
                await consumer
        finally:
            await ami.queue_remove(QUEUE, AGENT)
    got = {e.attempt_id.split("-")[-1]: e.outcome for e in ended.values()}
    live = ended[f"{run}-5550001"]
    # The lab queue is shared (other members, e.g. a slow one, may be rung first and the 2 s limit expire).
    assert live.outcome in (Outcome.CONNECTED, Outcome.ABANDONED)
    assert (live.agent_interface is not None) == (live.outcome is Outcome.CONNECTED)
    assert live.outcome is Outcome.CONNECTED or live.detail == "TIMEOUT"
    got.pop("5550001")
    assert got == {"5550002": Outcome.BUSY, "5550005": Outcome.UNALLOCATED}


def _apply(tracker: CallTracker, event: AmiEvent, ended: dict[str, CallEnded]) -> None:
    now = time.monotonic()
    for update in [*tracker.feed(event, now), *tracker.sweep(now)]:
        if isinstance(update, CallEnded):
            ended[update.attempt_id] = update
        assert not isinstance(update, CallLost), update
