"""Inbound callers' visits booked from a real Asterisk 22 (the lab, opt-in: DIALER_TEST_AMI): answered, hung up
waiting, timed out at the queue's bound, refused with nobody in the queue -- each as the daemon stores it
(dialer.inbound.calls), from what the production dialplan ([dialer-inbound]) raises."""

from __future__ import annotations

from harness.lab import INBOUND_QUEUE, Lab

from dialer.inbound.calls import InboundCall, InboundOutcome


async def visit_of(lab: Lab, channel_id: str, within: float = 40.0) -> InboundCall:
    """The finished visit of the caller whose call has ``channel_id`` (the queue sees its Local ``;2`` half)."""

    def found() -> InboundCall | None:
        return next((v for v in lab.visits if v.uniqueid.split(";")[0] == channel_id), None)

    await lab.wait_until(lambda: found() is not None, within=within)
    visit = found()
    assert visit is not None
    return visit


async def test_an_inbound_caller_answered_by_a_free_member(lab: Lab) -> None:
    agent = lab.agent()
    await lab.add_agent(agent, queue=INBOUND_QUEUE)
    visit = await visit_of(lab, await lab.inbound_caller(patience_seconds=4))
    assert visit.outcome is InboundOutcome.ANSWERED
    assert visit.interface == agent
    assert visit.wait_seconds < 3


async def test_an_inbound_caller_who_hangs_up_waiting_is_an_abandon(lab: Lab) -> None:
    await lab.add_agent(lab.agent(), paused=True, queue=INBOUND_QUEUE)
    visit = await visit_of(lab, await lab.inbound_caller(patience_seconds=4))
    assert visit.outcome is InboundOutcome.ABANDONED
    assert visit.queue_status is None
    assert 3 <= visit.wait_seconds <= 6


async def test_an_inbound_caller_past_the_queues_bound_timed_out(lab: Lab) -> None:
    await lab.add_agent(lab.agent(), paused=True, queue=INBOUND_QUEUE)
    caller = await lab.inbound_caller(patience_seconds=30, variables={"DIALER_INBOUND_MAX_WAIT": "3"})
    visit = await visit_of(lab, caller)
    assert (visit.outcome, visit.queue_status) == (InboundOutcome.TIMED_OUT, "TIMEOUT")
    assert 2 <= visit.wait_seconds <= 5


async def test_an_inbound_caller_to_an_empty_queue_is_refused(lab: Lab) -> None:
    await lab.empty_queues()
    visit = await visit_of(lab, await lab.inbound_caller(patience_seconds=10))
    assert (visit.outcome, visit.queue_status, visit.wait_seconds) == (InboundOutcome.REFUSED, "JOINEMPTY", 0.0)
