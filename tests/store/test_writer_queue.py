"""SQLite's writer queue: one writer at a time, in arrival order, urgent writers (the pacing step) first."""

from __future__ import annotations

import asyncio

import pytest

from dialer.store.engine import WriterQueue


async def writer(queue: WriterQueue, name: str, log: list[str], *, urgent: bool = False) -> None:
    async with queue.hold(urgent=urgent):
        log.append(f"{name}+")
        await asyncio.sleep(0)
        log.append(f"{name}-")


async def held_queue(name: str) -> tuple[WriterQueue, list[str], asyncio.Event, asyncio.Task[None]]:
    """A writer queue, its log, and the task of a writer ``name`` holding the queue (logged once it does) until
    the event returned is set."""
    queue = WriterQueue()
    log: list[str] = []
    release = asyncio.Event()

    async def hold() -> None:
        async with queue.hold():
            log.append(name)
            await release.wait()

    held = asyncio.create_task(hold())
    await asyncio.sleep(0)
    return queue, log, release, held


async def test_one_writer_at_a_time_urgent_ones_ahead_of_those_waiting() -> None:
    queue, log, release, held = await held_queue("a")
    waiting = [asyncio.create_task(writer(queue, n, log)) for n in ("b", "c")]
    await asyncio.sleep(0)
    urgent = asyncio.create_task(writer(queue, "step", log, urgent=True))
    await asyncio.sleep(0)
    assert queue.waiting == 3
    release.set()
    await asyncio.gather(held, *waiting, urgent)
    assert log == ["a", "step+", "step-", "b+", "b-", "c+", "c-"]
    assert queue.waiting == 0


async def test_a_cancelled_waiter_neither_holds_nor_blocks_the_writer() -> None:
    queue, log, release, held = await held_queue("held")
    cancelled = asyncio.create_task(writer(queue, "gone", log))
    later = asyncio.create_task(writer(queue, "later", log))
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    assert queue.waiting == 1
    release.set()
    await asyncio.gather(held, later)
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert log == ["held", "later+", "later-"]


@pytest.mark.parametrize("while_holding", [False, True], ids=["as-it-is-handed-the-writer", "skipped-by-a-release"])
async def test_a_waiter_cancelled_at_the_release_ends_cancelled_and_passes_the_writer_on(while_holding: bool) -> None:
    """Cancelled just as the writer is handed to it (before it runs), or while waiting so that the release skips
    it: either way it ends cancelled, the next waiter writes and the writer is free again."""
    queue = WriterQueue()
    log: list[str] = []
    release = asyncio.Event()
    unlucky: list[asyncio.Task[None]] = []

    async def holder() -> None:
        async with queue.hold():
            await release.wait()
            if while_holding:
                unlucky[0].cancel()  # cancelled while waiting; the release below skips it before it runs
        if not while_holding:
            unlucky[0].cancel()  # the writer was just handed to it, and it has not run yet

    held = asyncio.create_task(holder())
    await asyncio.sleep(0)
    unlucky.append(asyncio.create_task(writer(queue, "unlucky", log)))
    later = asyncio.create_task(writer(queue, "later", log))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(held, later)
    with pytest.raises(asyncio.CancelledError):
        await unlucky[0]
    assert log == ["later+", "later-"]
    assert queue.waiting == 0
    async with queue.hold():  # free again
        pass


async def test_a_holder_may_hand_the_writer_on_before_its_block_ends_and_only_once() -> None:
    """``Database.write`` hands the writer on once its transaction is over, before its connection goes back to the
    pool; the block's end then releases nothing more (the next holder keeps it)."""
    queue = WriterQueue()
    log: list[str] = []
    handed_on = asyncio.Event()
    finish = asyncio.Event()

    async def first() -> None:
        async with queue.hold() as hand_on:
            log.append("first+")
            hand_on()
            handed_on.set()
            await finish.wait()
            log.append("first-")

    async def second() -> None:
        async with queue.hold():
            log.append("second+")
            await finish.wait()
            log.append("second-")

    held = asyncio.create_task(first())
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(second()), asyncio.create_task(writer(queue, "third", log))]
    await handed_on.wait()
    await asyncio.sleep(0)
    assert log == ["first+", "second+"]
    finish.set()
    await asyncio.gather(held, *waiting)
    assert log == ["first+", "second+", "first-", "second-", "third+", "third-"]
    assert queue.waiting == 0
