"""app_queue's behaviour: members, pause, callers waiting, weights, polling, and matching callers with free
members (strategies rrmemory/leastrecent, ringinuse=no). Queues with a higher ``weight`` get a shared member
first, and, as in app_queue, a member is not rung for a lighter queue while a heavier queue it belongs to has
callers. Its data, and the agent legs it rings, are in ``queues``.
"""

from __future__ import annotations

import random

from dialer.clock import Timer
from dialer.sim.pbx.channels import Channel, Headers
from dialer.sim.pbx.engine import Engine
from dialer.sim.pbx.queues import AgentLeg, Device, Member, Queue, QueueCaller, QueueClient


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
        """The waiting channel hung up (or timed out): ``QueueCallerAbandon`` then ``QueueCallerLeave``.

        As app_queue.c does: Queue()'s ``stop:`` sets the durations (``QUEUEWAIT`` in whole seconds, ``DIALEDTIME``
        since the channel was created, ``ANSWEREDTIME`` 0), ``record_abandoned`` sets ``ABANDONED`` and raises the
        event -- a hang-up reaches ``stop:`` first, a timeout is recorded in the wait loop before it
        (lab/inbound-call-waiting.txt, lab/ivr-inbound-queue-timeout.txt)."""
        finish = caller.leg.cancel_ringing(twice=hangup) if caller.leg is not None else None
        caller.leg = None
        e = self.engine
        queue = self.queues[caller.queue]
        hold = int(e.now() - caller.joined_at)
        if hangup:
            self._unanswered_durations(caller, hold)
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
        if not hangup:
            self._unanswered_durations(caller, hold)
        queue.abandoned += 1
        self.leave(caller, emit_leave=True)
        if finish is not None:
            finish()

    def _unanswered_durations(self, caller: QueueCaller, hold: int) -> None:
        """Queue()'s durations of a caller nobody answered (set_duration_var: the name in seconds, _MS in ms)."""
        e = self.engine
        dialed_ms = int((e.now() - caller.channel.created_at) * 1000)
        for name, ms in (("QUEUEWAIT", hold * 1000), ("DIALEDTIME", dialed_ms), ("ANSWEREDTIME", 0)):
            e.set_var(caller.channel, name, str(ms // 1000))
            e.set_var(caller.channel, f"{name}_MS", str(ms))

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
