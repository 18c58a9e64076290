"""CPU-bound request work off the event loop, in a worker process.

A worker thread is not enough for large documents: pydantic-core validates a 21 000-disposition campaign in one call
that holds the GIL, and the loop that paces calls stalls for as long (hundreds of ms). A worker process has its own
interpreter. It is started on first use (spawned: no fork of a running loop and its threads), one at a time, and a
worker that died is replaced by the next request. Small inputs stay in a thread: a process round trip costs more.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

import structlog
from aiohttp import web

log = structlog.get_logger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# Inputs from this size on go to the worker process (a few KiB of campaign parse in a thread stalls nothing).
PROCESS_THRESHOLD_BYTES = 128 * 1024


class CpuWorker:
    """One worker process for heavy parsing and validation (``fn`` and its arguments must pickle)."""

    def __init__(self) -> None:
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False
        self.process_jobs = 0  # calls handed to the worker process (what ran off the loop's interpreter)

    def _pool(self) -> ProcessPoolExecutor:
        if self._closed:
            raise RuntimeError("the CPU worker is closed")
        if self._executor is None:
            self._executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return self._executor

    async def run(self, size: int, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args)``: in the worker process when the input is ``size`` bytes or more, else in a thread."""
        if size < PROCESS_THRESHOLD_BYTES:
            return await asyncio.to_thread(fn, *args, **kwargs)
        loop = asyncio.get_running_loop()
        self.process_jobs += 1
        try:
            return await loop.run_in_executor(self._pool(), _call, fn, args, kwargs)
        except BrokenProcessPool:
            log.warning("cpu_worker_replaced", reason="the worker process died")
            self._executor = None
            return await loop.run_in_executor(self._pool(), _call, fn, args, kwargs)

    def close(self) -> None:
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _call(fn: Callable[..., T], args: tuple[object, ...], kwargs: dict[str, object]) -> T:
    return fn(*args, **kwargs)


CPU_WORKER = web.AppKey("cpu_worker", CpuWorker)


async def cpu_worker_ctx(app: web.Application) -> AsyncIterator[None]:
    """The worker's lifetime: the application's (its process ends with the daemon)."""
    yield
    app[CPU_WORKER].close()
