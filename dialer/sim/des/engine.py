"""A fast discrete-event simulation of one campaign: agents, dials, the 2-second queue, inbound calls.

No sockets, no clock: a heap of timed events over the world model (:mod:`dialer.sim.model`). Every random
quantity has its own stream seeded from the run's seed — the k-th dial, the k-th conversation, the inbound
arrivals — so policies compared on one seed face the same callers (common random numbers).

Policies see the simulation through :class:`Simulation` (the same snapshot the daemon builds) and are asked
how many calls to place on every tick (1 s) and whenever an agent becomes idle.

Why one module (over 500 lines): :class:`Simulation` is one event loop -- its handlers (a dial's result, AMD's
verdict, the 2-second wait, talk and wrap-up ends, the agents' schedule, inbound arrivals) share the heap, the
agents and the random streams, and each is a few lines that only mean something next to the others.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from dataclasses import fields
from typing import Protocol

from dialer.pacing import AgentState, AgentView, CallInFlight, CallLoad, CallStage, InboundLoad, PacingStats
from dialer.pacing.stats import LeadHistory, LearntDial
from dialer.sim.des.metrics import Metrics, RunResult
from dialer.sim.model import CalleeKind, DialOutcome, Scenario, WorldModel

# Event kinds (ints keep heap tuples cheap).
_DIAL_RESULT, _AMD_DONE, _WAIT_EXPIRED, _CONNECTED, _TALK_END, _WRAP_END = range(6)
_INBOUND_ARRIVAL, _INBOUND_GIVE_UP, _TICK = 6, 7, 8

_READY_VIEW = AgentView(AgentState.READY, 0.0)

# The simulator builds a view of every busy agent every second (a tenth of a 100-agent run went to AgentView's
# frozen-dataclass constructor and its check): its fields set through their slots, values the engine computes
# (finite, never negative). A field added to AgentView must be added here: checked at import.
_VIEW_FIELDS = ("state", "seconds_in_state", "blended", "ready_in_seconds", "agent_id")
if tuple(f.name for f in fields(AgentView)) != _VIEW_FIELDS:
    raise RuntimeError("AgentView's fields changed: update dialer.sim.des.engine._busy_view")
_new_view = object.__new__
_set_state, _set_seconds, _set_blended, _set_ready_in, _set_agent_id = (
    getattr(AgentView, name).__set__ for name in _VIEW_FIELDS
)


def _busy_view(state: AgentState, seconds: float, ready_in: float | None, agent_id: str | None) -> AgentView:
    """``AgentView(state, seconds, ready_in_seconds=ready_in, agent_id=agent_id)``, built without the
    dataclass's constructor."""
    view: AgentView = _new_view(AgentView)
    _set_state(view, state)
    _set_seconds(view, seconds)
    _set_blended(view, False)
    _set_ready_in(view, ready_in)
    _set_agent_id(view, agent_id)
    return view


def _hour_of(t: float) -> int:
    """The hour of day of time ``t`` on the simulation's clock (it starts at midnight)."""
    return int(t // 3600.0) % 24


class Policy(Protocol):
    name: str

    def calls_now(self, sim: Simulation) -> tuple[int, bool]:
        """How many calls to place now, and whether they are placed by the predictive rule."""
        ...


class Agent:
    __slots__ = (
        "announce_from",
        "announced_ready",
        "free_at",
        "ident",
        "index",
        "leaving",
        "ready_since",
        "since",
        "state",
        "talk_factor",
        "wrap_factor",
    )

    def __init__(self, index: int, talk_factor: float = 1.0, wrap_factor: float = 1.0) -> None:
        self.index = index
        self.ident = f"agent-{index}"
        self.talk_factor, self.wrap_factor = talk_factor, wrap_factor  # this agent's own speed (the world's)
        self.state = AgentState.READY
        self.since = 0.0
        self.ready_since = 0.0
        self.free_at = 0.0  # exact time this agent will be ready again (the clairvoyant bound reads it)
        self.leaving = False  # logs out when the current call's wrap-up ends (the agent schedule)
        # The current wrap-up's "ready in N s" (the world's [ready] model): shown from ``announce_from`` on, saying
        # ready at ``announced_ready`` (absolute times); None: not announced.
        self.announce_from = 0.0
        self.announced_ready: float | None = None


class Call:
    __slots__ = (
        "amd",
        "attempt",
        "hour",
        "learnt",
        "outcome",
        "predictive",
        "stage",
        "stage_since",
        "start",
        "waiting_deadline",
    )

    def __init__(
        self, start: float, outcome: DialOutcome, predictive: bool, attempt: int = 1, *, amd: bool = True
    ) -> None:
        self.start = start
        self.amd = amd  # AMD runs on its answer (the world's AMD, unless the pacer paused it for this call)
        self.hour = _hour_of(start)  # the hour of day it was placed in
        self.attempt = attempt  # the lead's attempt number (its history)
        self.outcome = outcome
        self.learnt: LearntDial | None = None  # how the pacer learnt its dial (a machine an agent marks: taken back)
        self.predictive = predictive
        self.stage = CallStage.DIALLING
        self.stage_since = start
        self.waiting_deadline = 0.0


class InboundCaller:
    __slots__ = ("arrival", "done")

    def __init__(self, arrival: float) -> None:
        self.arrival = arrival
        self.done = False


class Simulation:
    """One run of one policy over one scenario."""

    def __init__(self, scenario: Scenario, seed: int, *, tick_seconds: float = 1.0) -> None:
        self.scenario = scenario
        self.world = WorldModel(scenario)
        self.stats = PacingStats()
        self.now = 0.0
        self.tick_seconds = tick_seconds
        self.max_wait = scenario.outbound.max_wait_seconds
        self.connect_delay = scenario.agents.connect_delay_seconds
        streams = random.Random(seed)
        self.rng_dial = random.Random(streams.getrandbits(64))
        self.rng_talk = random.Random(streams.getrandbits(64))
        self.rng_wrap = random.Random(streams.getrandbits(64))
        self.rng_inbound = random.Random(streams.getrandbits(64))
        self.rng_patience = random.Random(streams.getrandbits(64))
        # Drawn after the streams above, so worlds without per-agent speeds or lead histories keep their callers.
        rng_agents = random.Random(streams.getrandbits(64))
        self.rng_leads = random.Random(streams.getrandbits(64))
        self.rng_ready = random.Random(streams.getrandbits(64))  # the agents' "ready in N s" ([ready])
        # Every agent in wrap-up announces exactly when they will be ready, from its first second (``ours-ready``:
        # clairvoyant about wrap-up ends; the world's own [ready] announcements otherwise).
        self.announce_exact = False
        # Calls placed now go out without AMD (the pacer's ``PacingDecision.amd``, set by the policy).
        self.amd_paused = False
        self._attempts: list[int] = []  # the attempt number of each run of ``attempt_batch`` dials, drawn lazily
        factors = self.world.draw_agent_factors(rng_agents, scenario.agents.count)
        self.agents = [Agent(i, talk, wrap) for i, (talk, wrap) in enumerate(factors)]
        for agent in self.agents[scenario.agents.logged_in_at(0.0) :]:
            agent.state = AgentState.PAUSED  # logged out at the start (the agent schedule)
        self.ready: deque[Agent] = deque(a for a in self.agents if a.state is AgentState.READY)
        self.in_flight: dict[int, Call] = {}
        self.outbound_waiting: deque[int] = deque()
        self.inbound_waiting: deque[InboundCaller] = deque()
        self._events: list[tuple[float, int, int, object]] = []
        self._seq = 0
        self._call_ids = 0
        self.metrics: Metrics | None = None

    # -- what policies read

    def agent_views(self, *, announce_ready: bool = False, with_ids: bool = False) -> list[AgentView]:
        """The logged-in agents (a logged-out one is PAUSED here and not shown), agents in wrap-up with their
        "ready in N s" where the world's [ready] model has them announce it. ``announce_ready`` (or
        ``announce_exact``): every agent in wrap-up says exactly when they will be ready (one leaving at the end
        of it says nothing). ``with_ids``: each busy agent named (the pacer reads their own handle times)."""
        now = self.now
        exact = announce_ready or self.announce_exact
        ready, paused, wrapup = AgentState.READY, AgentState.PAUSED, AgentState.WRAPUP
        ready_in = self._ready_in
        return [
            _READY_VIEW
            if a.state is ready
            else _busy_view(
                a.state,
                now - a.since,
                ready_in(a, exact) if a.state is wrapup else None,
                a.ident if with_ids else None,
            )
            for a in self.agents
            if a.state is not paused
        ]

    def _ready_in(self, agent: Agent, exact: bool) -> float | None:
        if agent.leaving:
            return None
        if exact:
            return max(0.0, agent.free_at - self.now)
        if agent.announced_ready is not None and self.now >= agent.announce_from:
            return max(0.0, agent.announced_ready - self.now)
        return None

    def call_views(self) -> list[CallInFlight]:
        now = self.now
        return [CallInFlight(c.stage, now - c.stage_since) for c in self.in_flight.values()]

    def hour_of_day(self, at: float | None = None) -> int:
        """The hour of day on the simulation's clock (it starts at midnight)."""
        return _hour_of(self.now if at is None else at)

    @staticmethod
    def history(attempt: int) -> LeadHistory:
        """A simulated lead's history: its attempts after the first follow a no answer."""
        return LeadHistory(attempt, "no_answer" if attempt > 1 else None)

    def call_load(self, *, by_hour: bool, by_history: bool) -> CallLoad:
        """The calls in flight as the daemon's runner hands them over, each ringing call with the answer rate
        the pacer learnt for its dial hour and lead history (when asked for)."""
        now, stats = self.now, self.stats
        dialling: list[float] = []
        rates: list[float | None] = []
        amd: list[float] = []
        waiting = 0
        memo: dict[tuple[int | None, int], float] = {}
        for c in self.in_flight.values():
            if c.stage is CallStage.DIALLING:
                dialling.append(now - c.stage_since)
                key = (c.hour if by_hour else None, c.attempt if by_history else 0)
                rate = memo.get(key)
                if rate is None:
                    history = self.history(c.attempt) if by_history else None
                    rate = memo[key] = stats.answer_rate(key[0], history)
                rates.append(rate)
            elif c.stage is CallStage.AMD:
                amd.append(now - c.stage_since)
            else:
                waiting += 1
        return CallLoad(dialling, amd, waiting, rates if (by_hour or by_history) else None)

    def next_answer_rates(self, count: int, *, by_hour: bool) -> list[float]:
        """The answer rates the pacer learnt for the next ``count`` leads to be dialled (their histories)."""
        hour = self.hour_of_day() if by_hour else None
        if self.world.attempt_classes == 1:  # every lead on its first attempt: one rate
            return [self.stats.answer_rate(hour, self.history(1))] * count
        memo: dict[int, float] = {}
        out: list[float] = []
        batch = self.scenario.outbound.attempt_batch
        k, end = self._call_ids, self._call_ids + count
        while k < end:  # one run of ``batch`` dials shares its attempt number
            attempt = self._attempt_of(k)
            rate = memo.get(attempt)
            if rate is None:
                rate = memo[attempt] = self.stats.answer_rate(hour, self.history(attempt))
            run_end = min(end, (k // batch + 1) * batch)
            out.extend([rate] * (run_end - k))
            k = run_end
        return out

    def _attempt_of(self, dial: int) -> int:
        """The attempt number of the ``dial``-th dial (0-based): one draw per run of ``attempt_batch`` dials."""
        run = dial // self.scenario.outbound.attempt_batch
        while len(self._attempts) <= run:
            self._attempts.append(self.world.draw_attempt(self.rng_leads))
        return self._attempts[run]

    def inbound_load(self) -> InboundLoad:
        if not self.scenario.inbound.enabled:
            return InboundLoad()
        return InboundLoad(
            callers_waiting=len(self.inbound_waiting),
            arrivals_per_second=self.world.inbound_rate_per_second(self.now),
            mean_handle_seconds=self.scenario.handle.mean_handle_seconds,
        )

    def busy_agents_free_in(self) -> list[float]:
        """Exact seconds until each busy agent is ready again (only the clairvoyant bound may read this)."""
        now = self.now
        return [
            a.free_at - now for a in self.agents if a.state is not AgentState.READY and a.state is not AgentState.PAUSED
        ]

    # -- running

    def _push(self, time: float, kind: int, payload: object) -> None:
        self._seq += 1
        heapq.heappush(self._events, (time, self._seq, kind, payload))

    def run(self, policy: Policy, hours: float, warmup_minutes: float) -> RunResult:
        warmup = warmup_minutes * 60.0
        end = warmup + hours * 3600.0
        metrics = self.metrics = Metrics(self.scenario, warmup, end)
        self._push(0.0, _TICK, None)
        first = self.world.next_inbound_arrival(self.rng_inbound, 0.0)
        if first is not None:
            self._push(first, _INBOUND_ARRIVAL, None)
        events = self._events
        pop = heapq.heappop
        while events:
            time, _, kind, payload = pop(events)
            if time > end:
                break
            self.now = time
            if kind == _TICK:
                if self.scenario.agents.schedule is not None:
                    self._follow_schedule()
                self._decide(policy)
                self._push(time + self.tick_seconds, _TICK, None)
            elif kind == _DIAL_RESULT:
                self._dial_result(payload)  # type: ignore[arg-type]
            elif kind == _WAIT_EXPIRED:
                self._wait_expired(payload)  # type: ignore[arg-type]
            elif kind == _TALK_END:
                self._talk_end(payload)  # type: ignore[arg-type]
            elif kind == _WRAP_END:
                if self._wrap_end(payload):  # type: ignore[arg-type]
                    self._decide(policy)
            elif kind == _CONNECTED:
                agent = payload
                assert isinstance(agent, Agent)
                self._set_state(agent, AgentState.TALKING)
            elif kind == _AMD_DONE:
                self._amd_done(payload)  # type: ignore[arg-type]
            elif kind == _INBOUND_ARRIVAL:
                self._inbound_arrival()
            elif kind == _INBOUND_GIVE_UP:
                self._inbound_give_up(payload)  # type: ignore[arg-type]
        self.now = end
        for agent in self.agents:
            metrics.agent_time(agent.state, agent.since, end)
        return metrics.result(policy.name)

    def _decide(self, policy: Policy) -> None:
        calls, predictive = policy.calls_now(self)
        for _ in range(calls):
            self._dial(predictive)

    def _dial(self, predictive: bool) -> None:
        now = self.now
        attempt = self._attempt_of(self._call_ids)
        outcome = self.world.draw_dial_outcome(self.rng_dial, now, attempt)
        self._call_ids += 1
        call_id = self._call_ids
        self.in_flight[call_id] = Call(now, outcome, predictive, attempt, amd=not self.amd_paused)
        assert self.metrics is not None
        self.metrics.dial(now)
        self._push(now + outcome.ring_seconds, _DIAL_RESULT, call_id)

    def _dial_result(self, call_id: int) -> None:
        call = self.in_flight[call_id]
        outcome = call.outcome
        now = self.now
        if not outcome.answered:
            del self.in_flight[call_id]
            self._record_attempt(call, False)
            return
        if outcome.amd_verdict is not None and call.amd:
            call.stage, call.stage_since = CallStage.AMD, now
            self._push(now + outcome.amd_seconds, _AMD_DONE, call_id)
            return
        if outcome.amd_verdict is not None:  # AMD paused for this call: the agent tells a person from a machine
            self.stats.record_amd(outcome.kind is CalleeKind.HUMAN)
        # Without AMD every answer goes to the queue: the runner learns it as a live answer (connected or abandoned),
        # a machine included -- one needs an agent as much.
        self._record_attempt(call, True)
        self._to_queue(call_id, call)

    def _record_attempt(self, call: Call, live: bool) -> None:
        """A dial's fate, with the hour it was placed in and its lead's history (what the runner feeds)."""
        call.learnt = self.stats.record_attempt(
            call.outcome.ring_seconds, live, hour=self.hour_of_day(call.start), history=self.history(call.attempt)
        )

    def _amd_done(self, call_id: int) -> None:
        now = self.now
        call = self.in_flight[call_id]
        outcome = call.outcome
        human_verdict = outcome.reaches_queue
        # A machine verdict enters the pacer's window as the campaign's false-positive estimate (what the
        # regime counts and the compliance report adds); the metrics below count the true ones.
        self.stats.record_amd(human_verdict, now, seconds=outcome.amd_seconds)
        self._record_attempt(call, human_verdict)
        if not human_verdict:
            del self.in_flight[call_id]
            if outcome.kind is CalleeKind.HUMAN:
                # A person hung up on as a machine: Ofcom counts it as an abandoned call.
                assert self.metrics is not None
                self.metrics.live_answer(self.now, abandoned=True)
            return
        self._to_queue(call_id, call)

    def _to_queue(self, call_id: int, call: Call) -> None:
        now = self.now
        if self.ready:
            self._connect_outbound(self.ready.popleft(), call_id, call)
            return
        call.stage, call.stage_since = CallStage.WAITING, now
        call.waiting_deadline = now + self.max_wait - self.connect_delay
        self.outbound_waiting.append(call_id)
        self._push(call.waiting_deadline, _WAIT_EXPIRED, call_id)

    def _wait_expired(self, call_id: int) -> None:
        call = self.in_flight.get(call_id)
        if call is None or call.stage is not CallStage.WAITING:
            return
        del self.in_flight[call_id]
        self.outbound_waiting.remove(call_id)
        # No agent heard it: the runner counts an abandoned live answer, a machine too (nobody could tell); the
        # metrics count the people only.
        self.stats.record_live_answer(self.now, True, placed_predictively=call.predictive)
        if call.outcome.kind is CalleeKind.HUMAN:
            assert self.metrics is not None
            self.metrics.live_answer(self.now, abandoned=True)

    def _connect_outbound(self, agent: Agent, call_id: int, call: Call) -> None:
        del self.in_flight[call_id]
        now = self.now
        assert self.metrics is not None
        self.stats.record_live_answer(now, False, placed_predictively=call.predictive)
        if call.outcome.kind is CalleeKind.HUMAN:
            self.metrics.live_answer(now, abandoned=False)
            talk = self.world.draw_talk(self.rng_talk, now, agent.talk_factor)
        else:
            # The runner's view: connected (the controller learns it), then the agent marks a machine and its live
            # answer leaves the window and the answer rates (AgentCalls.disposition).
            self.stats.retract_live_answer(now)
            if call.learnt is not None:
                self.stats.retract_live_dial(call.learnt)
            talk = self.world.machine_agent_seconds()
        self._start_work(agent, talk)
        if call.outcome.kind is not CalleeKind.HUMAN:  # an agent's time on a machine is not occupancy
            self.metrics.machine_work(now, agent.free_at)

    def _start_work(self, agent: Agent, talk: float) -> None:
        now = self.now
        assert self.metrics is not None
        self.metrics.idle_gap(now, now - agent.ready_since)
        wrap = self.world.draw_wrap(self.rng_wrap, agent.wrap_factor)
        delay = self.connect_delay
        agent.announced_ready = None
        if self.scenario.ready.enabled:
            announcement = self.world.draw_announcement(self.rng_ready, wrap)
            if announcement is not None:
                wrap_start = now + delay + talk
                agent.announce_from = wrap_start + announcement.at
                agent.announced_ready = wrap_start + announcement.ready_at
                wrap = announcement.wrap
        agent.free_at = now + delay + talk + wrap
        if delay > 0.0:
            self._set_state(agent, AgentState.RESERVED)
            self._push(now + delay, _CONNECTED, agent)
        else:
            self._set_state(agent, AgentState.TALKING)
        self._push(now + delay + talk, _TALK_END, (agent, talk, wrap))

    def _talk_end(self, payload: tuple[Agent, float, float]) -> None:
        agent, talk, wrap = payload
        self.stats.record_talk(talk, agent.ident)
        self._set_state(agent, AgentState.WRAPUP)
        self._push(self.now + wrap, _WRAP_END, (agent, wrap))

    def _wrap_end(self, payload: tuple[Agent, float]) -> bool:
        """The agent is free: an inbound caller first, then an outbound answer, else idle. True if idle."""
        agent, wrap = payload
        self.stats.record_wrap(wrap, agent.ident)
        if not agent.leaving:  # what the runner feeds: how late the agent was against their announcement
            if self.announce_exact:
                self.stats.record_ready_announcement(0.0)
            elif agent.announced_ready is not None:
                self.stats.record_ready_announcement(self.now - agent.announced_ready)
        agent.announced_ready = None
        agent.ready_since = self.now
        if agent.leaving:
            agent.leaving = False
            self._set_state(agent, AgentState.PAUSED)
            return False
        if self.inbound_waiting:
            self._connect_inbound(agent, self.inbound_waiting.popleft())
            return False
        if self.outbound_waiting:
            call_id = self.outbound_waiting.popleft()
            self._connect_outbound(agent, call_id, self.in_flight[call_id])
            return False
        self._set_state(agent, AgentState.READY)
        self.ready.append(agent)
        return True

    def _follow_schedule(self) -> None:
        """Log agents in or out to match the scenario's agent schedule: idle ones leave first, busy ones
        after their wrap-up; returning agents cancel a pending logout before anyone logs in."""
        target = self.scenario.agents.logged_in_at(self.now)
        staying = [a for a in self.agents if a.state is not AgentState.PAUSED and not a.leaving]
        excess = len(staying) - target
        while excess > 0 and self.ready:
            agent = self.ready.pop()
            self._set_state(agent, AgentState.PAUSED)
            excess -= 1
        for agent in staying:
            if excess <= 0:
                break
            if agent.state is not AgentState.PAUSED and agent.state is not AgentState.READY:
                agent.leaving = True
                excess -= 1
        missing = -excess
        for agent in self.agents:
            if missing <= 0:
                break
            if agent.leaving:
                agent.leaving = False
                missing -= 1
        for agent in self.agents:
            if missing <= 0:
                break
            if agent.state is AgentState.PAUSED:
                agent.ready_since = self.now
                self._set_state(agent, AgentState.READY)
                self.ready.append(agent)
                missing -= 1

    def _set_state(self, agent: Agent, state: AgentState) -> None:
        assert self.metrics is not None
        self.metrics.agent_time(agent.state, agent.since, self.now)
        agent.state, agent.since = state, self.now

    # -- inbound

    def _inbound_arrival(self) -> None:
        now = self.now
        nxt = self.world.next_inbound_arrival(self.rng_inbound, now)
        if nxt is not None:
            self._push(nxt, _INBOUND_ARRIVAL, None)
        caller = InboundCaller(now)
        assert self.metrics is not None
        self.metrics.inbound_arrival(now)
        if self.ready:
            self._connect_inbound(self.ready.popleft(), caller)
            return
        self.inbound_waiting.append(caller)
        self._push(now + self.world.draw_patience(self.rng_patience), _INBOUND_GIVE_UP, caller)

    def _connect_inbound(self, agent: Agent, caller: InboundCaller) -> None:
        caller.done = True
        assert self.metrics is not None
        self.metrics.inbound_answered(caller.arrival, self.now)
        self._start_work(agent, self.world.draw_talk(self.rng_talk, self.now, agent.talk_factor))

    def _inbound_give_up(self, caller: InboundCaller) -> None:
        if caller.done:
            return
        caller.done = True
        self.inbound_waiting.remove(caller)
        assert self.metrics is not None
        self.metrics.inbound_abandoned(caller.arrival)
