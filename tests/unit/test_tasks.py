"""Stopping background tasks: every task is cancelled and awaited, ``None`` is skipped, and a task's own
failure is not hidden. Work that must finish outlives its cancelled caller, and its failure is logged."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from dialer.tasks import cancel_and_wait, finished_even_if_cancelled


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


async def test_a_task_that_lost_its_cancel_is_cancelled_again_and_named() -> None:
    """A cancel lost in a race (Python 3.11's wait_for returns the result that landed in the same turn) must not hold
    a stop for ever: after the grace the task is cancelled again, and the log says which task and where."""
    lost: list[str] = []

    async def loses_its_first_cancel() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            lost.append("first cancel")  # as if the awaited thing had finished in the same turn
        await asyncio.sleep(3600)

    task = asyncio.create_task(loses_its_first_cancel(), name="stubborn")
    await asyncio.sleep(0)
    with capture_logs() as logs:
        async with asyncio.timeout(5):
            await cancel_and_wait(task, grace_seconds=0.05)
    assert task.cancelled()
    assert lost == ["first cancel"]
    (warning,) = [e for e in logs if e["event"] == "task_ignored_cancel"]
    assert warning["task"] == "stubborn"
    assert "loses_its_first_cancel" in warning["at"]


async def test_a_stop_cancelled_while_it_waits_still_ends_its_tasks_and_goes_on() -> None:
    """A second SIGTERM cancelling a stop half-way must not leave its tasks running or its clean-up undone."""
    ended: list[str] = []

    async def slow_to_end() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0.05)  # e.g. a last write on its way out
            ended.append("task")

    task = asyncio.create_task(slow_to_end())
    await asyncio.sleep(0)

    async def stop() -> None:
        await cancel_and_wait(task)
        ended.append("rest of the stop")

    stopper = asyncio.create_task(stop())
    await asyncio.sleep(0.01)
    stopper.cancel()
    async with asyncio.timeout(5):
        await stopper
    assert ended == ["task", "rest of the stop"]
    assert task.cancelled()


async def test_work_outlives_its_cancelled_caller_and_a_late_failure_is_logged() -> None:
    gate = asyncio.Event()
    steps: list[str] = []

    async def write(fail: bool) -> str:
        steps.append("written")
        await gate.wait()
        steps.append("counted")  # the bookkeeping after the write: never cut off from it
        if fail:
            raise RuntimeError("disk full")
        return "done"

    gate.set()
    assert await finished_even_if_cancelled(write(False), event="never") == "done"  # uncancelled: its result
    gate.clear()
    for fail in (False, True):
        caller = asyncio.create_task(finished_even_if_cancelled(write(fail), event="write_failed", attempt_id=7))
        await asyncio.sleep(0.01)
        caller.cancel()
        with capture_logs() as logs:
            with pytest.raises(asyncio.CancelledError):
                await caller  # the caller's cancel reaches the caller at once
            assert steps[-1] == "written"
            gate.set()
            for _ in range(5):
                await asyncio.sleep(0)
        assert steps[-1] == "counted"
        failures = [entry for entry in logs if entry["event"] == "write_failed"]
        if fail:
            assert failures == [
                {"event": "write_failed", "log_level": "error", "attempt_id": 7, "error": "RuntimeError('disk full')"}
            ]
        else:
            assert failures == []
        gate.clear()
