"""The flow executor: a pure state machine, one per call, driven by events with the clock passed in.

The edge that talks to the switch (the FastAGI session in dialer/ivr/agi.py, the simulated caller in
dialer/sim/ivr.py) carries out the :data:`Command` s the executor returns and feeds back what happened as
:data:`Event` s. Nothing here does I/O or reads a clock::

    ex = FlowExecutor(flow, variables={"caller": "+1415..."})
    commands = ex.start(now)                       # [Play(greet)]
    commands = ex.handle(PromptDone(), now)        # [Collect(menu)]
    commands = ex.handle(DigitsEntered("1"), now)  # [Lookup("confirm_appointment", ...)]
    ...
    ex.result()                                    # path, keys, outcome, listened to the end, transferred...

A caller who stays silent past a deadline the edge did not report is timed out by :meth:`FlowExecutor.tick`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from dialer.ivr.flow import (
    BranchNode,
    CollectNode,
    Flow,
    HangupNode,
    LookupNode,
    PlayNode,
    Prompt,
    QueueNode,
)

# -- events (what happened on the call) ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PromptDone:
    """The prompt played to its end, or ``key`` was pressed during it (barge-in)."""

    key: str | None = None


@dataclass(frozen=True, slots=True)
class DigitsEntered:
    """The digits entered after a Collect; ``""``: nothing before the timeout."""

    digits: str


@dataclass(frozen=True, slots=True)
class LookupDone:
    status: str
    data: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueueLeft:
    """The call left the queue: an agent answered, or the wait bound passed (or the queue was empty)."""

    answered: bool
    agent: str | None = None


@dataclass(frozen=True, slots=True)
class CallerHangup:
    pass


Event = PromptDone | DigitsEntered | LookupDone | QueueLeft | CallerHangup

# -- commands (what the edge must do) -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Play:
    name: str
    prompt: Prompt
    barge_in: str  # keys that interrupt the prompt (reported as PromptDone(key))


@dataclass(frozen=True, slots=True)
class Collect:
    name: str
    prompt: Prompt
    max_digits: int
    timeout_seconds: float
    terminator: str


@dataclass(frozen=True, slots=True)
class Lookup:
    action: str
    args: Mapping[str, str]
    timeout_seconds: float


@dataclass(frozen=True, slots=True)
class EnterQueue:
    queue: str
    max_wait_seconds: int
    context: Mapping[str, str]  # travels with the call to the agent's screen pop


@dataclass(frozen=True, slots=True)
class OptOut:
    """Add the caller's number to the do-not-call list."""


@dataclass(frozen=True, slots=True)
class Hangup:
    pass


Command = Play | Collect | Lookup | EnterQueue | OptOut | Hangup


class Phase(StrEnum):
    IDLE = "idle"
    PLAYING = "playing"
    COLLECTING = "collecting"
    LOOKING_UP = "looking_up"
    QUEUED = "queued"
    DONE = "done"


class Ending(StrEnum):
    """How a flow ended (the result column of an attempt's IVR row; the node's own ``result`` when at a hangup)."""

    HUNG_UP = "hung_up"  # the caller hung up mid-flow
    OPTED_OUT = "opted_out"
    TRANSFERRED = "transferred"  # an agent answered
    MACHINE_MESSAGE = "machine_message"
    MACHINE = "machine"  # a machine, and the flow has no message for it
    TOO_MANY_STEPS = "too_many_steps"


@dataclass(frozen=True, slots=True)
class Step:
    """One node entered: when, for how long, and how the call left it (a key, a status, 'next', 'hangup')."""

    node: str
    type: str
    entered_at: datetime
    left_at: datetime | None
    exit: str | None

    @property
    def seconds(self) -> float:
        return 0.0 if self.left_at is None else (self.left_at - self.entered_at).total_seconds()


@dataclass(frozen=True, slots=True)
class FlowResult:
    flow: str
    result: str  # a hangup node's result, or an Ending
    path: tuple[str, ...]
    steps: tuple[Step, ...]
    keys: tuple[tuple[str, str], ...]  # (node, digits) of every entry, in order
    variables: Mapping[str, str]
    listened_to_end: bool  # reached a hangup node and heard its prompt out
    transferred: bool
    contained: bool  # ended in self-service (a hangup node marked contained), not by hanging up
    opted_out: bool
    machine: bool
    hung_up_at: str | None  # the node the caller hung up in
    hung_up_step: int | None  # its position in the path (1-based)
    started_at: datetime
    ended_at: datetime | None

    @property
    def seconds(self) -> float:
        return 0.0 if self.ended_at is None else (self.ended_at - self.started_at).total_seconds()


class FlowExecutor:
    """Runs one call through ``flow``. Not thread-safe; one instance per call."""

    def __init__(self, flow: Flow, variables: Mapping[str, str] | None = None) -> None:
        self.flow = flow
        self.variables: dict[str, str] = dict(variables or {})
        self.phase = Phase.IDLE
        self.node_id: str | None = None
        self._tries = 0
        self._then: str | None = None  # after the current Play: "collect", "queue", "hangup", or a node id
        self._deadline: datetime | None = None
        self._steps: list[Step] = []
        self._keys: list[tuple[str, str]] = []
        self._result: str | None = None
        self._listened = False
        self._transferred = False
        self._contained = False
        self._opted_out = False
        self._machine = False
        self._hung_up_at: str | None = None
        self._hung_up_step: int | None = None
        self._started: datetime | None = None
        self._ended: datetime | None = None

    # -- the edge's interface ----------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.phase is Phase.DONE

    @property
    def deadline(self) -> datetime | None:
        """When :meth:`tick` will time out the current wait (a silent caller, a lookup with no answer)."""
        return self._deadline

    def start(self, now: datetime, *, machine: bool = False) -> list[Command]:
        if self._started is not None:
            raise RuntimeError("a flow executor runs one call")
        self._started = now
        self.variables.setdefault("answered_by", "machine" if machine else "human")
        if machine:
            self._machine = True
            if self.flow.machine_prompt is not None:
                self._result = Ending.MACHINE_MESSAGE
                return self._play(self.flow.machine_prompt, "hangup", now, barge_in="")
            self._result = Ending.MACHINE
            return self._finish(now)
        return self._enter(self.flow.start, now)

    def handle(self, event: Event, now: datetime) -> list[Command]:
        if self.phase is Phase.DONE:
            return []
        if isinstance(event, CallerHangup):
            return self._caller_hangup(now)
        if isinstance(event, PromptDone) and self.phase is Phase.PLAYING:
            return self._prompt_done(event, now)
        if isinstance(event, DigitsEntered) and self.phase is Phase.COLLECTING:
            return self._digits(event.digits, now)
        if isinstance(event, LookupDone) and self.phase is Phase.LOOKING_UP:
            return self._looked_up(event, now)
        if isinstance(event, QueueLeft) and self.phase is Phase.QUEUED:
            return self._queue_left(event, now)
        return []  # an event for another phase (a late report): nothing to do

    def tick(self, now: datetime) -> list[Command]:
        """Time out a wait whose deadline has passed (the edge reported nothing)."""
        if self._deadline is None or now < self._deadline:
            return []
        if self.phase is Phase.COLLECTING:
            return self._digits("", now)
        if self.phase is Phase.LOOKING_UP:
            return self._looked_up(LookupDone("timeout"), now)
        return []

    def context(self, now: datetime) -> dict[str, str]:
        """What travels with the call to an agent: path, entered data, results, time in the flow."""
        path = [s.node for s in self._steps]
        elapsed = 0.0 if self._started is None else (now - self._started).total_seconds()
        ctx = {
            "flow": self.flow.name,
            "path": ">".join(path),
            "keys": ",".join(f"{n}={d}" for n, d in self._keys),
            "seconds": str(round(elapsed)),
        }
        for name, value in sorted(self.variables.items()):
            if name not in ("caller", "campaign", "attempt"):
                ctx[f"var_{name}"] = value
        return ctx

    def result(self) -> FlowResult:
        if self._started is None:
            raise RuntimeError("the flow has not started")
        return FlowResult(
            flow=self.flow.name,
            result=self._result or Ending.HUNG_UP,
            path=tuple(s.node for s in self._steps),
            steps=tuple(self._steps),
            keys=tuple(self._keys),
            variables=dict(self.variables),
            listened_to_end=self._listened,
            transferred=self._transferred,
            contained=self._contained,
            opted_out=self._opted_out,
            machine=self._machine,
            hung_up_at=self._hung_up_at,
            hung_up_step=self._hung_up_step,
            started_at=self._started,
            ended_at=self._ended,
        )

    # -- transitions -------------------------------------------------------------------------------------------

    def _leave(self, exit_: str, now: datetime) -> None:
        if self._steps and self._steps[-1].left_at is None:
            last = self._steps[-1]
            self._steps[-1] = Step(last.node, last.type, last.entered_at, now, exit_)

    def _enter(self, node_id: str, now: datetime) -> list[Command]:
        while True:
            if len(self._steps) >= self.flow.max_steps:
                self._result = Ending.TOO_MANY_STEPS
                return self._finish(now)
            node = self.flow.node(node_id)
            self.node_id = node_id
            self._tries = 0
            self._steps.append(Step(node_id, node.type, now, None, None))
            if isinstance(node, BranchNode):
                value = self.variables.get(node.variable, "")
                target = node.cases.get(value, node.default)
                self._leave(value or "(empty)", now)
                node_id = target
                continue
            if isinstance(node, PlayNode):
                return self._play(node.prompt, node.next, now)
            if isinstance(node, CollectNode):
                return self._collect(node, now)
            if isinstance(node, LookupNode):
                self.phase = Phase.LOOKING_UP
                self._deadline = now + timedelta(seconds=node.timeout_seconds)
                args = dict(node.values) | {name: self.variables.get(var, "") for name, var in node.args.items()}
                return [Lookup(node.action, args, node.timeout_seconds)]
            if isinstance(node, QueueNode):
                if node.prompt is not None:
                    return self._play(node.prompt, "queue", now)
                return self._queue(node, now)
            assert isinstance(node, HangupNode)
            self._result = node.result
            if node.prompt is not None:
                return self._play(node.prompt, "hangup", now)
            self._listened = True
            self._contained = node.contained
            self._leave("end", now)
            return self._finish(now)

    def _play(self, prompt: str, then: str, now: datetime, *, barge_in: str | None = None) -> list[Command]:
        self.phase = Phase.PLAYING
        self._then = then
        self._deadline = None
        keys = barge_in if barge_in is not None else (self.flow.opt_out_key or "")
        return [Play(prompt, self.flow.prompt(prompt), keys)]

    def _collect(self, node: CollectNode, now: datetime, prompt: str | None = None) -> list[Command]:
        self.phase = Phase.COLLECTING
        name = prompt or node.prompt
        p = self.flow.prompt(name)
        self._deadline = now + timedelta(seconds=p.duration + node.timeout_seconds)
        return [Collect(name, p, node.max_digits, node.timeout_seconds, node.terminator)]

    def _queue(self, node: QueueNode, now: datetime) -> list[Command]:
        self.phase = Phase.QUEUED
        self._deadline = None
        return [EnterQueue(node.queue, node.max_wait_seconds, self.context(now))]

    def _prompt_done(self, event: PromptDone, now: datetime) -> list[Command]:
        if event.key is not None and event.key == self.flow.opt_out_key and not self._machine:
            return self._opt_out(now)
        then = self._then
        node = self.flow.node(self.node_id) if self.node_id else None
        if then == "hangup":
            self._listened = True
            if isinstance(node, HangupNode):
                self._contained = node.contained
            self._leave("end", now)
            return self._finish(now)
        if then == "queue":
            assert isinstance(node, QueueNode)
            return self._queue(node, now)
        if then == "collect":
            assert isinstance(node, CollectNode)
            return self._collect(node, now)
        assert then is not None
        self._leave("next", now)
        return self._enter(then, now)

    def _digits(self, digits: str, now: datetime) -> list[Command]:
        node = self.flow.node(self.node_id or "")
        assert isinstance(node, CollectNode)
        if digits and digits == self.flow.opt_out_key:
            self._keys.append((self.node_id or "", digits))
            return self._opt_out(now)
        if digits:
            self._keys.append((self.node_id or "", digits))
        if digits and node.accepts(digits):
            if node.store:
                self.variables[node.store] = digits
            self._leave(digits if digits in node.choices else "valid", now)
            return self._enter(node.choices.get(digits) or node.next or node.on_failure, now)
        self._tries += 1
        if self._tries > node.retries:
            self._leave("timeout" if not digits else "invalid", now)
            return self._enter(node.on_failure, now)
        retry_prompt = node.timeout_prompt if not digits else node.invalid_prompt
        if retry_prompt is not None:
            tries = self._tries
            commands = self._play(retry_prompt, "collect", now)
            self._tries = tries
            return commands
        return self._collect(node, now)

    def _looked_up(self, event: LookupDone, now: datetime) -> list[Command]:
        node = self.flow.node(self.node_id or "")
        assert isinstance(node, LookupNode)
        if node.store:
            self.variables[node.store] = event.status
            for key, value in event.data.items():
                self.variables[f"{node.store}_{key}"] = value
        target = node.on.get(event.status) or node.next
        self._leave(event.status, now)
        if target is None:  # a status the flow does not handle and no default: end the call politely
            self._result = f"lookup_{event.status}"[:40]
            return self._finish(now)
        return self._enter(target, now)

    def _queue_left(self, event: QueueLeft, now: datetime) -> list[Command]:
        node = self.flow.node(self.node_id or "")
        assert isinstance(node, QueueNode)
        if event.answered:
            self._transferred = True
            self._result = Ending.TRANSFERRED
            if event.agent:
                self.variables["agent"] = event.agent
            self._leave("answered", now)
            self.phase = Phase.DONE
            self._ended = now
            return []  # the agent has the call now: the flow is over, the call is not
        self._leave("timeout", now)
        return self._enter(node.on_timeout, now)

    def _opt_out(self, now: datetime) -> list[Command]:
        self._opted_out = True
        self._result = Ending.OPTED_OUT
        self._leave("opt_out", now)
        commands: list[Command] = [OptOut()]
        if self.flow.opt_out_prompt is not None:
            commands += self._play(self.flow.opt_out_prompt, "hangup", now, barge_in="")
            return commands
        return commands + self._finish(now)

    def _caller_hangup(self, now: datetime) -> list[Command]:
        if self._result is None:  # mid-flow (a result is set once a hangup node or an opt-out is reached)
            self._result = Ending.HUNG_UP
            self._hung_up_at = self.node_id
            self._hung_up_step = len(self._steps) or None
        self._leave("hangup", now)
        self.phase = Phase.DONE
        self._deadline = None
        self._ended = now
        return []

    def _finish(self, now: datetime) -> list[Command]:
        self.phase = Phase.DONE
        self._deadline = None
        self._ended = now
        return [Hangup()]
