"""app_queue: members, callers waiting, and the agent legs that connect them (rrmemory/leastrecent, ringinuse=no).

A member's phone auto-answers after the connect delay; the agent then "talks" for a time drawn from the world
model and hangs up. Queues with a higher ``weight`` get a shared member first, and, as in app_queue, a member
is not rung for a lighter queue while a heavier queue it belongs to has callers.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Protocol

from dialer.clock import Timer
from dialer.sim.pbx.channels import Channel, ChannelState, Headers
from dialer.sim.pbx.engine import ChannelOwner, Engine
from dialer.sim.pbx.queues import Device, Member, Queue, QueueCaller


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

    def __init__(self, system: QueueSystem, caller: QueueCaller, member: Member, device: Device) -> None:
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
        if self.a2 is not None:
            e.hangup_request(self.a2, 0)
        e.hangup(self.a1, 0)
        if self.a2 is not None:
            e.hangup_request(self.a2, 16, soft=True)
            e.hangup(self.a2, 0)
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
        e.emit("DialEnd", "call,all", [*self.caller_and_dest(), ("DialStatus", "ANSWER")])
        caller = self.caller
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
        bridge_base = [
            ("BridgeUniqueid", self.bridge_id),
            ("BridgeType", "basic"),
            ("BridgeTechnology", "simple_bridge"),
            ("BridgeCreator", "<unknown>"),
            ("BridgeName", "<unknown>"),
        ]
        e.emit(
            "BridgeCreate", "call,all", [*bridge_base, ("BridgeNumChannels", "0"), ("BridgeVideoSourceMode", "none")]
        )
        for count, channel in ((1, self.a1), (2, caller.channel)):
            channel.bridge_id = self.bridge_id
            e.emit(
                "BridgeEnter",
                "call,all",
                [
                    *bridge_base,
                    ("BridgeNumChannels", str(count)),
                    ("BridgeVideoSourceMode", "none"),
                    *e.snapshot(channel),
                ],
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

    def _bridge_leave(self, channel: Channel) -> None:
        e = self.engine
        channel.bridge_id = ""
        e.emit(
            "BridgeLeave",
            "call,all",
            [
                ("BridgeUniqueid", self.bridge_id),
                ("BridgeType", "basic"),
                ("BridgeTechnology", "simple_bridge"),
                ("BridgeCreator", "<unknown>"),
                ("BridgeName", "<unknown>"),
                ("BridgeNumChannels", "1" if channel is self.a1 else "0"),
                ("BridgeVideoSourceMode", "none"),
                *e.snapshot(channel),
            ],
        )

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
        self.release_device()
        if not caller.hung_up:
            e.set_var(self.a1, "BRIDGEPEER", "")
            e.set_var(caller, "BRIDGEPEER", "")
        self._bridge_leave(self.a1)
        if by_agent:
            e.hangup(self.a1, cause)
            e.device_state(self.member.interface, "NOT_INUSE")
        if not caller.hung_up:
            self._bridge_leave(caller)
        e.emit(
            "BridgeDestroy",
            "call,all",
            [
                ("BridgeUniqueid", self.bridge_id),
                ("BridgeType", "basic"),
                ("BridgeTechnology", "simple_bridge"),
                ("BridgeCreator", "<unknown>"),
                ("BridgeName", "<unknown>"),
                ("BridgeNumChannels", "0"),
                ("BridgeVideoSourceMode", "none"),
            ],
        )
        if not by_agent:
            # The caller went away: the queue hangs the agent leg up.
            e.hangup_request(self.a1, 16, soft=True)
            if self.a2 is not None:
                e.hangup_request(self.a2, 16)
            e.hangup(self.a1, 16)
            if self.a2 is not None:
                e.hangup_request(self.a2, 16, soft=True)
                e.hangup(self.a2, 16)
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


class QueueSystem:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.queues: dict[str, Queue] = {}
        self.devices: dict[str, Device] = {}
        self.rng = random.Random(f"{engine.config.seed}:queues")
        self._wrapup_timer: Timer | None = None
        self._poll_timer: Timer | None = None
        self._poll_at = 0.0
        now = int(engine.now())
        for qc in engine.config.queues:
            queue = Queue(qc)
            for sm in qc.members:
                queue.members[sm.interface] = Member(qc.name, sm.interface, sm.name, sm.penalty, False, now)
                self.devices.setdefault(sm.interface, Device(sm.interface))
            self.queues[qc.name] = queue

    # -- membership

    def memberships(self, interface: str) -> list[Member]:
        return [q.members[interface] for q in self.queues.values() if interface in q.members]

    def member_event(self, event: str, member: Member) -> None:
        device = self.devices[member.interface]
        self.engine.emit(event, "agent,all", member.headers(device, in_queue_event=True))

    def member_status_changed(self, interface: str) -> None:
        for member in self.memberships(interface):
            self.member_event("QueueMemberStatus", member)

    def add_member(self, queue_name: str, interface: str, name: str, penalty: int, paused: bool, reason: str) -> str:
        """QueueAdd; returns the response message ("" = success)."""
        queue = self.queues.get(queue_name)
        if queue is None:
            return "Unable to add interface to queue: No such queue"
        if interface in queue.members:
            return "Unable to add interface: Already there"
        now = int(self.engine.now())
        member = Member(queue_name, interface, name or interface, penalty, True, now)
        if paused:
            member.paused, member.paused_reason, member.last_pause = True, reason, now
        queue.members[interface] = member
        self.devices.setdefault(interface, Device(interface))
        self.engine.device_state(f"Queue:{queue_name}_pause_{interface}", "INUSE" if paused else "NOT_INUSE")
        self.member_event("QueueMemberAdded", member)
        self.poll()
        return ""

    def remove_member(self, queue_name: str, interface: str) -> str:
        queue = self.queues.get(queue_name)
        if queue is None:
            return "Unable to remove interface from queue: No such queue"
        member = queue.members.get(interface)
        if member is None:
            return "Unable to remove interface: Not there"
        if not member.dynamic:
            return "Unable to remove interface: Not dynamic"
        del queue.members[interface]
        self.member_event("QueueMemberRemoved", member)
        if queue.config.leave_when_empty and not queue.members:
            # leavewhenempty: nobody left to answer, the callers not being rung leave the queue.
            for caller in [c for c in queue.callers if c.leg is None]:
                self.leave(caller, emit_leave=True)
                self.engine.set_var(caller.channel, "QUEUESTATUS", "LEAVEEMPTY")
                caller.client.queue_exited(caller, "LEAVEEMPTY")
        return ""

    def pause_member(self, queue_name: str | None, interface: str, paused: bool, reason: str) -> bool:
        """QueuePause (every queue when ``queue_name`` is None); False if the interface is in none of them."""
        targets = [
            q.members[interface]
            for q in self.queues.values()
            if interface in q.members and (queue_name is None or q.name == queue_name)
        ]
        if not targets:
            return False
        now = int(self.engine.now())
        for member in targets:
            member.paused = paused
            member.paused_reason = reason
            if paused:
                member.last_pause = now
            self.engine.device_state(f"Queue:{member.queue}_pause_{interface}", "INUSE" if paused else "NOT_INUSE")
            if not any(
                self.is_available(m, self.queues[member.queue]) for m in self.queues[member.queue].members.values()
            ):
                self.engine.device_state(f"Queue:{member.queue}_avail", "INUSE")
            elif not paused:
                self.engine.device_state(f"Queue:{member.queue}_avail", "NOT_INUSE")
            self.member_event("QueueMemberPause", member)
        if not paused:
            self.poll()
        return True

    # -- callers

    def join(self, channel: Channel, queue_name: str, client: QueueClient) -> QueueCaller | None:
        """Queue(): the channel waits (None if the queue does not exist: Queue() returns at once)."""
        queue = self.queues.get(queue_name)
        if queue is None:
            return None
        e = self.engine
        caller = QueueCaller(channel, queue_name, e.now(), len(queue.callers) + 1, client)
        queue.callers.append(caller)
        if len(queue.callers) == 1:
            e.device_state(f"Queue:{queue_name}", "RINGING")
        e.channel_event(
            "QueueCallerJoin",
            channel,
            [("Queue", queue_name), ("Position", str(len(queue.callers))), ("Count", str(len(queue.callers)))],
            "agent,all",
        )
        self.dispatch()
        return caller

    def leave(self, caller: QueueCaller, *, emit_leave: bool) -> None:
        queue = self.queues[caller.queue]
        if caller not in queue.callers:
            return
        position = queue.callers.index(caller) + 1
        queue.callers.remove(caller)
        e = self.engine
        if not queue.callers:
            e.device_state(f"Queue:{queue.name}", "NOT_INUSE")
        if emit_leave:
            e.channel_event(
                "QueueCallerLeave",
                caller.channel,
                [("Queue", queue.name), ("Position", str(position)), ("Count", str(len(queue.callers)))],
                "agent,all",
            )
            e.set_var(caller.channel, "QUEUEPOSITION", str(position))

    def position(self, caller: QueueCaller) -> int:
        queue = self.queues[caller.queue]
        return queue.callers.index(caller) + 1 if caller in queue.callers else 0

    def ring_no_answer(self, leg: AgentLeg) -> None:
        e = self.engine
        e.emit(
            "AgentRingNoAnswer",
            "agent,all",
            leg.caller_and_dest() + leg.agent_headers() + [("RingTime", str(int((e.now() - leg.rung_at) * 1000)))],
        )
        if leg.queue.config.autopause and not leg.member.paused:
            # autopause=yes: this queue stops ringing a phone that does not answer (this queue only).
            self.pause_member(leg.queue.name, leg.member.interface, True, "Auto-Pause")

    def timeout(self, caller: QueueCaller) -> None:
        """Queue()'s timeout (QUEUESTATUS=TIMEOUT). Asterisk 22 reports it as ``QueueCallerAbandon`` +
        ``QueueCallerLeave`` too; a member rung meanwhile gets ``AgentRingNoAnswer``."""
        leg = caller.leg
        if leg is not None and not leg.ended:
            self.ring_no_answer(leg)
        self.abandon(caller, hangup=False)
        self.engine.set_var(caller.channel, "QUEUESTATUS", "TIMEOUT")

    def abandon(self, caller: QueueCaller, *, hangup: bool = True) -> None:
        """The waiting channel hung up (or timed out): ``QueueCallerAbandon`` then ``QueueCallerLeave``."""
        finish = caller.leg.cancel_ringing(twice=hangup) if caller.leg is not None else None
        caller.leg = None
        e = self.engine
        queue = self.queues[caller.queue]
        hold = int(e.now() - caller.joined_at)
        e.set_var(caller.channel, "QUEUEWAIT", str(hold))
        e.set_var(caller.channel, "QUEUEWAIT_MS", str(int((e.now() - caller.joined_at) * 1000)))
        e.set_var(caller.channel, "ABANDONED", "TRUE")
        e.channel_event(
            "QueueCallerAbandon",
            caller.channel,
            [
                ("Queue", queue.name),
                ("Position", str(self.position(caller))),
                ("OriginalPosition", str(caller.original_position)),
                ("HoldTime", str(hold)),
            ],
            "agent,all",
        )
        queue.abandoned += 1
        self.leave(caller, emit_leave=True)
        if finish is not None:
            finish()

    # -- matching callers and members

    def is_available(self, member: Member, queue: Queue) -> bool:
        device = self.devices[member.interface]
        if member.paused or device.in_call:
            return False
        if self.engine.now() < device.last_call_end + queue.config.wrapuptime:
            return False
        weight = queue.config.weight
        # app_queue compare_weight: a heavier queue with callers keeps its shared members.
        return not any(
            other.config.weight > weight and other.callers and member.interface in other.members
            for other in self.queues.values()
        )

    def _pick_member(self, queue: Queue) -> Member | None:
        available = [m for m in queue.members.values() if self.is_available(m, queue)]
        if not available:
            return None
        available.sort(key=lambda m: m.penalty)
        best_penalty = available[0].penalty
        candidates = [m for m in available if m.penalty == best_penalty]
        if queue.config.strategy == "leastrecent":
            return min(candidates, key=lambda m: self.devices[m.interface].last_call_end)
        # rrmemory: start after the member rung last time.
        order = list(queue.members)
        start = order.index(queue.rr_last) + 1 if queue.rr_last in order else 0
        candidates.sort(key=lambda m: (order.index(m.interface) - start) % len(order))
        return candidates[0]

    def dispatch(self) -> None:
        """Ring free members for waiting callers, heaviest queue first, in caller order (autofill)."""
        for queue in sorted(self.queues.values(), key=lambda q: -q.config.weight):
            for caller in list(queue.callers):
                if caller.leg is not None or caller.channel.hung_up:
                    continue
                member = self._pick_member(queue)
                if member is None:
                    break
                queue.rr_last = member.interface
                device = self.devices[member.interface]
                leg = AgentLeg(self, caller, member, device)
                device.leg = leg
                caller.leg = leg
                rng = self.rng
                leg.ring(self.engine.world.agent_connect_seconds(rng))
        self._schedule_wrapup_wakeup()

    def dispatch_after_wrapup(self, interface: str) -> None:
        self.poll()

    def poll(self) -> None:
        """A member may have become free: waiting callers notice at their next once-a-second check."""
        step = self.engine.config.queue_poll_seconds
        if step <= 0:
            self.dispatch()
            return
        now = self.engine.now()
        soonest: float | None = None
        for queue in self.queues.values():
            for caller in queue.callers:
                if caller.leg is None:
                    ticks = int((now - caller.joined_at) / step + 1e-9) + 1
                    at = caller.joined_at + ticks * step
                    soonest = at if soonest is None else min(soonest, at)
        if soonest is None:
            return
        if self._poll_timer is not None and now < self._poll_at <= soonest:
            return
        if self._poll_timer is not None:
            self._poll_timer.cancel()
        self._poll_at = soonest
        self._poll_timer = self.engine.later(soonest - now, self._poll_fired)

    def _poll_fired(self) -> None:
        self._poll_timer = None
        self.dispatch()

    def _schedule_wrapup_wakeup(self) -> None:
        """If a caller waits for a member who is only resting (wrap-up), look again when the rest ends."""
        now = self.engine.now()
        soonest: float | None = None
        for queue in self.queues.values():
            if not any(c.leg is None for c in queue.callers):
                continue
            for member in queue.members.values():
                device = self.devices[member.interface]
                end = device.last_call_end + queue.config.wrapuptime
                if not member.paused and not device.in_call and end > now:
                    soonest = end if soonest is None else min(soonest, end)
        if soonest is None:
            return
        if self._wrapup_timer is not None:
            self._wrapup_timer.cancel()
        self._wrapup_timer = self.engine.later(soonest - now + 1e-6, self.poll)

    # -- AMI lists

    def summary(self, queue: Queue) -> Headers:
        now = self.engine.now()
        available = sum(1 for m in queue.members.values() if not m.paused and not self.devices[m.interface].in_call)
        longest = max((int(now - c.joined_at) for c in queue.callers), default=0)
        return [
            ("Queue", queue.name),
            ("LoggedIn", str(len(queue.members))),
            ("Available", str(available)),
            ("Callers", str(len(queue.callers))),
            ("HoldTime", str(queue.holdtime)),
            ("TalkTime", str(queue.talktime)),
            ("LongestHoldTime", str(longest)),
        ]

    def entry(self, queue: Queue, position: int, caller: QueueCaller) -> Headers:
        ch = caller.channel
        return [
            ("Queue", queue.name),
            ("Position", str(position)),
            ("Channel", ch.name),
            ("Uniqueid", ch.uniqueid),
            ("CallerIDNum", ch.caller_num or "<unknown>"),
            ("CallerIDName", ch.caller_name or "<unknown>"),
            ("ConnectedLineNum", ch.connected_num or "<unknown>"),
            ("ConnectedLineName", ch.connected_name or "<unknown>"),
            ("Wait", str(int(self.engine.now() - caller.joined_at))),
            ("Priority", "0"),
        ]
