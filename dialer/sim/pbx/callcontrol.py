"""Call control on the simulated PBX: ``Redirect`` (single and dual) into the shipped dialplan's call-control
contexts and ``PlayDTMF``, speaking what the recorded Asterisk 22 sessions say
(tests/fixtures/ami-traces/lab/callcontrol-*.txt).

Simulated: a queue call's (or a direct agent dial's) customer and agent leg Redirected to ``dialer-hold`` (they
leave their bridge: ``BridgeLeave`` each, ``BridgeDestroy``) and into ``dialer-conference,<n>`` (a ConfBridge:
``BridgeCreate``, ``ConfbridgeStart``, then ``BridgeEnter`` + ``ConfbridgeJoin`` per channel); the warm transfer's
consult (the agent's leg Redirected to ``dialer-transfer,dial``: ``Dial(${DIALER_TRANSFER_DIAL})`` of another
agent's phone or an outside number, bridged when it answers), completed (the target Redirected into the conference:
the agent's Dial() ends, ``AgentComplete`` agent) or cancelled (the agent back in the conference: the target is hung
up); ``PlayDTMF`` to the customer (``DTMFBegin``/``DTMFEnd`` received by the far half); and the ends: the customer
hanging up (or hung up) leaves the conference, ``AgentComplete`` (caller), the h extension's ``DialerCallEnd``, and
app_queue hangs the agent leg up; the agent's leg hung up (dropping out of a conference) leaves with
``AgentComplete`` (agent); the blind transfer to a queue (the customer Redirected to ``dialer-transfer,queue``
queues again: a member of that queue takes it as any queue call) and a third party Originated into a conference
(it joins when it answers; anyone may leave).

Why one module (over 500 lines): ``ControlledCall`` is one call's state machine across hold, consult, conference and
transfer; each step's events depend on where the others left the call's channels and bridges, so they are read
together, in the order the recorded sessions show them.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from dialer.ami.protocol import AmiMessage
from dialer.contract import (
    CALL_END_USER_EVENT,
    CONFERENCE_CONTEXT,
    HOLD_CONTEXT,
    TRANSFER_CONTEXT,
    TRANSFER_DIAL_VARIABLE,
    TRANSFER_QUEUE_VARIABLE,
)
from dialer.sim.pbx.actions import ActionSession
from dialer.sim.pbx.calls import PairCall, Stage
from dialer.sim.pbx.channels import Channel, ChannelState, Headers
from dialer.sim.pbx.direct import DirectAgentDial
from dialer.sim.pbx.engine import Engine
from dialer.sim.pbx.outbound import CONTEXT_ENTRIES, OutboundCall
from dialer.sim.pbx.queues import AgentLeg, bridge_headers, open_agent_channels

_PLACES = (HOLD_CONTEXT, CONFERENCE_CONTEXT, TRANSFER_CONTEXT)
TRANSFER_QUEUE_MAX_WAIT = 300.0  # asterisk/extensions.conf DIALER_INBOUND_MAX_WAIT: the transfer queue's limit


@dataclass
class Conference:
    name: str
    bridge_id: str
    members: list[Channel] = field(default_factory=list)
    owner: ControlledCall | None = None

    def base(self) -> Headers:
        return [
            ("Conference", self.name),
            ("BridgeUniqueid", self.bridge_id),
            ("BridgeType", "base"),
            ("BridgeTechnology", "softmix"),
            ("BridgeCreator", "ConfBridge"),
            ("BridgeName", self.name),
        ]

    def headers(self, members: int) -> Headers:
        """ConfBridge's headers for the conference with ``members`` in it (a bridge event's: without the first)."""
        return [*self.base(), ("BridgeNumChannels", str(members)), ("BridgeVideoSourceMode", "none")]


class ControlledCall:
    """A queue call after its first Redirect: owns the customer's two halves and the agent leg's channels."""

    def __init__(
        self, engine: Engine, pair: PairCall, leg: AgentLeg | DirectAgentDial, conferences: dict[str, Conference]
    ) -> None:
        self.e = engine
        self.pair = pair
        self.leg = leg  # the queue's member call, or the direct dial of DIALER_AGENT (preview, manual dial)
        assert leg.a1 is not None
        self.a1: Channel = leg.a1
        self.conferences = conferences
        self.customer = pair.queue_side
        self.where: dict[Channel, str] = {self.customer: "queue", self.a1: "queue"}
        # A consult call (dialer-transfer,dial from the agent's leg): the dialling channel, the target's halves.
        self.dialler: Channel | None = None
        self.t1: Channel | None = None
        self.t2: Channel | None = None
        self.dial_bridge = ""
        self.dial_timer: object | None = None
        self.third: tuple[Channel, Channel | None] | None = None
        self.agent_done = False
        self.transferred_at: float | None = None  # a blind transfer to a queue
        pair.cancel_timers()
        if leg.timer is not None:
            leg.timer.cancel()
        leg.ended = True  # the queue's own end of the bridge no longer runs: this call does it
        for channel in (self.customer, pair.far_side, self.a1, leg.a2):
            if channel is not None:
                engine.set_owner(channel, self)

    # ------------------------------------------------------------------ places
    def _bridge_headers(self, count: int) -> Headers:
        return bridge_headers(self.leg.bridge_id, count)

    def _leave_conference_bridge(self, conference: Conference, channel: Channel) -> None:
        """``channel`` leaves the conference's bridge (BridgeLeave)."""
        conference.members.remove(channel)
        channel.bridge_id = ""
        self.e.emit(
            "BridgeLeave", "call,all", [*conference.headers(len(conference.members))[1:], *self.e.snapshot(channel)]
        )

    def _confbridge_leave(self, conference: Conference, channel: Channel) -> None:
        """ConfBridge reports ``channel`` gone from the conference (ConfbridgeLeave)."""
        self.e.emit(
            "ConfbridgeLeave",
            "call,all",
            [*conference.headers(len(conference.members)), *self.e.snapshot(channel), ("Admin", "No")],
        )

    def _leave(self, channel: Channel) -> None:
        e = self.e
        place = self.where.get(channel, "")
        if place == "queue":
            left = sum(1 for c, p in self.where.items() if p == "queue" and c is not channel)
            channel.bridge_id = ""
            e.emit("BridgeLeave", "call,all", [*self._bridge_headers(left), *e.snapshot(channel)])
            self.where[channel] = ""
            if left == 0:
                e.emit("BridgeDestroy", "call,all", self._bridge_headers(0))
        elif place == "dial":
            self._leave_dial(channel)
        elif place.startswith("conf:"):
            conference = self.conferences[place[5:]]
            self._leave_conference_bridge(conference, channel)
            self._confbridge_leave(conference, channel)
            self.where[channel] = ""
            if not conference.members:
                del self.conferences[conference.name]
                e.emit(
                    "ConfbridgeEnd",
                    "call,all",
                    conference.headers(0),
                )
                e.emit(
                    "BridgeDestroy",
                    "call,all",
                    conference.headers(0)[1:],
                )

    def _enter(self, channel: Channel, context: str, exten: str, *, join_first: bool = False) -> None:
        e = self.e
        channel.context, channel.exten, channel.priority = context, exten, 1
        if context == HOLD_CONTEXT:
            e.step(channel, "Wait", "1800", priority=1)
            self.where[channel] = "hold"
            return
        if context == TRANSFER_CONTEXT and exten == "queue":
            self._to_queue(channel)
            return
        if context == TRANSFER_CONTEXT:
            self._dial(channel, channel.variables.get(TRANSFER_DIAL_VARIABLE, ""))
            return
        name = f"dialer-{exten}"
        conference = self.conferences.get(name)
        if conference is None:
            conference = self.conferences[name] = Conference(name, e.new_bridge_id(), owner=self)
            e.emit(
                "BridgeCreate",
                "call,all",
                conference.headers(0)[1:],
            )
            e.emit(
                "ConfbridgeStart",
                "call,all",
                conference.headers(1),
            )
        e.step(channel, "ConfBridge", name, priority=1)
        conference.members.append(channel)
        self.where[channel] = f"conf:{name}"
        channel.bridge_id = conference.bridge_id
        counted = conference.headers(len(conference.members))
        enter: Headers = [*counted[1:], *e.snapshot(channel)]
        join: Headers = [*counted, *e.snapshot(channel), ("Admin", "No"), ("Muted", "No")]
        # A channel Originated into the conference is announced to ConfBridge before it enters the bridge.
        for event, headers in (
            (("ConfbridgeJoin", join), ("BridgeEnter", enter))
            if join_first
            else (
                ("BridgeEnter", enter),
                ("ConfbridgeJoin", join),
            )
        ):
            e.emit(event, "call,all", headers)

    # ------------------------------------------------------------------ blind transfer to a queue
    def _to_queue(self, channel: Channel) -> None:
        """``dialer-transfer,queue``: the customer runs ``Queue(${DIALER_TRANSFER_QUEUE},b(...),,,max wait)`` and is
        the call's own again (a member of that queue takes it as any queue call; no member in time: Hangup). The
        agent's leg, left alone in the old bridge, is the dialer's to hang up (callcontrol-blind-transfer.txt)."""
        e, pair = self.e, self.pair
        self.where[channel] = "transferred"
        for ch in (self.customer, pair.far_side):
            if ch is not None:
                e.set_owner(ch, pair)
        queue = channel.variables.get(TRANSFER_QUEUE_VARIABLE, "")
        wait = TRANSFER_QUEUE_MAX_WAIT
        channel.context, channel.exten, channel.priority = TRANSFER_CONTEXT, "queue", 0
        pair.leg = None
        pair.caller = None
        pair.stage = Stage.ANSWERED
        self.transferred_at = e.now()
        # The transfer's Queue() ends in Hangup(16), not in the outbound call's safe-harbour message.
        pair.on_queue_timeout = lambda: pair.dialplan_hangup(16)  # type: ignore[method-assign]
        # app_queue reports the first agent's AgentComplete (Reason caller, talk time up to then) only when the
        # customer's channel ends, just before the closer's.
        on_connected, on_ended = pair.on_connected, pair.on_ended

        def connected(leg: AgentLeg) -> None:
            on_connected(leg)
            end_bridge = leg.end_bridge

            def ended(*, by_agent: bool, cause: int) -> None:
                if not leg.ended and leg.connected_at is not None:
                    self._deferred_complete()
                end_bridge(by_agent=by_agent, cause=cause)

            leg.end_bridge = ended  # type: ignore[method-assign]

        def gone() -> None:
            self._deferred_complete()
            on_ended()

        pair.on_connected = connected  # type: ignore[method-assign]
        pair.on_ended = gone  # type: ignore[method-assign]
        # Queue() runs once the Redirect has taken the channel out of its bridge (after the dialer's Hangup of the
        # agent's leg, sent with the Redirect).
        e.later(0.01, lambda: self._queue_after_redirect(queue, wait))

    def _queue_after_redirect(self, queue: str, wait: float) -> None:
        pair = self.pair
        if pair.stage is Stage.ENDED or self.customer.hung_up:
            return
        pair.enter_queue(queue, wait, f"{queue},b(dialer-agent-autoanswer^s^1),,,{wait:g}")

    def _deferred_complete(self) -> None:
        leg, e = self.leg, self.e
        if self.agent_done or not isinstance(leg, AgentLeg):
            return
        self.agent_done = True
        talk = int(e.now() - (leg.connected_at or e.now()))
        snapshot = e.snapshot(self.customer) if not self.customer.hung_up else []
        e.emit(
            "AgentComplete",
            "agent,all",
            snapshot
            + leg.agent_headers()
            + [("HoldTime", str(leg.hold_seconds())), ("TalkTime", str(talk)), ("Reason", "caller")],
        )
        leg.queue.record_talk(talk)

    def _agent_leaves_after_transfer(self, cause: int) -> None:
        """AMI Hangup of the agent's leg left in the old bridge by a blind transfer: it leaves the bridge and goes
        (no dialplan ran on it: no h extension); the AgentComplete waits for the customer's end."""
        e, leg = self.e, self.leg
        a1, a2 = self.a1, leg.a2
        if a1.hung_up:
            return
        a1.bridge_id = ""
        self.where[a1] = ""
        e.emit("BridgeLeave", "call,all", [*self._bridge_headers(0), *e.snapshot(a1)])
        _hang_up_local(e, a1, a2, cause)
        e.emit("BridgeDestroy", "call,all", self._bridge_headers(0))
        if isinstance(leg, AgentLeg):
            leg.release_device()
        self._agent_free()

    # ------------------------------------------------------------------ a 3-way's third party
    def add_third(self, call: OutboundCall, conference: str) -> None:
        """A third party Originated into the conference answered: it joins (and is this call's to end)."""
        call.cancel_timers()
        call.stage = Stage.ENDED  # its own flow is over: the conference has it
        self.third = (call.o, call.far_side)
        for channel in self.third:
            if channel is not None:
                self.e.set_owner(channel, self)
        self._enter(call.o, CONFERENCE_CONTEXT, conference, join_first=True)

    def _third_gone(self, cause: int) -> None:
        e = self.e
        if self.third is None:
            return
        near, far = self.third
        if near.hung_up:
            return
        # (callcontrol-conference.txt: ;1 leaves, runs its h extension, then its ;2 half is hung up.)
        self._leave(near)
        e.hangup_request(near, 16, soft=True)
        e.channel_event(
            "UserEvent",
            near,
            [
                ("UserEvent", CALL_END_USER_EVENT),
                ("Attempt", ""),
                ("Stage", ""),
                ("Agent", ""),
                ("QueueStatus", ""),
                ("Cause", str(cause)),
            ],
            "user,all",
        )
        _hang_up_local(e, near, far, cause)

    # ------------------------------------------------------------------ consult (dialer-transfer,dial)
    def _dial(self, channel: Channel, target: str) -> None:
        e = self.e
        e.step(channel, "Dial", target, priority=1)
        self.where[channel] = "dialling"
        self.dialler = channel
        self.t1, self.t2, dial_string = open_agent_channels(e, target, channel, self)
        e.emit(
            "DialBegin", "call,all", [*e.snapshot(channel), *e.snapshot(self.t1, "Dest"), ("DialString", dial_string)]
        )
        e.set_state(self.t1, ChannelState.RINGING)
        e.device_state(target, "INUSE")
        if target.endswith(f"@{e.config.pstn_context}"):
            # An outside number ([lab-cc-pstn]: Ringing, 1 s, Answer): the dialler hears it ring.
            e.emit(
                "DialState", "call,all", [*e.snapshot(channel), *e.snapshot(self.t1, "Dest"), ("DialStatus", "RINGING")]
            )
            delay = 1.0
        else:
            delay = e.world.agent_connect_seconds(self.pair.rng)
        self.dial_timer = e.later(delay, self._dial_answered)

    def _dial_answered(self) -> None:
        e, t1, dialler = self.e, self.t1, self.dialler
        if t1 is None or dialler is None or t1.hung_up or dialler.hung_up:
            return
        if self.t2 is not None:
            e.set_state(self.t2, ChannelState.UP)
        e.set_state(t1, ChannelState.UP)
        e.emit("DialEnd", "call,all", [*e.snapshot(dialler), *e.snapshot(t1, "Dest"), ("DialStatus", "ANSWER")])
        self.dial_bridge = e.new_bridge_id()
        e.emit("BridgeCreate", "call,all", bridge_headers(self.dial_bridge, 0))
        for count, channel in ((1, t1), (2, dialler)):
            channel.bridge_id = self.dial_bridge
            self.where[channel] = "dial"
            e.emit("BridgeEnter", "call,all", bridge_headers(self.dial_bridge, count) + e.snapshot(channel))

    def _leave_dial(self, channel: Channel) -> None:
        """One side leaves the consult's bridge: the callee leaving ends the dialler's Dial() (it hangs up: the
        agent drops out); the dialler leaving hangs the callee up."""
        e = self.e
        other = self.t1 if channel is self.dialler else self.dialler
        channel.bridge_id = ""
        self.where[channel] = ""
        e.emit("BridgeLeave", "call,all", bridge_headers(self.dial_bridge, 1) + e.snapshot(channel))
        if other is None or other.hung_up:
            return
        other.bridge_id = ""
        self.where[other] = ""
        e.emit("BridgeLeave", "call,all", bridge_headers(self.dial_bridge, 0) + e.snapshot(other))
        e.emit("BridgeDestroy", "call,all", bridge_headers(self.dial_bridge, 0))
        if other is self.t1:
            self.e.later(0.05, lambda: self._callee_gone(16))  # Dial() hangs its callee up a moment later
        elif other is self.a1:
            self._agent_complete("agent")
            self._agent_gone(16, requested=False)

    def _callee_gone(self, cause: int) -> None:
        """The consult's callee, out of every bridge, hangs up (its Dial() peer left, or the dialer hung it up)."""
        e, t1, t2 = self.e, self.t1, self.t2
        if t1 is None or t1.hung_up:
            return
        _hang_up_local(e, t1, t2, cause)

    def _target_gone(self, cause: int, *, requested: bool = False, h: bool = False) -> None:
        e, t1, t2 = self.e, self.t1, self.t2
        if t1 is None or t1.hung_up:
            return
        if requested:
            e.hangup_request(t1, cause)
        if self.where.get(t1):
            self._leave(t1)
        e.hangup_request(t1, 16, soft=True)
        if h:
            self._agent_h(t1, cause)
        e.hangup(t1, cause)
        if t2 is not None and not t2.hung_up:
            e.hangup_request(t2, 16, soft=True)
            e.hangup(t2, cause)

    def redirect(self, moves: list[tuple[Channel, str, str]]) -> None:
        for channel, _, _ in moves:
            self._leave(channel)
        for channel, context, exten in moves:
            self._enter(channel, context, exten)

    # ------------------------------------------------------------------ DTMF
    def dtmf(self, channel: Channel, digit: str, duration_ms: int) -> None:
        """The digit is played to ``channel``: its Local other half receives it."""
        e = self.e
        far = self.pair.far_side if channel is self.customer else (self.leg.a2 if channel is self.a1 else None)
        _dtmf_to(e, far or channel, digit, duration_ms)

    # ------------------------------------------------------------------ ends
    @property
    def interface(self) -> str:
        return self.leg.member.interface if isinstance(self.leg, AgentLeg) else self.leg.interface

    def _agent_complete(self, reason: str) -> None:
        """app_queue's AgentComplete (a direct dial has none: the h extension's DialerAgentComplete says it)."""
        if self.agent_done:
            return
        self.agent_done = True
        leg, e = self.leg, self.e
        if not isinstance(leg, AgentLeg):
            return
        talk = int(e.now() - (leg.connected_at or e.now()))
        e.emit(
            "AgentComplete",
            "agent,all",
            leg.caller_and_dest()
            + leg.agent_headers()
            + [("HoldTime", str(leg.hold_seconds())), ("TalkTime", str(talk)), ("Reason", reason)],
        )
        leg.queue.record_talk(talk)
        leg.release_device()

    def _agent_free(self) -> None:
        """The agent's phone is free again: app_queue's member after its wrap-up, or the direct dial released."""
        if isinstance(self.leg, AgentLeg):
            self.e.device_state(self.leg.member.interface, "NOT_INUSE")
            self.leg.system.dispatch_after_wrapup(self.leg.member.interface)
        else:
            self.leg.release()

    def _agent_h(self, channel: Channel, cause: int) -> None:
        """The agent leg's h extension (it runs in a dialer context now): DialerCallEnd without an attempt."""
        self.e.channel_event(
            "UserEvent",
            channel,
            [
                ("UserEvent", CALL_END_USER_EVENT),
                ("Attempt", ""),
                ("Stage", "CONNECTED"),
                ("Agent", self.interface),
                ("QueueStatus", ""),
                ("Cause", str(cause)),
            ],
            "user,all",
        )

    def _agent_gone(self, cause: int, *, requested: bool) -> None:
        e, leg = self.e, self.leg
        a1, a2 = self.a1, leg.a2
        if a1.hung_up:
            return
        if requested:
            e.hangup_request(a1, cause)
        self._leave(a1)
        e.hangup_request(a1, 16, soft=True)
        self._agent_h(a1, cause)
        e.hangup(a1, cause)
        if a2 is not None and not a2.hung_up:
            if not requested:  # the leg's own dialplan ended (its Dial() returned): Local takes ;2 down
                e.hangup_request(a2, cause)
            e.hangup_request(a2, 16, soft=True)
            e.hangup(a2, cause)
        self._agent_free()

    def _agent_drops_out(self, cause: int) -> None:
        """AMI Hangup of the agent's leg in a conference (the agent leaves a 3-way)."""
        e, a1, a2 = self.e, self.a1, self.leg.a2
        place = self.where.get(a1, "")
        conference = self.conferences.get(place[5:]) if place.startswith("conf:") else None
        # (callcontrol-conference.txt: ;1 leaves the bridge and runs its h extension, its ;2 half is hung up, ;1 goes,
        # then ConfBridge and app_queue report it: ConfbridgeLeave, AgentComplete agent.)
        if conference is not None:
            self._leave_conference_bridge(conference, a1)
        a1.bridge_id = ""
        self.where[a1] = ""
        e.hangup_request(a1, 16, soft=True)
        self._agent_h(a1, cause)
        if a2 is not None and not a2.hung_up:
            e.hangup_request(a2, cause)
        e.hangup(a1, cause)
        if conference is not None:
            self._confbridge_leave(conference, a1)
        self._agent_complete("agent")
        if a2 is not None and not a2.hung_up:
            e.hangup_request(a2, 16, soft=True)
            e.hangup(a2, cause)
        self._agent_free()
        self._third_party_alone()
        if not self.customer.hung_up:
            # The customer and the third party talk on without the agent (or the customer waits for a third party
            # still ringing, who joins meanwhile), then the customer hangs up: a person does, nobody ends the call
            # for them any more (the lab's phones never hang up: in callcontrol-conference.txt the dialer did).
            talk = e.world.talk_seconds(self.pair.rng, e.now(), self.pair.talk_fate())
            e.later(talk, lambda: self._customer_gone(16))

    def _customer_gone(self, cause: int) -> None:
        e, pair = self.e, self.pair
        near, far = self.customer, pair.far_side
        if near.hung_up:
            return
        # (callcontrol-*.txt: the customer's ;1 leaves, runs its h extension, and only then is its ;2 half hung up.)
        self._leave(near)
        e.hangup_request(near, 16, soft=True)
        self._agent_complete("caller")
        pair.stage = Stage.ENDED

        def rest() -> None:
            e.hangup_local(near, far, cause)
            if far is not None:
                e.device_state(far.device, "NOT_INUSE")
            e.device_state(near.device, "NOT_INUSE")
            # The agent's leg is no longer app_queue's (the Redirect took it out of the queue's bridge): it stays
            # where it is (the conference, the hold) until the dialer hangs it up or the agent's phone does, as a
            # transfer target left in the conference does (callcontrol-hold-resume.txt, callcontrol-warm-transfer.txt).
            self._phone_hangs_up_later(self.a1, self.leg.a2)
            if self.t1 is not None and self.where.get(self.t1, "").startswith("conf:"):
                self._phone_hangs_up_later(self.t1, self.t2)
            self._third_party_alone()
            pair.on_ended()

        # The customer's h extension (an IVR call's /ivr-end too) runs before the Hangup.
        pair.run_h_extension(cause, Stage.BRIDGED, rest)

    def _third_party_alone(self) -> None:
        """A 3-way's third party left alone in the conference (the customer gone, the agent too) hangs up a moment
        later."""
        third = self.third
        if third is None or third[0].hung_up or not self.customer.hung_up:
            return
        if self.where.get(self.a1, "").startswith("conf:"):
            return
        self.e.later(1.0, lambda: self._third_gone(16))

    def _phone_hangs_up_later(self, near: Channel, far: Channel | None) -> None:
        """An agent's leg left alone after the customer's end: their phone hangs up when the agent's drawn talk is
        over (at once if it is), unless the dialer hangs the leg up first."""
        if near.hung_up:
            return
        leg = self.leg
        talk = leg.talk_seconds if isinstance(leg, AgentLeg) else 0.0
        connected = leg.connected_at if leg.connected_at is not None else self.e.now()
        delay = max(connected + talk - self.e.now(), 0.0)
        self.e.later(delay, lambda: self._phone_hangs_up(near, far))

    def _phone_hangs_up(self, near: Channel, far: Channel | None) -> None:
        """The phone behind a Local agent leg hangs up: its ;2 goes, then ;1 leaves its place and runs its h
        extension (the lab's agent phones ending their call, callcontrol-*.txt)."""
        e = self.e
        if near.hung_up:
            return
        if far is not None and not far.hung_up:
            e.hangup_request(far, 16, soft=True)
        e.hangup_request(near, 16)
        if far is not None and not far.hung_up:
            e.hangup(far, 16)
        if self.where.get(near):
            self._leave(near)
        e.hangup_request(near, 16, soft=True)
        self._agent_h(near, 16)
        e.hangup(near, 16)
        if near is self.a1:
            self._agent_free()
            self._third_party_alone()

    def hangup_requested(self, channel: Channel, cause: int | None) -> None:
        code = 16 if cause is None else cause
        if self.where.get(self.customer) == "transferred" and channel in (self.a1, self.leg.a2):
            self._agent_leaves_after_transfer(code)
        elif channel is self.customer or channel is self.pair.far_side:
            self._customer_gone(code)
        elif self.third is not None and channel in self.third:
            self._third_gone(code)
        elif channel is self.a1 and self.where.get(self.a1, "").startswith("conf:"):
            self._agent_drops_out(code)
        elif channel in (self.t1, self.t2):
            if self.t1 is not None and not self.where.get(self.t1):
                self._callee_gone(code)
            else:
                self._target_gone(code, requested=True, h=True)
        else:
            self._agent_complete("agent")
            self._agent_gone(code, requested=True)


def _hang_up_local(e: Engine, near: Channel, far: Channel | None, cause: int) -> None:
    """``near`` hangs up and takes its other half with it, if that is still up."""
    e.hangup_local(near, far if far is not None and not far.hung_up else None, cause)


def _dtmf_to(e: Engine, target: Channel, digit: str, duration_ms: int) -> None:
    """The digit reaches ``target`` (DTMFBegin, DTMFEnd received)."""
    e.channel_event("DTMFBegin", target, [("Digit", digit), ("Direction", "Received")], "dtmf,all")
    e.channel_event(
        "DTMFEnd",
        target,
        [("Digit", digit), ("DurationMs", str(duration_ms)), ("Direction", "Received")],
        "dtmf,all",
    )


def _controlled(engine: Engine, channel: Channel, conferences: dict[str, Conference]) -> ControlledCall | None:
    owner = engine.owners.get(channel)
    if isinstance(owner, ControlledCall):
        return owner
    if isinstance(owner, AgentLeg):
        owner = engine.owners.get(owner.caller.channel)
    elif isinstance(owner, DirectAgentDial):
        owner = engine.owners.get(owner.client.o)
    leg: AgentLeg | DirectAgentDial | None = None
    if isinstance(owner, OutboundCall) and owner.direct is not None:
        leg = owner.direct
    elif isinstance(owner, PairCall):
        leg = owner.leg
    bridged = isinstance(owner, PairCall) and owner.stage is Stage.BRIDGED
    if bridged and isinstance(owner, PairCall) and leg is not None and leg.connected_at is not None and not leg.ended:
        return ControlledCall(engine, owner, leg, conferences)
    return None


async def redirect(session: ActionSession, msg: AmiMessage) -> None:
    e = session.pbx.core.engine
    name, extra = msg.get("Channel") or "", msg.get("ExtraChannel") or ""
    if not name:
        session.error(msg, "Channel not specified")
        return
    channel = e.find_channel(name)
    if channel is None:
        session.error(msg, f"Channel does not exist: {name}")
        return
    other = e.find_channel(extra) if extra else None
    if extra and other is None:
        session.error(msg, f"ExtraChannel does not exist: {extra}")
        return
    context, exten = msg.get("Context") or "", msg.get("Exten") or ""
    moves = [(channel, context, exten)]
    if other is not None:
        moves.append((other, msg.get("ExtraContext") or context, msg.get("ExtraExten") or exten))
    conferences = _conferences(e)
    call = _controlled(e, channel, conferences)
    unsupported = any(
        ctx not in _PLACES
        or (ctx == TRANSFER_CONTEXT and ex not in ("dial", "queue"))
        or (ctx == TRANSFER_CONTEXT and ex == "queue" and (call is None or ch is not call.customer))
        for ch, ctx, ex in moves
    )
    if call is None or unsupported:
        session.error(msg, "Redirect failed (not simulated)")
        return
    with session.events_after_response():
        session.respond(msg, "Success", [("Message", "Dual Redirect successful" if other else "Redirect successful")])
        call.redirect(moves)


async def play_dtmf(session: ActionSession, msg: AmiMessage) -> None:
    e = session.pbx.core.engine
    digit = (msg.get("Digit") or "")[:1]
    channel = e.find_channel(msg.get("Channel") or "")
    if channel is None:
        session.error(msg, "Channel not found")
        return
    if not digit:
        session.error(msg, "No digit specified")
        return
    duration = int(msg.get("Duration") or "100") if (msg.get("Duration") or "100").isdigit() else 100
    with session.events_after_response():
        session.respond(msg, "Success", [("Message", "DTMF successfully queued")])
        owner = e.owners.get(channel)
        if isinstance(owner, ControlledCall):
            owner.dtmf(channel, digit, duration)
        else:
            far = owner.far_side if isinstance(owner, PairCall) and channel is owner.queue_side else None
            _dtmf_to(e, far or channel, digit, duration)


_BY_ENGINE: weakref.WeakKeyDictionary[Engine, dict[str, Conference]] = weakref.WeakKeyDictionary()


def _conferences(engine: Engine) -> dict[str, Conference]:
    """The ConfBridges of one engine (a restarted PBX has a new engine and none)."""
    return _BY_ENGINE.setdefault(engine, {})


def _third_party_enters(call: OutboundCall) -> bool:
    """An Originate into ``dialer-conference,<n>`` answered: the conference's call takes the channel."""
    conference = _conferences(call.engine).get(f"dialer-{call.request.exten}")
    if conference is None or conference.owner is None:
        return False
    conference.owner.add_third(call, call.request.exten)
    return True


CONTEXT_ENTRIES[CONFERENCE_CONTEXT] = _third_party_enters
