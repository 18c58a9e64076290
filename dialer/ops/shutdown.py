"""Drain-then-cancel shutdown, testable without real signals.

First SIGTERM/SIGINT: `draining` is set — runners stop originating and let live calls finish until the drain
deadline. A second signal, or the deadline, sets `cancelled`: whatever is left is cancelled and marked interrupted.
SIGHUP asks for a reload of settings and campaign files.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from dialer.logging import get_logger

log = get_logger(__name__)


class ShutdownController:
    def __init__(self, drain_timeout: float) -> None:
        self.drain_timeout = drain_timeout
        self.draining = asyncio.Event()
        self.cancelled = asyncio.Event()
        self.reload_requested = asyncio.Event()
        self._deadline_task: asyncio.Task[None] | None = None
        self._on_reload: list[Callable[[], None]] = []

    def on_reload(self, callback: Callable[[], None]) -> None:
        self._on_reload.append(callback)

    def request_stop(self, reason: str = "signal") -> None:
        """The exit handler: the first call drains, the second cancels."""
        if self.draining.is_set():
            log.warning("shutdown_forced", reason=reason)
            self.cancelled.set()
            return
        log.info("shutdown_draining", reason=reason, drain_timeout=self.drain_timeout)
        self.draining.set()
        self._deadline_task = asyncio.get_running_loop().create_task(self._deadline())

    def request_reload(self) -> None:
        log.info("reload_requested")
        self.reload_requested.set()
        for callback in self._on_reload:
            callback()

    async def _deadline(self) -> None:
        try:
            async with asyncio.timeout(self.drain_timeout):
                await self.cancelled.wait()
        except TimeoutError:
            log.warning("drain_deadline_reached", drain_timeout=self.drain_timeout)
            self.cancelled.set()

    def install_signal_handlers(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.add_signal_handler(signal.SIGTERM, self.request_stop, "SIGTERM")
        loop.add_signal_handler(signal.SIGINT, self.request_stop, "SIGINT")
        loop.add_signal_handler(signal.SIGHUP, self.request_reload)

    def remove_signal_handlers(self, loop: asyncio.AbstractEventLoop) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)

    async def wait_drained(self, drained: asyncio.Event) -> bool:
        """Wait until `drained` is set or the shutdown is forced; True when it drained cleanly."""
        drained_wait = asyncio.ensure_future(drained.wait())
        cancelled_wait = asyncio.ensure_future(self.cancelled.wait())
        done, pending = await asyncio.wait({drained_wait, cancelled_wait}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if self._deadline_task is not None:
            self._deadline_task.cancel()
        return drained_wait in done and drained.is_set()
