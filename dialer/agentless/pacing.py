"""Pacing of agentless campaigns (pure): trunk capacity, calls per second and a target finish time, not agents.

An agentless campaign plays a flow to whoever answers; nobody waits for an agent unless the flow hands the call
to a queue. So the number of calls up at once is chosen to finish the list by the target time with the fewest
channels (leaving the trunk to other campaigns), never above the campaign's channel cap, never faster than its
calls-per-second budget (:class:`dialer.runner.trunks.TrunkGate` spends it), and -- when the flow can transfer
to agents -- never so many that the expected transfers outnumber the free agents: a caller who asked for an agent
counts against the agents' capacity exactly like a predictive call does (the queue wait is bounded by the flow's
``max_wait_seconds``, then a message: never silence).

By Little's law the calls up at once needed to place ``remaining`` calls of mean length ``m`` in time ``T`` is
``remaining * m / T``; a safety factor covers the variance of call lengths and the end of the list.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

SAFETY = 1.25  # calls up above the bare Little's-law need (the variance of call lengths)
# Re-planned every step, ``SAFETY * remaining * m / seconds_left`` runs the list down as ((T - t) / T) ** SAFETY:
# it ends *at* the deadline it is given, never before. So the deadline it is given is the target less a fixed
# margin (calls that run longer than measured, a slow PBX) as well as the last calls' own length.
FINISH_MARGIN_SECONDS = 300.0
TAIL_CALLS = 2.0  # the last calls placed still last about this many mean call lengths: stop placing that early
MIN_TIME_LEFT_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class AgentlessLoad:
    """What the runner knows right now."""

    now: datetime
    remaining: int  # calls still to place (leads not yet dialled, retries due before the target)
    in_flight: int  # calls of the campaign up now (ringing, in the flow, waiting in a queue)
    max_channels: int  # the campaign's channel cap (at most the trunks' channels)
    cps_room: int  # calls the calls-per-second budget allows now (TrunkGate.room)
    mean_call_seconds: float  # dial to hang-up, unanswered rings included (measured, or the flow's estimate)
    target_finish: datetime | None = None  # None: as fast as the cap allows
    longest_call_seconds: float = 0.0  # the longest call seen (a transfer, a long message): the last ones last that
    transfer_share: float = 0.0  # of the calls placed, the share that asks for an agent (0: no queue in flow)
    agents: int = 0  # agents staffing the transfer queue (logged in, ready or busy)
    agents_free: int = 0  # of them, ready now
    queue_waiting: int = 0  # the campaign's callers waiting for an agent now


class AgentlessBound(StrEnum):
    """What bounds an agentless campaign's calls up (the status's ``reason``; its sentence:
    :func:`dialer.runner.why_not.agentless_reason`)."""

    TARGET = "target"  # as many as finishing the list by the target time needs
    CHANNELS = "channels"  # the campaign's channel cap
    AGENTS = "agents"  # the transfer queue's agents
    CPS = "cps"  # the calls-per-second budget
    DONE = "done"  # nothing left to place now


@dataclass(frozen=True, slots=True)
class AgentlessDecision:
    launch: int  # Originates to write now
    concurrency: int  # the calls-up target
    reason: AgentlessBound  # what bounds it
    on_track: bool  # at full channels, the list would finish by the target

    def __post_init__(self) -> None:
        if self.launch < 0 or self.concurrency < 0:
            raise ValueError("a pacing decision is never negative")


def required_concurrency(remaining: int, mean_call_seconds: float, seconds_left: float) -> int:
    """Calls up at once to place ``remaining`` calls of mean length ``mean_call_seconds`` in ``seconds_left``."""
    if remaining <= 0:
        return 0
    return max(1, math.ceil(SAFETY * remaining * mean_call_seconds / max(MIN_TIME_LEFT_SECONDS, seconds_left)))


def agentless_launches(load: AgentlessLoad) -> AgentlessDecision:
    if load.remaining <= 0:
        return AgentlessDecision(0, 0, AgentlessBound.DONE, True)
    mean = max(1.0, load.mean_call_seconds)
    if load.target_finish is None:
        wanted, reason = load.max_channels, AgentlessBound.CHANNELS
        on_track = True
    else:
        seconds_left = (
            (load.target_finish - load.now).total_seconds()
            - max(TAIL_CALLS * mean, load.longest_call_seconds)
            - FINISH_MARGIN_SECONDS
        )
        wanted = required_concurrency(load.remaining, mean, seconds_left)
        on_track = load.remaining * mean / max(1, load.max_channels) <= max(0.0, seconds_left)
        reason = AgentlessBound.TARGET
        if wanted >= load.max_channels:
            wanted, reason = load.max_channels, AgentlessBound.CHANNELS
    concurrency = wanted
    if load.transfer_share > 0:
        # the expected callers asking for an agent among the calls up stay within the staffed agents, and
        # nobody new is dialled while a caller already waits with no agent free
        agent_cap = math.floor(min(load.max_channels, load.agents / load.transfer_share))
        if load.queue_waiting > 0 and load.queue_waiting >= load.agents_free:
            agent_cap = min(agent_cap, load.in_flight)
        if agent_cap < concurrency:
            concurrency, reason = agent_cap, AgentlessBound.AGENTS
    launch = max(0, min(concurrency - load.in_flight, load.remaining))
    if launch > load.cps_room:
        launch, reason = max(0, load.cps_room), AgentlessBound.CPS
    return AgentlessDecision(launch, max(0, concurrency), reason, on_track)


@dataclass
class LaunchWindow:
    """Calls per second as a hard sliding window: never more than ``cps`` Originates in any second.

    (For a CPS below 1: one call per ``1 / cps`` seconds.) :class:`dialer.runner.trunks.TrunkGate` caps the
    server's trunk with a token bucket, which allows a burst of one second's worth on top of the rate; a
    campaign's own cap is this stricter one.
    """

    calls_per_second: float
    _times: deque[float] = field(default_factory=deque, repr=False)

    def __post_init__(self) -> None:
        if self.calls_per_second <= 0:
            raise ValueError("calls per second must be positive")

    @property
    def window(self) -> float:
        return max(1.0, 1.0 / self.calls_per_second)

    @property
    def allowed(self) -> int:
        return max(1, math.floor(self.calls_per_second * self.window + 1e-9))

    def room(self, now: float) -> int:
        while self._times and now - self._times[0] >= self.window:
            self._times.popleft()
        return max(0, self.allowed - len(self._times))

    def record(self, now: float) -> None:
        self._times.append(now)
