"""One campaign's call updates, applied in order by the runner's own task: the trackers' updates (answered, AMD
verdict, queued, connected to an agent, ended, lost) arrive through :meth:`CallUpdates.deliver`, so the AMI event
pump never waits on the database, and each is written to its attempt (an ended or lost call through
:class:`dialer.runner.outcomes.OutcomeWriter`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from structlog.contextvars import bound_contextvars

from dialer.calls.outcome import Outcome
from dialer.calls.tracker import (
    AgentRinging,
    AmdVerdict,
    CallAnswered,
    CallConnected,
    CallEnded,
    CallLost,
    CallQueued,
    CallUpdate,
)
from dialer.logging import get_logger
from dialer.pacing import CallStage
from dialer.runner.agent_calls import AgentCalls
from dialer.runner.outcomes import OutcomeWriter
from dialer.runner.state import CampaignContext
from dialer.store.attempts import AttemptEnd, AttemptProgress, update_attempt

log = get_logger(__name__)


class CallUpdates:
    def __init__(self, ctx: CampaignContext, outcomes: OutcomeWriter, agent_calls: AgentCalls) -> None:
        # Called with (attempt id, time) once a connected call's customer hung up (call control closes its legs).
        self.call_end_listeners: list[Callable[[int, float], Awaitable[None]]] = []
        self.ctx = ctx
        self.outcomes = outcomes
        self.agent_calls = agent_calls
        self.queue: asyncio.Queue[tuple[str, CallUpdate]] = asyncio.Queue()
        self.applying = False  # a call update is being written

    def deliver(self, server: str, update: CallUpdate) -> None:
        """A tracker update about one of this campaign's calls (called by the ordered event pump)."""
        self.queue.put_nowait((server, update))

    async def run(self) -> None:
        ctx = self.ctx
        while True:
            server, update = await self.queue.get()
            self.applying = True
            attempt_id = int(update.attempt_id) if update.attempt_id.isdigit() else None
            call = ctx.in_flight.get(attempt_id) if attempt_id is not None else None
            lead_id = call.lead_id if call is not None else None
            try:
                with bound_contextvars(campaign=ctx.name, attempt_id=attempt_id, lead_id=lead_id):
                    await self.apply(server, update)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("call_update_failed", campaign=ctx.name, attempt_id=update.attempt_id)
            finally:
                self.applying = False
                self.queue.task_done()

    async def apply(self, server: str, update: CallUpdate) -> None:
        ctx = self.ctx
        attempt_id = int(update.attempt_id)
        wall = datetime.fromtimestamp(update.at, UTC)
        match update:
            case CallAnswered():
                call = ctx.in_flight.get(attempt_id)
                runs_amd = call.amd if call is not None else ctx.config.amd.enabled
                ctx.in_flight.set_stage(attempt_id, CallStage.AMD if runs_amd else CallStage.WAITING, update.at)
                if call is not None:
                    call.answered_at = update.at
                progress = AttemptProgress(answered_at=wall)
                await self.outcomes.durably(
                    "answered", attempt_id, lambda: update_attempt(ctx.db, attempt_id, progress)
                )
            case AmdVerdict():
                ctx.counters.amd_verdicts[update.status] += 1
                # how long AMD listened: the pacer times a person's arrival in the queue after it
                call = ctx.in_flight.get(attempt_id)
                answered = call.answered_at if call is not None else None
                listened = update.at - answered if answered is not None else None
                ctx.stats.record_amd(update.status == "HUMAN", seconds=listened)
                if update.status != "MACHINE":
                    ctx.in_flight.set_stage(attempt_id, CallStage.WAITING, update.at)
                amd = AttemptProgress(amd_status=update.status, amd_cause=update.cause)
                await self.outcomes.durably("amd", attempt_id, lambda: update_attempt(ctx.db, attempt_id, amd))
            case CallQueued():
                ctx.in_flight.set_stage(attempt_id, CallStage.WAITING, update.at)
            case AgentRinging():
                pass
            case CallConnected():
                await self._connected(attempt_id, update, wall)
            case CallEnded():
                await self._ended(server, attempt_id, update, wall)
            case CallLost():
                await self._lost(server, attempt_id, update, wall)
            case _:
                pass

    async def _connected(self, attempt_id: int, update: CallConnected, wall: datetime) -> None:
        ctx = self.ctx
        agent = ctx.agents.registry.by_interface(update.interface)
        agent_id = agent.agent_id if agent is not None else update.member_name or update.interface
        call = ctx.in_flight.connect(attempt_id, update.at, agent_id)
        paused = call is not None and ctx.config.amd.enabled and not call.amd
        self.agent_calls.connected(agent_id, attempt_id, update.agent_channel, amd_paused=paused)
        progress = AttemptProgress(connected_at=wall, agent=agent_id)
        await self.outcomes.durably("connected", attempt_id, lambda: update_attempt(ctx.db, attempt_id, progress))
        lead_id = call.lead_id if call is not None else None
        log.info("call_connected", campaign=ctx.name, attempt_id=attempt_id, agent=agent_id, wait=update.wait_seconds)
        own = call is not None and call.own_callback and call.preview_agent == agent_id
        self.agent_calls.screen_pop(agent_id, attempt_id, lead_id, update.wait_seconds, own_callback=own)
        ctx.wake()

    async def _ended(self, server: str, attempt_id: int, update: CallEnded, wall: datetime) -> None:
        ctx = self.ctx
        call = ctx.in_flight.pop(attempt_id)
        outcome = update.outcome
        end = AttemptEnd(
            ended_at=wall,
            hangup_cause=update.cause,
            ring_seconds=update.ring_seconds,
            answered_at=None,
            amd_status=update.amd_status,
            amd_cause=update.amd_cause,
            agent=(call.agent_id if call is not None else None) or update.agent_name,
        )
        predictive = call.placed_predictively if call is not None else True
        answered = call.answered_at if call is not None else None
        transition = await self.outcomes.settle(
            server, attempt_id, outcome, end, update.at, predictive=predictive, answered=answered
        )
        if call is not None and call.preview_agent is not None and not call.connected:
            await ctx.agents.end_preview(call.preview_agent)
        learnt = ctx.stats.record_attempt(
            update.ring_seconds,
            outcome.is_live_answer,
            hour=call.hour if call is not None else None,
            history=call.history if call is not None else None,
        )
        if outcome is Outcome.CONNECTED:  # (an agent may still mark it a machine: AgentCalls.disposition)
            self.agent_calls.learnt_live(attempt_id, learnt)
        kind = transition.kind.value if transition is not None else None
        log.info(
            "call_ended",
            campaign=ctx.name,
            attempt_id=attempt_id,
            outcome=outcome.value,
            cause=update.cause,
            lead_transition=kind,
        )
        ctx.bus.publish(f"campaign:{ctx.name}", "call_ended", attempt_id=attempt_id, outcome=outcome.value, lead=kind)
        for listener in list(self.call_end_listeners):
            try:
                await listener(attempt_id, update.at)
            except Exception:
                log.exception("call_end_listener_failed", campaign=ctx.name, attempt_id=attempt_id)
        ctx.after_call()

    async def _lost(self, server: str, attempt_id: int, update: CallLost, wall: datetime) -> None:
        """Events never came. Count conservatively: an answered call that never reached an agent is an abandon."""
        ctx = self.ctx
        ctx.counters.lost += 1
        if update.agent_connected:
            outcome = Outcome.CONNECTED
        elif update.answered:
            outcome = Outcome.ABANDONED
        else:
            outcome = Outcome.FAILED
        log.warning("call_lost", campaign=ctx.name, attempt_id=attempt_id, why=update.reason, counted_as=outcome.value)
        ctx.in_flight.pop(attempt_id)
        await self.outcomes.settle(
            server, attempt_id, outcome, AttemptEnd(ended_at=wall), update.at, predictive=True, inferred=True
        )
        ctx.after_call()
