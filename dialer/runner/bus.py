"""In-process notifications (screen pops, agent and campaign changes) for the web console and dashboard.

Subscribers get a bounded queue each: a slow browser loses its oldest notifications, never blocks the dialer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Notification:
    topic: str  # "agent:<id>" (screen pops, state), "campaign:<name>", "dashboard"
    kind: str  # "screen_pop", "agent_state", "call_ended", "pacing", ...
    data: dict[str, Any] = field(default_factory=dict)


class EventBus:
    def __init__(self, queue_size: int = 256) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue[Notification]]] = {}
        self.published = 0
        self.dropped = 0

    def publish(self, topic: str, kind: str, **data: Any) -> None:
        note = Notification(topic, kind, data)
        self.published += 1
        for queue in list(self._subscribers.get(topic, ())) + list(self._subscribers.get("*", ())):
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(note)

    @contextmanager
    def subscribe(self, *topics: str) -> Iterator[asyncio.Queue[Notification]]:
        """``with bus.subscribe("agent:alice") as queue: note = await queue.get()``; ``"*"`` gets everything."""
        queue: asyncio.Queue[Notification] = asyncio.Queue(self._queue_size)
        for topic in topics:
            self._subscribers.setdefault(topic, set()).add(queue)
        try:
            yield queue
        finally:
            for topic in topics:
                subscribers = self._subscribers.get(topic)
                if subscribers is not None:
                    subscribers.discard(queue)
                    if not subscribers:
                        del self._subscribers[topic]
