"""Drain-then-cancel shutdown, testable without real signals.

First SIGTERM/SIGINT: `draining` is set — runners stop originating and let live calls finish until the drain
deadline. A second signal, or the deadline, sets `cancelled`: whatever is left is cancelled and marked interrupted.
SIGHUP asks for a reload of settings and campaign files.

Once the drain is over (:meth:`ShutdownController.drain_ended`) a stop signal changes nothing: the process is only
closing up, and its exit status is the drain's (:attr:`ShutdownController.exit_status`): ``0`` when every call ended
in the drain, :data:`EXIT_DRAIN_CUT_SHORT` when a second signal or the deadline cut it short (the calls left were
marked interrupted). The controller of a whole process (`dialer run`, ``process=True``) then ignores SIGTERM and
SIGINT until the process exits: a late signal does not kill it with the default signal death (exit 143) while it
closes its database, its connections and its event loop.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from dialer.logging import get_logger

log = get_logger(__name__)

# `dialer run`'s exit status when its drain was cut short (a second SIGTERM/SIGINT, or drain_timeout_seconds reached):
# the calls still up were marked interrupted. The shipped systemd unit lists it in SuccessExitStatus: a stop asked
# for is not a failure to restart from (dialer/ops/dialer.service).
EXIT_DRAIN_CUT_SHORT = 4
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class ShutdownController:
    def __init__(self, drain_timeout: float, *, process: bool = False) -> None:
        """``process``: this controller stops the whole process (`dialer run`): once the drain is over, SIGTERM and
        SIGINT are ignored until it exits. Without it (a server inside a test) signal dispositions are left as they
        were."""
        self.drain_timeout = drain_timeout
        self.process = process
        self.draining = asyncio.Event()
        self.cancelled = asyncio.Event()
        self.reload_requested = asyncio.Event()
        self.drained: bool | None = None  # the drain's outcome once it is over (:meth:`drain_ended`)
        self._deadline_task: asyncio.Task[None] | None = None
        self._on_reload: list[Callable[[], None]] = []

    def on_reload(self, callback: Callable[[], None]) -> None:
        self._on_reload.append(callback)

    def request_stop(self, reason: str = "signal") -> None:
        """The exit handler: the first call drains, the second cancels; once the drain is over, nothing."""
        if self.drained is not None:
            log.info("shutdown_signal_after_drain", reason=reason, drained=self.drained)
            return
        if self.draining.is_set():
            log.warning("shutdown_forced", reason=reason)
            self.cancelled.set()
            return
        log.info("shutdown_draining", reason=reason, drain_timeout=self.drain_timeout)
        self.draining.set()
        self._deadline_task = asyncio.get_running_loop().create_task(self._deadline())

    def drain_ended(self, drained: bool) -> None:
        """The drain is over: every call ended (``drained``), or it was cut short and the calls left were marked
        interrupted. Its outcome is the exit status; from now on a stop signal changes nothing (see the module)."""
        self.drained = drained
        if self._deadline_task is not None:
            self._deadline_task.cancel()
        log.info("shutdown_drain_ended", drained=drained)
        if self.process:
            loop = asyncio.get_running_loop()
            for sig in _STOP_SIGNALS:
                loop.remove_signal_handler(sig)
                # Not through the loop: its handlers are removed (the default restored) when it closes.
                signal.signal(sig, signal.SIG_IGN)

    @property
    def exit_status(self) -> int:
        """The process's exit status: 0 unless the drain was cut short (:data:`EXIT_DRAIN_CUT_SHORT`)."""
        return EXIT_DRAIN_CUT_SHORT if self.drained is False else 0

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
        """The loop's handlers go (a stop signal ignored since the drain ended stays ignored)."""
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
