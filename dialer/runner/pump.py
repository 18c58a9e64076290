"""The ordered event pump of one Asterisk server.

One task reads the server's typed events in wire order and hands each one, synchronously and in this order, to:
the call tracker (whose updates go to the runner that placed the call), the agent registry, and the inbound
queue load. Nothing here awaits the database or the PBX, so the pump keeps up with event bursts.
After every (re)connect it resynchronises calls, agents and queues from ``CoreShowChannels``/``QueueStatus``
instead of trusting state from before the cut, and hands each channel listing on (the daemon adopts the calls
a dead daemon left up, see :mod:`dialer.calls.adoption`). Events of calls the tracker does not follow are kept
by the pump's :class:`~dialer.calls.witness.CallWitness` until their attempt is adopted or closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Protocol

from dialer.agents.service import AgentService
from dialer.ami.client import QueueStatusSnapshot
from dialer.ami.events import AmiEvent, ConnectionDown, ConnectionUp, CoreShowChannel
from dialer.calls.queue_load import QueueLoad
from dialer.calls.tracker import CallUpdate
from dialer.calls.witness import CallWitness
from dialer.logging import get_logger
from dialer.runner.pool import Server
from dialer.tasks import cancel_and_wait

log = get_logger(__name__)


class UpdateSink(Protocol):
    def deliver(self, server: str, update: CallUpdate) -> None: ...

    def wake(self) -> None: ...


class ResyncSource(Protocol):
    async def core_show_channels(self) -> list[CoreShowChannel]: ...

    async def queue_status(self, queue: str | None = None, member: str | None = None) -> QueueStatusSnapshot: ...


class EventPump:
    def __init__(
        self,
        server: Server,
        events: Callable[[], AsyncIterator[AmiEvent]],
        *,
        agents: AgentService,
        queue_load: QueueLoad,
        route: Callable[[str], UpdateSink | None],
        all_sinks: Callable[[], list[UpdateSink]],
        resync_source: ResyncSource,
        clock: Callable[[], float],
        inbound_queues: frozenset[str] = frozenset(),
        observers: list[Callable[[AmiEvent, float], None]] | None = None,
        on_channels: Callable[[str, list[CoreShowChannel]], Awaitable[None]] | None = None,
    ) -> None:
        self.server = server
        self._events = events
        self._agents = agents
        self._queue_load = queue_load
        self._route = route
        self._all_sinks = all_sinks
        self._resync_source = resync_source
        self._clock = clock
        self._inbound_queues = inbound_queues
        self.events_seen = 0
        self.unrouted_updates = 0
        # The events of calls the tracker does not follow (another daemon's, a dead process's not yet adopted):
        # kept from the moment the connection is up, so their outcome is what the PBX said (dialer.calls.witness).
        self.witness = CallWitness()
        self.resyncs = 0
        # Synchronous observers called for every event after the agents (e.g. the inbound watcher).
        self._observers = observers or []
        self._resync_task: asyncio.Task[None] | None = None
        # Called with each fresh channel listing once the tracker has been reconciled with it (call adoption).
        self._on_channels = on_channels

    async def run(self) -> None:
        async for event in self._events():
            try:
                self.handle(event)
            except Exception:
                # One bad event must not stop the pump: log it and go on with the next.
                log.exception("event_handling_failed", server=self.server.name, event_type=type(event).__name__)

    def handle(self, event: AmiEvent) -> None:
        now = self._clock()
        self.events_seen += 1
        if isinstance(event, ConnectionUp):
            self._schedule_resync()
            self._wake_all()
            return
        if isinstance(event, ConnectionDown):
            self._wake_all()  # runners see the pool down and stop dialling at once
            return
        tracker = self.server.tracker
        # (Before the tracker: it forgets a call on its last event, which must not start a witnessed call.)
        self.witness.feed(
            event,
            now,
            tracked=lambda linkedid: tracker.attempt_for_uniqueid(linkedid) is not None,
            tracked_action=tracker.follows_action,
        )
        self.dispatch(tracker.feed(event, now))
        self._agents.on_event(event, self.server.name)
        for observe in self._observers:
            observe(event, now)
        if self._queue_load.feed(event, now):
            self._wake_all()

    def dispatch(self, updates: Iterable[CallUpdate]) -> None:
        for update in updates:
            sink = self._route(update.attempt_id)
            if sink is None:
                # Not ours (another daemon's call on a shared PBX, or a call from before a restart).
                self.unrouted_updates += 1
                continue
            sink.deliver(self.server.name, update)

    def sweep(self) -> None:
        """Give up on calls whose events never came; forget witnessed calls past their retention (periodic)."""
        now = self._clock()
        self.dispatch(self.server.tracker.sweep(now))
        self.witness.expire(now)

    def _wake_all(self) -> None:
        for sink in self._all_sinks():
            sink.wake()

    def _schedule_resync(self) -> None:
        if self._resync_task is None or self._resync_task.done():
            self._resync_task = asyncio.get_running_loop().create_task(self.resync(), name=f"resync-{self.server.name}")

    async def resync(self) -> None:
        """Calls, agents and inbound queues from the PBX's own listings (after a reconnect, and periodically)."""
        try:
            channels = await self._resync_source.core_show_channels()
            live = {c.uniqueid for c in channels} | {c.linkedid for c in channels}
            self.dispatch(self.server.tracker.reconcile(live, self._clock()))
            status = await self._resync_source.queue_status()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("resync_failed", server=self.server.name, error=str(exc))
            return
        self.resyncs += 1
        self._agents.reconcile(status.members, self.server.name)
        self._queue_load.reset_from_entries(status.entries, self._clock(), self._inbound_queues)
        self._wake_all()
        if self._on_channels is not None:
            try:
                await self._on_channels(self.server.name, channels)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("channel_listing_handler_failed", server=self.server.name)

    async def stop(self) -> None:
        await cancel_and_wait(self._resync_task)
