"""Inbound queue load for blending: who is waiting in which queue, and since when (pure).

Fed with the typed queue events: ``QueueCallerJoin`` adds a caller, ``QueueCallerLeave`` removes it (it follows
``QueueCallerAbandon`` too, and an agent answering), so only Join/Leave change the set; ``QueueCallerAbandon``
is counted. After a reconnect, ``reset_from_entries`` rebuilds the state from ``QueueStatus``'s ``QueueEntry``
items, the server's truth.
"""

from __future__ import annotations

from collections.abc import Iterable

from dialer.ami.events import AmiEvent, QueueCallerAbandon, QueueCallerJoin, QueueCallerLeave, QueueEntry


class QueueLoad:
    def __init__(self, queues: Iterable[str] | None = None, *, max_callers_per_queue: int = 10_000) -> None:
        # None: every queue; otherwise only these (e.g. the inbound queues a campaign blends with).
        self._only = frozenset(queues) if queues is not None else None
        self._waiting: dict[str, dict[str, float]] = {}  # queue -> caller Uniqueid -> joined at
        self._abandoned: dict[str, int] = {}
        self._max_callers = max_callers_per_queue

    def _watched(self, queue: str) -> bool:
        return self._only is None or queue in self._only

    def feed(self, event: AmiEvent, now: float) -> bool:
        """Apply one event; True if the load of a watched queue changed."""
        if isinstance(event, QueueCallerJoin):
            if not self._watched(event.queue):
                return False
            callers = self._waiting.setdefault(event.queue, {})
            if len(callers) >= self._max_callers and event.uniqueid not in callers:
                return False  # bounded: a queue this long means lost Leave events; reset_from_entries fixes it
            callers.setdefault(event.uniqueid, now)
            return True
        if isinstance(event, QueueCallerLeave):
            leaving = self._waiting.get(event.queue)
            if leaving is None or leaving.pop(event.uniqueid, None) is None:
                return False
            if not leaving:
                del self._waiting[event.queue]
            return True
        if isinstance(event, QueueCallerAbandon) and self._watched(event.queue):
            self._abandoned[event.queue] = self._abandoned.get(event.queue, 0) + 1
        return False

    def waiting(self, queue: str) -> int:
        return len(self._waiting.get(queue, ()))

    def total_waiting(self) -> int:
        return sum(len(callers) for callers in self._waiting.values())

    def longest_wait(self, queue: str, now: float) -> float:
        callers = self._waiting.get(queue)
        return max(0.0, now - min(callers.values())) if callers else 0.0

    def abandoned(self, queue: str) -> int:
        return self._abandoned.get(queue, 0)

    def snapshot(self, now: float) -> dict[str, tuple[int, float]]:
        """queue -> (callers waiting, longest wait in seconds)."""
        return {queue: (len(callers), self.longest_wait(queue, now)) for queue, callers in self._waiting.items()}

    def reset_from_entries(self, entries: Iterable[QueueEntry], now: float, queues: Iterable[str]) -> None:
        """Replace the state of ``queues`` with the ``QueueEntry`` list of a ``QueueStatus`` (``Wait`` = seconds)."""
        for queue in queues:
            self._waiting.pop(queue, None)
        for entry in entries:
            if self._watched(entry.queue):
                self._waiting.setdefault(entry.queue, {})[entry.uniqueid] = now - entry.wait
