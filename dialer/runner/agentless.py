"""The runner of an agentless campaign (``kind = "agentless"``): paced by channels, calls per second and a target
finish time (:mod:`dialer.agentless.pacing`), not by agents.

It is a :class:`dialer.runner.runner.CampaignRunner` whose pacing loop is replaced: each step asks
:func:`dialer.agentless.pacing.agentless_launches` how many calls to start (the campaign's channel cap, its own
calls-per-second window and the servers' trunk gates), claims that many leads with their write-ahead attempts and
sends the Originates into the IVR context (``dialer-ivr``: the campaign config chooses it) with our ids and the
address of the daemon's FastAGI server. Everything after the Originate is the ordinary runner's: the call tracker
follows the call, its outcome goes through the one outcome path (a flow that served the person to its end is
``self_service``), the opt-out key raises ``DialerOptOut`` (the DNC path) and the flow's result is stored per
attempt by the FastAGI service (:mod:`dialer.daemon.agentless`).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from dialer.agentless.pacing import AgentlessDecision, AgentlessLoad, LaunchWindow, agentless_launches
from dialer.agents.registry import AgentStatus
from dialer.campaign.config import CampaignConfig
from dialer.contract import FASTAGI_VARIABLE, IVR_FLOW_VARIABLE
from dialer.i18n import M_
from dialer.ivr.context import summarize
from dialer.ivr.flow import Flow, QueueNode, parse_flow
from dialer.logging import get_logger
from dialer.runner.bus import EventBus, Notification
from dialer.runner.pacing_loop import PacingLoop
from dialer.runner.runner import CampaignRunner
from dialer.runner.state import RunnerServices, WhyNotDialing
from dialer.runner.why_not import agentless_reason
from dialer.store.attempts import AttemptStart
from dialer.store.leads import count_claimable_leads

log = get_logger(__name__)

MEAN_CALL_PRIOR_SECONDS = 30.0  # dial to hang-up, until calls of the campaign have been measured
TRANSFER_SHARE_PRIOR = 0.1  # of the calls placed, those asking for an agent, until measured
MEASURED_AFTER = 20  # ended calls before the measured mean replaces the prior
MAX_CONTEXTS = 10_000  # contexts of queued callers kept (a caller who hangs up waiting never comes back for it)


def campaign_flow(config: CampaignConfig) -> Flow | None:
    """The flow stored with the campaign (``dialer campaign apply`` embeds it as ``[ivr]``)."""
    if config.ivr is None:
        return None
    return parse_flow(dict(config.ivr), f"campaign {config.name} [ivr]")


def target_finish(config: CampaignConfig, now: datetime) -> datetime | None:
    """Today's ``agentless.target_finish`` (HH:MM in the campaign's time zone) as a UTC time; None when unset."""
    text = config.agentless.target_finish
    if text is None:
        return None
    zone = ZoneInfo(config.timezone)
    local = now.astimezone(zone)
    hours, minutes = (int(part) for part in text.split(":"))
    at = datetime.combine(local.date(), time(hours, minutes), zone)
    return at.astimezone(UTC)


class AgentlessPacingLoop(PacingLoop):
    """Pacing by channels, CPS and target time; claims and Originates as the agent campaigns' loop does."""

    def __init__(self, runner: AgentlessRunner, tick_seconds: float) -> None:
        super().__init__(runner.ctx, runner.originator, tick_seconds=tick_seconds)
        self.runner = runner
        self.window = LaunchWindow(runner.config.agentless.calls_per_second)
        self.last_agentless: AgentlessDecision | None = None

    async def remaining(self) -> int:
        """Leads of the campaign still to be placed (new, retry, callback)."""
        return await count_claimable_leads(self.ctx.db, self.ctx.campaign_id)

    async def load(self, now: float) -> AgentlessLoad:
        ctx, runner = self.ctx, self.runner
        options = ctx.config.agentless
        wall = datetime.fromtimestamp(now, UTC)
        flow = runner.flow
        has_queue = flow is not None and any(isinstance(n, QueueNode) for n in flow.nodes.values())
        agents = ctx.agents.registry.in_queue(ctx.config.queue) if has_queue else []
        return AgentlessLoad(
            now=wall,
            remaining=await self.remaining(),
            in_flight=len(ctx.in_flight),
            max_channels=options.max_channels,
            cps_room=min(ctx.pool.room(now), self.window.room(now)),
            mean_call_seconds=runner.mean_call_seconds(),
            target_finish=target_finish(ctx.config, wall),
            longest_call_seconds=runner.longest_call_seconds,
            transfer_share=max(0.01, runner.transfer_share()) if has_queue else 0.0,
            agents=sum(1 for a in agents if a.logged_in),
            agents_free=sum(1 for a in agents if a.status is AgentStatus.READY),
        )

    async def step(self) -> int:
        ctx = self.ctx
        now = ctx.clock.now()
        held = ctx.held_back()
        if held is not None:
            ctx.why_not = held
            return 0
        if self.runner.fastagi is None:
            ctx.why_not = WhyNotDialing(
                "no_fastagi", M_("the daemon's FastAGI server is not running (the flow needs it)")
            )
            return 0
        self.runner.measure(now)
        load = await self.load(now)
        decision = agentless_launches(load)
        self.last_agentless = decision
        if decision.launch <= 0:
            ctx.why_not = WhyNotDialing("paced", agentless_reason(decision, load))
            return 0
        # The calls per second hold where they are promised, at the PBX: a launch is stamped in the window when
        # its Originate is written (on the runner's clock: launch), not when it was decided. The claim between the
        # two takes time (a loaded database); stamped at the decision, a slow claim's calls and the next step's
        # quick ones went out in the same second. (The next decision comes after every launch of this step is
        # stamped: the step returns once each one is counted, which is after its stamp.)
        wall = datetime.fromtimestamp(now, UTC)
        batch, attempts = await self.originator.claim(decision.launch, wall)
        if not batch.leads:
            ctx.why_not = WhyNotDialing.no_leads(batch.set_aside)
            return 0
        ctx.why_not = None
        loop = asyncio.get_running_loop()
        counted: list[asyncio.Future[float | None]] = [loop.create_future() for _ in attempts]
        for (attempt_id, start), in_flight in zip(attempts, counted, strict=True):
            self.originator.send(self.launch(attempt_id, start, in_flight), in_flight)
        return sum(1 for written in await asyncio.gather(*counted) if written is not None)

    async def launch(self, attempt_id: int, start: AttemptStart, counted: asyncio.Future[float | None]) -> bool:
        """One decided launch, in its own task: stamped in the window at the clock's time now, when the Originate
        is written (``Originator.originate`` writes it before its first wait, at this same time: the trunk gate
        spends its token and the call's ``sent_at`` at it too). One that ends up not written (no trunk room, the
        server gone) keeps its stamp: the window errs on the slow side."""
        self.window.record(self.ctx.clock.now())
        return await self.originator.originate(attempt_id, start, False, counted=counted)


class IvrContextBus(EventBus):
    """The runner's view of the daemon's bus: a screen pop of a call its flow handed to an agent carries the flow's
    context (path, keys, data, time: :mod:`dialer.ivr.context`), as an inbound IVR caller's does."""

    def __init__(self, inner: EventBus, contexts: Mapping[int, dict[str, str]]) -> None:
        super().__init__()
        self.inner = inner
        self.contexts = contexts

    def publish(self, topic: str, kind: str, **data: Any) -> None:
        attempt_id = data.get("attempt_id")
        if kind == "screen_pop" and isinstance(attempt_id, int):
            context = self.contexts.get(attempt_id)
            if context is not None:
                data["ivr"] = dict(context)
                data["ivr_summary"] = summarize(context)
        self.inner.publish(topic, kind, **data)

    @contextmanager
    def subscribe(self, *topics: str) -> Iterator[asyncio.Queue[Notification]]:
        with self.inner.subscribe(*topics) as queue:
            yield queue


class AgentlessRunner(CampaignRunner):
    """A campaign runner whose calls play the campaign's IVR flow (see the module's docstring).

    ``fastagi``: ``host:port`` of the daemon's FastAGI server as Asterisk reaches it (set by
    :class:`dialer.daemon.agentless.IvrRole` once it listens); no call goes out before.
    """

    def __init__(self, config: CampaignConfig, campaign_id: int, services: RunnerServices) -> None:
        super().__init__(config, campaign_id, services)
        self.flow = campaign_flow(self.config)
        self.fastagi: str | None = None
        self.durations: list[float] = []
        self.longest_call_seconds = 0.0
        self.transfers = 0
        self.pacing = AgentlessPacingLoop(self, self.pacing.tick_seconds)
        self._up: dict[int, float] = {}  # the calls up at the last step: attempt id -> when placed
        # attempt id -> the flow's context of a caller it handed to the queue (the agent's screen pop)
        self.ivr_contexts: OrderedDict[int, dict[str, str]] = OrderedDict()
        self.ctx.bus = IvrContextBus(self.ctx.bus, self.ivr_contexts)

    def set_fastagi(self, address: str | None) -> None:
        self.fastagi = address
        variables = {IVR_FLOW_VARIABLE: self.flow.name if self.flow is not None else ""}
        if address is not None:
            variables[FASTAGI_VARIABLE] = address
        self.originator.extra_variables = variables
        self.wake()

    def reconfigure(self, config: CampaignConfig) -> None:
        super().reconfigure(config)
        self.flow = campaign_flow(config)
        self.set_fastagi(self.fastagi)
        assert isinstance(self.pacing, AgentlessPacingLoop)
        # a new rate, the same launches: those of the last second still count against it
        self.pacing.window.calls_per_second = config.agentless.calls_per_second

    def mean_call_seconds(self) -> float:
        if len(self.durations) < MEASURED_AFTER:
            return MEAN_CALL_PRIOR_SECONDS
        recent = self.durations[-500:]
        return sum(recent) / len(recent)

    def transfer_share(self) -> float:
        placed = self.counters.attempts
        return self.transfers / placed if placed >= 100 else TRANSFER_SHARE_PRIOR

    def ivr_transfer(self, attempt_id: int, context: dict[str, str]) -> None:
        """The flow handed the call to the queue with this context (the FastAGI service tells)."""
        self.transfers += 1
        self.ivr_contexts[attempt_id] = context
        while len(self.ivr_contexts) > MAX_CONTEXTS:
            self.ivr_contexts.popitem(last=False)

    def ivr_finished(self, attempt_id: int) -> None:
        """The call's flow is over (its result stored); its context stays for the agent's wrap-up (bounded)."""

    def ivr_context(self, attempt_id: int) -> dict[str, str] | None:
        """The flow's context of a call it handed to an agent (the console's call view)."""
        return self.ivr_contexts.get(attempt_id)

    def call_measured(self, seconds: float) -> None:
        self.durations.append(seconds)
        self.longest_call_seconds = max(self.longest_call_seconds, seconds)

    def measure(self, now: float) -> None:
        """Calls that ended since the last step count in the mean call length (to the step's precision)."""
        calls = self.in_flight.calls
        for attempt_id, placed in list(self._up.items()):
            if attempt_id not in calls:
                del self._up[attempt_id]
                self.call_measured(now - placed)
        for attempt_id, call in calls.items():
            self._up.setdefault(attempt_id, call.sent_at)

    def status(self) -> dict[str, Any]:
        body = super().status()
        assert isinstance(self.pacing, AgentlessPacingLoop)
        decision = self.pacing.last_agentless
        body["agentless"] = {
            "flow": self.flow.name if self.flow is not None else None,
            "fastagi": self.fastagi,
            "max_channels": self.config.agentless.max_channels,
            "calls_per_second": self.config.agentless.calls_per_second,
            "target_finish": self.config.agentless.target_finish,
            "timezone": self.config.timezone,  # the target finish's zone
            "last_decision": None
            if decision is None
            else {
                "launch": decision.launch,
                "concurrency": decision.concurrency,
                "reason": decision.reason,
                "on_track": decision.on_track,
            },
        }
        return body
