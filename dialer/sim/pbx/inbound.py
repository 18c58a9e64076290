"""Inbound callers: ;1 is the customer (gives up after their patience), ;2 answers and waits in Queue()
(inbound-call-waiting.txt). Originated by a test (``Local/s@sim-inbound``, Application Wait) or arriving by
themselves from the world model's Poisson stream.

A caller no agent took runs the rest of the shipped ``[dialer-inbound]`` (lab/inbound-queue-timeout.txt,
lab/inbound-joinempty.txt): Queue() returns TIMEOUT after ``QueueCallerAbandon``/``QueueCallerLeave``, or JOINEMPTY
at once, without any queue event, when the queue has no member (joinempty); then ``UserEvent DialerAbandon``
(``Attempt`` empty, ``Queue``, ``QueueStatus``), the apology (``DIALER_INBOUND_CLOSED``) and ``Hangup(16)``. A
caller who hangs up while waiting never comes back from Queue(): no DialerAbandon. The bound is
``DIALER_INBOUND_MAX_WAIT``: an Originate's ``Variable`` of that name (Local copies it to ;2) hides the default."""

from __future__ import annotations

import random
from collections.abc import Callable

from dialer.clock import Timer
from dialer.contract import ABANDON_USER_EVENT, INBOUND_MAX_WAIT_VARIABLE, STAGE_VARIABLE
from dialer.sim.pbx.app_queue import QueueSystem
from dialer.sim.pbx.calls import OriginateRequest, PairCall, Stage, emit_originate_response, seconds_of
from dialer.sim.pbx.channels import ChannelState
from dialer.sim.pbx.engine import Engine
from dialer.sim.pbx.queues import AgentLeg
from dialer.sim.pbx.truth import InboundRecord
from dialer.sim.pbx.world import NEVER

# Extensions of the inbound context other modules simulate (the shipped dialplan's ``ivr``); False: not taken, the
# caller queues as usual.
INBOUND_ENTRIES: dict[str, Callable[[InboundCall], bool]] = {}


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
        # DIALER_INBOUND_MAX_WAIT: a channel variable of the call (an Originate's Variable) hides the default
        self.queue_timeout = seconds_of(dict(variables).get(INBOUND_MAX_WAIT_VARIABLE, ""), queue_timeout)
        self.record: InboundRecord | None = None
        self.patience_timer: Timer | None = None

    def start(self) -> None:
        e = self.engine
        ctx = e.config.inbound_context
        req = self.request
        customer, queue_side = e.new_local_pair(
            self.exten,
            ctx,
            self,
            channel_id=req.channel_id if req is not None else None,
            other_channel_id=req.other_channel_id if req is not None else None,
        )
        self.queue_side, self.far_side = queue_side, customer
        self.record = InboundRecord(customer.uniqueid, self.queue_name, e.now(), self.patience)
        e.truth.inbound.append(self.record)
        e.take_call_identity(customer, reversed(self.variables), self.caller_num, self.caller_name)
        e.take_call_identity(queue_side, self.variables, self.caller_num, self.caller_name)
        e.local_bridge(customer, queue_side, ctx, self.exten)
        e.emit("DialBegin", "call,all", [*e.snapshot(customer, "Dest"), ("DialString", f"{self.exten}@{ctx}")])
        e.step(queue_side, "NoOp", f"SIM inbound call from {self.caller_num}", priority=1)
        enter = INBOUND_ENTRIES.get(self.exten)
        if enter is not None and enter(self):
            return  # another context took the caller and answers it (dialer-inbound,ivr: dialer.sim.pbx.ivr)
        e.step(queue_side, "Answer", "", priority=2)
        self.answer()
        # Answer() waits for media (~0.5 s) before the next priority runs.
        self.later(0.5, self._queue)

    def answer(self) -> None:
        """``Answer()`` on ;2: both halves Up, the customer's dial answered, the Originate's response."""
        e, customer, queue_side, req = self.engine, self.far_side, self.queue_side, self.request
        assert customer is not None, "answer() runs after start() made the pair"
        e.set_state(queue_side, ChannelState.UP)
        e.set_state(customer, ChannelState.UP)
        e.device_state(customer.device, "INUSE")
        e.emit("DialEnd", "call,all", [*e.snapshot(customer, "Dest"), ("DialStatus", "ANSWER")])
        if req is not None and req.is_async:
            emit_originate_response(e, req, 4, customer, channel_variables=False)
        e.device_state(customer.device, "INUSE")
        self.stage = Stage.ANSWERED
        if self.patience != NEVER:
            self.patience_timer = self.later(self.patience, self.far_hangs_up_by_customer)

    def _queue(self) -> None:
        data = f"{self.queue_name},r,,,{self.queue_timeout:g}"
        known = self.queues.queues.get(self.queue_name)
        if known is not None and not known.config.join_when_empty and not known.members:
            # joinempty = unavailable,invalid: refused at join, Queue() returns at once without any queue event.
            e = self.engine
            e.step(self.queue_side, "Queue", data, priority=self.queue_side.priority + 1)
            self.queue_status = "JOINEMPTY"
            e.set_var(self.queue_side, "QUEUESTATUS", self.queue_status)
            self.on_queue_timeout()
            return
        self.enter_queue(self.queue_name, self.queue_timeout, data)

    def on_queue_timeout(self) -> None:
        """Queue() returned without an agent (TIMEOUT, JOINEMPTY, LEAVEEMPTY ...): [dialer-inbound] reports the
        abandon with the queue, apologises and hangs up (another context that took the caller goes its own way)."""
        if self.after_queue is not None:
            self.after_queue()
            return
        e, near = self.engine, self.queue_side
        e.step(near, "GotoIf", "0?done", priority=near.priority + 1)
        fields = [("Attempt", ""), ("Queue", self.queue_name), ("QueueStatus", self.queue_status)]
        e.step(
            near,
            "UserEvent",
            ",".join([ABANDON_USER_EVENT, *(f"{k}: {v}" for k, v in fields)]),
            priority=near.priority + 1,
        )
        e.channel_event("UserEvent", near, [("UserEvent", ABANDON_USER_EVENT), *fields], "user,all")
        stage = f"INBOUND-{self.queue_status}"
        e.step(near, "Set", f"{STAGE_VARIABLE}={stage}", priority=near.priority + 1)
        e.set_var(near, STAGE_VARIABLE, stage)
        e.step(near, "Playback", "dialer/inbound-closed", priority=near.priority + 1)

        def closed() -> None:
            if self.stage is Stage.ENDED:
                return
            e.set_var(near, "PLAYBACKSTATUS", "SUCCESS")
            e.step(near, "Hangup", "16", priority=near.priority + 1)
            self._hang_up_after_apology()

        self.later(e.config.inbound_closed_seconds, closed)

    def _hang_up_after_apology(self) -> None:
        """``Hangup(16)`` on ;2; Local takes the customer's ;1 down with it. The customer's half runs an application
        (Wait), not dialplan: it gets no ``SoftHangupRequest`` (lab/inbound-queue-timeout.txt: SoftHangupRequest ;2,
        HangupRequest ;1, Hangup ;2, Hangup ;1, all cause 16)."""
        e, near, customer = self.engine, self.queue_side, self.far_side
        assert customer is not None  # inbound calls are Local pairs
        stage = self.stage
        self._end()
        e.hangup_request(near, 16, soft=True)

        def rest() -> None:
            e.hangup_request(customer, 16)
            e.hangup(near, 16)
            e.hangup(customer, 16)
            e.device_state(near.device, "NOT_INUSE")
            e.device_state(customer.device, "NOT_INUSE")
            self.on_ended()

        self.run_h_extension(16, stage, rest)

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

        def rest() -> None:
            e.hangup(near, 0)
            e.device_state(customer.device, "NOT_INUSE")
            e.device_state(near.device, "NOT_INUSE")
            self.on_ended()

        self.run_h_extension(0, Stage.QUEUED, rest)

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
