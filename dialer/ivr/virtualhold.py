"""Virtual hold ("call me back instead of waiting"), the pure part: the estimated wait of an inbound queue, the
answer of the ``queue_wait`` lookup, and when a ``book_callback`` callback falls due.

The daemon reads a :class:`QueueNow` from its live state (:mod:`dialer.daemon.ivractions`) and asks
:func:`estimate_wait`; nothing here reads a clock or the store.

The estimate (whole seconds):

- no agent logged in to the queue: the queue is **closed** (status ``closed``, ``seconds`` = ``longer_than`` + 1:
  nobody can answer; the flow offers the callback as for a long wait);
- an agent serving the queue is ready now: 0;
- else (callers waiting + 1) × mean handle time ÷ agents logged in to the queue and not paused (a caller joining
  now waits for those ahead and their own turn; the serving agents work in parallel). The mean handle time is the
  measured one (the mean talk time of the queue's visits in the last hour) when there is one, else
  :data:`DEFAULT_HANDLE_SECONDS`. Agents in wrap-up count as serving (they come back by themselves); paused ones
  do not. Logged in but every one paused: as if one agent came back (÷ 1), and the wait is ``long`` whatever the
  number (nobody serves now).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

# The mean handle time assumed when the daemon has measured none in the last hour (an inbound call's typical talk).
DEFAULT_HANDLE_SECONDS: Final = 180.0
# The longest a booked callback may be put off (``delay_minutes``): a week.
MAX_CALLBACK_DELAY_MINUTES: Final = 7 * 24 * 60


class WaitStatus(StrEnum):
    SHORT = "short"  # at most longer_than seconds
    LONG = "long"  # more than longer_than seconds
    CLOSED = "closed"  # no agent logged in to the queue


@dataclass(frozen=True, slots=True)
class QueueNow:
    """One inbound queue as the daemon sees it now."""

    waiting: int  # callers waiting in the queue
    logged_in: int  # agents logged in to the queue (paused ones included)
    serving: int  # of those, not paused (ready, ringing, talking, in wrap-up)
    ready: int  # of those, ready for a call now
    mean_handle_seconds: float | None  # measured (last hour's mean talk time); None: not measured


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    status: WaitStatus
    seconds: int
    waiting: int
    handle_seconds: float  # the mean handle time the estimate used

    def data(self) -> dict[str, str]:
        """The lookup's data (stored as ``<store>_seconds`` and ``<store>_waiting``)."""
        return {"seconds": str(self.seconds), "waiting": str(self.waiting)}


def estimate_wait(queue: QueueNow, longer_than: int) -> WaitEstimate:
    """The estimated wait of a caller joining ``queue`` now, and whether it is longer than ``longer_than`` s."""
    handle = queue.mean_handle_seconds
    if handle is None or not handle > 0 or not math.isfinite(handle):
        handle = DEFAULT_HANDLE_SECONDS
    waiting = max(0, queue.waiting)
    if queue.logged_in <= 0:
        return WaitEstimate(WaitStatus.CLOSED, longer_than + 1, waiting, handle)
    ready_now = queue.ready > 0 and queue.serving > 0
    seconds = 0 if ready_now else math.ceil((waiting + 1) * handle / max(1, queue.serving))
    long = seconds > longer_than or queue.serving <= 0
    return WaitEstimate(WaitStatus.LONG if long else WaitStatus.SHORT, seconds, waiting, handle)


class BadArgument(ValueError):
    """An action's argument that is not what the action takes (the action answers ``error``)."""


def whole_number(text: str, name: str, *, default: int | None = None, most: int | None = None) -> int:
    """An action's argument as a whole number ≥ 0 (``default`` when empty); :class:`BadArgument` otherwise."""
    text = text.strip()
    if not text and default is not None:
        return default
    if not text.isdigit():
        raise BadArgument(f"{name}: {text!r} is not a whole number")
    value = int(text)
    if most is not None and value > most:
        raise BadArgument(f"{name}: {value} is more than {most}")
    return value


def callback_due(now: datetime, delay_minutes: int) -> datetime:
    """When a callback booked at ``now`` falls due: ``delay_minutes`` later (0: now, i.e. as soon as the campaign's
    rules allow: the claim still checks the calling window and the DNC list when it is dialled)."""
    return now + timedelta(minutes=delay_minutes)
