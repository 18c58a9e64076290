"""Inbound traffic seen by the dialer: the arrival rate the pacer subtracts, the screen pop of an inbound caller, and
which server each live channel is on (an IVR caller's FastAGI request names only its channel).

Asterisk semantics: ``QueueCallerJoin`` carries the caller's number (``CallerIDNum``) and Uniqueid; the agent who
takes the call is named by ``AgentConnect`` (``Interface``), which comes *after* ``QueueCallerLeave``. The caller's
visit (:class:`dialer.inbound.calls.InboundCallBook`, bounded) keeps the number from the join until the call ends,
and the screen pop reads it there when the agent connects.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from dialer.agents.registry import AgentRegistry
from dialer.ami.events import AgentConnect, AmiEvent, QueueCallerJoin, UserEvent
from dialer.calls.channel_servers import ChannelServers
from dialer.campaign.phones import Phone, normalize
from dialer.contract import IVR_TRANSFER_USER_EVENT
from dialer.inbound.calls import InboundCall, InboundCallBook, transferred_in
from dialer.ivr.agi import decode_context
from dialer.ivr.context import ContextBook, summarize
from dialer.logging import get_logger
from dialer.runner.bus import EventBus

log = get_logger(__name__)

# (campaign name, lead id) of every lead whose number matches.
LeadFinder = Callable[[str], Awaitable[list[tuple[str, int]]]]
# Told of every inbound visit whose story ended (dialer.inbound.writer stores them).
FinishedSink = Callable[[list[InboundCall]], None]


class InboundWatcher:
    def __init__(
        self,
        queues: Iterable[str],
        *,
        bus: EventBus,
        registry: AgentRegistry,
        find_leads: LeadFinder,
        default_region: str = "US",
        rate_window_seconds: float = 900.0,
        max_callers: int = 10_000,
        on_finished: FinishedSink | None = None,
    ) -> None:
        self.queues = frozenset(queues)
        self._bus = bus
        self._registry = registry
        self._find_leads = find_leads
        self._region = default_region
        self._window = rate_window_seconds
        self._arrivals: deque[tuple[float, str | None]] = deque()  # (when, on which server)
        self._first_seen: float | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._ivr = ContextBook(max_callers)  # callers an IVR flow handed to a queue: what they did there
        self.calls = InboundCallBook(self.queues, max_calls=max_callers)  # what becomes of each caller
        # Each live channel's server: an IVR caller's FastAGI request names only its channel (virtual hold's
        # estimate is of the caller's own server).
        self.channels = ChannelServers()
        self._on_finished = on_finished
        self.pops = 0

    def observe(self, event: AmiEvent, now: float, server: str | None = None) -> None:
        """One event of ``server``'s pump (blending is per server: its callers reach its agents only)."""
        self.channels.observe(event, now, server)
        finished = self.calls.observe(event, now, server)
        if finished and self._on_finished is not None:
            self._on_finished(finished)
        if isinstance(event, QueueCallerJoin) and event.queue in self.queues:
            self._arrivals.append((now, server))
            if self._first_seen is None:
                self._first_seen = now
        elif isinstance(event, UserEvent) and event.name == IVR_TRANSFER_USER_EVENT:
            if event.get("Queue") in self.queues:
                self._ivr.put(event.uniqueid, decode_context(event.get("Context") or ""))
        elif isinstance(event, AgentConnect) and event.queue in self.queues and not transferred_in(event):
            # (a customer an agent transferred into the queue is no inbound caller: the closer's screen pop is the
            # transferred call's, dialer.callcontrol)
            number = self.calls.caller_of(server, event.uniqueid)  # (the book kept it from the join)
            ivr = self._ivr.take(event.uniqueid)
            agent = self._registry.by_interface(event.interface)
            if agent is not None:
                pop = self._pop(agent.agent_id, event.queue, event.uniqueid, number, ivr)
                task = asyncio.get_running_loop().create_task(pop)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    @property
    def idle(self) -> bool:
        """No screen-pop lookup under way (tests on a manual clock wait for this)."""
        return not self._tasks

    def arrivals_per_second(self, now: float, server: str | None = None) -> float:
        """Inbound arrivals over the last window (or since the first one seen, if more recent), on ``server``
        (None: on every server)."""
        while self._arrivals and self._arrivals[0][0] < now - self._window:
            self._arrivals.popleft()
        if self._first_seen is None:
            return 0.0
        span = min(self._window, max(60.0, now - self._first_seen))
        arrivals = sum(1 for _, on in self._arrivals if server is None or on == server)
        return arrivals / span

    async def _pop(self, agent_id: str, queue: str, call: str, number: str, ivr: dict[str, str] | None = None) -> None:
        """The agent's screen pop of the inbound call ``call`` (the caller's Uniqueid: what consent recorded on
        the call names) from ``number``, with the leads it matches."""
        data: dict[str, Any] = {"inbound": True, "queue": queue, "call": call, "caller": number, "matches": []}
        if ivr is not None:
            data["ivr"] = ivr
            data["ivr_summary"] = summarize(ivr)
        phone = normalize(number, self._region) if number else None
        if isinstance(phone, Phone):
            try:
                matches = await self._find_leads(phone.e164)
            except Exception:
                log.exception("inbound_lead_lookup_failed", agent=agent_id)
                matches = []
            data["matches"] = [{"campaign": campaign, "lead_id": lead_id} for campaign, lead_id in matches]
            if matches:
                data["campaign"], data["lead_id"] = matches[0]
        self.pops += 1
        self._bus.publish(f"agent:{agent_id}", "screen_pop", **data)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
