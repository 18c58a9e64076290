"""Stopping background tasks: every task is cancelled and awaited, ``None`` is skipped, and a task's own
failure is not hidden."""

from __future__ import annotations

import asyncio

import pytest

from dialer.tasks import cancel_and_wait


async def test_every_task_is_cancelled_and_has_ended() -> None:
    tasks = [asyncio.create_task(asyncio.sleep(3600)) for _ in range(3)]
    await cancel_and_wait(tasks[0], None, *tasks[1:])
    assert all(t.done() and t.cancelled() for t in tasks)


async def test_nothing_started_is_nothing_to_do() -> None:
    await cancel_and_wait()
    await cancel_and_wait(None, None)


async def test_a_task_that_failed_raises_its_error_after_all_are_cancelled() -> None:
    async def fails() -> None:
        raise RuntimeError("boom")

    failed = asyncio.create_task(fails())
    await asyncio.sleep(0)
    sleeper = asyncio.create_task(asyncio.sleep(3600))
    with pytest.raises(RuntimeError, match="boom"):
        await cancel_and_wait(failed, sleeper)
    await asyncio.sleep(0)
    assert sleeper.cancelled()
