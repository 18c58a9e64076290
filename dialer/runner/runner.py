"""One campaign's runner: pace → claim → originate, and apply every call's outcome to its lead.

The runner wires the parts of one campaign, each in its own module with the shared state of
:class:`dialer.runner.state.CampaignContext` and, explicitly, the parts it calls:

- :mod:`dialer.runner.state`: live state, why it is not dialling, counters, the context;
- :mod:`dialer.runner.pacing_loop`: the loop that wakes on a short tick and whenever something the pacer depends
  on changes (an agent became free, a call ended, inbound callers left), decides, claims and sends;
- :mod:`dialer.runner.originate`: the write-ahead attempt row and the Originate;
- :mod:`dialer.runner.updates`: call updates from the trackers, arriving through :meth:`CampaignRunner.deliver` and
  applied in order by the runner's own task, so the AMI event pump never waits on the database;
- :mod:`dialer.runner.outcomes`: a call's outcome written once, durably, and counted; the drain's interrupt;
- :mod:`dialer.runner.adopting`: calls a dead daemon left up, followed or closed;
- :mod:`dialer.runner.agent_calls` and :mod:`dialer.runner.preview`: the agents' side (handle times,
  dispositions) and preview dialling.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from dialer.agents.registry import Agent, AgentChange
from dialer.agents.service import AgentService
from dialer.calls.adoption import Adoption, Closure, OpenAttempt
from dialer.calls.outcome import AnswerCount
from dialer.calls.tracker import CallUpdate
from dialer.calls.witness import CallEvidence, CallWitness, WitnessedCall
from dialer.campaign.config import CampaignConfig, DialMode
from dialer.clock import Clock
from dialer.i18n import message_json
from dialer.pacing import PacingDecision, PacingSettings, PacingSnapshot, PacingStats
from dialer.pacing.stats import AbandonWindow
from dialer.runner.adopting import CallAdopter
from dialer.runner.agent_calls import AgentCalls
from dialer.runner.bus import EventBus
from dialer.runner.inflight import InFlightCalls
from dialer.runner.learning import Learnt, learn_from_records
from dialer.runner.manual import ManualDial
from dialer.runner.originate import Originator
from dialer.runner.outcomes import OutcomeWriter
from dialer.runner.pacing_loop import PacingLoop, StepLatency
from dialer.runner.pool import ServerPool
from dialer.runner.preview import Preview
from dialer.runner.state import CampaignContext, RunnerCounters, RunnerServices, RunnerState, WhyNotDialing
from dialer.runner.updates import CallUpdates
from dialer.runner.why_not import decision_reason
from dialer.settings import RecordingSettings
from dialer.store.agent_history import AgentEventRecord
from dialer.store.engine import Database
from dialer.store.leads import LeadRecord
from dialer.store.runtime import DialFact
from dialer.tasks import cancel_and_wait

# RunnerState is part of this module's interface (callers import it from here and from dialer.runner.state).
__all__ = ["CampaignRunner", "RunnerState"]


class CampaignRunner:
    def __init__(self, config: CampaignConfig, campaign_id: int, services: RunnerServices) -> None:
        self.ctx = ctx = CampaignContext.of(services, config, campaign_id)
        self.outcomes = OutcomeWriter(ctx)
        self.agent_calls = AgentCalls(ctx)
        self.updates = CallUpdates(ctx, self.outcomes, self.agent_calls)
        self.originator = Originator(ctx, self.updates.deliver)
        self.pacing = PacingLoop(ctx, self.originator, inbound=ctx.inbound, tick_seconds=ctx.tick_seconds)
        self.adopter = CallAdopter(ctx, self.outcomes, self.agent_calls)
        self.preview = Preview(ctx, self.originator)
        self.manual = ManualDial(ctx, self.originator, self.preview)
        # The agent's disposition of their current/last call (ends their wrap-up): the agent calls' own.
        self.disposition = self.agent_calls.disposition
        self._tasks: list[asyncio.Task[None]] = []
        ctx.agents.add_listener(self._on_agent_change)

    # ------------------------------------------------------------------ the shared state, read through
    @property
    def name(self) -> str:
        return self.ctx.name

    @property
    def config(self) -> CampaignConfig:
        return self.ctx.config

    @property
    def campaign_id(self) -> int:
        return self.ctx.campaign_id

    @property
    def db(self) -> Database:
        return self.ctx.db

    @property
    def pool(self) -> ServerPool:
        return self.ctx.pool

    @property
    def agents(self) -> AgentService:
        return self.ctx.agents

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    @property
    def owner(self) -> str:
        return self.ctx.owner

    @property
    def bus(self) -> EventBus:
        return self.ctx.bus

    @property
    def settings(self) -> PacingSettings:
        return self.ctx.settings

    @property
    def recording_settings(self) -> RecordingSettings:
        return self.ctx.recording_settings

    @recording_settings.setter
    def recording_settings(self, value: RecordingSettings) -> None:
        self.ctx.recording_settings = value

    @property
    def stats(self) -> PacingStats:
        return self.ctx.stats

    @property
    def state(self) -> RunnerState:
        return self.ctx.state

    @property
    def counters(self) -> RunnerCounters:
        return self.ctx.counters

    @property
    def in_flight(self) -> InFlightCalls:
        return self.ctx.in_flight

    @property
    def why_not(self) -> WhyNotDialing | None:
        return self.ctx.why_not

    @property
    def drained(self) -> asyncio.Event:
        return self.ctx.drained

    @property
    def awaiting_adoption(self) -> bool:
        """Set by the daemon when it takes the campaign over, cleared after its first call-adoption pass."""
        return self.ctx.awaiting_adoption

    @awaiting_adoption.setter
    def awaiting_adoption(self, value: bool) -> None:
        self.ctx.awaiting_adoption = value

    @property
    def tick_seconds(self) -> float:
        return self.pacing.tick_seconds

    @property
    def last_decision(self) -> PacingDecision | None:
        return self.pacing.last_decision

    @property
    def amd_paused(self) -> bool:
        """The last pacing decision placed this AMD campaign's calls without AMD (``PacingDecision.amd``): what the
        status, the dashboard and the ``dialer_amd_paused`` gauge say."""
        decision = self.pacing.last_decision
        return self.ctx.config.amd.enabled and decision is not None and not decision.amd

    @property
    def last_decisions(self) -> dict[str, int]:
        return self.pacing.last_decisions

    @property
    def stepping(self) -> bool:
        return self.pacing.stepping

    @property
    def on_originate_latency(self) -> Callable[[float], None] | None:
        """Seconds from an agent becoming free to the next Originate written (a metric)."""
        return self.pacing.on_originate_latency

    @on_originate_latency.setter
    def on_originate_latency(self, observe: Callable[[float], None] | None) -> None:
        self.pacing.on_originate_latency = observe

    @property
    def on_step_latency(self) -> Callable[[StepLatency], None] | None:
        """Each pacing step that answered a wake-up with calls: how promptly, stage by stage (the bench)."""
        return self.pacing.on_step_latency

    @on_step_latency.setter
    def on_step_latency(self, observe: Callable[[StepLatency], None] | None) -> None:
        self.pacing.on_step_latency = observe

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        loop = asyncio.get_running_loop()
        if not self._tasks:
            self._tasks = [
                loop.create_task(self.pacing.run(), name=f"pace:{self.name}"),
                loop.create_task(self.updates.run(), name=f"updates:{self.name}"),
            ]
        self.set_state(RunnerState.RUNNING)

    def set_state(self, state: RunnerState) -> None:
        self.ctx.set_state(state)

    def reconfigure(self, config: CampaignConfig) -> None:
        """A new version of the campaign file: the next pacing decision and the next outcome use it."""
        self.ctx.reconfigure(config)

    def drain(self) -> None:
        """No new calls; :attr:`drained` is set when the last call in progress has ended."""
        self.set_state(RunnerState.DRAINING)

    async def stop(self) -> None:
        await cancel_and_wait(*self._tasks)
        self._tasks = []
        self.ctx.state = RunnerState.STOPPED

    @property
    def running(self) -> bool:
        """The runner's tasks (pacing loop, updates) exist, whatever its state."""
        return bool(self._tasks)

    def wake(self) -> None:
        self.ctx.wake()

    def deliver(self, server: str, update: CallUpdate) -> None:
        """A tracker update about one of this runner's calls (called by the ordered event pump)."""
        self.updates.deliver(server, update)

    async def settle(self) -> None:
        """Wait until every delivered update has been applied, and every disposition under way written (the
        timeouts', and those whose caller gave up) (tests, drain)."""
        await self.updates.queue.join()
        pending: set[asyncio.Future[Any]] = {*self.agent_calls.timeouts, *self.agent_calls.writing.values()}
        if pending:
            await asyncio.wait(pending)

    @property
    def idle(self) -> bool:
        """No pacing step running, no update waiting, no adoption pass due while a server is up (lets tests on a
        manual clock move in lock-step)."""
        return (
            not (self.ctx.awaiting_adoption and self.ctx.pool.any_up())
            and not self.pacing.stepping
            and not self.originator.sending
            and not self.agent_calls.timeouts
            and not self.agent_calls.writing
            and not self.updates.applying
            and self.updates.queue.empty()
            and not self.ctx.wakened.is_set()
        )

    async def settle_quietly(self, seconds: float = 2.0) -> None:
        """Apply what was already delivered, for at most ``seconds`` (shutdown)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.settle()

    def learn_history(self, dials: Sequence[DialFact], changes: Sequence[AgentEventRecord]) -> Learnt:
        """Start the pacer's estimates afresh from the campaign's stored dials and agent state changes, oldest
        first (a runner loaded mid-day: :mod:`dialer.runner.learning`). The legal window is seeded apart
        (:meth:`load_history`)."""
        self.ctx.stats = PacingStats(self.ctx.settings)
        return learn_from_records(self.ctx.stats, self.ctx.config, dials, changes)

    def load_history(self, answers: Sequence[tuple[float, AnswerCount]]) -> None:
        """Seed the abandon window from the campaign's stored answers ``(at, count)``, oldest first, whichever
        daemon made them (start, takeover, scheduler: see ``Dialer.load_runner``). Replaces what the window held:
        the store has every call that ended (this daemon's too), so nothing is counted twice."""
        self.ctx.stats.window = AbandonWindow(self.ctx.settings.window_seconds)
        for at, count in answers:
            self.outcomes.record_count(at, count, predictive=False)

    # ------------------------------------------------------------------ pacing (dialer.runner.pacing_loop)
    def snapshot(self, now: float, server: str | None = None) -> PacingSnapshot:
        return self.pacing.snapshot(now, server)

    def decide_per_server(self, now: float) -> list[tuple[str | None, PacingDecision]]:
        return self.pacing.decide_per_server(now)

    async def step(self) -> int:
        """One pacing decision and the calls it asks for; returns the number of Originates written."""
        return await self.pacing.step()

    # ------------------------------------------------------------------ adoption (dialer.runner.adopting)
    def read_witnessed(self, attempt: OpenAttempt, call: WitnessedCall) -> CallEvidence:
        return self.adopter.read_witnessed(attempt, call)

    async def adopt(self, adoption: Adoption, witnessed: tuple[CallWitness, WitnessedCall] | None = None) -> bool:
        return await self.adopter.adopt(adoption, witnessed)

    async def close_orphan(self, closure: Closure) -> bool:
        return await self.adopter.close_orphan(closure)

    # ------------------------------------------------------------------ outcomes (dialer.runner.outcomes)
    async def interrupt(self) -> int:
        """The drain deadline passed: close every call still in progress so no lead is left claimed."""
        return await self.outcomes.interrupt()

    # ------------------------------------------------------------------ agents (dialer.runner.agent_calls)
    def _on_agent_change(self, change: AgentChange, agent: Agent | None) -> None:
        if agent is None:
            return
        self.agent_calls.on_agent_change(change, agent)
        if self.config.queue in agent.queues and change.became_available:
            self.pacing.agent_freed()
            self.wake()

    def attempt_of_agent(self, agent_id: str) -> int | None:
        """The attempt the agent is on or last wrapped up (for the disposition)."""
        return self.agent_calls.attempt_of_agent(agent_id)

    def live_call_of_agent(self, agent_id: str) -> tuple[int, str, str, str] | None:
        """(attempt id, server, customer channel, agent's leg) of the agent's connected call (call control)."""
        return self.agent_calls.live_call_of_agent(agent_id)

    def hand_over(self, attempt_id: int, agent_id: str, agent_channel: str) -> None:
        """A transfer gave the call to ``agent_id``: their console pops it and they disposition it."""
        self.agent_calls.hand_over(attempt_id, agent_id, agent_channel)

    @property
    def call_end_listeners(self) -> list[Callable[[int, float], Awaitable[None]]]:
        """Called with (attempt id, time) once a connected call's customer hung up (call control's legs)."""
        return self.updates.call_end_listeners

    async def manual_dial(self, agent_id: str, *, number: str | None = None, lead_id: int | None = None) -> int:
        """Dial a number or a lead by hand, straight to the agent's phone, under the dialer's rules."""
        return await self.manual.dial(agent_id, number=number, lead_id=lead_id)

    # ------------------------------------------------------------------ preview (dialer.runner.preview)
    async def preview_claim(self, agent_id: str) -> LeadRecord | None:
        """Preview mode: hold the next lead for this agent to read before dialling (their own callbacks first)."""
        return await self.preview.claim(agent_id)

    async def preview_skip(self, agent_id: str) -> None:
        await self.preview.skip(agent_id)

    async def preview_dial(self, agent_id: str) -> int:
        """Dial the lead the agent is looking at, straight to their phone; returns the attempt id."""
        return await self.preview.dial(agent_id)

    # ------------------------------------------------------------------ status
    def status(self) -> dict[str, Any]:
        ctx = self.ctx
        now = ctx.clock.now()
        window = ctx.stats.window
        window.expire(now)
        decision = self.pacing.last_decision
        why_not = ctx.why_not
        return {
            "campaign": ctx.name,
            "state": ctx.state.value,
            "dial_mode": ctx.config.dial_mode.value,
            "counters": ctx.counters.as_dict(),
            "calls_in_flight": len(ctx.in_flight),
            "abandon_window": {
                "hours": ctx.settings.window_hours,
                "live_answers": window.live_answers,
                "abandoned": window.abandons,
                "rate": window.rate(),
                "cap": ctx.settings.abandon_cap,
            },
            # "reason": the sentence in the reader's language (dialer.runner.why_not), "reason_message" the same as a
            # message document (another daemon's dashboard renders it in its reader's); the figures stay as they are
            "pacing": {
                **decision.explanation.as_dict(),
                "reason": (reason := decision_reason(decision)).render(),
                "reason_message": message_json(reason),
                "amd_paused": self.amd_paused,
            }
            if decision is not None
            else None,
            "last_decision_calls": decision.calls if decision is not None else 0,
            "last_decision_calls_by_server": dict(self.pacing.last_decisions),
            "calls_in_flight_by_server": dict(Counter(c.server for c in ctx.in_flight.calls.values())),
            "why_not_dialing": None
            if why_not is None
            else {
                "code": why_not.code,
                "detail": why_not.detail,
                "message": message_json(why_not.message),
                "breakdown": why_not.breakdown,
            },
            "preview": ctx.config.dial_mode is DialMode.PREVIEW,
            "disposition_labels": {d.code: d.label for d in ctx.config.dispositions},  # for the counts by code
        }
