"""Ending background asyncio tasks: the one way the daemon's parts stop what they started."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(*tasks: asyncio.Future[Any] | None) -> None:
    """Cancel every task (``None``: nothing started), then wait for each to end; the CancelledError it ends with
    is the expected ending and is not raised."""
    started = [task for task in tasks if task is not None]
    for task in started:
        task.cancel()
    for task in started:
        with contextlib.suppress(asyncio.CancelledError):
            await task
