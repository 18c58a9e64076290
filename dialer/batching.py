"""Rows written in batches: kept in memory as they come and written once a second in one transaction, kept (bounded)
while the database is away, and never cut short by a stop (a cancel lands between writes, not inside one).

The agents' state history (dialer.agents.history) and the inbound callers' visits (dialer.inbound.writer) use it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Generic, TypeVar

from dialer.clock import Clock
from dialer.logging import get_logger
from dialer.tasks import finished_even_if_cancelled

log = get_logger(__name__)

R = TypeVar("R")

MAX_BUFFERED = 50_000  # rows kept while the database is unreachable; beyond this the oldest are dropped (logged)


class BatchedWriter(Generic[R]):
    """``write(rows)`` stores a batch in one transaction; ``name`` names the log events (``<name>_write_failed``,
    ``<name>_dropped``)."""

    def __init__(
        self,
        write: Callable[[Sequence[R]], Awaitable[None]],
        clock: Clock,
        *,
        name: str,
        every_seconds: float = 1.0,
        max_buffered: int = MAX_BUFFERED,
    ) -> None:
        self._write = write
        self._clock = clock
        self._name = name
        self._every = every_seconds
        self._max = max_buffered
        self.buffer: list[R] = []
        self._lock = asyncio.Lock()  # one write at a time: a flush returns once what was buffered before it is written
        self.written = 0
        self.dropped = 0

    def extend(self, rows: Iterable[R]) -> None:
        self.buffer.extend(rows)
        if len(self.buffer) > self._max:
            excess = len(self.buffer) - self._max
            del self.buffer[:excess]
            self.dropped += excess
            log.warning(f"{self._name}_dropped", dropped=excess)

    async def flush(self) -> None:
        """Write what is buffered. Waits for a write under way first (the loop's, or one a stop left running), so a
        flush returns only once every row buffered before it is stored (or kept, the database being away)."""
        async with self._lock:
            batch, self.buffer = self.buffer, []
            if not batch:
                return
            try:
                await self._write(batch)
            except Exception as exc:
                self.buffer[:0] = batch  # the database is away: kept for the next flush (bounded above)
                log.warning(f"{self._name}_write_failed", pending=len(self.buffer), error=str(exc))
                return
            self.written += len(batch)

    async def run(self) -> None:
        while True:
            await self._clock.sleep(self._every)
            if self.buffer:
                # A stop cancels this loop: never inside a write (a cancelled aiosqlite transaction is left open,
                # holding SQLite's lock until its connection is collected, and every later write waits it out).
                await finished_even_if_cancelled(self.flush(), event=f"{self._name}_write_failed")
