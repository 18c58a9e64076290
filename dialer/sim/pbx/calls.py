"""Call flows on channels: the common part (a queue side that runs the dialer's dialplan and Queue(), and the
far side that plays the person), shared by outbound dials (outbound.py, trunk.py) and inbound callers (inbound.py).

Every event sequence follows the recorded Asterisk 22 traces (``ami-traces/README.md``): ``;1`` is the channel
the Originate created (the one a dialer tracks), ``;2`` the Local channel's other half.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from dialer.clock import Timer
from dialer.sim.pbx.app_queue import QueueSystem
from dialer.sim.pbx.channels import Channel, Headers
from dialer.sim.pbx.engine import Engine
from dialer.sim.pbx.queues import AgentLeg, QueueCaller
from dialer.sim.pbx.world import Fate

# Channel variables app_queue (and Dial) reset when Queue() starts, in the order Asterisk sets them.
_QUEUE_RESET_VARS = ("ANSWEREDTIME", "ANSWEREDTIME_MS", "DIALEDTIME", "DIALEDTIME_MS", "QUEUEWAIT", "QUEUEWAIT_MS")


class Stage(StrEnum):
    """Where an originated call is in the dialer's dialplan, from dialling to its end."""

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

    def target(self) -> Headers:
        """Where the Originate sends its channel: ``Application``/``Data``, else ``Context``/``Exten``."""
        if self.application:
            return [("Application", self.application), ("Data", self.data)]
        return [("Context", self.context), ("Exten", self.exten)]


Reply = Callable[[bool], None]  # synchronous Originate: called once with success/failure


def emit_originate_response(
    engine: Engine,
    req: OriginateRequest,
    reason: int,
    channel: Channel | None,
    *,
    success: bool = True,
    channel_variables: bool = True,
) -> None:
    """The ``OriginateResponse`` of an Async Originate as Asterisk 22 writes it: a success names ``channel``, a
    failure the dial string, with ``channel``'s Uniqueid only when the Originate chose it (ChannelId); with
    ``channel_variables``, ``channel``'s manager.conf channelvars follow (in the Asterisk 11 key form, verified on
    Asterisk 22)."""
    if channel is not None and (success or req.channel_id):
        uniqueid = channel.uniqueid
    else:
        uniqueid = req.channel_id or "<unknown>"
    headers: Headers = [
        ("ActionID", req.action_id),
        ("Response", "Success" if success else "Failure"),
        ("Channel", channel.name if success and channel is not None else req.dial_string),
        *req.target(),
        ("Reason", str(reason)),
        ("Uniqueid", uniqueid),
        ("CallerIDNum", req.caller_num or "<unknown>"),
        ("CallerIDName", req.caller_name or "<unknown>"),
    ]
    if channel_variables and channel is not None:
        headers += [
            (f"ChanVariable({channel.name})", f"{var}={channel.variables.get(var, '')}")
            for var in engine.config.chan_variables
        ]
    engine.emit("OriginateResponse", "call,all", headers)


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
        # What the context does when Queue() returns without an agent (None: its own default; [dialer-ivr] goes
        # back to its flow: dialer.sim.pbx.ivr).
        self.after_queue: Callable[[], None] | None = None
        # The queue side's h extension when it waits on something outside the PBX ([dialer-ivr]'s, which runs the
        # FastAGI /ivr-end session first: dialer.sim.pbx.ivr): called with the cause, the stage and the rest of the
        # hang-up (its ``Hangup`` event onwards) to run once it is done. None: before_hangup, at once.
        self.h_extension: Callable[[int, Stage, Callable[[], None]], None] | None = None

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
        if self.after_queue is not None:
            self.after_queue()
            return
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

    def run_h_extension(self, cause: int, stage: Stage, then: Callable[[], None]) -> None:
        """The h extension (:attr:`h_extension` or :meth:`before_hangup`), then ``then``: the ``Hangup`` event
        and what follows it."""
        if self.h_extension is None:
            self.before_hangup(cause, stage)
            then()
        else:
            self.h_extension(cause, stage, then)

    def dialplan_hangup(self, cause: int) -> None:
        """The queue side's dialplan ends (Hangup()): both halves go down."""
        if self.stage is Stage.ENDED:
            return
        stage = self.stage
        self._end()
        self._hang_up_both(self.queue_side, self.far_side, cause, stage)

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
        self._leave(stage, cause)
        e.hangup_request(near, 16, soft=True)

        def rest() -> None:
            e.hangup(near, cause)
            if far is not None:
                e.device_state(far.device, "NOT_INUSE")
            e.device_state(near.device, "NOT_INUSE")
            self.on_ended()

        self.run_h_extension(cause, stage, rest)

    def dialer_hangs_up_queue_side(self, cause: int | None) -> None:
        """``Action: Hangup`` of the queue side after the answer (without Cause the causes read 0)."""
        if self.stage is Stage.ENDED:
            return
        code = 0 if cause is None else cause
        stage = self.stage
        near, far = self.queue_side, self.far_side
        self._end()
        self._leave(stage, code)
        self._hang_up_both(near, far, code, stage)

    def _leave(self, stage: Stage, cause: int) -> None:
        """The queue side, going down, leaves what it was in at ``stage``: the queue (an abandon), the agent's
        bridge, or the agent it was ringing directly."""
        if stage is Stage.QUEUED and self.caller is not None:
            self.on_abandoned_in_queue()
            self.queues.abandon(self.caller)
        elif stage is Stage.BRIDGED and self.leg is not None:
            self.leg.end_bridge(by_agent=False, cause=cause)
        else:
            self.release_direct_agent()

    def _hang_up_both(self, near: Channel, far: Channel | None, cause: int, stage: Stage) -> None:
        """Both halves hang up, the queue side first (as Local does), and the call is over."""
        e = self.engine
        e.hangup_request(near, 16, soft=True)

        def rest() -> None:
            e.hangup_local(near, far, cause)
            e.device_state(near.device, "NOT_INUSE")
            if far is not None:
                e.device_state(far.device, "NOT_INUSE")
            self.on_ended()

        # The queue side's h extension runs before Local hangs the ;2 half up.
        self.run_h_extension(cause, stage, rest)

    def _end(self) -> None:
        self.stage = Stage.ENDED
        self.cancel_timers()

    def hangup_requested(self, channel: Channel, cause: int | None) -> None:
        if self.far_side is not None and channel is self.far_side:
            self.far_hangs_up(16 if cause is None else cause)
        else:
            self.dialer_hangs_up_queue_side(cause)


def seconds_of(text: str, default: float) -> float:
    """A number of seconds an action or a channel variable gives as text (Wait's Data, DIALER_INBOUND_MAX_WAIT);
    ``default`` when it is none."""
    try:
        return float(text)
    except ValueError:
        return default
