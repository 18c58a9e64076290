"""Virtual hold ("call me back instead of waiting"), the pure part: the estimated wait of an inbound queue, the
answer of the ``queue_wait`` lookup, and when a ``book_callback`` callback falls due.

The daemon reads a :class:`QueueNow` from its live state (:mod:`dialer.daemon.ivractions`: the queue on the caller's
own Asterisk server when it knows it) and asks :func:`estimate_wait` with the time now; nothing here reads a clock
or the store.

The estimate (whole seconds):

- no agent logged in to the queue: the queue is **closed** (status ``closed``, ``seconds`` = ``longer_than`` + 1:
  nobody can answer; the flow offers the callback as for a long wait);
- an agent serving the queue is ready now: 0;
- logged in but nobody serving (every one paused, or about to be: a pause asked during a call or a wrap-up): as if
  one agent came back, (callers waiting + 1) × the mean handle time, and the wait is ``long`` whatever the number
  (nobody serves now);
- else the caller joining now is answered at the k-th time an agent serving the queue frees up, k = the callers
  ahead of them (those waiting, less those an agent of the queue is being rung for) + 1. Each serving agent is next
  free after a time τ, from what the daemon knows of them:

  - in wrap-up: when they are ready again at the latest (the "ready in N s" they announced, else the wrap-up
    timer's end), taken as that time;
  - on a call already ``T`` seconds long (being rung: ``T`` = 0): one of the measured talk times longer than ``T``,
    less ``T``, equally likely (the measured distribution's remaining time), when at least
    :data:`MIN_TALK_SAMPLES` were measured and :data:`MIN_LONGER_SAMPLES` of them are longer than ``T``; else an
    exponential time of mean ``H``, the mean handle time (memoryless: the call's age then says nothing of its end).

  Step by step, k times: the expected time until the next agent frees up, E[min τ] over the agents (independent),
  computed exactly; the agent expected soonest stands in for whichever freed up (an approximation): they take the
  next caller, a call of mean ``H``, memoryless; every other agent is known not to have been free so soon (their
  times longer than the step, less the step). With every agent memoryless this is (callers ahead + 1) × H ÷ serving
  agents -- the expected wait of a caller in an M/M/c queue whose agents are all busy, the estimate before the
  daemon used the agents' progress; with one agent, E[τ] + (k − 1) × H.

The mean handle time is the measured one (the mean talk time of the queue's visits in the last hour, every server's)
when there is one, else :data:`DEFAULT_HANDLE_SECONDS`; the measured talk times are those visits' own. Not counted:
callers ahead who give up (the wait errs long); agents who also serve other queues and take those callers first, the
ring time, and the wrap-up after each call still to come (it errs short).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

# The mean handle time assumed when the daemon has measured none in the last hour (an inbound call's typical talk).
DEFAULT_HANDLE_SECONDS: Final = 180.0
# The longest a booked callback may be put off (``delay_minutes``): a week.
MAX_CALLBACK_DELAY_MINUTES: Final = 7 * 24 * 60
# The measured talk times used as the shape of a call's remaining time: at least this many measured, and at least
# MIN_LONGER_SAMPLES of them longer than the call in progress (else the memoryless assumption).
MIN_TALK_SAMPLES: Final = 20
MIN_LONGER_SAMPLES: Final = 5
# At most this many measured talk times are used (evenly spaced quantiles of them beyond that).
MAX_SHAPE_POINTS: Final = 200
# (a hair of float error on a whole second must not round up to the next one)
_ROUNDING: Final = 1e-6


class WaitStatus(StrEnum):
    SHORT = "short"  # at most longer_than seconds
    LONG = "long"  # more than longer_than seconds
    CLOSED = "closed"  # no agent logged in to the queue


@dataclass(frozen=True, slots=True)
class OnCall:
    """A serving agent on a call since ``since`` (daemon clock seconds; an agent being rung: now)."""

    since: float


@dataclass(frozen=True, slots=True)
class WrappingUp:
    """A serving agent in wrap-up, ready again at the latest at ``ready_by`` (daemon clock seconds)."""

    ready_by: float


BusyAgent = OnCall | WrappingUp


@dataclass(frozen=True, slots=True)
class QueueNow:
    """One inbound queue as the daemon sees it now (on the caller's server, when known)."""

    waiting: int  # callers waiting in the queue
    logged_in: int  # agents logged in to the queue (paused ones included)
    ready: int  # of those, ready for a call now
    busy: tuple[BusyAgent, ...] = ()  # of those, serving the queue but not free now (not paused nor about to be)
    mean_handle_seconds: float | None = None  # measured (last hour's mean talk time); None: not measured
    talk_seconds: tuple[float, ...] = ()  # the measured talk times that mean is of
    being_offered: int = 0  # of the callers waiting, those an agent of the queue is being rung for now

    @property
    def serving(self) -> int:
        """The agents who serve the queue: ready, or busy (not paused nor about to be)."""
        return max(0, self.ready) + len(self.busy)


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    status: WaitStatus
    seconds: int
    waiting: int
    handle_seconds: float  # the mean handle time the estimate used

    def data(self) -> dict[str, str]:
        """The lookup's data (stored as ``<store>_seconds`` and ``<store>_waiting``)."""
        return {"seconds": str(self.seconds), "waiting": str(self.waiting)}


def estimate_wait(queue: QueueNow, longer_than: int, now: float) -> WaitEstimate:
    """The estimated wait of a caller joining ``queue`` at ``now``, and whether it is longer than ``longer_than`` s."""
    handle = queue.mean_handle_seconds
    if handle is None or not handle > 0 or not math.isfinite(handle):
        handle = DEFAULT_HANDLE_SECONDS
    waiting = max(0, queue.waiting)
    if queue.logged_in <= 0:
        return WaitEstimate(WaitStatus.CLOSED, longer_than + 1, waiting, handle)
    if queue.ready > 0:
        return WaitEstimate(WaitStatus.SHORT, 0, waiting, handle)
    if queue.serving <= 0:
        return WaitEstimate(WaitStatus.LONG, _whole((waiting + 1) * handle), waiting, handle)
    shape = talk_shape(queue.talk_seconds)
    agents = [_next_free(agent, now, shape) for agent in queue.busy]
    turn = max(0, waiting - max(0, queue.being_offered)) + 1
    seconds = _whole(_time_of_turn(agents, turn, handle))
    return WaitEstimate(WaitStatus.LONG if seconds > longer_than else WaitStatus.SHORT, seconds, waiting, handle)


def talk_shape(talk_seconds: Sequence[float]) -> tuple[float, ...]:
    """The measured talk times, sorted (finite, ≥ 0), thinned to :data:`MAX_SHAPE_POINTS` evenly spaced quantiles."""
    times = sorted(t for t in talk_seconds if math.isfinite(t) and t >= 0)
    if len(times) <= MAX_SHAPE_POINTS:
        return tuple(times)
    return tuple(times[int((i + 0.5) * len(times) / MAX_SHAPE_POINTS)] for i in range(MAX_SHAPE_POINTS))


def remaining_talk(elapsed: float, shape: Sequence[float]) -> tuple[float, ...]:
    """The equally likely remaining times of a call already ``elapsed`` s long: the measured talk times (``shape``,
    sorted) longer than it, less ``elapsed``; () when too few were measured to tell (the memoryless assumption)."""
    if len(shape) < MIN_TALK_SAMPLES:
        return ()
    longer = shape[bisect_right(shape, elapsed) :]
    if len(longer) < MIN_LONGER_SAMPLES:
        return ()
    return tuple(t - elapsed for t in longer)


@dataclass(frozen=True, slots=True)
class _NextFree:
    """When one serving agent is next free (s from now): one of the equally likely ``times``, or, with none, after an
    exponential time of mean ``H`` (memoryless)."""

    times: tuple[float, ...]

    def expected(self, handle: float) -> float:
        return sum(self.times) / len(self.times) if self.times else handle

    def beyond(self, step: float) -> _NextFree:
        """The same agent known not to be free ``step`` s from now, seen from then (free at once when every time of
        theirs is past: they were expected free by then)."""
        if not self.times:
            return self
        return _NextFree(tuple(t - step for t in self.times if t > step) or (0.0,))


_FRESH = _NextFree(())  # an agent who has just taken a call: memoryless


def _next_free(agent: BusyAgent, now: float, shape: Sequence[float]) -> _NextFree:
    if isinstance(agent, WrappingUp):
        return _NextFree((max(0.0, agent.ready_by - now),))
    return _NextFree(remaining_talk(max(0.0, now - agent.since), shape))


def _first_free(agents: Sequence[_NextFree], handle: float) -> float:
    """E[min τ] over the agents' independent next-free times: ∫ Π P(τ > t) dt, exactly (piecewise: the known times'
    survivals are steps, the memoryless agents' e^(−t/H) each)."""
    memoryless = sum(1 for agent in agents if not agent.times)
    rate = memoryless / handle
    timed = [agent.times for agent in agents if agent.times]
    if not timed:
        return handle / memoryless
    left = [len(times) for times in timed]  # each timed agent's times not yet past
    passing = sorted((t, i) for i, times in enumerate(timed) for t in times)
    total, survival, start = 0.0, 1.0, 0.0
    for t, i in passing:
        if t > start:
            total += survival * _decay(start, t, rate)
            start = t
        survival *= (left[i] - 1) / left[i]
        left[i] -= 1
        if survival <= 0.0:
            break
    return total


def _decay(start: float, end: float, rate: float) -> float:
    """∫ e^(−rate·t) dt from start to end."""
    if rate <= 0.0:
        return end - start
    return (math.exp(-rate * start) - math.exp(-rate * end)) / rate


def _time_of_turn(agents: Sequence[_NextFree], turn: int, handle: float) -> float:
    """The expected time of the ``turn``-th agent freeing: step by step, the next one's expected time; the agent
    expected soonest then takes a call (memoryless), the others are known not to have been free so soon. Once every
    agent is memoryless each further turn takes H ÷ agents."""
    pending = list(agents)
    elapsed = 0.0
    for done in range(turn):
        if all(not agent.times for agent in pending):
            return elapsed + (turn - done) * handle / len(pending)
        step = _first_free(pending, handle)
        soonest = min(range(len(pending)), key=lambda i: pending[i].expected(handle))
        pending = [_FRESH if i == soonest else agent.beyond(step) for i, agent in enumerate(pending)]
        elapsed += step
    return elapsed


def _whole(seconds: float) -> int:
    return max(0, math.ceil(seconds - _ROUNDING))


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
