"""What became of each inbound caller, from recorded Asterisk 22 sessions (tests/fixtures/ami-traces/lab) replayed
through the daemon's inbound watcher with the transcript's own clock: the visit's outcome and wait as the dialer
stores them."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.agents.registry import AgentRegistry
from dialer.ami.recorder import CC_SECOND_AGENT
from dialer.ami.transcript import transcript_events
from dialer.inbound.calls import InboundCall, InboundOutcome
from dialer.runner.bus import EventBus
from dialer.runner.inbound import InboundWatcher


async def no_leads(_number: str) -> list[tuple[str, int]]:
    return []


def replay(path: Path) -> tuple[list[InboundCall], InboundWatcher]:
    registry = AgentRegistry()
    registry.register("agent6", "Local/agentfx6@lab-agents")
    registry.register("closer", CC_SECOND_AGENT)
    finished: list[InboundCall] = []
    watcher = InboundWatcher(
        ["inbound-sales"], bus=EventBus(), registry=registry, find_leads=no_leads, on_finished=finished.extend
    )
    for at, event in transcript_events(path):
        watcher.observe(event, 1_000.0 + at, "lab")
    return finished, watcher


@pytest.mark.parametrize(
    ("trace", "outcome", "wait", "talk"),
    [
        # the only member paused; the caller holds on 10 s and hangs up (HoldTime 9)
        ("inbound-call-waiting", InboundOutcome.ABANDONED, (9.0, 11.0), None),
        # an IVR caller queued past the flow's 120 s bound: Queue() returns TIMEOUT (DialerAbandon)
        ("ivr-inbound-queue-timeout", InboundOutcome.TIMED_OUT, (119.0, 121.5), None),
        # a plain inbound caller queued past a 5 s bound: QueueCallerAbandon, then DialerAbandon TIMEOUT with the queue
        ("inbound-queue-timeout", InboundOutcome.TIMED_OUT, (4.0, 6.5), None),
        # nobody in the queue: refused at the door (no QueueCallerJoin), DialerAbandon JOINEMPTY with the queue
        ("inbound-joinempty", InboundOutcome.REFUSED, (0.0, 0.0), None),
        # an auto-answering member takes the IVR caller at once and talks 11 s
        ("ivr-inbound", InboundOutcome.ANSWERED, (0.0, 1.0), (10.0, 12.0)),
    ],
)
async def test_each_recorded_visit_ends_as_asterisk_played_it(
    traces_dir: Path,
    trace: str,
    outcome: InboundOutcome,
    wait: tuple[float, float],
    talk: tuple[float, float] | None,
) -> None:
    finished, watcher = replay(traces_dir / "lab" / f"{trace}.txt")
    assert len(finished) == 1
    call = finished[0]
    assert call.outcome is outcome
    assert call.queue == "inbound-sales"
    assert call.caller == "5550199"
    assert wait[0] <= call.wait_seconds <= wait[1]
    if talk is None:
        assert call.talk_seconds is None
    else:
        assert call.talk_seconds is not None
        assert talk[0] <= call.talk_seconds <= talk[1]
        assert call.interface == "Local/agentfx6@lab-agents"
    assert watcher.calls.waiting(10_000.0) == []  # nobody left in the book


async def test_a_customer_an_agent_transferred_into_the_queue_is_no_inbound_caller(traces_dir: Path) -> None:
    """callcontrol-blind-transfer: an outbound customer an agent sent to inbound-sales (the lab's closer queue) through
    [dialer-transfer] joins it, and a second agent takes them. That is our own call, whose leg call control records
    (dialer.store.call_legs): the queue's inbound figures -- calls offered, answered, the service level -- count
    callers who called in, not it."""
    finished, watcher = replay(traces_dir / "lab" / "callcontrol-blind-transfer.txt")
    assert finished == []
    assert watcher.calls.waiting(10_000.0) == []
    # nor is the closer sent an inbound caller's screen pop: theirs is the transferred call's (call control's)
    assert watcher.idle
    assert watcher.pops == 0
