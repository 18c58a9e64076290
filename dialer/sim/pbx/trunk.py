"""Outbound dials over a PJSIP carrier trunk (``PJSIP/<number>@carrier``): one channel, SIP failure semantics."""

from __future__ import annotations

from dialer.calls.outcome import Outcome
from dialer.sim.pbx.channels import Channel, ChannelState
from dialer.sim.pbx.outbound import OutboundCall
from dialer.sim.pbx.world import Fate


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
        o = self._trunk_channel(f"PJSIP/{endpoint}-{e.next_local_suffix()}")
        e.take_call_identity(o, reversed(req.variables), req.caller_num, req.caller_name)
        e.emit("DialBegin", "call,all", [*e.snapshot(o, "Dest"), ("DialString", f"{self.number}@{endpoint}")])
        self._schedule_fate(ringing_after=0.05)

    @property
    def endpoint(self) -> str:
        return self.request.dial_string.rpartition("@")[2]

    def _trunk_channel(self, name: str) -> Channel:
        """The one channel towards the carrier (the Originate's ChannelId as its Uniqueid): both sides of the call."""
        o = self.engine.new_channel(
            name,
            context="default",
            exten="s",
            state=ChannelState.DOWN,
            owner=self,
            uniqueid=self.request.channel_id or None,
        )
        self.queue_side, self.far_side = o, None
        self.record.uniqueid = o.uniqueid
        return o

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
        self._failed_end(0)

    def _no_answer(self) -> None:
        e = self.engine
        o = self.o
        self._end()
        self._respond(False, 3, 0)
        e.hangup(o, 19)
        self._fail(3, Outcome.NO_ANSWER)
        self._failed_end(3)

    def _answer(self) -> None:
        e = self.engine
        o = self.o
        self._answered()
        e.set_state(o, ChannelState.UP)
        self._respond(True, 4, 1)
        self._dial_end("ANSWER")
        self._respond(True, 4, 2)
        e.device_state(o.device, "INUSE")
        self._callee_stays()

    def _dialer_cancels(self, cause: int | None) -> None:
        e = self.engine
        o = self.o
        code = 0 if cause is None else cause
        self._end()
        self._respond(False, 0, 0)
        self._dial_end("NOANSWER")
        self._fail(0, Outcome.CANCELLED)
        e.hangup(o, code)
        self._failed_end(0)
