"""The test event loops' close, bounded: what the daemon's own stops do (dialer.tasks.cancel_and_wait), for the tasks
a test leaves behind.

pytest-asyncio closes each test's loop through ``asyncio.Runner.close``, which cancels the tasks still pending and
then waits for them with no limit. A task that loses its cancel -- on Python 3.11 ``asyncio.wait_for`` returns the
awaited result instead when both land in one turn, in a library as much as in our code -- holds that close, and the
test, until pytest-timeout ends it 10 minutes later (CI's one timeout so far was in a teardown; what held it is not
known). Here a task still running after a grace is cancelled again, which ends one that merely lost a cancel; one
that outlives ROUNDS cancels (ROUNDS × GRACE_SECONDS) fails the test's teardown, naming it and where it waits, instead
of hanging the run.
"""

from __future__ import annotations

import asyncio
import asyncio.runners
from typing import Any

from dialer.tasks import cancel_until_ended, task_location

GRACE_SECONDS = 2.0
ROUNDS = 5


class TasksIgnoredCancel(Exception):
    """Tasks left by a test that did not end after ROUNDS cancels (not a RuntimeError: pytest-asyncio turns those
    into a warning, and this must fail the teardown)."""


def _where(task: asyncio.Task[Any]) -> str:
    return f"{task.get_name()} at {task_location(task) or '?'}"


def cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """``asyncio.runners._cancel_all_tasks``, with the cancel repeated and the wait bounded (the daemon's own
    :func:`dialer.tasks.cancel_until_ended`, given a number of rounds)."""
    pending = asyncio.all_tasks(loop)
    if not pending:
        return
    started = set(pending)
    pending = loop.run_until_complete(cancel_until_ended(started, grace_seconds=GRACE_SECONDS, rounds=ROUNDS))
    for task in started - pending:
        if not task.cancelled() and task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception during the test loop's close",
                    "exception": task.exception(),
                    "task": task,
                }
            )
    if pending:
        names = "; ".join(sorted(_where(t) for t in pending))
        raise TasksIgnoredCancel(f"{len(pending)} task(s) left by the test ignored {ROUNDS} cancels: {names}")


def install() -> None:
    """Route every asyncio.Runner's close (pytest-asyncio's loops) through :func:`cancel_all_tasks`."""
    if hasattr(asyncio.runners, "_cancel_all_tasks"):
        asyncio.runners._cancel_all_tasks = cancel_all_tasks  # type: ignore[attr-defined]
