"""Outcome writes of one campaign: a call is over, its attempt is closed with the lead's transition, counted, and
its weight fed into the pacer's legal window -- once, durably (retried while the database is unreachable).

Also the drain deadline's :meth:`OutcomeWriter.interrupt`: every call still in progress closed at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from dialer.calls.outcome import AnswerCount, Outcome, count_answer
from dialer.campaign.rules import LeadTransition
from dialer.logging import get_logger
from dialer.runner.state import CampaignContext, RunnerState, record_answer
from dialer.store.attempts import AttemptEnd
from dialer.store.errors import database_unreachable
from dialer.store.lifecycle import AttemptAlreadyClosed, record_outcome

log = get_logger(__name__)

T = TypeVar("T")


class OutcomeWriter:
    def __init__(self, ctx: CampaignContext) -> None:
        self.ctx = ctx

    def record_count(self, at: float, count: AnswerCount, *, predictive: bool) -> None:
        record_answer(self.ctx.stats, at, count, predictive=predictive)

    async def durably(self, what: str, attempt_id: int, write: Callable[[], Awaitable[T]]) -> T:
        """A call record write that must not be lost: retried while the database is unreachable (no call is
        dialled meanwhile: the pacing step's claim fails the same way). Later updates wait behind it, in order."""
        delay = 0.1
        while True:
            try:
                return await write()
            except Exception as exc:
                if not database_unreachable(exc):
                    raise
                log.warning(
                    "database_unreachable_retrying",
                    campaign=self.ctx.name,
                    write=what,
                    attempt_id=attempt_id,
                    error=str(exc)[:200],
                )
            # Real time, not the campaign clock: the database comes back on its own schedule.
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def settle(
        self,
        server: str,
        attempt_id: int,
        outcome: Outcome,
        end: AttemptEnd,
        at: float,
        *,
        predictive: bool,
        retry: bool = True,
        answered: float | None = None,
        inferred: bool = False,
    ) -> LeadTransition | None:
        """A call is over: give its trunk channel back, write its outcome with the lead's transition, count it, and
        feed a live answer into the abandon window (the caller has taken it off ``in_flight``). ``inferred``: its
        end was not seen (a lost call), the outcome is a conservative count."""
        ctx = self.ctx
        ctx.pool.get(server).gate.release()

        def write() -> Awaitable[LeadTransition]:
            return record_outcome(ctx.db, ctx.config, attempt_id, outcome, end, inferred=inferred)

        try:
            transition = await (self.durably("outcome", attempt_id, write) if retry else write())
        except AttemptAlreadyClosed:
            # Another daemon followed this call too (it adopted the call of a daemon thought dead, or this one is
            # the survivor of a split) and wrote the outcome first: nothing more to record or count here.
            log.warning("attempt_already_closed", campaign=ctx.name, attempt_id=attempt_id, outcome=outcome.value)
            return None
        # The outcome written: a connected call the agent already marked as a machine is one (record_outcome).
        outcome = transition.lead.last_outcome or outcome
        ctx.counters.count(outcome, transition.kind)
        after = at - answered if answered is not None else None
        count = count_answer(
            outcome, amd_status=end.amd_status, seconds_after_answer=after, rules=ctx.config.abandon_rules
        )
        self.record_count(at, count, predictive=predictive)
        return transition

    async def interrupt(self) -> int:
        """The drain deadline passed: close every call still in progress so no lead is left claimed.

        Connected calls stay up in Asterisk (the agent finishes the conversation) and are recorded as connected.
        Calls not yet answered are hung up (cause 16) and recorded as cancelled. An answered call still waiting for
        an agent is hung up and counted as abandoned — it is one, and the compliance count must say so.
        """
        ctx = self.ctx
        now = ctx.clock.now()
        wall = datetime.fromtimestamp(now, UTC)
        closed = 0
        for attempt_id, call in list(ctx.in_flight.calls.items()):
            if call.connected:
                outcome = Outcome.CONNECTED
            elif call.answered_at is not None:
                outcome = Outcome.ABANDONED
            else:
                outcome = Outcome.CANCELLED
            server = ctx.pool.get(call.server)
            if outcome is not Outcome.CONNECTED and call.channel_id is not None and server.client.is_up:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(2.0):
                        await server.client.hangup(call.channel_id, 16)
            ctx.in_flight.pop(attempt_id)
            end = AttemptEnd(ended_at=wall, agent=call.agent_id)
            try:
                # Shutting down: one try, no retrying until the database answers.
                await self.settle(call.server, attempt_id, outcome, end, now, predictive=True, retry=False)
            except Exception:
                log.exception("interrupt_record_failed", campaign=ctx.name, attempt_id=attempt_id)
                continue
            closed += 1
            ctx.counters.interrupted[outcome.value] += 1
            log.warning("call_interrupted", campaign=ctx.name, attempt_id=attempt_id, recorded_as=outcome.value)
        if closed and ctx.state is RunnerState.DRAINING:
            ctx.drained.set()
        return closed
