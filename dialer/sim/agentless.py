"""An agentless campaign in simulated time: the real pacing, trunk gate and flow executor against simulated callers.

Each dialled number rings and is answered by a person, a machine, or nobody (busy, no answer), as
:class:`DialWorld` draws it; people then go through the flow as :class:`dialer.sim.ivr.CallerBehaviour` draws
it, and a pool of agents takes the calls the flow hands to a queue. The runner's decisions are the daemon's:
:func:`dialer.agentless.pacing.agentless_launches` picks how many calls to start, a
:class:`dialer.runner.trunks.TrunkGate` spends channels and calls per second, a
:class:`dialer.ivr.executor.FlowExecutor` runs each answered call. Every attempt ends with a result.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from dialer.agentless.pacing import AgentlessLoad, LaunchWindow, agentless_launches
from dialer.ivr.executor import (
    CallerHangup,
    Collect,
    Command,
    EnterQueue,
    Event,
    FlowExecutor,
    FlowResult,
    Hangup,
    Lookup,
    OptOut,
    Play,
    PromptDone,
    QueueLeft,
)
from dialer.ivr.flow import Flow, QueueNode
from dialer.runner.trunks import TrunkGate
from dialer.sim.ivr import CallerBehaviour, respond


class DialOutcome(StrEnum):
    """What a dialled number did: a person or a machine answered, it was busy, or nobody answered."""

    HUMAN = "human"
    MACHINE = "machine"
    BUSY = "busy"
    NO_ANSWER = "no_answer"


@dataclass(frozen=True, slots=True)
class DialWorld:
    """Who answers: shares of people and machines (busy next, no answer the rest), and how long things take."""

    human: float = 0.55
    machine: float = 0.15
    busy: float = 0.05
    ring_seconds: tuple[float, float] = (3.0, 15.0)
    ring_timeout_seconds: float = 25.0
    amd_seconds: float = 1.5  # AMD's verdict on a person (the flow starts then)
    beep_seconds: float = 9.0  # a machine's greeting until the beep (the message starts then)

    def __post_init__(self) -> None:
        if min(self.human, self.machine, self.busy) < 0 or self.human + self.machine + self.busy > 1:
            raise ValueError("human + machine + busy must be shares between 0 and 1")


@dataclass(frozen=True, slots=True)
class AgentlessSimConfig:
    """One agentless run: the flow and the numbers to dial, the trunk's limits, the callers, the world and the
    agents behind the flow's queue."""

    flow: Flow
    numbers: tuple[str, ...]
    start: datetime
    max_channels: int
    calls_per_second: float
    target_finish: datetime | None = None
    behaviour: CallerBehaviour = field(default_factory=CallerBehaviour)
    world: DialWorld = field(default_factory=DialWorld)
    agents: int = 0
    agent_talk_seconds: float = 90.0
    agent_answer_seconds: float = 1.0
    mean_call_seconds_prior: float = 30.0
    transfer_share_prior: float = 0.1  # used until measured, when the flow has a queue node
    tick_seconds: float = 0.25
    seed: int = 1
    horizon_seconds: float = 2 * 86400.0  # simulated time after which the run stops (leads left undialled)

    def __post_init__(self) -> None:
        if self.agents < 1 and any(isinstance(n, QueueNode) for n in self.flow.nodes.values()):
            raise ValueError(
                f"flow {self.flow.name!r} hands callers to a queue: the campaign needs agents (agents >= 1); "
                "the pacing holds every call while nobody staffs the queue"
            )


@dataclass(frozen=True, slots=True)
class SimAttempt:
    """One dial and its result (the flow's result when someone or something answered)."""

    number: str
    started_at: datetime
    ended_at: datetime
    dial: DialOutcome
    flow: FlowResult | None

    @property
    def result(self) -> str:
        return self.flow.result if self.flow is not None else self.dial.value


@dataclass
class AgentlessSimReport:
    """What an agentless run did: every attempt, the numbers whose callers opted out (do not call), the
    Originates' times, its peaks and the reasons its pacing decisions gave, counted."""

    attempts: list[SimAttempt]
    dnc: set[str]
    launch_times: list[float]  # seconds from the start, one per Originate
    peak_channels: int
    peak_queue_wait_seconds: float
    finished_at: datetime
    reasons: Counter[str]
    undialled: int = 0  # leads left when the horizon passed

    def peak_launches_in(self, window_seconds: float) -> int:
        """The most Originates written in any window of that length."""
        times, best, lo = self.launch_times, 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= window_seconds:
                lo += 1
            best = max(best, hi - lo + 1)
        return best


@dataclass
class _Call:
    """A call of the run in progress: its number, its dial outcome, its own random draws and its flow executor."""

    index: int
    number: str
    started: float
    dial: DialOutcome
    rng: random.Random
    executor: FlowExecutor | None = None
    queued_at: float | None = None
    ended: bool = False


def run_agentless(cfg: AgentlessSimConfig) -> AgentlessSimReport:
    sim = _Simulation(cfg)
    return sim.run()


class _Simulation:
    def __init__(self, cfg: AgentlessSimConfig) -> None:
        self.cfg = cfg
        self.gate = TrunkGate("sim", cfg.max_channels, cfg.calls_per_second)
        self.window = LaunchWindow(cfg.calls_per_second)
        self.pending: deque[tuple[int, str]] = deque(enumerate(cfg.numbers))
        self.heap: list[tuple[float, int, str, int, Event | None]] = []
        self.seq = 0
        self.calls: dict[int, _Call] = {}
        self.active: set[int] = set()
        self.queue: deque[int] = deque()
        self.agents_free = cfg.agents
        self.attempts: list[SimAttempt] = []
        self.dnc: set[str] = set()
        self.launches: list[float] = []
        self.peak = 0
        self.peak_wait = 0.0
        self.reasons: Counter[str] = Counter()
        self.durations: list[float] = []
        self.longest = 0.0
        self.transfers = 0  # calls the flow handed to the queue
        self.has_queue = any(isinstance(n, QueueNode) for n in cfg.flow.nodes.values())
        self.last_end = 0.0

    def at(self, t: float) -> datetime:
        return self.cfg.start + timedelta(seconds=t)

    def push(self, t: float, kind: str, call: int = -1, event: Event | None = None) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, call, event))

    def run(self) -> AgentlessSimReport:
        self.push(0.0, "tick")
        while self.heap:
            t, _, kind, cid, event = heapq.heappop(self.heap)
            if t > self.cfg.horizon_seconds:
                break
            if kind == "tick":
                self.pace(t)
                if self.pending or self.active:
                    self.push(t + self.cfg.tick_seconds, "tick")
            elif kind == "answer":
                self.answered(cid, t)
            elif kind == "event":
                assert event is not None
                self.deliver(cid, event, t)
            elif kind == "queue_timeout":
                self.queue_timeout(cid, t)
            elif kind == "end":
                self.end(cid, t)
            elif kind == "agent_free":
                self.agents_free += 1
                self.serve_queue(t)
        return AgentlessSimReport(
            attempts=self.attempts,
            dnc=self.dnc,
            launch_times=self.launches,
            peak_channels=self.peak,
            peak_queue_wait_seconds=self.peak_wait,
            finished_at=self.at(self.last_end),
            reasons=self.reasons,
            undialled=len(self.pending),
        )

    # -- pacing --------------------------------------------------------------------------------------------------

    def pace(self, t: float) -> None:
        if not self.pending:
            return
        mean = (
            sum(self.durations) / len(self.durations) if len(self.durations) >= 20 else self.cfg.mean_call_seconds_prior
        )
        share = 0.0
        if self.has_queue:
            share = self.transfers / len(self.launches) if len(self.launches) >= 100 else self.cfg.transfer_share_prior
            share = max(share, 0.01)
        decision = agentless_launches(
            AgentlessLoad(
                now=self.at(t),
                remaining=len(self.pending),
                in_flight=len(self.active),
                max_channels=self.cfg.max_channels,
                cps_room=min(self.gate.room(t), self.window.room(t)),
                mean_call_seconds=mean,
                target_finish=self.cfg.target_finish,
                longest_call_seconds=self.longest,
                transfer_share=share,
                agents=self.cfg.agents,
                agents_free=self.agents_free,
                queue_waiting=len(self.queue),
            )
        )
        self.reasons[decision.reason] += 1
        for _ in range(decision.launch):
            if not self.pending or not self.gate.acquire(t):
                break
            self.window.record(t)
            index, number = self.pending.popleft()
            self.launch(index, number, t)
        self.peak = max(self.peak, self.gate.channels_in_use)

    def launch(self, index: int, number: str, t: float) -> None:
        rng = random.Random(f"{self.cfg.seed}:{index}")
        w = self.cfg.world
        draw = rng.random()
        if draw < w.human:
            dial = DialOutcome.HUMAN
        elif draw < w.human + w.machine:
            dial = DialOutcome.MACHINE
        elif draw < w.human + w.machine + w.busy:
            dial = DialOutcome.BUSY
        else:
            dial = DialOutcome.NO_ANSWER
        call = _Call(index, number, t, dial, rng)
        self.calls[index] = call
        self.active.add(index)
        self.launches.append(t)
        if dial is DialOutcome.NO_ANSWER:
            self.push(t + w.ring_timeout_seconds, "end", index)
        elif dial is DialOutcome.BUSY:
            self.push(t + rng.uniform(0.5, 3.0), "end", index)
        else:
            ring = min(rng.uniform(*w.ring_seconds), w.ring_timeout_seconds - 1)
            wait = w.amd_seconds if dial is DialOutcome.HUMAN else w.beep_seconds
            self.push(t + ring + wait, "answer", index)

    # -- the flow ------------------------------------------------------------------------------------------------

    def answered(self, cid: int, t: float) -> None:
        call = self.calls[cid]
        call.executor = FlowExecutor(self.cfg.flow, {"caller": call.number})
        self.run_commands(call, call.executor.start(self.at(t), machine=call.dial is DialOutcome.MACHINE), t)

    def deliver(self, cid: int, event: Event, t: float) -> None:
        call = self.calls[cid]
        if call.ended or call.executor is None:
            return
        commands = call.executor.handle(event, self.at(t))
        self.run_commands(call, commands, t)
        if isinstance(event, CallerHangup):
            self.end(cid, t)

    def run_commands(self, call: _Call, commands: list[Command], t: float) -> None:
        for command in commands:
            if isinstance(command, OptOut):
                self.dnc.add(call.number)
            elif isinstance(command, Hangup):
                self.end(call.index, t)
            elif isinstance(command, EnterQueue):
                call.queued_at = t
                self.transfers += 1
                self.queue.append(call.index)
                self.push(t + command.max_wait_seconds, "queue_timeout", call.index)
                self.serve_queue(t)
            elif isinstance(command, Play) and call.dial is DialOutcome.MACHINE:  # a machine records it all
                self.push(t + command.prompt.duration, "event", call.index, PromptDone())
            elif isinstance(command, Play | Collect | Lookup):
                reaction = respond(command, self.cfg.behaviour, call.rng, opt_out_key=self.cfg.flow.opt_out_key)
                self.push(t + reaction.after, "event", call.index, reaction.event)

    def serve_queue(self, t: float) -> None:
        while self.queue and self.agents_free > 0:
            cid = self.queue.popleft()
            call = self.calls[cid]
            self.agents_free -= 1
            answer = t + self.cfg.agent_answer_seconds
            self.peak_wait = max(self.peak_wait, answer - (call.queued_at or t))
            call.queued_at = None
            self.push(answer, "event", cid, QueueLeft(answered=True, agent=f"Local/agent{self.agents_free}"))
            self.push(answer + self.cfg.agent_talk_seconds, "end", cid)
            self.push(answer + self.cfg.agent_talk_seconds, "agent_free")

    def queue_timeout(self, cid: int, t: float) -> None:
        call = self.calls[cid]
        if call.ended or call.queued_at is None or cid not in self.queue:
            return
        self.queue.remove(cid)
        self.peak_wait = max(self.peak_wait, t - call.queued_at)
        call.queued_at = None
        self.deliver(cid, QueueLeft(answered=False), t)

    def end(self, cid: int, t: float) -> None:
        call = self.calls[cid]
        if call.ended:
            return
        call.ended = True
        if cid in self.queue:
            self.queue.remove(cid)
        if call.executor is not None and not call.executor.finished:
            call.executor.handle(CallerHangup(), self.at(t))
        self.active.discard(cid)
        self.gate.release()
        self.durations.append(t - call.started)
        self.longest = max(self.longest, t - call.started)
        self.last_end = max(self.last_end, t)
        self.attempts.append(
            SimAttempt(
                number=call.number,
                started_at=self.at(call.started),
                ended_at=self.at(t),
                dial=call.dial,
                flow=call.executor.result() if call.executor is not None else None,
            )
        )
