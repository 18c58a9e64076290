"""Helpers several test tiers share (importable as ``testsupport``: tests/ is on the path through its conftest)."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import structlog

from dialer.ami.client import QueueStatusSnapshot
from dialer.ami.events import QueueMember
from dialer.logging import configure_logging


@contextmanager
def logging_to(level: str, fmt: str = "json") -> Iterator[io.StringIO]:
    """The daemon's own log configuration writing here; the previous one restored after."""
    root = logging.getLogger()
    handlers, root_level = root.handlers[:], root.level
    out = io.StringIO()
    configure_logging(level, fmt, stream=out)
    try:
        yield out
    finally:
        structlog.reset_defaults()
        root.handlers[:] = handlers
        root.setLevel(root_level)
        logging.getLogger("apscheduler").setLevel(logging.NOTSET)


async def wait_real(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Real time for socket-level events (a reset, a reconnect) or a daemon's background database work, while a
    simulated clock stands still."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.01)
    return condition()


class QueuePbx:
    """The queue side of an AMI connection for agent tests: every action accepted, QueueStatus lists ``members``."""

    is_up = True

    def __init__(self) -> None:
        self.members: list[QueueMember] = []

    async def queue_add(self, queue: str, interface: str, **kw: object) -> bool:
        return True

    async def queue_remove(self, queue: str, interface: str) -> bool:
        return True

    async def queue_pause(self, interface: str, paused: bool, *, queue: str | None = None, reason: str = "") -> None:
        return None

    async def queue_status(self, queue: str | None = None, member: str | None = None) -> QueueStatusSnapshot:
        return QueueStatusSnapshot(params=(), members=tuple(self.members), entries=())
