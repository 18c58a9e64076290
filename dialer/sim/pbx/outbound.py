"""Outbound dials into the simulated network (``Local/<number>@sim-pstn``): the callee on ;2, the dialer's context
([dialer-outbound]: AMD, Queue, safe-harbour message, the dialer's UserEvents) on ;1 after the answer.

Why one module (over 500 lines): one outbound call's life through the dialer's context, step by step in the order
the dialplan runs it (ring, answer, AMD, queue, safe-harbour message, hang-up), over one call's state.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from dialer.calls.outcome import Outcome
from dialer.contract import (
    ABANDON_USER_EVENT,
    AGENT_COMPLETE_USER_EVENT,
    AGENT_VARIABLE,
    AMD_USER_EVENT,
    AMD_VARIABLE,
    ATTEMPT_VARIABLE,
    CALL_END_USER_EVENT,
    CAMPAIGN_VARIABLE,
    KEY_VARIABLE,
    OPT_OUT_USER_EVENT,
    QUEUE_VARIABLE,
    STAGE_VARIABLE,
)
from dialer.sim.pbx.app_queue import QueueSystem
from dialer.sim.pbx.calls import OriginateRequest, PairCall, Reply, Stage, emit_originate_response, seconds_of
from dialer.sim.pbx.channels import Channel, ChannelState, Headers
from dialer.sim.pbx.config import DialerContext, WorldKind
from dialer.sim.pbx.direct import DirectAgentDial
from dialer.sim.pbx.engine import Engine
from dialer.sim.pbx.monitoring import record_from_dialplan
from dialer.sim.pbx.queues import AgentLeg
from dialer.sim.pbx.truth import OriginateRecord
from dialer.sim.pbx.world import NEVER, CalleePlan, Fate

# Contexts other modules simulate (call control's dialer-conference): the answered ;1 is handed to them; False:
# nobody took it (e.g. no such conference), the call goes on as for any other context.
CONTEXT_ENTRIES: dict[str, Callable[[OutboundCall], bool]] = {}


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
        emit_originate_response(self.engine, req, reason, self.o, success=success)

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
        o, c = e.new_local_pair(
            self.number, pstn, self, channel_id=req.channel_id, other_channel_id=req.other_channel_id
        )
        self.queue_side, self.far_side = o, c
        self.record.uniqueid = o.uniqueid
        e.step(o, "AppDial2", "(Outgoing Line)")
        # Local copies the Originate's variables to both halves (;1 lists them last-first).
        e.take_call_identity(o, reversed(req.variables), req.caller_num, req.caller_name)
        e.take_call_identity(c, req.variables, req.caller_num, req.caller_name)
        e.local_bridge(o, c, pstn, self.number)
        e.emit("DialBegin", "call,all", [*e.snapshot(o, "Dest"), ("DialString", f"{self.number}@{pstn}")])
        e.step(c, "NoOp", f"SIM callee {self.number}", priority=1)
        if e.config.world is WorldKind.RECORDED:
            e.step(c, "Set", f"SIM_OUTCOME={self.plan.fate.upper()}", priority=2)
            e.set_var(c, "SIM_OUTCOME", self.plan.fate.upper())
        self._schedule_fate(ringing_after=0.0005)

    def _schedule_fate(self, *, ringing_after: float) -> None:
        """What the network does with the dial: refuse it after the ring time, or ring (``ringing_after`` seconds on)
        until the callee answers or the Originate's timeout runs out."""
        plan = self.plan
        if plan.fate in (Fate.BUSY, Fate.CONGESTION, Fate.UNALLOCATED, Fate.INVALID_NUMBER):
            self.later(plan.ring_seconds, self._network_rejects)
            return
        self.later(ringing_after, self._ringing)
        if plan.fate.answers and plan.ring_seconds < self.request.timeout:
            self.later(plan.ring_seconds, self._answer)
        else:
            self.later(self.request.timeout, self._no_answer)

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
        self._failed_end(reason)

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
        self._failed_end(3)

    def _answer(self) -> None:
        e = self.engine
        o, c = self.o, self.c
        self._answered()
        e.step(c, "Answer", "", priority=4)
        e.set_state(c, ChannelState.UP)
        self._respond(True, 4, 1)
        e.device_state(o.device, "INUSE")
        e.set_state(o, ChannelState.UP)
        self._dial_end("ANSWER")
        self._respond(True, 4, 2)
        e.device_state(o.device, "INUSE")
        self._callee_stays()

    def _failed_end(self, reason: int) -> None:
        """The last of a failed call: the Originate's final failure response, the caller's device free again."""
        self._respond(False, reason, 2)
        self.engine.device_state(self.o.device, "NOT_INUSE")
        self.on_ended()

    def _answered(self) -> None:
        """The callee answered: the call enters its answered stage and the first success response goes out."""
        self.stage = Stage.ANSWERED
        self.record.answered_at = self.engine.now()
        self.record.reason = 4
        self._respond(True, 4, 0)

    def _callee_stays(self) -> None:
        """After the answer: the callee hangs up once its planned stay is over, and the dialplan runs."""
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
                self.later(seconds_of(req.data, 0.0), lambda: self.dialplan_hangup(16))
            return
        if not req.context and not req.exten:
            # Neither Exten nor Application: ;1 just sits there until the far end hangs up.
            o.context, o.exten = "", ""
            return
        self.context = e.config.context(req.context)
        o.context, o.exten, o.priority = req.context, req.exten or "s", 1
        enter = CONTEXT_ENTRIES.get(req.context)
        if enter is not None and enter(self):
            return
        if self.context is None:
            # No such context in the dialplan: the channel has nowhere to go and is hung up.
            self.dialplan_hangup(0)
            return
        ctx = self.context
        e.step(o, "NoOp", f"DIALER attempt={o.variables.get('DIALER_ATTEMPT', '')}", priority=1)
        if ctx.reports:
            self._set_stage("ANSWERED")
        run_amd = ctx.amd == "always" or (ctx.amd == "variable" and o.variables.get(AMD_VARIABLE, "0") == "1")
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
        self.engine.step(self.o, "Set", f"{STAGE_VARIABLE}={stage}", priority=self.o.priority + 1)
        self.engine.set_var(self.o, STAGE_VARIABLE, stage)

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
            AMD_USER_EVENT, [("Status", plan.amd_status), ("Cause", plan.amd_cause), (header, o.variables.get(var, ""))]
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
        if ctx.reports:
            record_from_dialplan(self.engine, self.o)  # [dialer-record] when DIALER_RECORDING is set
        agent = self.o.variables.get(AGENT_VARIABLE, "")
        if ctx.reports and agent:
            self._dial_agent(agent, limit)
            return
        queue = ctx.queue or self.o.variables.get(QUEUE_VARIABLE, "")
        self.record.queued_at = self.engine.now()
        self.record.queue = queue
        if ctx.reports and not queue:
            self._abandon_to_safe_harbour("NOQUEUE")
            return
        if ctx.reports:
            self._set_stage("QUEUED")
        else:
            self.engine.set_var(self.o, STAGE_VARIABLE, "QUEUED")
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
        if self.after_queue is not None:
            self.after_queue()
            return
        ctx = self.context
        self.record.abandoned = True
        self.record.outcome = Outcome.ABANDONED
        if ctx is None or not ctx.safe_harbour:
            self.engine.set_var(self.o, STAGE_VARIABLE, f"DONE-{self.queue_status}")
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
        fields: Headers = [("Attempt", o.variables.get(ATTEMPT_VARIABLE, "")), ("QueueStatus", queue_status)]
        if agent is not None:
            fields.append(("Agent", agent))
        self._user_event(ABANDON_USER_EVENT, fields)
        self._set_stage("SAFE_HARBOUR")
        e.step(o, "Read", f"{KEY_VARIABLE},dialer/safe-harbour,1,,1,3", priority=o.priority + 1)
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
            OPT_OUT_USER_EVENT,
            [("Attempt", o.variables.get(ATTEMPT_VARIABLE, "")), ("Campaign", o.variables.get(CAMPAIGN_VARIABLE, ""))],
        )
        self.engine.step(o, "Playback", "dialer/opted-out", priority=o.priority + 1)
        self.later(1.0, lambda: self.dialplan_hangup(16))

    def before_hangup(self, cause: int, stage: Stage) -> None:
        """[dialer-hangup] h extension of the shipped dialplan: ``DialerCallEnd`` for every answered call."""
        ctx = self.context
        if ctx is None or not ctx.reports or self.record.answered_at is None:
            return
        o = self.o
        attempt = o.variables.get(ATTEMPT_VARIABLE, "")
        agent = ""
        if self.direct is not None and self.direct.connected_at is not None:
            self._user_event(AGENT_COMPLETE_USER_EVENT, [("Attempt", attempt), ("Agent", self.direct.interface)])
        if self.record.connected_at is not None and self.record.agent:
            agent = self.record.agent
            self.dialer_stage = "CONNECTED"
        elif stage in (Stage.QUEUED, Stage.AGENT_DIAL):
            self.dialer_stage = "ABANDONED"
            self._user_event(ABANDON_USER_EVENT, [("Attempt", attempt), ("QueueStatus", "CALLERHANGUP")])
        self._user_event(
            CALL_END_USER_EVENT,
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
