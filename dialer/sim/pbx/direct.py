"""[dialer-direct-agent]: an answered call Dial()ed straight to one agent's phone (``DIALER_AGENT``), no queue.

Used for preview dialling and agent-owned callbacks. The phone must be free (DEVICE_STATE NOT_INUSE/UNKNOWN)
and answer within the connect limit; the shipped dialplan then raises ``UserEvent: DialerAgentConnect`` on the
agent's channel. There is no app_queue, so no Agent*/QueueCaller* events.
"""

from __future__ import annotations

from typing import Protocol

from dialer.clock import Timer
from dialer.contract import AGENT_CONNECT_USER_EVENT, ATTEMPT_VARIABLE
from dialer.sim.pbx.app_queue import QueueSystem
from dialer.sim.pbx.channels import Channel, ChannelState, Headers
from dialer.sim.pbx.queues import Device, bridge_headers, open_agent_channels


class DirectClient(Protocol):
    """The customer's call flow."""

    @property
    def o(self) -> Channel: ...

    def agent_answered(self, dial: DirectAgentDial) -> None: ...

    def agent_failed(self, dial: DirectAgentDial, dial_status: str) -> None: ...

    def agent_hung_up(self, dial: DirectAgentDial) -> None: ...


class DirectAgentDial:
    def __init__(self, client: DirectClient, queues: QueueSystem, interface: str, limit: float) -> None:
        self.client = client
        self.queues = queues
        self.engine = queues.engine
        self.interface = interface
        self.limit = limit
        self.device: Device = queues.devices.setdefault(interface, Device(interface))
        self.a1: Channel | None = None
        self.a2: Channel | None = None
        self.timer: Timer | None = None
        self.connected_at: float | None = None
        self.bridge_id = ""
        self.ended = False

    def device_state(self) -> str:
        """DEVICE_STATE() as the dialplan reads it."""
        if self.device.in_call:
            return "INUSE"
        return "NOT_INUSE" if self.interface in self.queues.devices else "UNKNOWN"

    def _dial_headers(self) -> Headers:
        assert self.a1 is not None
        e = self.engine
        return e.snapshot(self.client.o) + e.snapshot(self.a1, "Dest")

    def start(self, connect_after: float) -> None:
        e = self.engine
        caller = self.client.o
        self.device.leg = self
        self.a1, self.a2, dial_string = open_agent_channels(e, self.interface, caller, self)
        e.emit("DialBegin", "call,all", [*self._dial_headers(), ("DialString", dial_string)])
        if e.config.agent_phones_ring:
            e.set_state(self.a1, ChannelState.RINGING)
            e.device_state(self.interface, "INUSE")
            self.queues.member_status_changed(self.interface)
            e.emit("DialState", "call,all", [*self._dial_headers(), ("DialStatus", "RINGING")])
        if connect_after < self.limit:
            self.timer = e.later(connect_after, self._answer)
        else:
            self.timer = e.later(self.limit, self._no_answer)

    def _answer(self) -> None:
        e = self.engine
        assert self.a1 is not None
        caller = self.client.o
        self.connected_at = e.now()
        if self.a2 is not None:
            e.set_state(self.a2, ChannelState.UP)
        e.set_state(self.a1, ChannelState.UP)
        if not e.config.agent_phones_ring:
            # An auto-answer phone that never rang (the lab's): its device is in use only now
            # (lab/direct-agent-callback.txt), and app_queue reports the member so.
            e.device_state(self.interface, "INUSE")
            self.queues.member_status_changed(self.interface)
        e.emit("DialEnd", "call,all", [*self._dial_headers(), ("DialStatus", "ANSWER")])
        # U() subroutine on the called channel, before the bridge.
        attempt = caller.variables.get(ATTEMPT_VARIABLE, "")
        e.channel_event(
            "UserEvent",
            self.a1,
            [("UserEvent", AGENT_CONNECT_USER_EVENT), ("Attempt", attempt), ("Agent", self.interface)],
            "user,all",
        )
        self.bridge_id = e.new_bridge_id()
        e.emit("BridgeCreate", "call,all", bridge_headers(self.bridge_id, 0))
        for count, channel in ((1, caller), (2, self.a1)):
            channel.bridge_id = self.bridge_id
            e.emit("BridgeEnter", "call,all", bridge_headers(self.bridge_id, count) + e.snapshot(channel))
        self.client.agent_answered(self)

    def start_talk(self, seconds: float) -> None:
        self.timer = self.engine.later(seconds, self.agent_hangs_up)

    def _no_answer(self) -> None:
        e = self.engine
        e.emit("DialEnd", "call,all", [*self._dial_headers(), ("DialStatus", "NOANSWER")])
        self._hang_up_legs(0)
        self.client.agent_failed(self, "NOANSWER")

    def _hang_up_legs(self, cause: int) -> None:
        e = self.engine
        self.ended = True
        if self.timer is not None:
            self.timer.cancel()
        if self.a2 is not None and not self.a2.hung_up:
            e.hangup_request(self.a2, cause)
        if self.a1 is not None:
            e.hangup(self.a1, cause)
        if self.a2 is not None and not self.a2.hung_up:
            e.hangup_request(self.a2, 16, soft=True)
            e.hangup(self.a2, cause)
        self._release()

    def release(self) -> None:
        """The phone is free again (call control ended the leg itself)."""
        self._release()

    def _release(self) -> None:
        if self.device.leg is self:
            self.device.leg = None
            if self.connected_at is not None:
                self.device.last_call_end = self.engine.now()
            self.engine.device_state(self.interface, "NOT_INUSE")
            self.queues.member_status_changed(self.interface)
            self.queues.poll()

    def _leave_bridge(self) -> None:
        e = self.engine
        for count, channel in ((1, self.a1), (0, self.client.o)):
            if channel is not None and not channel.hung_up and channel.bridge_id:
                channel.bridge_id = ""
                e.emit("BridgeLeave", "call,all", bridge_headers(self.bridge_id, count) + e.snapshot(channel))
        e.emit("BridgeDestroy", "call,all", bridge_headers(self.bridge_id, 0))

    def agent_hangs_up(self, cause: int = 16, *, by_phone: bool = True) -> None:
        """The agent ends the conversation: their phone hangs up (talk time over), or (``by_phone`` False) the
        dialer hung the agent's channel up."""
        if self.ended or self.connected_at is None:
            return
        e = self.engine
        if by_phone and self.a2 is not None and not self.a2.hung_up:
            # As Asterisk 22 reports it (lab/direct-agent-callback.txt, the queue's member alike): the phone's half
            # asks (soft), its Local peer is asked, the phone's half ends; then the agent's leg leaves the bridge.
            e.hangup_request(self.a2, 16, soft=True)
            if self.a1 is not None:
                e.hangup_request(self.a1, cause)
            e.hangup(self.a2, cause)
        self._leave_bridge()
        self._hang_up_legs(cause)
        self.client.agent_hung_up(self)

    def caller_gone(self) -> None:
        """The customer's side ended: a ringing phone gets DialEnd CANCEL, a bridged one is hung up."""
        if self.ended:
            return
        if self.connected_at is None:
            self.engine.emit("DialEnd", "call,all", [*self._dial_headers(), ("DialStatus", "CANCEL")])
            self._hang_up_legs(0)
            return
        self._leave_bridge()
        self._hang_up_legs(16)

    def hangup_requested(self, channel: Channel, cause: int | None) -> None:
        if self.connected_at is not None:
            self.agent_hangs_up(16 if cause is None else cause, by_phone=False)
        elif not self.ended:
            self.engine.emit("DialEnd", "call,all", [*self._dial_headers(), ("DialStatus", "BUSY")])
            self._hang_up_legs(16 if cause is None else cause)
            self.client.agent_failed(self, "BUSY")
