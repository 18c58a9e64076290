"""Advancing a manual clock while daemons catch up, and waiting in real time."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar, cast

from dialer.clock import ManualClock
from dialer.daemon import Dialer

T = TypeVar("T")


def daemon_idle(dialer: Dialer) -> bool:
    """No pacing step or call update under way and no AMI event waiting to be handled."""
    runners_idle = all(r.idle for r in dialer.runners.values()) and dialer.inbound.idle
    return runners_idle and all(c.client._events.empty() for c in dialer.connections)


async def quiesce(dialers: Iterable[Dialer], *, rounds: int = 200, settle_timeout: float | None = None) -> None:
    """Let the daemons catch up with the clock: at most ``rounds`` turns of settling every runner. With
    ``settle_timeout`` a runner that does not settle in that much real time ends the wait (while the database is
    away a runner holds its updates until it is back; a step must not hang on it)."""
    dialers = list(dialers)
    for _ in range(rounds):
        if all(daemon_idle(d) for d in dialers):
            return
        for dialer in dialers:
            for runner in dialer.runners.values():
                try:
                    async with asyncio.timeout(settle_timeout):
                        await runner.settle()
                except TimeoutError:
                    return
        await asyncio.sleep(0.001)


async def advance(
    clock: ManualClock,
    dialers: Callable[[], Iterable[Dialer]],
    seconds: float,
    *,
    step: float = 0.5,
    until: Callable[[], bool] | None = None,
    rounds: int = 200,
    settle_timeout: float | None = None,
) -> float:
    """Advance simulated time in steps, letting the daemons (those alive at each step) catch up after each, until
    ``seconds`` have passed or ``until()`` holds; returns the time spent."""
    spent = 0.0
    while spent < seconds:
        await clock.advance(step)
        spent += step
        await quiesce(dialers(), rounds=rounds, settle_timeout=settle_timeout)
        if until is not None and until():
            break
    return spent


async def wait_real(condition: Callable[[], bool], seconds: float = 5.0, *, every: float = 0.01) -> bool:
    """Real time for socket-level events (a reset, a reconnect) or a daemon's background database work, while a
    simulated clock stands still; ``condition`` looked at every ``every`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if condition():
            return True
        await asyncio.sleep(every)
    return condition()


async def eventually(check: Callable[[], T | Awaitable[T]], seconds: float = 30.0) -> T:
    """Real time, polled every 0.1 s: the first true value of ``check()`` (plain or awaited); AssertionError when it
    is still false after ``seconds`` (for a web page or a live daemon seen from outside, on a real clock)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        value = check()
        result = cast("T", await value if inspect.isawaitable(value) else value)
        if result:
            return result
        if loop.time() >= deadline:
            raise AssertionError(f"not true within {seconds} s")
        await asyncio.sleep(0.1)
