"""Call flows on Local channel pairs: outbound dials (Originate into the simulated network) and inbound callers.

Every event sequence follows the recorded Asterisk 22 traces (``ami-traces/README.md``): ``;1`` is the channel
the Originate created (the one a dialer tracks), ``;2`` the Local channel's other half. For an outbound dial,
``;2`` plays the callee and ``;1`` runs the dialer's context after the answer (AMD, Queue, safe-harbour message).
For an inbound caller, ``;1`` is the customer and ``;2`` runs ``Queue()``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from dialer.calls.outcome import Outcome
from dialer.clock import Timer
from dialer.sim.pbx.agents import AgentLeg, QueueSystem
from dialer.sim.pbx.channels import Channel, ChannelState, Headers
from dialer.sim.pbx.config import DialerContext, WorldKind
from dialer.sim.pbx.direct import DirectAgentDial
from dialer.sim.pbx.engine import Engine
from dialer.sim.pbx.queues import QueueCaller
from dialer.sim.pbx.truth import InboundRecord, OriginateRecord
from dialer.sim.pbx.world import NEVER, CalleePlan, Fate

# Channel variables app_queue (and Dial) reset when Queue() starts, in the order Asterisk sets them.
_QUEUE_RESET_VARS = ("ANSWEREDTIME", "ANSWEREDTIME_MS", "DIALEDTIME", "DIALEDTIME_MS", "QUEUEWAIT", "QUEUEWAIT_MS")


class Stage(StrEnum):
    DIALING = "dialing"
    ANSWERED = "answered"  # running the dialer's dialplan (AMD, or an application)
    QUEUED = "queued"
    AGENT_DIAL = "agent_dial"  # ringing the one agent named by DIALER_AGENT
    BRIDGED = "bridged"
    MESSAGE = "message"  # the safe-harbour message after an abandon
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class OriginateRequest:
    """The parts of an ``Action: Originate`` the call flow needs."""

    action_id: str
    dial_string: str
    context: str
    exten: str
    priority: str
    application: str
    data: str
    timeout: float  # seconds of ringing before giving up
    caller_num: str
    caller_name: str
    variables: tuple[tuple[str, str], ...]
    channel_id: str
    other_channel_id: str
    is_async: bool


Reply = Callable[[bool], None]  # synchronous Originate: called once with success/failure


class PairCall:
    """A call with a queue side (the channel running the dialer's dialplan / Queue()) and a far side (the Local
    half that plays the person; None on a trunk, where the person is beyond the PBX)."""

    queue_side: Channel
    far_side: Channel | None

    def __init__(self, engine: Engine, queues: QueueSystem, rng: random.Random) -> None:
        self.engine = engine
        self.queues = queues
        self.rng = rng
        self.stage = Stage.DIALING
        self.timers: list[Timer] = []
        self.caller: QueueCaller | None = None
        self.leg: AgentLeg | None = None
        self.queue_timer: Timer | None = None
        self.queue_status = ""  # QUEUESTATUS once Queue() returned

    def later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = self.engine.later(delay, callback)
        self.timers.append(timer)
        return timer

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()

    # -- hooks for subclasses

    def talk_fate(self) -> Fate:
        return Fate.HUMAN

    def on_connected(self, leg: AgentLeg) -> None:
        """Ground truth when an agent takes the call."""

    def on_queue_timeout(self) -> None:
        self.dialplan_hangup(16)

    def on_abandoned_in_queue(self) -> None:
        """Ground truth when the person hangs up while queued."""

    def on_ended(self) -> None:
        """Ground truth when both channels are gone."""

    def release_direct_agent(self) -> None:
        """The person's side is gone: let go of a directly dialled agent (DIALER_AGENT), if any."""

    # -- queue

    def enter_queue(self, queue_name: str, timeout: float, data: str) -> None:
        e = self.engine
        channel = self.queue_side
        e.step(channel, "Queue", data, priority=channel.priority + 1)
        for name in _QUEUE_RESET_VARS:
            e.set_var(channel, name, "")
        self.caller = self.queues.join(channel, queue_name, self)
        if self.caller is None:
            # Queue() of an unknown queue returns at once (QUEUESTATUS=UNKNOWN); the dialplan goes on.
            self.queue_status = "UNKNOWN"
            e.set_var(channel, "QUEUESTATUS", self.queue_status)
            self.on_queue_timeout()
            return
        if self.stage is Stage.ENDED or (self.caller.leg is not None and self.caller.leg.connected_at is not None):
            return
        self.stage = Stage.QUEUED
        self.queue_timer = self.later(timeout, self._queue_timeout)

    def queue_exited(self, caller: QueueCaller, status: str) -> None:
        """Queue() returned early (leavewhenempty): the dialplan goes on as after a timeout."""
        if self.stage is not Stage.QUEUED:
            return
        if self.queue_timer is not None:
            self.queue_timer.cancel()
        self.queue_status = status
        self.stage = Stage.ANSWERED
        self.on_queue_timeout()

    def _queue_timeout(self) -> None:
        if self.stage is not Stage.QUEUED or self.caller is None:
            return
        self.queues.timeout(self.caller)
        self.queue_status = "TIMEOUT"
        self.stage = Stage.ANSWERED
        self.on_queue_timeout()

    def agent_connected(self, caller: QueueCaller, leg: AgentLeg) -> None:
        if self.queue_timer is not None:
            self.queue_timer.cancel()
        self.stage = Stage.BRIDGED
        self.leg = leg
        self.on_connected(leg)
        leg.start_talk(self.engine.world.talk_seconds(self.rng, self.engine.now(), self.talk_fate()))

    def bridge_ended(self, leg: AgentLeg, *, by_agent: bool) -> None:
        if not by_agent:
            return
        # No 'g' option: Queue() does not return; the caller's channel is hung up at once.
        e = self.engine
        channel = self.queue_side
        if leg.connected_at is not None:
            talk = e.now() - leg.connected_at
            total = e.now() - channel.created_at
            e.set_var(channel, "ANSWEREDTIME", str(int(talk)))
            e.set_var(channel, "ANSWEREDTIME_MS", str(int(talk * 1000)))
            e.set_var(channel, "DIALEDTIME", str(int(total)))
            e.set_var(channel, "DIALEDTIME_MS", str(int(total * 1000)))
        self.dialplan_hangup(16)

    # -- endings

    def before_hangup(self, cause: int, stage: Stage) -> None:
        """The queue side's h extension: runs after the hangup, before its ``Hangup`` event."""

    def dialplan_hangup(self, cause: int) -> None:
        """The queue side's dialplan ends (Hangup()): both halves go down."""
        if self.stage is Stage.ENDED:
            return
        stage = self.stage
        self._end()
        e = self.engine
        near, far = self.queue_side, self.far_side
        e.hangup_request(near, 16, soft=True)
        if far is not None:
            e.hangup_request(far, cause)
        self.before_hangup(cause, stage)
        e.hangup(near, cause)
        if far is not None:
            e.hangup_request(far, 16, soft=True)
            e.hangup(far, cause)
        e.device_state(near.device, "NOT_INUSE")
        if far is not None:
            e.device_state(far.device, "NOT_INUSE")
        self.on_ended()

    def far_hangs_up(self, cause: int = 16) -> None:
        """The person hangs up: the far half goes first, then the queue side leaves whatever it was doing."""
        if self.stage is Stage.ENDED:
            return
        e = self.engine
        far, near = self.far_side, self.queue_side
        stage = self.stage
        self._end()
        if far is not None:
            e.hangup_request(far, 16, soft=True)
        e.hangup_request(near, cause)
        if far is not None:
            e.hangup(far, cause)
        if stage is Stage.QUEUED and self.caller is not None:
            self.on_abandoned_in_queue()
            self.queues.abandon(self.caller)
        elif stage is Stage.BRIDGED and self.leg is not None:
            self.leg.end_bridge(by_agent=False, cause=cause)
        else:
            self.release_direct_agent()
        e.hangup_request(near, 16, soft=True)
        self.before_hangup(cause, stage)
        e.hangup(near, cause)
        if far is not None:
            e.device_state(far.device, "NOT_INUSE")
        e.device_state(near.device, "NOT_INUSE")
        self.on_ended()

    def dialer_hangs_up_queue_side(self, cause: int | None) -> None:
        """``Action: Hangup`` of the queue side after the answer (without Cause the causes read 0)."""
        if self.stage is Stage.ENDED:
            return
        e = self.engine
        code = 0 if cause is None else cause
        stage = self.stage
        near, far = self.queue_side, self.far_side
        self._end()
        if stage is Stage.QUEUED and self.caller is not None:
            self.on_abandoned_in_queue()
            self.queues.abandon(self.caller)
        elif stage is Stage.BRIDGED and self.leg is not None:
            self.leg.end_bridge(by_agent=False, cause=code)
        else:
            self.release_direct_agent()
        e.hangup_request(near, 16, soft=True)
        if far is not None:
            e.hangup_request(far, code)
        self.before_hangup(code, stage)
        e.hangup(near, code)
        if far is not None:
            e.hangup_request(far, 16, soft=True)
            e.hangup(far, code)
        e.device_state(near.device, "NOT_INUSE")
        if far is not None:
            e.device_state(far.device, "NOT_INUSE")
        self.on_ended()

    def _end(self) -> None:
        self.stage = Stage.ENDED
        self.cancel_timers()

    def hangup_requested(self, channel: Channel, cause: int | None) -> None:
        if self.far_side is not None and channel is self.far_side:
            self.far_hangs_up(16 if cause is None else cause)
        else:
            self.dialer_hangs_up_queue_side(cause)


class OutboundCall(PairCall):
    """``Originate`` of ``Local/<number>@sim-pstn``: the simulated callee on ;2, the dialer's context on ;1."""

    def __init__(
        self,
        engine: Engine,
        queues: QueueSystem,
        rng: random.Random,
        request: OriginateRequest,
        record: OriginateRecord,
        plan: CalleePlan,
        reply: Reply | None,
    ) -> None:
        super().__init__(engine, queues, rng)
        self.request = request
        self.record = record
        self.plan = plan
        self.reply = reply
        self.number = record.number
        self.context: DialerContext | None = None
        self.dialer_stage = "ANSWERED"
        self.direct: DirectAgentDial | None = None
        self._responded = False
        self._response_phase = 1
        if engine.config.vary_order:
            self._response_phase = random.Random(f"{engine.config.seed}:order:{record.sequence}").randrange(3)

    @property
    def o(self) -> Channel:
        return self.queue_side

    @property
    def c(self) -> Channel:
        """The callee's Local half (Local-channel dials only)."""
        assert self.far_side is not None
        return self.far_side

    def talk_fate(self) -> Fate:
        return self.plan.fate

    # -- responses

    def _originate_response(self, success: bool, reason: int) -> None:
        req = self.request
        self.record.reason = reason
        if not req.is_async:
            if self.reply is not None:
                reply, self.reply = self.reply, None
                reply(success)
            return
        headers: Headers = [
            ("ActionID", req.action_id),
            ("Response", "Success" if success else "Failure"),
            ("Channel", self.o.name if success else req.dial_string),
        ]
        if req.application:
            headers += [("Application", req.application), ("Data", req.data)]
        else:
            headers += [("Context", req.context), ("Exten", req.exten)]
        headers += [
            ("Reason", str(reason)),
            ("Uniqueid", self.o.uniqueid if success or req.channel_id else "<unknown>"),
            ("CallerIDNum", req.caller_num or "<unknown>"),
            ("CallerIDName", req.caller_name or "<unknown>"),
        ]
        # channelvars in OriginateResponse use the Asterisk 11 key form (verified on Asterisk 22).
        headers += [
            (f"ChanVariable({self.o.name})", f"{var}={self.o.variables.get(var, '')}")
            for var in self.engine.config.chan_variables
        ]
        self.engine.emit("OriginateResponse", "call,all", headers)

    def _respond(self, success: bool, reason: int, phase: int) -> None:
        """Send the OriginateResponse if ``phase`` (0 early, 1 as recorded, 2 late) is this call's position.

        Asterisk emits it from another thread than the channel events, so its place among them varies
        (README: 20 of 34 failures before even DialBegin in the burst). ``vary_order`` draws a position per call.
        """
        if self._responded or phase != self._response_phase:
            return
        self._responded = True
        self._originate_response(success, reason)

    def _fail(self, reason: int, outcome: Outcome) -> None:
        self.record.outcome = outcome
        self._respond(False, reason, 1)

    # -- start

    def start(self) -> None:
        e = self.engine
        req = self.request
        pstn = e.config.pstn_context
        base = f"Local/{self.number}@{pstn}-{e.next_local_suffix()}"
        o = e.new_channel(
            f"{base};1",
            context=pstn,
            exten=self.number,
            state=ChannelState.DOWN,
            owner=self,
            uniqueid=req.channel_id or None,
        )
        other_id = req.other_channel_id or (f"{req.channel_id};2" if req.channel_id else None)
        c = e.new_channel(
            f"{base};2",
            context=pstn,
            exten=self.number,
            state=ChannelState.RING,
            owner=self,
            uniqueid=other_id,
            linkedid=o.uniqueid,
        )
        self.queue_side, self.far_side = o, c
        self.record.uniqueid = o.uniqueid
        e.step(o, "AppDial2", "(Outgoing Line)")
        # Local copies the Originate's variables to both halves (;1 lists them last-first).
        for name, value in reversed(req.variables):
            e.set_var(o, name, value)
        if req.caller_num or req.caller_name:
            e.set_caller_id(o, req.caller_num, req.caller_name)
            e.set_connected_line(o, req.caller_num, req.caller_name)
        for name, value in req.variables:
            e.set_var(c, name, value)
        if req.caller_num or req.caller_name:
            e.set_caller_id(c, req.caller_num, req.caller_name)
            e.set_connected_line(c, req.caller_num, req.caller_name)
        e.local_bridge(o, c, pstn, self.number)
        e.emit("DialBegin", "call,all", [*e.snapshot(o, "Dest"), ("DialString", f"{self.number}@{pstn}")])
        e.step(c, "NoOp", f"SIM callee {self.number}", priority=1)
        if e.config.world is WorldKind.RECORDED:
            e.step(c, "Set", f"SIM_OUTCOME={self.plan.fate.upper()}", priority=2)
            e.set_var(c, "SIM_OUTCOME", self.plan.fate.upper())
        plan = self.plan
        if plan.fate in (Fate.BUSY, Fate.CONGESTION, Fate.UNALLOCATED, Fate.INVALID_NUMBER):
            self.later(plan.ring_seconds, self._network_rejects)
            return
        self.later(0.0005, self._ringing)
        if plan.fate.answers and plan.ring_seconds < req.timeout:
            self.later(plan.ring_seconds, self._answer)
        else:
            self.later(req.timeout, self._no_answer)

    def _ringing(self) -> None:
        e = self.engine
        e.step(self.c, "Ringing", "", priority=3)
        e.set_state(self.o, ChannelState.RINGING)
        e.device_state(self.o.device, "INUSE")
        e.emit("DialState", "call,all", [*e.snapshot(self.o, "Dest"), ("DialStatus", "RINGING")])

    def _dial_end(self, status: str) -> None:
        self.engine.emit("DialEnd", "call,all", [*self.engine.snapshot(self.o, "Dest"), ("DialStatus", status)])

    def _network_rejects(self) -> None:
        e = self.engine
        o, c = self.o, self.c
        fate = self.plan.fate
        self._end()
        reason = {Fate.BUSY: 5, Fate.CONGESTION: 8}.get(fate, 0)
        self._respond(False, reason, 0)
        if fate is Fate.BUSY:
            e.step(c, "Busy", "10", priority=3)
            e.set_state(c, ChannelState.BUSY)
            e.device_state(o.device, "INUSE")
            self._dial_end("BUSY")
            e.hangup_request(c, 0)
            e.hangup_request(c, 16, soft=True)
            e.hangup(c, 17)
            e.device_state(c.device, "NOT_INUSE")
            self._fail(5, Outcome.BUSY)
            e.hangup(o, 0)
        elif fate is Fate.CONGESTION:
            e.step(c, "Congestion", "10", priority=3)
            e.set_state(c, ChannelState.BUSY)
            self._dial_end("CONGESTION")
            e.device_state(o.device, "INUSE")
            e.hangup_request(c, 0)
            e.hangup_request(c, 16, soft=True)
            e.hangup(c, 34)
            self._fail(8, Outcome.CONGESTION)
            e.hangup(o, 0)
            e.device_state(c.device, "NOT_INUSE")
        elif fate is Fate.UNALLOCATED:
            e.step(c, "Hangup", "1", priority=3)
            e.hangup_request(c, 16, soft=True)
            e.hangup_request(o, 1)
            self._dial_end("NOANSWER")
            e.hangup(o, 1)
            e.hangup(c, 1)
            self._fail(0, Outcome.UNALLOCATED)
            e.device_state(c.device, "NOT_INUSE")
        else:
            e.step(c, "Hangup", "28", priority=3)
            e.hangup_request(c, 16, soft=True)
            e.hangup_request(o, 28)
            e.hangup(c, 28)
            self._dial_end("NOANSWER")
            e.device_state(c.device, "NOT_INUSE")
            self._fail(0, Outcome.INVALID_NUMBER)
            e.hangup(o, 28)
        self._respond(False, reason, 2)
        e.device_state(o.device, "NOT_INUSE")
        self.on_ended()

    def _no_answer(self) -> None:
        e = self.engine
        o, c = self.o, self.c
        self._end()
        self._respond(False, 3, 0)
        e.hangup_request(c, 19)
        e.hangup_request(c, 16, soft=True)
        e.hangup(c, 19)
        e.device_state(c.device, "NOT_INUSE")
        e.hangup(o, 19)
        self._fail(3, Outcome.NO_ANSWER)
        self._respond(False, 3, 2)
        e.device_state(o.device, "NOT_INUSE")
        self.on_ended()

    def _answer(self) -> None:
        e = self.engine
        o, c = self.o, self.c
        self.stage = Stage.ANSWERED
        self.record.answered_at = e.now()
        self.record.reason = 4
        self._respond(True, 4, 0)
        e.step(c, "Answer", "", priority=4)
        e.set_state(c, ChannelState.UP)
        self._respond(True, 4, 1)
        e.device_state(o.device, "INUSE")
        e.set_state(o, ChannelState.UP)
        self._dial_end("ANSWER")
        self._respond(True, 4, 2)
        e.device_state(o.device, "INUSE")
        if self.plan.stay_seconds != NEVER:
            self.later(self.plan.stay_seconds, self.far_hangs_up)
        self._run_dialplan()

    def _run_dialplan(self) -> None:
        """After the answer, the dialled channel runs the Originate's Context/Exten (or its Application)."""
        e = self.engine
        o, req = self.o, self.request
        if req.application:
            o.context, o.exten, o.priority = "", "", 1
            e.step(o, req.application, req.data)
            if req.application.lower() == "wait":
                self.later(_seconds(req.data, 0.0), lambda: self.dialplan_hangup(16))
            return
        if not req.context and not req.exten:
            # Neither Exten nor Application: ;1 just sits there until the far end hangs up.
            o.context, o.exten = "", ""
            return
        self.context = e.config.context(req.context)
        o.context, o.exten, o.priority = req.context, req.exten or "s", 1
        if self.context is None:
            # No such context in the dialplan: the channel has nowhere to go and is hung up.
            self.dialplan_hangup(0)
            return
        ctx = self.context
        e.step(o, "NoOp", f"DIALER attempt={o.variables.get('DIALER_ATTEMPT', '')}", priority=1)
        if ctx.reports:
            self._set_stage("ANSWERED")
        run_amd = ctx.amd == "always" or (ctx.amd == "variable" and o.variables.get("DIALER_AMD", "0") == "1")
        if run_amd:
            if ctx.reports:
                self._set_stage("AMD")
            e.step(o, "AMD", "", priority=o.priority + 1)
            self.later(self.plan.amd_seconds, self._amd_done)
        else:
            self._enter_dialer_queue()

    def _set_stage(self, stage: str) -> None:
        """``Set(DIALER_STAGE=...)`` of the shipped dialplan (read by its h extension)."""
        self.dialer_stage = stage
        self.engine.step(self.o, "Set", f"DIALER_STAGE={stage}", priority=self.o.priority + 1)
        self.engine.set_var(self.o, "DIALER_STAGE", stage)

    def _user_event(self, name: str, fields: Headers) -> None:
        """``UserEvent(name,Key: value,...)`` on ;1: the channel snapshot, then the fields."""
        e = self.engine
        body = ",".join([name, *(f"{k}: {v}" for k, v in fields)])
        e.step(self.o, "UserEvent", body, priority=self.o.priority + 1)
        e.channel_event("UserEvent", self.o, [("UserEvent", name), *fields], "user,all")

    def _amd_done(self) -> None:
        o, ctx, plan = self.o, self.context, self.plan
        assert ctx is not None
        self.engine.set_var(o, "AMDSTATUS", plan.amd_status)
        self.engine.set_var(o, "AMDCAUSE", plan.amd_cause)
        self.record.amd_status = plan.amd_status
        header, var = ctx.amd_userevent_field
        self._user_event(
            "DialerAMD", [("Status", plan.amd_status), ("Cause", plan.amd_cause), (header, o.variables.get(var, ""))]
        )
        if plan.amd_status == "MACHINE" or (plan.amd_status == "NOTSURE" and ctx.hangup_notsure):
            self.record.outcome = Outcome.MACHINE
            if ctx.reports:
                self._set_stage("MACHINE")
            self.engine.step(o, "Hangup", "16", priority=o.priority + 1)
            self.dialplan_hangup(16)
            return
        self._enter_dialer_queue(after_amd=True)

    def _enter_dialer_queue(self, *, after_amd: bool = False) -> None:
        ctx = self.context
        assert ctx is not None
        limit = ctx.queue_timeout
        if after_amd and ctx.queue_timeout_after_amd is not None:
            limit = ctx.queue_timeout_after_amd
        agent = self.o.variables.get("DIALER_AGENT", "")
        if ctx.reports and agent:
            self._dial_agent(agent, limit)
            return
        queue = ctx.queue or self.o.variables.get("DIALER_QUEUE", "")
        self.record.queued_at = self.engine.now()
        self.record.queue = queue
        if ctx.reports and not queue:
            self._abandon_to_safe_harbour("NOQUEUE")
            return
        if ctx.reports:
            self._set_stage("QUEUED")
        else:
            self.engine.set_var(self.o, "DIALER_STAGE", "QUEUED")
        known = self.queues.queues.get(queue)
        if ctx.reports and known is not None and not known.members:
            # joinempty=unavailable,invalid: with no member at all Queue() returns at once, no queue events.
            self.engine.step(self.o, "Queue", f"{queue},nb(dialer-agent-autoanswer^s^1),,,{limit:g}")
            self.queue_status = "JOINEMPTY"
            self.engine.set_var(self.o, "QUEUESTATUS", self.queue_status)
            self.on_queue_timeout()
            return
        self.enter_queue(queue, limit, f"{queue},r,,,{limit:g}")

    def on_connected(self, leg: AgentLeg) -> None:
        self.record.connected_at = self.engine.now()
        self.record.agent = leg.member.interface
        self.record.outcome = Outcome.CONNECTED
        self.dialer_stage = "CONNECTED"

    def on_abandoned_in_queue(self) -> None:
        self.record.abandoned = True
        self.record.outcome = Outcome.ABANDONED

    def on_queue_timeout(self) -> None:
        """No agent in time: the shipped dialplan reports the abandon and plays the safe-harbour message."""
        ctx = self.context
        self.record.abandoned = True
        self.record.outcome = Outcome.ABANDONED
        if ctx is None or not ctx.safe_harbour:
            self.engine.set_var(self.o, "DIALER_STAGE", f"DONE-{self.queue_status}")
            self.engine.step(self.o, "Hangup", "", priority=self.o.priority + 1)
            self.dialplan_hangup(16)
            return
        self._abandon_to_safe_harbour(self.queue_status)

    def _dial_agent(self, interface: str, limit: float) -> None:
        """[dialer-direct-agent]: ring only ``interface``; busy phone or no answer in time -> safe harbour."""
        self._set_stage("AGENT_DIAL")
        dial = DirectAgentDial(self, self.queues, interface, limit)
        state = dial.device_state()
        if state not in ("NOT_INUSE", "UNKNOWN"):
            self._abandon_to_safe_harbour(f"AGENT_{state}", agent=interface)
            return
        self.direct = dial
        self.stage = Stage.AGENT_DIAL
        self.record.queued_at = self.engine.now()
        self.engine.step(self.o, "Dial", f"{interface},{limit:g}", priority=self.o.priority + 1)
        dial.start(self.engine.world.agent_connect_seconds(self.rng))

    def agent_answered(self, dial: DirectAgentDial) -> None:
        self.stage = Stage.BRIDGED
        self.record.connected_at = self.engine.now()
        self.record.agent = dial.interface
        self.record.outcome = Outcome.CONNECTED
        dial.start_talk(self.engine.world.talk_seconds(self.rng, self.engine.now(), self.plan.fate))

    def agent_failed(self, dial: DirectAgentDial, dial_status: str) -> None:
        self.direct = None
        self.stage = Stage.ANSWERED
        self._abandon_to_safe_harbour(f"AGENT_{dial_status}", agent=dial.interface)

    def agent_hung_up(self, dial: DirectAgentDial) -> None:
        self.dialplan_hangup(16)

    def release_direct_agent(self) -> None:
        if self.direct is not None:
            self.direct.caller_gone()

    def _abandon_to_safe_harbour(self, queue_status: str, *, agent: str | None = None) -> None:
        e = self.engine
        o = self.o
        self.record.abandoned = True
        self.record.outcome = Outcome.ABANDONED
        self._set_stage("ABANDONED")
        fields: Headers = [("Attempt", o.variables.get("DIALER_ATTEMPT", "")), ("QueueStatus", queue_status)]
        if agent is not None:
            fields.append(("Agent", agent))
        self._user_event("DialerAbandon", fields)
        self._set_stage("SAFE_HARBOUR")
        e.step(o, "Read", "DIALER_KEY,dialer/safe-harbour,1,,1,3", priority=o.priority + 1)
        self.stage = Stage.MESSAGE
        message = e.config.safe_harbour_seconds
        if self.plan.opt_out_after is not None and self.plan.opt_out_after < message:
            self.later(self.plan.opt_out_after, self._opt_out)
        else:
            self.later(message, lambda: self.dialplan_hangup(16))

    def _opt_out(self) -> None:
        o = self.o
        self.record.opted_out = True
        self._set_stage("OPTOUT")
        self._user_event(
            "DialerOptOut",
            [("Attempt", o.variables.get("DIALER_ATTEMPT", "")), ("Campaign", o.variables.get("DIALER_CAMPAIGN", ""))],
        )
        self.engine.step(o, "Playback", "dialer/opted-out", priority=o.priority + 1)
        self.later(1.0, lambda: self.dialplan_hangup(16))

    def before_hangup(self, cause: int, stage: Stage) -> None:
        """[dialer-hangup] h extension of the shipped dialplan: ``DialerCallEnd`` for every answered call."""
        ctx = self.context
        if ctx is None or not ctx.reports or self.record.answered_at is None:
            return
        o = self.o
        attempt = o.variables.get("DIALER_ATTEMPT", "")
        agent = ""
        if self.direct is not None and self.direct.connected_at is not None:
            self._user_event("DialerAgentComplete", [("Attempt", attempt), ("Agent", self.direct.interface)])
        if self.record.connected_at is not None and self.record.agent:
            agent = self.record.agent
            self.dialer_stage = "CONNECTED"
        elif stage in (Stage.QUEUED, Stage.AGENT_DIAL):
            self.dialer_stage = "ABANDONED"
            self._user_event("DialerAbandon", [("Attempt", attempt), ("QueueStatus", "CALLERHANGUP")])
        self._user_event(
            "DialerCallEnd",
            [
                ("Attempt", attempt),
                ("Stage", self.dialer_stage),
                ("Agent", agent),
                ("QueueStatus", self.queue_status),
                ("Cause", str(cause)),
            ],
        )

    def on_ended(self) -> None:
        self.record.ended_at = self.engine.now()
        if self.record.outcome is None:
            if self.record.answered_at is None:
                self.record.outcome = Outcome.CANCELLED
            elif self.plan.fate is Fate.MACHINE:
                self.record.outcome = Outcome.MACHINE
            else:
                # A person answered and was never connected (hung up during AMD, or dropped by the dialer).
                self.record.outcome = Outcome.ABANDONED
        if self.reply is not None:
            # A synchronous Originate whose call ended before any verdict (cannot normally happen).
            reply, self.reply = self.reply, None
            reply(False)

    def hangup_requested(self, channel: Channel, cause: int | None) -> None:
        if self.stage is Stage.DIALING:
            self._dialer_cancels(cause)
        else:
            super().hangup_requested(channel, cause)

    def _dialer_cancels(self, cause: int | None) -> None:
        """``Action: Hangup`` while the callee still rings (originate-dialer-hangup.txt)."""
        e = self.engine
        o, c = self.o, self.c
        code = 0 if cause is None else cause
        self._end()
        self._respond(False, 0, 0)
        self._dial_end("NOANSWER")
        e.hangup_request(c, code)
        e.hangup_request(c, 16, soft=True)
        self._fail(0, Outcome.CANCELLED)
        e.hangup(c, code)
        e.hangup(o, code)
        self._respond(False, 0, 2)
        e.device_state(c.device, "NOT_INUSE")
        e.device_state(o.device, "NOT_INUSE")
        self.on_ended()


class TrunkCall(OutboundCall):
    """``Originate`` of ``PJSIP/<number>@<endpoint>``: one channel towards the carrier, the callee beyond it.

    Verified on a real PJSIP trunk (asterisk/README): SIP 486 gives Reason 0 with DialStatus BUSY and cause 17,
    503 Reason 0 / CONGESTION / 34, 404 Reason 0 / NOANSWER / 1, 484 Reason 0 / NOANSWER / 28, ringing past the
    Timeout Reason 3 / 19, 200 Reason 4 -- unlike Local channels (busy = Reason 5, cause 0).
    """

    def start(self) -> None:
        e = self.engine
        req = self.request
        endpoint = self.endpoint
        o = e.new_channel(
            f"PJSIP/{endpoint}-{e.next_local_suffix()}",
            context="default",
            exten="s",
            state=ChannelState.DOWN,
            owner=self,
            uniqueid=req.channel_id or None,
        )
        self.queue_side, self.far_side = o, None
        self.record.uniqueid = o.uniqueid
        for name, value in reversed(req.variables):
            e.set_var(o, name, value)
        if req.caller_num or req.caller_name:
            e.set_caller_id(o, req.caller_num, req.caller_name)
            e.set_connected_line(o, req.caller_num, req.caller_name)
        e.emit("DialBegin", "call,all", [*e.snapshot(o, "Dest"), ("DialString", f"{self.number}@{endpoint}")])
        plan = self.plan
        if plan.fate in (Fate.BUSY, Fate.CONGESTION, Fate.UNALLOCATED, Fate.INVALID_NUMBER):
            self.later(plan.ring_seconds, self._network_rejects)
            return
        self.later(0.05, self._ringing)
        if plan.fate.answers and plan.ring_seconds < req.timeout:
            self.later(plan.ring_seconds, self._answer)
        else:
            self.later(req.timeout, self._no_answer)

    @property
    def endpoint(self) -> str:
        return self.request.dial_string.rpartition("@")[2]

    def _ringing(self) -> None:
        e = self.engine
        e.set_state(self.o, ChannelState.RINGING)
        e.device_state(self.o.device, "RINGING")
        e.emit("DialState", "call,all", [*e.snapshot(self.o, "Dest"), ("DialStatus", "RINGING")])

    def _network_rejects(self) -> None:
        e = self.engine
        o = self.o
        status, cause, outcome = {
            Fate.BUSY: ("BUSY", 17, Outcome.BUSY),
            Fate.CONGESTION: ("CONGESTION", 34, Outcome.CONGESTION),
            Fate.UNALLOCATED: ("NOANSWER", 1, Outcome.UNALLOCATED),
        }.get(self.plan.fate, ("NOANSWER", 28, Outcome.INVALID_NUMBER))
        self._end()
        self._respond(False, 0, 0)
        self._dial_end(status)
        e.hangup_request(o, cause)
        e.hangup(o, cause)
        self._fail(0, outcome)
        self._respond(False, 0, 2)
        e.device_state(o.device, "NOT_INUSE")
        self.on_ended()

    def _no_answer(self) -> None:
        e = self.engine
        o = self.o
        self._end()
        self._respond(False, 3, 0)
        e.hangup(o, 19)
        self._fail(3, Outcome.NO_ANSWER)
        self._respond(False, 3, 2)
        e.device_state(o.device, "NOT_INUSE")
        self.on_ended()

    def _answer(self) -> None:
        e = self.engine
        o = self.o
        self.stage = Stage.ANSWERED
        self.record.answered_at = e.now()
        self.record.reason = 4
        self._respond(True, 4, 0)
        e.set_state(o, ChannelState.UP)
        self._respond(True, 4, 1)
        self._dial_end("ANSWER")
        self._respond(True, 4, 2)
        e.device_state(o.device, "INUSE")
        if self.plan.stay_seconds != NEVER:
            self.later(self.plan.stay_seconds, self.far_hangs_up)
        self._run_dialplan()

    def _dialer_cancels(self, cause: int | None) -> None:
        e = self.engine
        o = self.o
        code = 0 if cause is None else cause
        self._end()
        self._respond(False, 0, 0)
        self._dial_end("NOANSWER")
        self._fail(0, Outcome.CANCELLED)
        e.hangup(o, code)
        self._respond(False, 0, 2)
        e.device_state(o.device, "NOT_INUSE")
        self.on_ended()


class InboundCall(PairCall):
    """A customer calling in: ;1 is the customer (gives up after ``patience`` s), ;2 answers and queues."""

    def __init__(
        self,
        engine: Engine,
        queues: QueueSystem,
        rng: random.Random,
        *,
        exten: str,
        queue: str,
        patience: float,
        caller_num: str,
        caller_name: str,
        variables: tuple[tuple[str, str], ...] = (),
        request: OriginateRequest | None = None,
        queue_timeout: float = 120.0,
    ) -> None:
        super().__init__(engine, queues, rng)
        self.exten = exten
        self.queue_name = queue
        self.patience = patience
        self.caller_num = caller_num
        self.caller_name = caller_name
        self.variables = variables
        self.request = request
        self.queue_timeout = queue_timeout
        self.record: InboundRecord | None = None

    def start(self) -> None:
        e = self.engine
        ctx = e.config.inbound_context
        base = f"Local/{self.exten}@{ctx}-{e.next_local_suffix()}"
        req = self.request
        uid = req.channel_id if req is not None and req.channel_id else None
        other = None
        if req is not None and (req.other_channel_id or req.channel_id):
            other = req.other_channel_id or f"{req.channel_id};2"
        customer = e.new_channel(
            f"{base};1", context=ctx, exten=self.exten, state=ChannelState.DOWN, owner=self, uniqueid=uid
        )
        queue_side = e.new_channel(
            f"{base};2",
            context=ctx,
            exten=self.exten,
            state=ChannelState.RING,
            owner=self,
            uniqueid=other,
            linkedid=customer.uniqueid,
        )
        self.queue_side, self.far_side = queue_side, customer
        self.record = InboundRecord(customer.uniqueid, self.queue_name, e.now(), self.patience)
        e.truth.inbound.append(self.record)
        for name, value in reversed(self.variables):
            e.set_var(customer, name, value)
        if self.caller_num or self.caller_name:
            e.set_caller_id(customer, self.caller_num, self.caller_name)
            e.set_connected_line(customer, self.caller_num, self.caller_name)
        for name, value in self.variables:
            e.set_var(queue_side, name, value)
        if self.caller_num or self.caller_name:
            e.set_caller_id(queue_side, self.caller_num, self.caller_name)
            e.set_connected_line(queue_side, self.caller_num, self.caller_name)
        e.local_bridge(customer, queue_side, ctx, self.exten)
        e.emit("DialBegin", "call,all", [*e.snapshot(customer, "Dest"), ("DialString", f"{self.exten}@{ctx}")])
        e.step(queue_side, "NoOp", f"SIM inbound call from {self.caller_num}", priority=1)
        e.step(queue_side, "Answer", "", priority=2)
        e.set_state(queue_side, ChannelState.UP)
        e.set_state(customer, ChannelState.UP)
        e.device_state(customer.device, "INUSE")
        e.emit("DialEnd", "call,all", [*e.snapshot(customer, "Dest"), ("DialStatus", "ANSWER")])
        if req is not None and req.is_async:
            e.emit(
                "OriginateResponse",
                "call,all",
                [
                    ("ActionID", req.action_id),
                    ("Response", "Success"),
                    ("Channel", customer.name),
                    *(
                        [("Application", req.application), ("Data", req.data)]
                        if req.application
                        else [("Context", req.context), ("Exten", req.exten)]
                    ),
                    ("Reason", "4"),
                    ("Uniqueid", customer.uniqueid),
                    ("CallerIDNum", self.caller_num or "<unknown>"),
                    ("CallerIDName", self.caller_name or "<unknown>"),
                ],
            )
        e.device_state(customer.device, "INUSE")
        self.stage = Stage.ANSWERED
        self.patience_timer: Timer | None = None
        if self.patience != NEVER:
            self.patience_timer = self.later(self.patience, self.far_hangs_up_by_customer)
        # Answer() waits for media (~0.5 s) before the next priority runs.
        self.later(0.5, self._queue)

    def _queue(self) -> None:
        self.enter_queue(self.queue_name, self.queue_timeout, f"{self.queue_name},r,,,{self.queue_timeout:g}")

    def far_hangs_up_by_customer(self) -> None:
        """The customer gives up (inbound-call-waiting.txt: causes read 0 on both halves)."""
        if self.stage is Stage.ENDED:
            return
        if self.stage is not Stage.QUEUED or self.caller is None:
            self.far_hangs_up(16)
            return
        e = self.engine
        customer, near = self.far_side, self.queue_side
        assert customer is not None  # inbound calls are Local pairs
        self._end()
        e.hangup_request(near, 0)
        e.hangup(customer, 0)
        self.on_abandoned_in_queue()
        self.queues.abandon(self.caller)
        e.hangup_request(near, 16, soft=True)
        e.hangup(near, 0)
        e.device_state(customer.device, "NOT_INUSE")
        e.device_state(near.device, "NOT_INUSE")
        self.on_ended()

    def on_connected(self, leg: AgentLeg) -> None:
        if self.request is None and self.patience_timer is not None:
            # A caller's patience is how long they wait; once talking they stay (an originated test caller runs
            # Wait(Data) on ;1 and leaves after Data seconds whatever happens, as in the traces).
            self.patience_timer.cancel()
        if self.record is not None:
            self.record.agent = leg.member.interface
            self.record.answered_at = self.engine.now()

    def on_abandoned_in_queue(self) -> None:
        if self.record is not None:
            self.record.abandoned_at = self.engine.now()

    def on_ended(self) -> None:
        if self.record is not None:
            self.record.ended_at = self.engine.now()


def _seconds(text: str, default: float) -> float:
    try:
        return float(text)
    except ValueError:
        return default
