"""app_queue's data and the calls it places: queues, members, devices, waiting callers, and agent legs.

``Member``/``Device``/``Queue``/``QueueCaller`` are the state app_queue keeps and the member/params headers it
shows in AMI; ``AgentLeg`` is the call app_queue places to a member's phone and the bridge once the phone
answers. A member's phone auto-answers after the connect delay; the agent then "talks" for a time drawn from the
world model and hangs up (``AgentComplete`` Reason agent), unless the caller's side goes first (Reason caller).
The matching of callers with members (strategies, weights, wrap-up, pauses) is ``app_queue.QueueSystem``, which
drives these legs through the :class:`LegHost` it provides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from dialer.clock import Timer
from dialer.sim.pbx.channels import Channel, ChannelState, Headers
from dialer.sim.pbx.config import QueueConfig
from dialer.sim.pbx.engine import ChannelOwner, Engine


class PhoneCall(Protocol):
    """A call holding a member's phone: an :class:`AgentLeg`, or ``direct.DirectAgentDial`` (DIALER_AGENT)."""

    @property
    def device(self) -> Device: ...


class LegHost(Protocol):
    """What an agent leg asks of app_queue (``app_queue.QueueSystem``, which creates the legs)."""

    @property
    def engine(self) -> Engine: ...

    @property
    def queues(self) -> dict[str, Queue]: ...

    def memberships(self, interface: str) -> list[Member]: ...

    def member_status_changed(self, interface: str) -> None: ...

    def ring_no_answer(self, leg: AgentLeg) -> None: ...

    def leave(self, caller: QueueCaller, *, emit_leave: bool) -> None: ...

    def dispatch_after_wrapup(self, interface: str) -> None: ...

    def poll(self) -> None: ...


# QueueMember Status codes (enum ast_device_state).
DEVICE_NOT_INUSE = 1
DEVICE_INUSE = 2


@dataclass(eq=False)
class Member:
    """A queue member. One interface may be a member of several queues (one Member each); its device
    state (in a call or not) is shared, see :class:`Device`."""

    queue: str
    interface: str
    name: str
    penalty: int
    dynamic: bool
    login_time: int
    paused: bool = False
    paused_reason: str = ""
    last_pause: int = 0
    calls_taken: int = 0
    last_call: int = 0

    def headers(self, device: Device, *, in_queue_event: bool) -> Headers:
        """QueueMemberStatus/Added/Pause/Removed body (``in_queue_event``) or the QueueMember list item."""
        common: Headers = [
            ("StateInterface", self.interface),
            ("Membership", "dynamic" if self.dynamic else "static"),
            ("Penalty", str(self.penalty)),
            ("CallsTaken", str(self.calls_taken)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", "1" if device.in_call else "0"),
            ("Status", str(device.status)),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.paused_reason),
        ]
        if in_queue_event:
            return [
                ("Queue", self.queue),
                ("MemberName", self.name),
                ("Interface", self.interface),
                *common,
                ("Ringinuse", "0"),
                ("Wrapuptime", "0"),
            ]
        return [("Queue", self.queue), ("Name", self.name), ("Location", self.interface), *common, ("Wrapuptime", "0")]


@dataclass(eq=False)
class Device:
    """The phone behind an interface: busy while any leg to it exists (ringinuse=no)."""

    interface: str
    leg: PhoneCall | None = None  # the agent leg or direct dial holding the phone
    # shared_lastcall=yes: the end of the last call, for every queue's wrap-up time.
    last_call_end: float = -1e18

    @property
    def in_call(self) -> bool:
        return self.leg is not None

    @property
    def status(self) -> int:
        return DEVICE_INUSE if self.leg is not None else DEVICE_NOT_INUSE


@dataclass(eq=False)
class QueueCaller:
    """A channel waiting in Queue()."""

    channel: Channel
    queue: str
    joined_at: float
    original_position: int
    client: QueueClient  # the call flow of the waiting channel (calls.py)
    leg: AgentLeg | None = None  # the agent leg ringing for this caller, if any


@dataclass(eq=False)
class Queue:
    config: QueueConfig
    members: dict[str, Member] = field(default_factory=dict)
    callers: list[QueueCaller] = field(default_factory=list)
    completed: int = 0
    abandoned: int = 0
    holdtime: int = 0
    talktime: int = 0
    rr_last: str = ""  # rrmemory: the interface rung last

    @property
    def name(self) -> str:
        return self.config.name

    def record_hold(self, seconds: int) -> None:
        # app_queue's running average: new = (3 * old + sample) / 4, in integer seconds.
        self.holdtime = ((self.holdtime << 2) - self.holdtime + seconds) >> 2

    def record_talk(self, seconds: int) -> None:
        self.talktime = ((self.talktime << 2) - self.talktime + seconds) >> 2

    def params_headers(self) -> Headers:
        return [
            ("Queue", self.name),
            ("Max", "0"),
            ("Strategy", self.config.strategy),
            ("Calls", str(len(self.callers))),
            ("Holdtime", str(self.holdtime)),
            ("TalkTime", str(self.talktime)),
            ("Completed", str(self.completed)),
            ("Abandoned", str(self.abandoned)),
            ("ServiceLevel", str(self.config.service_level)),
            ("ServicelevelPerf", "0.0"),
            ("ServicelevelPerf2", "0.0"),
            ("Weight", str(self.config.weight)),
        ]


class QueueClient(Protocol):
    """The call flow of a channel waiting in a queue."""

    def agent_connected(self, caller: QueueCaller, leg: AgentLeg) -> None: ...

    def bridge_ended(self, leg: AgentLeg, *, by_agent: bool) -> None: ...

    def queue_exited(self, caller: QueueCaller, status: str) -> None: ...


def open_agent_channels(
    e: Engine, interface: str, caller: Channel, owner: ChannelOwner
) -> tuple[Channel, Channel | None, str]:
    """The channels of a call to an agent's phone: a Local pair for ``Local/...`` interfaces, else one channel
    (``PJSIP/1001-0000000a``). Returns (the channel bridged to the caller, the phone half or None, dial string)."""
    base = f"{interface}-{e.next_local_suffix()}"
    a2: Channel | None = None
    if interface.startswith("Local/"):
        exten, _, context = interface[len("Local/") :].partition("@")
        a1 = e.new_channel(
            f"{base};1",
            context=context or "default",
            exten="s",
            state=ChannelState.DOWN,
            owner=owner,
            linkedid=caller.linkedid,
        )
        a2 = e.new_channel(
            f"{base};2",
            context=context or "default",
            exten=exten,
            state=ChannelState.RING,
            owner=owner,
            linkedid=caller.linkedid,
        )
        dial_string = interface[len("Local/") :]
    else:
        a1 = e.new_channel(
            base,
            context=e.config.agents_context,
            exten="s",
            state=ChannelState.DOWN,
            owner=owner,
            linkedid=caller.linkedid,
        )
        dial_string = interface.partition("/")[2]
    e.set_caller_id(a1, caller.caller_num, caller.caller_name)
    e.set_var(a1, "DIALEDPEERNUMBER", dial_string)
    if a2 is not None:
        e.set_var(a2, "DIALEDPEERNUMBER", dial_string)
        e.set_caller_id(a2, caller.caller_num, caller.caller_name)
        e.set_connected_line(a2, caller.caller_num, caller.caller_name)
        e.local_bridge(a1, a2, a2.context, a2.exten)
    return a1, a2, dial_string


def bridge_headers(bridge_id: str, count: int) -> Headers:
    return [
        ("BridgeUniqueid", bridge_id),
        ("BridgeType", "basic"),
        ("BridgeTechnology", "simple_bridge"),
        ("BridgeCreator", "<unknown>"),
        ("BridgeName", "<unknown>"),
        ("BridgeNumChannels", str(count)),
        ("BridgeVideoSourceMode", "none"),
    ]


class AgentLeg:
    """The call from the queue to one member's phone: ``a1`` is bridged to the caller, ``a2`` is the phone
    side of a ``Local/`` interface (None for a real device such as ``PJSIP/1001``)."""

    def __init__(self, system: LegHost, caller: QueueCaller, member: Member, device: Device) -> None:
        self.system = system
        self.engine = system.engine
        self.caller = caller
        self.member = member
        self.device = device
        self.queue = system.queues[member.queue]
        self.rung_at = self.engine.now()
        self.connected_at: float | None = None
        self.bridge_id = ""
        self.a1: Channel
        self.a2: Channel | None = None
        self.timer: Timer | None = None
        self.ended = False
        self.talk_seconds = 0.0

    # -- identity in events

    def agent_headers(self) -> Headers:
        return [("Queue", self.queue.name), ("Interface", self.member.interface), ("MemberName", self.member.name)]

    def caller_and_dest(self) -> Headers:
        e = self.engine
        headers = e.snapshot(self.caller.channel) if not self.caller.channel.hung_up else []
        return headers + e.snapshot(self.a1, "Dest")

    def hold_seconds(self) -> int:
        end = self.connected_at if self.connected_at is not None else self.engine.now()
        return int(end - self.caller.joined_at)

    # -- the leg's life

    def ring(self, connect_after: float) -> None:
        e = self.engine
        caller = self.caller.channel
        iface = self.member.interface
        self.a1, self.a2, dial_string = open_agent_channels(e, iface, caller, self)
        self.a1.application, self.a1.application_data = "AppQueue", "(Outgoing Line)"
        e.emit("AgentCalled", "agent,all", self.caller_and_dest() + self.agent_headers())
        e.emit("DialBegin", "call,all", [*self.caller_and_dest(), ("DialString", dial_string)])
        if e.config.agent_phones_ring:
            e.set_state(self.a1, ChannelState.RINGING)
            e.set_connected_line(self.a1, caller.caller_num, caller.caller_name)
            e.device_state(iface, "INUSE")
            self.system.member_status_changed(iface)
            e.emit("DialState", "call,all", [*self.caller_and_dest(), ("DialStatus", "RINGING")])
            if self.a2 is not None:
                e.step(self.a2, "Ringing", "", priority=2)
        if connect_after < self.queue.config.ring_timeout:
            self.timer = e.later(connect_after, self.answer)
        else:
            self.timer = e.later(self.queue.config.ring_timeout, self.ring_no_answer)

    def ring_no_answer(self) -> None:
        """The member's phone rang for the queue's ``timeout``: AgentRingNoAnswer (and Auto-Pause if set)."""
        if self.ended:
            return
        self.system.ring_no_answer(self)
        e = self.engine
        self.ended = True
        e.emit("DialEnd", "call,all", [*self.caller_and_dest(), ("DialStatus", "NOANSWER")])
        e.hangup_local(self.a1, self.a2, 0)
        self.caller.leg = None
        self.release_device()
        e.device_state(self.member.interface, "NOT_INUSE")
        self.system.poll()

    def answer(self) -> None:
        """The agent's phone answers (auto-answer): the caller leaves the queue and is bridged."""
        if self.ended:
            return
        e = self.engine
        now = e.now()
        self.connected_at = now
        if self.a2 is not None:
            e.step(self.a2, "Answer", "", priority=4)
            e.set_state(self.a2, ChannelState.UP)
            e.device_state(self.member.interface, "INUSE")
        e.set_state(self.a1, ChannelState.UP)
        e.device_state(self.member.interface, "INUSE")
        if not e.config.agent_phones_ring:
            # The phone's device went in use only now (app_queue follows device states: the member's status).
            self.system.member_status_changed(self.member.interface)
        e.emit("DialEnd", "call,all", [*self.caller_and_dest(), ("DialStatus", "ANSWER")])
        caller = self.caller
        # setinterfacevar = yes (asterisk/queues.conf): the member's figures on the caller's channel, before this call
        # counts (every lab trace of a queued call shows these VarSets between the DialEnd and QueueCallerLeave)
        m = self.member
        for name, value in (
            ("MEMBERINTERFACE", m.interface),
            ("MEMBERNAME", m.name),
            ("MEMBERCALLS", str(m.calls_taken)),
            ("MEMBERLASTCALL", str(m.last_call)),
            ("MEMBERPENALTY", str(m.penalty)),
            ("MEMBERDYNAMIC", str(int(m.dynamic))),
            ("MEMBERREALTIME", "0"),
        ):
            e.set_var(caller.channel, name, value)
        hold = self.hold_seconds()
        self.system.leave(caller, emit_leave=True)
        e.set_var(caller.channel, "QUEUEWAIT", str(hold))
        e.set_var(caller.channel, "QUEUEWAIT_MS", str(int((now - caller.joined_at) * 1000)))
        e.emit(
            "AgentConnect",
            "agent,all",
            self.caller_and_dest()
            + self.agent_headers()
            + [
                ("HoldTime", str(hold)),
                ("RingTime", str(int(now - self.rung_at))),
            ],
        )
        self.queue.completed += 1
        self.queue.record_hold(hold)
        for member in self.system.memberships(self.member.interface):
            member.calls_taken += 1
            member.last_call = int(now)
        self.bridge_id = e.new_bridge_id()
        e.emit("BridgeCreate", "call,all", bridge_headers(self.bridge_id, 0))
        for count, channel in ((1, self.a1), (2, caller.channel)):
            channel.bridge_id = self.bridge_id
            e.emit(
                "BridgeEnter",
                "call,all",
                [*bridge_headers(self.bridge_id, count), *e.snapshot(channel)],
            )
        e.set_var(self.a1, "BRIDGEPEER", caller.channel.name)
        e.set_var(caller.channel, "BRIDGEPEER", self.a1.name)
        if self.a2 is not None:
            e.step(self.a2, "Wait", "", priority=5)
        caller.client.agent_connected(caller, self)

    def start_talk(self, seconds: float) -> None:
        self.talk_seconds = seconds
        if self.a2 is not None:
            self.a2.application_data = str(round(seconds))
        self.timer = self.engine.later(seconds, lambda: self.end_bridge(by_agent=True, cause=16))

    def _bridge_leave(self, channel: Channel, remaining: int | None = None) -> None:
        """``remaining``: the channels left in the bridge (by default, as when the member's leg leaves first)."""
        e = self.engine
        channel.bridge_id = ""
        count = remaining if remaining is not None else (1 if channel is self.a1 else 0)
        e.emit("BridgeLeave", "call,all", [*bridge_headers(self.bridge_id, count), *e.snapshot(channel)])

    def end_bridge(self, *, by_agent: bool, cause: int) -> None:
        """The talk ends: the agent hangs up (``by_agent``) or the caller's side went away."""
        if self.ended or self.connected_at is None:
            return
        self.ended = True
        if self.timer is not None:
            self.timer.cancel()
        e = self.engine
        now = e.now()
        caller = self.caller.channel
        if by_agent and self.a2 is not None:
            e.step(self.a2, "Hangup", str(cause), priority=6)
            e.hangup_request(self.a2, 16, soft=True)
            e.hangup_request(self.a1, cause)
            e.hangup(self.a2, cause)
        elif by_agent:
            e.hangup_request(self.a1, cause)
        talk = int(now - self.connected_at)
        complete: Headers = self.caller_and_dest() + self.agent_headers()
        complete += [
            ("HoldTime", str(self.hold_seconds())),
            ("TalkTime", str(talk)),
            ("Reason", "agent" if by_agent else "caller"),
        ]
        e.emit("AgentComplete", "agent,all", complete)
        self.queue.record_talk(talk)
        if by_agent:
            self.release_device()
        if not caller.hung_up:
            e.set_var(self.a1, "BRIDGEPEER", "")
            e.set_var(caller, "BRIDGEPEER", "")
        if by_agent:
            self._bridge_leave(self.a1)
            e.hangup(self.a1, cause)
            e.device_state(self.member.interface, "NOT_INUSE")
            if not caller.hung_up:
                self._bridge_leave(caller)
            e.emit("BridgeDestroy", "call,all", bridge_headers(self.bridge_id, 0))
        else:
            # The caller went away (lab/queue-trunk-caller-hangs-up-bridged.txt, queue-caller-hangs-up-bridged.txt): it
            # leaves the bridge first, the member's leg after it; the queue hangs the member's leg up (no soft
            # hang-up request on ;1), and the member is free (QueueMemberStatus) once its device is.
            if not caller.hung_up:
                self._bridge_leave(caller, remaining=1)
            self._bridge_leave(self.a1, remaining=0)
            e.emit("BridgeDestroy", "call,all", bridge_headers(self.bridge_id, 0))
            e.hangup_local(self.a1, self.a2, 16)
            e.device_state(self.member.interface, "NOT_INUSE")
            self.release_device()
            e.device_state(self.member.interface, "NOT_INUSE")
        self.caller.client.bridge_ended(self, by_agent=by_agent)
        self.system.dispatch_after_wrapup(self.member.interface)

    def cancel_ringing(self, *, twice: bool) -> Callable[[], None]:
        """The caller left while this leg rang: ``DialEnd CANCEL`` now; returns the rest of the teardown,
        which Asterisk emits after the caller's queue events."""
        self.ended = True
        if self.timer is not None:
            self.timer.cancel()
        e = self.engine
        for _ in range(2 if twice else 1):
            e.emit("DialEnd", "call,all", [*self.caller_and_dest(), ("DialStatus", "CANCEL")])
        if self.a2 is not None:
            e.hangup_request(self.a2, 0)
        e.hangup(self.a1, 0)

        def finish() -> None:
            if self.a2 is not None:
                e.hangup_request(self.a2, 16, soft=True)
                e.hangup(self.a2, 0)
            self.release_device()
            e.device_state(self.member.interface, "NOT_INUSE")
            self.system.poll()

        return finish

    def release_device(self) -> None:
        if self.device.leg is self:
            self.device.leg = None
            self.device.last_call_end = (
                self.engine.now() if self.connected_at is not None else self.device.last_call_end
            )
            self.system.member_status_changed(self.member.interface)

    def hangup_requested(self, channel: Channel, cause: int | None) -> None:
        """``Action: Hangup`` of an agent channel: the agent's side ends the call."""
        if self.connected_at is not None and not self.ended:
            self.end_bridge(by_agent=True, cause=16 if cause is None else cause)
        elif not self.ended:
            # Rejected while ringing: the queue tries someone else.
            finish = self.cancel_ringing(twice=False)
            self.caller.leg = None
            finish()
