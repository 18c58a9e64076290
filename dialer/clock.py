"""Time for the daemon and the simulated PBX: every timer of both goes through one of these clocks.

``now()`` is a Unix epoch in *simulated* seconds (it ends up in Uniqueids, ``LoginTime``, ``Timestamp``...).

* :class:`RealTimeClock` follows the event loop, optionally accelerated (``speed=10`` runs ten simulated
  seconds per real second: a ring of 10 s takes 1 s of wall time).
* :class:`ManualClock` only moves when a test calls :meth:`ManualClock.advance`; timers fire in time order
  and the loop gets a turn after each, so what they wrote reaches the sockets before the next one fires.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Protocol


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """What the PBX needs from time."""

    def now(self) -> float:
        """Simulated Unix time, seconds."""
        ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` after ``delay`` simulated seconds (``delay`` <= 0: as soon as possible)."""
        ...

    async def sleep(self, delay: float) -> None:
        """Wait ``delay`` simulated seconds."""
        ...


class RealTimeClock:
    """The event loop's clock, scaled by ``speed`` (1.0 = real time)."""

    def __init__(self, speed: float = 1.0, *, start_epoch: float | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.speed = speed
        self._start_epoch = time.time() if start_epoch is None else start_epoch
        self._start_mono = time.monotonic()

    def now(self) -> float:
        return self._start_epoch + (time.monotonic() - self._start_mono) * self.speed

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        loop = asyncio.get_running_loop()
        return loop.call_later(max(delay, 0.0) / self.speed, callback)

    async def sleep(self, delay: float) -> None:
        await asyncio.sleep(max(delay, 0.0) / self.speed)


class _ManualTimer:
    __slots__ = ("callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """A clock that stands still until :meth:`advance` is awaited (end-to-end tests)."""

    def __init__(self, start_epoch: float = 1_795_393_670.0) -> None:
        self._now = start_epoch
        self._heap: list[tuple[float, int, _ManualTimer]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = _ManualTimer(self._now + max(delay, 0.0), callback)
        heapq.heappush(self._heap, (timer.when, next(self._seq), timer))
        return timer

    async def sleep(self, delay: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        timer = self.call_later(delay, wake)
        try:
            await future
        finally:
            timer.cancel()

    @property
    def pending(self) -> int:
        """Timers not yet fired nor cancelled."""
        return sum(1 for _, _, t in self._heap if not t.cancelled)

    def next_deadline(self) -> float | None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, firing every timer due on the way, in order."""
        await self.advance_to(self._now + seconds)

    async def advance_to(self, target: float) -> None:
        await _let_loop_run()
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > target:
                break
            _, _, timer = heapq.heappop(self._heap)
            self._now = max(self._now, timer.when)
            timer.callback()
            await _let_loop_run()
        self._now = max(self._now, target)
        await _let_loop_run()


async def _let_loop_run() -> None:
    # A few turns: socket writes, woken sleepers and the tasks they resume all get to run.
    for _ in range(3):
        await asyncio.sleep(0)
