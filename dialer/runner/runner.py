"""One campaign's runner: pace → claim → originate, and apply every call's outcome to its lead.

The loop wakes on a short tick and whenever something the pacer depends on changes (an agent became free, a
call ended, inbound callers left). Call updates from the trackers arrive through :meth:`CampaignRunner.deliver`
and are applied in order by the runner's own task, so the AMI event pump never waits on the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from structlog.contextvars import bind_contextvars, bound_contextvars

from dialer.agents.registry import Agent, AgentChange, AgentStatus
from dialer.agents.service import AgentService
from dialer.ami.actions import OriginateRequest, OriginateStatus
from dialer.callcontrol.compliance import NumberRefused, check_rules, read_number
from dialer.calls.adoption import Adoption, Closure, OpenAttempt
from dialer.calls.outcome import AnswerCount, Outcome, count_answer
from dialer.calls.tracker import (
    AgentRinging,
    AmdVerdict,
    CallAnswered,
    CallConnected,
    CallEnded,
    CallLost,
    CallQueued,
    CallUpdate,
    OriginateRecord,
)
from dialer.calls.witness import CallEvidence, CallWitness, WitnessedCall, read_witnessed
from dialer.campaign.config import CampaignConfig, DialMode
from dialer.campaign.pacing import pacing_settings
from dialer.campaign.phones import time_zones_for_e164
from dialer.campaign.rules import LeadTransition, TransitionKind
from dialer.clock import Clock
from dialer.contract import OUTBOUND_CONTEXT
from dialer.logging import get_logger
from dialer.pacing import (
    CallStage,
    InboundLoad,
    PacingDecision,
    PacingMode,
    PacingSnapshot,
    PacingStats,
    decide,
)
from dialer.pacing.stats import AbandonWindow
from dialer.runner.bus import EventBus
from dialer.runner.inflight import InFlightCall, InFlightCalls
from dialer.runner.pool import ServerPool
from dialer.store.attempts import AttemptEnd, AttemptProgress, AttemptStart, start_attempts, update_attempt
from dialer.store.claim import Release, release_leads
from dialer.store.dnc import blocked_numbers
from dialer.store.engine import Database
from dialer.store.errors import database_unreachable
from dialer.store.leads import LeadRecord, get_lead
from dialer.store.lifecycle import (
    AttemptAlreadyClosed,
    adopt_lead_claim,
    claim_and_start_attempts,
    claim_dialable,
    close_orphaned_attempt,
    record_disposition,
    record_outcome,
    snapshot,
)
from dialer.store.manual import claim_lead, lead_for_number
from dialer.store.runtime import discard_unsent_attempt

log = get_logger(__name__)

T = TypeVar("T")


def _wall(at: float | None) -> datetime | None:
    return None if at is None else datetime.fromtimestamp(at, UTC)


def _fallback_action_id(attempt_id: int) -> str:
    """The ActionID of an attempt written without one (the runner always chooses one, see _attempt_start)."""
    return f"orig-{attempt_id}"


class RunnerState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"  # no new calls; calls in progress finish
    DRAINING = "draining"  # shutting down: no new calls; stops when the last call has ended
    STANDBY = "standby"  # another daemon holds the campaign's lease (dialer.store.ownership): no new calls here
    STOPPED = "stopped"


@dataclass
class RunnerCounters:
    attempts: int = 0
    connected: int = 0
    abandoned: int = 0
    requeued: int = 0
    archived: int = 0
    closed: int = 0
    lost: int = 0
    not_sent: int = 0
    adopted: int = 0  # calls a dead daemon left up, followed to their end here
    witnessed: int = 0  # a dead daemon's calls seen ending on the wire before adoption, closed as the PBX said
    outcomes: Counter[str] = field(default_factory=Counter)
    dispositions: Counter[str] = field(default_factory=Counter)
    dials: Counter[str] = field(default_factory=Counter)  # Originates sent, by server
    amd_verdicts: Counter[str] = field(default_factory=Counter)  # HUMAN, MACHINE, NOTSURE, HANGUP

    def as_dict(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "connected": self.connected,
            "abandoned": self.abandoned,
            "requeued": self.requeued,
            "archived": self.archived,
            "closed": self.closed,
            "lost": self.lost,
            "not_sent": self.not_sent,
            "adopted": self.adopted,
            "witnessed": self.witnessed,
            "outcomes": dict(self.outcomes),
            "dispositions": dict(self.dispositions),
        }


@dataclass(frozen=True, slots=True)
class WhyNotDialing:
    code: str  # paused, ami_down, no_agents, no_leads, window_closed, abandon_budget, inbound_waiting, ...
    detail: str
    breakdown: dict[str, int] = field(default_factory=dict)


def record_answer(stats: PacingStats, at: float, count: AnswerCount, *, predictive: bool) -> None:
    """One call's weight in the abandon rate (``count_answer``, the definition the reports use) into the pacer's
    legal window: a seen live answer (abandoned or not), and the AMD false-positive estimate as estimated abandoned
    live answers (the live runner records AMD verdicts for their share only, so nothing is counted twice)."""
    if count.live - count.estimated >= 1.0:
        stats.record_live_answer(at, count.abandoned - count.estimated >= 1.0, placed_predictively=predictive)
    stats.record_estimated_abandon(at, count.estimated)


class CampaignRunner:
    def __init__(
        self,
        *,
        config: CampaignConfig,
        campaign_id: int,
        db: Database,
        pool: ServerPool,
        agents: AgentService,
        clock: Clock,
        owner: str,
        bus: EventBus | None = None,
        inbound: Callable[[str, str | None], InboundLoad] | None = None,
        tick_seconds: float = 1.0,
    ) -> None:
        self.config = config
        self.campaign_id = campaign_id
        self.db = db
        self.pool = pool
        self.agents = agents
        self.clock = clock
        self.owner = owner
        self.bus = bus or EventBus()
        # The inbound load offered to this campaign's agents (by campaign queue); none without blending.
        self._inbound = inbound or (lambda _queue, _server: InboundLoad())
        self.tick_seconds = tick_seconds
        self.settings = pacing_settings(config)
        self.stats = PacingStats(self.settings)
        self.state = RunnerState.PAUSED
        self.counters = RunnerCounters()
        self.in_flight = InFlightCalls()
        self.last_decision: PacingDecision | None = None
        self.last_decisions: dict[str, int] = {}  # calls asked per server at the last decision
        self.why_not: WhyNotDialing | None = WhyNotDialing("paused", "campaign not started")
        self.drained = asyncio.Event()
        self.stepping = False  # a pacing step (claim + originates) is under way
        # Set by the daemon when it takes the campaign over, cleared after its first call-adoption pass.
        self.awaiting_adoption = False
        self._sending: set[asyncio.Task[bool]] = set()  # Originates written, waiting for their "queued" answer
        self._applying = False  # a call update is being written
        self._wake = asyncio.Event()
        self._updates: asyncio.Queue[tuple[str, CallUpdate]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._seq = itertools.count(1)
        self._key = uuid.uuid4().hex[:8]
        self._attempt_of_agent: dict[str, int] = {}
        self._agent_channel: dict[str, str] = {}  # agent id -> the leg bridged to their current call (call control)
        # Called with (attempt id, time) once a connected call's customer hung up (call control closes its legs).
        self.call_end_listeners: list[Callable[[int, float], Awaitable[None]]] = []
        self._preview: dict[str, LeadRecord] = {}
        self._talk_started: dict[str, float] = {}
        self._wrap_started: dict[str, float] = {}
        # perf_counter() when an agent of this campaign became free, until the next step's first Originate is written.
        self._free_since: float | None = None
        self.on_originate_latency: Callable[[float], None] | None = None  # seconds, agent free -> Originate written
        self.agents.add_listener(self._on_agent_change)

    # ------------------------------------------------------------------ control
    @property
    def name(self) -> str:
        return self.config.name

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        if not self._tasks:
            self._tasks = [
                loop.create_task(self._pace_loop(), name=f"pace:{self.name}"),
                loop.create_task(self._update_loop(), name=f"updates:{self.name}"),
            ]
        self.set_state(RunnerState.RUNNING)

    def set_state(self, state: RunnerState) -> None:
        if state == self.state:
            return
        log.info("campaign_state", campaign=self.name, previous=self.state.value, state=state.value)
        self.state = state
        if state is RunnerState.DRAINING and not self.in_flight:
            self.drained.set()
        self.bus.publish(f"campaign:{self.name}", "campaign_state", state=state.value)
        self.wake()

    def reconfigure(self, config: CampaignConfig) -> None:
        """A new version of the campaign file: the next pacing decision and the next outcome use it."""
        if config.queue != self.config.queue and self.in_flight:
            log.warning("campaign_queue_changed_with_calls_up", campaign=self.name, calls=len(self.in_flight))
        self.config = config
        self.settings = pacing_settings(config)
        self.stats.configure(self.settings)
        log.info("campaign_reconfigured", campaign=self.name)
        self.wake()

    def drain(self) -> None:
        """No new calls; :attr:`drained` is set when the last call in progress has ended."""
        self.set_state(RunnerState.DRAINING)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self.state = RunnerState.STOPPED

    @property
    def running(self) -> bool:
        """The runner's tasks (pacing loop, updates) exist, whatever its state."""
        return bool(self._tasks)

    def wake(self) -> None:
        self._wake.set()

    def deliver(self, server: str, update: CallUpdate) -> None:
        """A tracker update about one of this runner's calls (called by the ordered event pump)."""
        self._updates.put_nowait((server, update))

    async def settle(self) -> None:
        """Wait until every delivered update has been applied (tests, drain)."""
        await self._updates.join()

    @property
    def idle(self) -> bool:
        """No pacing step running, no update waiting, no adoption pass due while a server is up (lets tests on a
        manual clock move in lock-step)."""
        return (
            not (self.awaiting_adoption and self.pool.any_up())
            and not self.stepping
            and not self._sending
            and not self._applying
            and self._updates.empty()
            and not self._wake.is_set()
        )

    async def settle_quietly(self, seconds: float = 2.0) -> None:
        """Apply what was already delivered, for at most ``seconds`` (shutdown)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.settle(), seconds)

    def load_history(self, answers: Sequence[tuple[float, AnswerCount]]) -> None:
        """Seed the abandon window from the campaign's stored answers ``(at, count)``, oldest first, whichever
        daemon made them (start, takeover, scheduler: see ``Dialer.load_runner``). Replaces what the window held:
        the store has every call that ended (this daemon's too), so nothing is counted twice."""
        self.stats.window = AbandonWindow(self.settings.window_seconds)
        for at, count in answers:
            self._record_count(at, count, predictive=False)

    def _record_count(self, at: float, count: AnswerCount, *, predictive: bool) -> None:
        record_answer(self.stats, at, count, predictive=predictive)

    # ------------------------------------------------------------------ pacing
    async def _pace_loop(self) -> None:
        bind_contextvars(campaign=self.name)  # this task's log lines (its own context)
        while True:
            # Wake on the tick (on the runner's clock, so simulated time paces simulated calls) or earlier on demand.
            timer = self.clock.call_later(self.tick_seconds, self._wake.set)
            await self._wake.wait()
            timer.cancel()
            self._wake.clear()
            self.stepping = True
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A database hiccup must not kill the campaign: log, wait for the next tick, try again.
                log.exception("pacing_step_failed", campaign=self.name)
                self.why_not = WhyNotDialing("error", "pacing step failed; retrying (see the log)")
            finally:
                self.stepping = False

    def snapshot(self, now: float, server: str | None = None) -> PacingSnapshot:
        """What the pacer sees of this campaign -- on one server when given: its agents there, the calls placed
        there, its inbound callers and its trunk room (a call placed on a server can reach no other's agent)."""
        return PacingSnapshot(
            now=now,
            settings=self.settings,
            agents=self.agents.registry.pacing_view(self.config.queue, now, server),
            load=self.in_flight.load(now, server),
            inbound=self._inbound(self.config.queue, server),
            max_new_calls=self.pool.room(now) if server is None else self.pool.get(server).gate.room(now),
        )

    def decide_per_server(self, now: float) -> list[tuple[str | None, PacingDecision]]:
        """One pacing decision per connected server where agents of this campaign are (pool.dialable); with no
        such server, one over nothing placeable (it says why no call goes out)."""
        agents = self.agents.registry.in_queue(self.config.queue)
        servers = self.pool.dialable(now, [a.server for a in agents])
        if servers is None:
            return [(None, decide(self.snapshot(now), self.stats))]
        if not servers:
            # The campaign's agents are all on servers that are down or full: nobody a call could reach.
            nobody = PacingSnapshot(now, self.settings, load=self.in_flight.load(now), max_new_calls=0)
            return [(None, decide(nobody, self.stats))]
        return [(name, decide(self.snapshot(now, name), self.stats)) for name in servers]

    async def step(self) -> int:
        """One pacing decision and the calls it asks for; returns the number of Originates written."""
        now = self.clock.now()
        free_since, self._free_since = self._free_since, None
        if self.state is not RunnerState.RUNNING:
            self.why_not = WhyNotDialing(self.state.value, f"campaign is {self.state.value}")
            return 0
        if not self.pool.any_up():
            self.why_not = WhyNotDialing("ami_down", "no Asterisk server connected")
            return 0
        if self.awaiting_adoption:
            # Calls its previous owner left up count in the pacing (agents, calls in flight): match them first.
            self.why_not = WhyNotDialing("adopting", "looking for calls the campaign's previous owner left up")
            return 0
        decisions = self.decide_per_server(now)
        self.last_decisions = {name: d.calls for name, d in decisions if name is not None}
        decision = max((d for _, d in decisions), key=lambda d: d.calls)
        if len(decisions) > 1:
            decision = replace(decision, calls=sum(d.calls for _, d in decisions))
        self.last_decision = decision
        if decision.calls <= 0:
            exp = decision.explanation
            self.why_not = WhyNotDialing(str(exp.guard.value) if exp.guard else "paced", exp.reason)
            return 0
        wall = datetime.fromtimestamp(now, UTC)
        # The claim and the write-ahead attempt rows: one write transaction.
        batch, attempts = await claim_and_start_attempts(
            self.db,
            self.config,
            campaign_id=self.campaign_id,
            owner=self.owner,
            limit=decision.calls,
            now=wall,
            start=lambda lead: self._attempt_start(lead, wall),
            agents=tuple(a.agent_id for a in self.agents.registry.in_queue(self.config.queue)),
        )
        if not batch.leads:
            breakdown = dict(batch.set_aside)
            code = "window_closed" if breakdown.get("window_closed") else "no_leads"
            self.why_not = WhyNotDialing(code, "no lead may be dialled now", breakdown)
            return 0
        self.why_not = None
        predictive = decision.explanation.effective_mode is PacingMode.PREDICTIVE
        # The Originates of one step go out together, each in its own task waiting only for its own "queued"
        # response (the client matches responses by ActionID). The step ends once every call is counted in flight
        # and its Originate written: the next step (for an agent freed meanwhile) does not wait for the PBX's
        # answers to this one's.
        loop = asyncio.get_running_loop()
        counted: list[asyncio.Future[bool]] = [loop.create_future() for _ in attempts]
        # Each call on the server whose decision asked for it (the first servers' first, as leads came).
        targets = [name for name, d in decisions for _ in range(max(0, d.calls))]
        for (attempt_id, start), in_flight, target in zip(attempts, counted, targets, strict=False):
            self._send(self._originate(attempt_id, start, predictive, counted=in_flight, target=target), in_flight)
        written = sum(await asyncio.gather(*counted))
        if written and free_since is not None and self.on_originate_latency is not None:
            self.on_originate_latency(time.perf_counter() - free_since)
        return written

    def _send(self, originate: Coroutine[Any, Any, bool], counted: asyncio.Future[bool]) -> None:
        """Run one Originate of a step in its own task; ``counted`` is resolved (False) if it ends uncounted."""
        task = asyncio.get_running_loop().create_task(originate)
        self._sending.add(task)

        def done(task: asyncio.Task[bool]) -> None:
            self._sending.discard(task)
            if not counted.done():
                counted.set_result(False)
            if not task.cancelled() and (exc := task.exception()) is not None:
                log.error("originate_failed", campaign=self.name, exc_info=exc)

        task.add_done_callback(done)

    def _attempt_start(self, lead: LeadRecord, wall: datetime) -> AttemptStart:
        """The call record written before the Originate, with the ids we choose for it (ActionID, ChannelId)."""
        key = f"{self._key}-{next(self._seq)}"
        return AttemptStart(
            lead_id=lead.id,
            campaign_id=self.campaign_id,
            phone=lead.phone,
            started_at=wall,
            caller_id=self.config.caller_id.number,
            trunk=self.config.trunk,
            action_id=f"orig-{key}",
            channel_id=f"dialer-{key}",
        )

    async def _originate(
        self,
        attempt_id: int,
        start: AttemptStart,
        predictive: bool,
        agent: Agent | None = None,
        *,
        counted: asyncio.Future[bool] | None = None,
        target: str | None = None,
    ) -> bool:
        """Place one call on server ``target`` (the preview agent's server; else the one with most room); ``counted`` is
        resolved (True) once the call is in flight, just before it is written."""
        now = self.clock.now()
        if target is None and agent is not None and agent.server:
            target = agent.server
        server = self.pool.choose(now, only=target)
        action_id = start.action_id or _fallback_action_id(attempt_id)
        channel_id = start.channel_id or f"dialer-{attempt_id}"
        if server is None:
            await self._unsent(attempt_id, "no trunk room")
            return False
        dial = self.config.dial_string(start.phone)
        variables = {
            "DIALER_CAMPAIGN": self.name,
            "DIALER_QUEUE": self.config.queue,
            "DIALER_AMD": "1" if self.config.amd.enabled else "0",
        }
        if agent is not None:
            variables["DIALER_AGENT"] = agent.interface
        caller = self.config.caller_id
        request = OriginateRequest(
            channel=dial,
            attempt_id=str(attempt_id),
            context=self.config.dial_context or OUTBOUND_CONTEXT,
            caller_id=f'"{caller.name}" <{caller.number}>' if caller.name else caller.number,
            timeout_ms=self.config.ring_timeout_seconds * 1000,
            variables=variables,
            action_id=action_id,
            channel_id=channel_id,
        )
        record = self._tracking_record(attempt_id, start.phone, dial, action_id, channel_id, now)
        self.in_flight.add(
            InFlightCall(
                attempt_id,
                start.lead_id,
                server.name,
                now,
                placed_predictively=predictive,
                channel_id=channel_id,
                preview_agent=agent.agent_id if agent is not None else None,
            )
        )
        if counted is not None and not counted.done():
            counted.set_result(True)
        placed = await self.pool.place(server, record, request, now)
        if placed.result.status is OriginateStatus.NOT_SENT:
            self.in_flight.pop(attempt_id)
            await self._unsent(attempt_id, placed.result.message)
            return False
        self.counters.attempts += 1
        self.counters.dials[server.name] += 1
        log.info(
            "originate",
            campaign=self.name,
            attempt_id=attempt_id,
            lead_id=start.lead_id,
            server=server.name,
            number=start.phone,
            status=placed.result.status.value,
        )
        for update in placed.updates:
            self.deliver(server.name, update)
        return placed.result.status is not OriginateStatus.REJECTED

    def _tracking_record(
        self, attempt_id: int, phone: str, dial_string: str, action_id: str, channel_id: str, sent_at: float
    ) -> OriginateRecord:
        """What the server's call tracker follows a call by (placed here, or adopted from a dead daemon)."""
        return OriginateRecord(
            action_id=action_id,
            attempt_id=str(attempt_id),
            dial_string=dial_string,
            number=phone,
            sent_at=sent_at,
            channel_id=channel_id,
            timeout_seconds=float(self.config.ring_timeout_seconds),
        )

    async def _durably(self, what: str, attempt_id: int, write: Callable[[], Awaitable[T]]) -> T:
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
                    campaign=self.name,
                    write=what,
                    attempt_id=attempt_id,
                    error=str(exc)[:200],
                )
            # Real time, not the campaign clock: the database comes back on its own schedule.
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _unsent(self, attempt_id: int, why: str) -> None:
        self.counters.not_sent += 1
        log.warning("originate_not_sent", campaign=self.name, attempt_id=attempt_id, why=why)
        await discard_unsent_attempt(self.db, attempt_id, self.owner, datetime.fromtimestamp(self.clock.now(), UTC))

    # ------------------------------------------------------------------ updates
    async def _update_loop(self) -> None:
        while True:
            server, update = await self._updates.get()
            self._applying = True
            attempt_id = int(update.attempt_id) if update.attempt_id.isdigit() else None
            call = self.in_flight.get(attempt_id) if attempt_id is not None else None
            lead_id = call.lead_id if call is not None else None
            try:
                with bound_contextvars(campaign=self.name, attempt_id=attempt_id, lead_id=lead_id):
                    await self._apply(server, update)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("call_update_failed", campaign=self.name, attempt_id=update.attempt_id)
            finally:
                self._applying = False
                self._updates.task_done()

    async def _apply(self, server: str, update: CallUpdate) -> None:
        attempt_id = int(update.attempt_id)
        wall = datetime.fromtimestamp(update.at, UTC)
        match update:
            case CallAnswered():
                stage = CallStage.AMD if self.config.amd.enabled else CallStage.WAITING
                self.in_flight.set_stage(attempt_id, stage, update.at)
                call = self.in_flight.get(attempt_id)
                if call is not None:
                    call.answered_at = update.at
                progress = AttemptProgress(answered_at=wall)
                await self._durably("answered", attempt_id, lambda: update_attempt(self.db, attempt_id, progress))
            case AmdVerdict():
                self.counters.amd_verdicts[update.status] += 1
                self.stats.record_amd(update.status == "HUMAN")
                if update.status != "MACHINE":
                    self.in_flight.set_stage(attempt_id, CallStage.WAITING, update.at)
                amd = AttemptProgress(amd_status=update.status, amd_cause=update.cause)
                await self._durably("amd", attempt_id, lambda: update_attempt(self.db, attempt_id, amd))
            case CallQueued():
                self.in_flight.set_stage(attempt_id, CallStage.WAITING, update.at)
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
        agent = self.agents.registry.by_interface(update.interface)
        agent_id = agent.agent_id if agent is not None else update.member_name or update.interface
        call = self.in_flight.connect(attempt_id, update.at, agent_id)
        self._attempt_of_agent[agent_id] = attempt_id
        if update.agent_channel:
            self._agent_channel[agent_id] = update.agent_channel
        progress = AttemptProgress(connected_at=wall, agent=agent_id)
        await self._durably("connected", attempt_id, lambda: update_attempt(self.db, attempt_id, progress))
        lead_id = call.lead_id if call is not None else None
        log.info("call_connected", campaign=self.name, attempt_id=attempt_id, agent=agent_id, wait=update.wait_seconds)
        # The screen pop: the console fetches the lead and its history by attempt id.
        self.bus.publish(
            f"agent:{agent_id}",
            "screen_pop",
            campaign=self.name,
            attempt_id=attempt_id,
            lead_id=lead_id,
            wait_seconds=update.wait_seconds,
        )
        self.wake()

    async def _ended(self, server: str, attempt_id: int, update: CallEnded, wall: datetime) -> None:
        call = self.in_flight.pop(attempt_id)
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
        transition = await self._settle(
            server, attempt_id, outcome, end, update.at, predictive=predictive, answered=answered
        )
        if call is not None and call.preview_agent is not None and not call.connected:
            await self.agents.end_preview(call.preview_agent)
        self.stats.record_attempt(update.ring_seconds, outcome.is_live_answer)
        kind = transition.kind.value if transition is not None else None
        log.info(
            "call_ended",
            campaign=self.name,
            attempt_id=attempt_id,
            outcome=outcome.value,
            cause=update.cause,
            lead_transition=kind,
        )
        self.bus.publish(f"campaign:{self.name}", "call_ended", attempt_id=attempt_id, outcome=outcome.value, lead=kind)
        for listener in list(self.call_end_listeners):
            try:
                await listener(attempt_id, update.at)
            except Exception:
                log.exception("call_end_listener_failed", campaign=self.name, attempt_id=attempt_id)
        self._after_call()

    async def _lost(self, server: str, attempt_id: int, update: CallLost, wall: datetime) -> None:
        """Events never came. Count conservatively: an answered call that never reached an agent is an abandon."""
        self.counters.lost += 1
        if update.agent_connected:
            outcome = Outcome.CONNECTED
        elif update.answered:
            outcome = Outcome.ABANDONED
        else:
            outcome = Outcome.FAILED
        log.warning("call_lost", campaign=self.name, attempt_id=attempt_id, why=update.reason, counted_as=outcome.value)
        self.in_flight.pop(attempt_id)
        await self._settle(server, attempt_id, outcome, AttemptEnd(ended_at=wall), update.at, predictive=True)
        self._after_call()

    def read_witnessed(self, attempt: OpenAttempt, call: WitnessedCall) -> CallEvidence:
        """What the PBX said about one of this campaign's open attempts, from the events seen on the wire while no
        tracker followed it (dialer.calls.witness), read from the attempt's stored facts."""
        action_id = attempt.action_id or _fallback_action_id(attempt.attempt_id)
        record = self._tracking_record(
            attempt.attempt_id,
            attempt.phone,
            self.config.dial_string(attempt.phone),
            action_id,
            attempt.channel_id or call.linkedid,
            attempt.started_at,
        )
        return read_witnessed(
            call,
            record,
            answered_at=attempt.answered_at,
            connected_at=attempt.connected_at,
            agent=attempt.agent,
            amd_status=attempt.amd_status,
        )

    async def adopt(self, adoption: Adoption, witnessed: tuple[CallWitness, WitnessedCall] | None = None) -> bool:
        """Follow a call a dead daemon placed and left up (dialer.calls.adoption): hold its lead, track it on its
        server, count it in flight. Its remaining events then settle it like any call of ours.

        ``witnessed``: the call's events seen on the wire so far (dialer.calls.witness): its answer, agent and AMD
        verdict are taken from them, and if they show the call ended meanwhile it is closed with that outcome."""
        attempt, live = adoption.attempt, adoption.call
        if self.in_flight.get(attempt.attempt_id) is not None:
            return False
        now = self.clock.now()
        wall = datetime.fromtimestamp(now, UTC)
        until = datetime.fromtimestamp(now + self.config.lease_seconds, UTC)
        try:
            held = await adopt_lead_claim(self.db, attempt.attempt_id, owner=self.owner, now=wall, until=until)
        except AttemptAlreadyClosed:
            return False
        # From here to the tracker's adoption nothing awaits: every later event of the call reaches the tracker.
        evidence = self.read_witnessed(attempt, witnessed[1]) if witnessed is not None else None
        if evidence is not None and evidence.ended is not None:
            assert witnessed is not None
            witnessed[0].forget(witnessed[1])
            return await self.close_orphan(Closure(attempt, evidence.ended.outcome, evidence))
        if witnessed is not None and witnessed[1].hangup_seen:
            # Over, its OriginateResponse still on its way (they come in any order): the next pass closes it.
            return False
        server = self.pool.get(live.server)
        seen_connected = evidence is not None and evidence.connected_at is not None
        connected = attempt.connected_at is not None or live.bridged or seen_connected
        answered_at = attempt.answered_at
        if answered_at is None and evidence is not None:
            answered_at = evidence.answered_at
        if answered_at is None and (live.answered or connected):
            answered_at = now  # answered after the last fact its daemon managed to write, before we listened
        connected_at = attempt.connected_at or (evidence.connected_at if evidence is not None else None)
        if connected and connected_at is None:
            connected_at = now
        interface = live.agent_interface or (evidence.agent_interface if evidence is not None else None)
        agent = self.agents.registry.by_interface(interface) if interface else None
        agent_id = attempt.agent or (agent.agent_id if agent is not None else None)
        if agent_id is None and evidence is not None:
            agent_id = evidence.agent_name
        amd_status = attempt.amd_status or (evidence.amd_status if evidence is not None else None)
        action_id = attempt.action_id or _fallback_action_id(attempt.attempt_id)
        dial = self.config.dial_string(attempt.phone)
        record = self._tracking_record(
            attempt.attempt_id, attempt.phone, dial, action_id, live.linkedid, attempt.started_at
        )
        server.tracker.adopt(
            record,
            answered_at=answered_at,
            connected_at=connected_at,
            agent_interface=interface,
            agent_name=agent_id,
            amd_status=amd_status,
        )
        if witnessed is not None:
            witnessed[0].forget(witnessed[1])
        server.gate.occupy()  # the call holds a trunk channel until it ends (_settle gives it back)
        call = InFlightCall(
            attempt.attempt_id,
            attempt.lead_id,
            server.name,
            attempt.started_at,
            answered_at=answered_at,
            agent_id=agent_id,
            channel_id=live.linkedid,
        )
        # Through InFlightCalls' own transitions: it keeps the pacer's per-stage view of the calls.
        self.in_flight.add(call)
        if connected_at is not None:
            self.in_flight.connect(attempt.attempt_id, connected_at, agent_id)
        elif answered_at is not None:
            in_amd = self.config.amd.enabled and amd_status is None
            self.in_flight.set_stage(attempt.attempt_id, CallStage.AMD if in_amd else CallStage.WAITING, answered_at)
        if connected and agent_id is not None:
            self._attempt_of_agent[agent_id] = attempt.attempt_id
        self.counters.adopted += 1
        if evidence is not None:
            seen = AttemptProgress(
                answered_at=_wall(answered_at) if attempt.answered_at is None else None,
                connected_at=_wall(connected_at) if attempt.connected_at is None else None,
                agent=agent_id if attempt.agent is None else None,
                amd_status=evidence.amd_status if attempt.amd_status is None else None,
                amd_cause=evidence.amd_cause if attempt.amd_status is None else None,
            )
            await self._durably(
                "adopted", attempt.attempt_id, lambda: update_attempt(self.db, attempt.attempt_id, seen)
            )
        log.warning(
            "call_adopted",
            campaign=self.name,
            attempt_id=attempt.attempt_id,
            lead_id=attempt.lead_id,
            server=server.name,
            answered=answered_at is not None,
            connected=connected,
            agent=agent_id,
            lead_held=held,
        )
        self.wake()
        return True

    def _agent_id_of(self, interface: str | None, name: str | None) -> str | None:
        agent = self.agents.registry.by_interface(interface) if interface else None
        return agent.agent_id if agent is not None else name or interface

    async def close_orphan(self, closure: Closure) -> bool:
        """An open attempt of a dead daemon whose call is up nowhere. If its call was seen ending on the wire
        (``closure.evidence``), record what the PBX said: outcome, answer, agent, end time. Otherwise it ended
        unseen: record the conservative outcome (dialer.calls.adoption.lost_outcome), marked inferred, so no attempt
        stays open and its lead moves on."""
        attempt, outcome = closure.attempt, closure.outcome
        now = self.clock.now()
        wall = datetime.fromtimestamp(now, UTC)
        evidence = closure.evidence
        ended = evidence.ended if evidence is not None else None
        answered_at = attempt.answered_at
        if ended is not None and evidence is not None:
            answered_at = answered_at if answered_at is not None else evidence.answered_at
            connected_at = attempt.connected_at if attempt.connected_at is not None else evidence.connected_at
            end = AttemptEnd(
                ended_at=_wall(ended.at) or wall,
                hangup_cause=ended.cause,
                ring_seconds=ended.ring_seconds,
                answered_at=_wall(answered_at) if attempt.answered_at is None else None,
                connected_at=_wall(connected_at) if attempt.connected_at is None else None,
                amd_status=ended.amd_status,
                amd_cause=ended.amd_cause,
                agent=attempt.agent or self._agent_id_of(ended.agent_interface, ended.agent_name),
            )
        else:
            end = AttemptEnd(ended_at=wall, agent=attempt.agent)
        try:
            transition = await close_orphaned_attempt(
                self.db,
                self.config,
                attempt.attempt_id,
                outcome,
                end,
                owner=self.owner,
                now=wall,
                inferred=closure.inferred,
            )
        except AttemptAlreadyClosed:
            return False
        if closure.inferred:
            self.counters.lost += 1
        else:
            self.counters.witnessed += 1
        if transition is not None:
            self._count(outcome, transition.kind)
        else:
            self.counters.outcomes[outcome.value] += 1
        if outcome.is_live_answer:
            at = answered_at if answered_at is not None else attempt.started_at
            self.stats.record_live_answer(at, outcome is Outcome.ABANDONED, placed_predictively=True)
        log.warning(
            "orphaned_attempt_closed",
            campaign=self.name,
            attempt_id=attempt.attempt_id,
            lead_id=attempt.lead_id,
            counted_as=outcome.value,
            inferred=closure.inferred,
            lead_transition=transition.kind.value if transition is not None else None,
        )
        self.wake()
        return True

    async def interrupt(self) -> int:
        """The drain deadline passed: close every call still in progress so no lead is left claimed.

        Connected calls stay up in Asterisk (the agent finishes the conversation) and are recorded as connected.
        Calls not yet answered are hung up (cause 16) and recorded as cancelled. An answered call still waiting for
        an agent is hung up and counted as abandoned — it is one, and the compliance count must say so.
        """
        now = self.clock.now()
        wall = datetime.fromtimestamp(now, UTC)
        closed = 0
        for attempt_id, call in list(self.in_flight.calls.items()):
            if call.connected:
                outcome = Outcome.CONNECTED
            elif call.answered_at is not None:
                outcome = Outcome.ABANDONED
            else:
                outcome = Outcome.CANCELLED
            server = self.pool.get(call.server)
            if outcome is not Outcome.CONNECTED and call.channel_id is not None and server.client.is_up:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(server.client.hangup(call.channel_id, 16), 2.0)
            self.in_flight.pop(attempt_id)
            end = AttemptEnd(ended_at=wall, agent=call.agent_id)
            try:
                # Shutting down: one try, no retrying until the database answers.
                await self._settle(call.server, attempt_id, outcome, end, now, predictive=True, retry=False)
            except Exception:
                log.exception("interrupt_record_failed", campaign=self.name, attempt_id=attempt_id)
                continue
            closed += 1
            log.warning("call_interrupted", campaign=self.name, attempt_id=attempt_id, recorded_as=outcome.value)
        if closed and self.state is RunnerState.DRAINING:
            self.drained.set()
        return closed

    async def _settle(
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
    ) -> LeadTransition | None:
        """A call is over: give its trunk channel back, write its outcome with the lead's transition, count it, and
        feed a live answer into the abandon window (the caller has taken it off ``in_flight``)."""
        self.pool.get(server).gate.release()

        def write() -> Awaitable[LeadTransition]:
            return record_outcome(self.db, self.config, attempt_id, outcome, end)

        try:
            transition = await (self._durably("outcome", attempt_id, write) if retry else write())
        except AttemptAlreadyClosed:
            # Another daemon followed this call too (it adopted the call of a daemon thought dead, or this one is
            # the survivor of a split) and wrote the outcome first: nothing more to record or count here.
            log.warning("attempt_already_closed", campaign=self.name, attempt_id=attempt_id, outcome=outcome.value)
            return None
        self._count(outcome, transition.kind)
        after = at - answered if answered is not None else None
        count = count_answer(
            outcome, amd_status=end.amd_status, seconds_after_answer=after, rules=self.config.abandon_rules
        )
        self._record_count(at, count, predictive=predictive)
        return transition

    def _count(self, outcome: Outcome, kind: TransitionKind) -> None:
        self.counters.outcomes[outcome.value] += 1
        if outcome is Outcome.CONNECTED:
            self.counters.connected += 1
        elif outcome is Outcome.ABANDONED:
            self.counters.abandoned += 1
        # A connected call is "requeued" only until its disposition lands: not a retry worth counting.
        if kind is TransitionKind.REQUEUED and outcome is not Outcome.CONNECTED:
            self.counters.requeued += 1
        elif kind in (TransitionKind.ARCHIVED, TransitionKind.SWITCHED_PHONE):
            self.counters.archived += 1
        elif kind in (TransitionKind.CLOSED, TransitionKind.EXHAUSTED, TransitionKind.DNC):
            self.counters.closed += 1

    def _after_call(self) -> None:
        if self.state is RunnerState.DRAINING and not self.in_flight:
            self.drained.set()
        self.wake()

    # ------------------------------------------------------------------ agents
    def _on_agent_change(self, change: AgentChange, agent: Agent | None) -> None:
        if agent is None:
            return
        now = change.at
        # Handle times are learnt from this campaign's calls only (a blended agent also talks to inbound callers).
        if change.current is AgentStatus.TALKING and agent.call_queue == self.config.queue:
            self._talk_started[change.agent_id] = now
        elif change.previous is AgentStatus.TALKING:
            started = self._talk_started.pop(change.agent_id, None)
            if started is not None:
                self.stats.record_talk(now - started)
                if change.current is AgentStatus.WRAPUP:
                    self._wrap_started[change.agent_id] = now
        elif change.previous is AgentStatus.WRAPUP:
            started = self._wrap_started.pop(change.agent_id, None)
            if started is not None:
                self.stats.record_wrap(now - started)
        if self.config.queue in agent.queues and change.became_available:
            if self._free_since is None:
                self._free_since = time.perf_counter()
            self.wake()

    def attempt_of_agent(self, agent_id: str) -> int | None:
        """The attempt the agent is on or last wrapped up (for the disposition)."""
        return self._attempt_of_agent.get(agent_id)

    def live_call_of_agent(self, agent_id: str) -> tuple[int, str, str, str] | None:
        """(attempt id, server, customer channel, agent's leg) of the connected call the agent is on, for call
        control; None when the agent is on no live call of this campaign (or its channels are not known)."""
        attempt_id = self._attempt_of_agent.get(agent_id)
        call = self.in_flight.calls.get(attempt_id) if attempt_id is not None else None
        channel = self._agent_channel.get(agent_id)
        if call is None or not call.connected or not call.channel_id or not channel:
            return None
        return call.attempt_id, call.server, call.channel_id, channel

    def hand_over(self, attempt_id: int, agent_id: str, agent_channel: str) -> None:
        """A transfer gave the call to ``agent_id``: their console pops it and they disposition it."""
        call = self.in_flight.calls.get(attempt_id)
        self._attempt_of_agent[agent_id] = attempt_id
        self._agent_channel[agent_id] = agent_channel
        self.bus.publish(
            f"agent:{agent_id}",
            "screen_pop",
            campaign=self.name,
            attempt_id=attempt_id,
            lead_id=call.lead_id if call is not None else None,
            wait_seconds=0.0,
            transferred=True,
        )

    async def disposition(
        self,
        agent_id: str,
        code: str,
        *,
        notes: str | None = None,
        callback_at: datetime | None = None,
        callback_personal: bool = True,
        attempt_id: int | None = None,
    ) -> TransitionKind:
        """The agent's disposition of their current/last call; ends their wrap-up."""
        attempt = attempt_id if attempt_id is not None else self._attempt_of_agent.get(agent_id)
        if attempt is None:
            raise LookupError(f"agent {agent_id} has no call to disposition")
        transition = await record_disposition(
            self.db,
            self.config,
            attempt,
            code,
            datetime.fromtimestamp(self.clock.now(), UTC),
            agent=agent_id,
            notes=notes,
            callback_at=callback_at,
            callback_personal=callback_personal,
        )
        self._attempt_of_agent.pop(agent_id, None)
        self._agent_channel.pop(agent_id, None)
        self.counters.dispositions[code] += 1
        if transition.kind in (TransitionKind.CLOSED, TransitionKind.DNC):
            self.counters.closed += 1
        agent = self.agents.registry.get(agent_id)
        if agent is not None and agent.status is AgentStatus.WRAPUP:
            await self.agents.finish_wrapup(agent_id)
        return transition.kind

    # ------------------------------------------------------------------ preview
    async def preview_claim(self, agent_id: str) -> LeadRecord | None:
        """Preview mode: hold the next lead for this agent to read before dialling (their own callbacks first)."""
        if agent_id in self._preview:
            return self._preview[agent_id]
        self._require_ready(agent_id)
        wall = datetime.fromtimestamp(self.clock.now(), UTC)
        batch = await claim_dialable(
            self.db, self.config, campaign_id=self.campaign_id, owner=self.owner, limit=1, now=wall, agents=(agent_id,)
        )
        if not batch.leads:
            breakdown = dict(batch.set_aside)
            self.why_not = WhyNotDialing("no_leads", "no lead may be dialled now", breakdown)
            return None
        self._preview[agent_id] = batch.leads[0]
        return batch.leads[0]

    async def preview_skip(self, agent_id: str) -> None:
        lead = self._preview.pop(agent_id, None)
        if lead is not None:
            await release_leads(self.db, self.owner, [Release(lead.id)], datetime.fromtimestamp(self.clock.now(), UTC))

    async def preview_dial(self, agent_id: str) -> int:
        """Dial the lead the agent is looking at, straight to their phone (DIALER_AGENT); returns the attempt id."""
        lead = self._preview.get(agent_id)
        if lead is None:
            raise LookupError(f"agent {agent_id} has no preview lead: claim one first")
        if not self.pool.any_up():
            raise RuntimeError("no Asterisk server connected")
        agent = await self.agents.reserve_for_preview(agent_id)
        del self._preview[agent_id]
        start = self._attempt_start(lead, datetime.fromtimestamp(self.clock.now(), UTC))
        (attempt_id,) = await start_attempts(self.db, [start])
        if not await self._originate(attempt_id, start, predictive=False, agent=agent):
            await self.agents.end_preview(agent_id)
            raise RuntimeError("the call could not be placed")
        return attempt_id

    async def manual_dial(self, agent_id: str, *, number: str | None = None, lead_id: int | None = None) -> int:
        """Dial a number (or a lead found by search) by hand, straight to the agent's phone, under the dialer's own
        rules (:mod:`dialer.callcontrol.compliance`); the attempt, its outcome and its disposition are handled
        like any call of the campaign. Returns the attempt id; raises ``NumberRefused`` with the reason."""
        if not self.config.call_control.manual_dial:
            raise NumberRefused("not_allowed", f"campaign {self.name} does not allow manual dial")
        self._require_ready(agent_id)
        if not self.pool.any_up():
            raise RuntimeError("no Asterisk server connected")
        wall = datetime.fromtimestamp(self.clock.now(), UTC)
        if lead_id is None:
            if not number:
                raise NumberRefused("invalid", "give a number or a lead")
            e164 = read_number(number, self.config)
            lead_id = await lead_for_number(self.db, self.campaign_id, e164, time_zones_for_e164(e164), wall)
        lead = await get_lead(self.db, lead_id)
        if lead is None or lead.campaign_id != self.campaign_id:
            raise LookupError(f"lead {lead_id} is not in campaign {self.name}")
        async with self.db.read() as conn:
            on_dnc = bool(await blocked_numbers(conn, [lead.phone], self.campaign_id))
        check_rules(snapshot(lead, self.name), self.config, wall, on_dnc=on_dnc)
        claimed = await claim_lead(self.db, lead.id, self.owner, wall, timedelta(seconds=self.config.lease_seconds))
        if claimed is None:
            raise NumberRefused(lead.status, f"lead {lead.id} cannot be dialled now (it is {lead.status})")
        if self.pool.choose(self.clock.now(), only=None) is None:
            await release_leads(self.db, self.owner, [Release(claimed.id)], wall)
            raise NumberRefused("no_trunk_room", "no trunk room now")
        agent = await self.agents.reserve_for_preview(agent_id)
        start = self._attempt_start(claimed, wall)
        (attempt_id,) = await start_attempts(self.db, [start])
        log.info("manual_dial", campaign=self.name, agent=agent_id, attempt_id=attempt_id, lead_id=claimed.id)
        if not await self._originate(attempt_id, start, predictive=False, agent=agent):
            await self.agents.end_preview(agent_id)
            raise RuntimeError("the call could not be placed")
        return attempt_id

    def _require_ready(self, agent_id: str) -> Agent:
        agent = self.agents.registry.get(agent_id)
        if agent is None or self.config.queue not in agent.queues:
            raise LookupError(f"agent {agent_id} is not logged in to campaign {self.name}")
        if agent.status is not AgentStatus.READY:
            raise RuntimeError(f"agent {agent_id} is {agent.status.value}, not ready")
        return agent

    # ------------------------------------------------------------------ status
    def status(self) -> dict[str, Any]:
        now = self.clock.now()
        window = self.stats.window
        window.expire(now)
        decision = self.last_decision
        return {
            "campaign": self.name,
            "state": self.state.value,
            "dial_mode": self.config.dial_mode.value,
            "counters": self.counters.as_dict(),
            "calls_in_flight": len(self.in_flight),
            "abandon_window": {
                "hours": self.settings.window_hours,
                "live_answers": window.live_answers,
                "abandoned": window.abandons,
                "rate": window.rate(),
                "cap": self.settings.abandon_cap,
            },
            "pacing": decision.explanation.as_dict() if decision is not None else None,
            "last_decision_calls": decision.calls if decision is not None else 0,
            "last_decision_calls_by_server": dict(self.last_decisions),
            "calls_in_flight_by_server": dict(Counter(c.server for c in self.in_flight.calls.values())),
            "why_not_dialing": None
            if self.why_not is None
            else {"code": self.why_not.code, "detail": self.why_not.detail, "breakdown": self.why_not.breakdown},
            "preview": self.config.dial_mode is DialMode.PREVIEW,
        }
