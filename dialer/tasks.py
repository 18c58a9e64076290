"""Ending background asyncio tasks: the one way the daemon's parts stop what they started, and the one way they
finish work a cancelled caller gave up on (:func:`finished_even_if_cancelled`)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Coroutine
from typing import Any, TypeVar

import structlog

log = structlog.get_logger(__name__)

# How long a cancelled task may take to end before it is cancelled again (and the stop says so in the log).
CANCEL_GRACE_SECONDS = 5.0

T = TypeVar("T")

# Work whose caller was cancelled, kept referenced until it ends (the event loop holds tasks weakly).
_ORPHANS: set[asyncio.Future[Any]] = set()


async def finished_even_if_cancelled(
    work: Coroutine[Any, Any, T] | asyncio.Future[T], *, event: str, **ids: object
) -> T:
    """Run ``work`` to its end even if the caller is cancelled meanwhile (``asyncio.shield``): for work that must not
    stop half done, such as a write and the bookkeeping that follows it. The caller's cancel still reaches the
    caller at once. Nobody is then left to hear how the work ends, so a failure is logged: ``event`` with ``ids``
    and the error (asyncio alone would only say "exception never retrieved")."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        _ORPHANS.add(task)
        task.add_done_callback(lambda done: _orphan_ended(done, event, ids))
        raise


def _orphan_ended(task: asyncio.Future[Any], event: str, ids: dict[str, object]) -> None:
    _ORPHANS.discard(task)
    error = None if task.cancelled() else task.exception()
    if error is not None:
        log.error(event, error=repr(error), **ids)


async def cancel_and_wait(*tasks: asyncio.Future[Any] | None, grace_seconds: float = CANCEL_GRACE_SECONDS) -> None:
    """Cancel every task (``None``: nothing started), then wait for all to end; the CancelledError they end with is
    the expected ending and is not raised, the first other error a task ended with is.

    A task still running ``grace_seconds`` after its cancel is cancelled again, with a warning naming it and where it
    was: a cancel can be lost (on Python 3.11 ``asyncio.wait_for`` returns the awaited result instead when both land
    in one turn, in a library as much as here), and a stop must not wait for ever on it.

    A cancel of the caller while it waits does not cut the stop short: the tasks are still waited for, and the caller
    goes on with the rest of its stop (a stop half done leaves state behind: pending AMI actions, agent seats)."""
    started = [task for task in tasks if task is not None]
    await cancel_until_ended(started, grace_seconds=grace_seconds)
    for task in started:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            raise error


async def cancel_until_ended(
    tasks: Collection[asyncio.Future[Any]], *, grace_seconds: float, rounds: int | None = None
) -> set[asyncio.Future[Any]]:
    """Cancel the tasks not done yet, and cancel again (logged: ``task_ignored_cancel``) those still running
    ``grace_seconds`` later, until all have ended or, given ``rounds``, that many cancels were sent; the tasks still
    running then. A cancel of the caller does not cut it short (:func:`cancel_and_wait`)."""
    pending = {task for task in tasks if not task.done()}
    for task in pending:
        task.cancel()
    cancels = 1
    while pending:
        try:
            _, pending = await asyncio.wait(pending, timeout=grace_seconds)
        except asyncio.CancelledError:
            pending = {task for task in pending if not task.done()}
            continue  # the caller's own cancel: finish the stop first
        if not pending or (rounds is not None and cancels >= rounds):
            break
        for task in pending:
            log.warning("task_ignored_cancel", task=_name(task), at=task_location(task), grace_seconds=grace_seconds)
            task.cancel()
        cancels += 1
    return pending


def _name(task: asyncio.Future[Any]) -> str:
    return task.get_name() if isinstance(task, asyncio.Task) else repr(task)


def task_location(task: asyncio.Future[Any]) -> str:
    """Where a task is suspended: its innermost frame (file:line function), or "" for a plain future."""
    if not isinstance(task, asyncio.Task):
        return ""
    stack = task.get_stack(limit=None)
    if not stack:
        return ""
    frame = stack[-1]
    return f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}"
