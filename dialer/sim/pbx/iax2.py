"""Outbound dials over an IAX2 carrier trunk (``IAX2/<peer>/<number>``): one channel, the far switch's verdict.

Measured on Asterisk 22 against the lab carrier (asterisk/lab/carrier over asterisk/lab/iax.conf;
tests/fixtures/ami-traces/lab/trunk-*.txt). The channel is ``IAX2/<peer>-<call number>``, created Down in
``default,s,1``, then Ringing at once (chan_iax2 sets the state when it sends NEW), before ``DialBegin``
(``DialString: <peer>/<number>``). What comes back:

* a BUSY / CONGESTION control frame (the carrier's Busy()/Congestion()): ``DialEnd`` BUSY / CONGESTION,
  ``HangupRequest`` and ``Hangup`` with cause 17 / 34, ``OriginateResponse`` Reason 5 / 8;
* a release with a Q.850 cause (REJECT/HANGUP: unallocated 1, user busy 17, no answer 19, call rejected 21,
  invalid number 28, no circuit 34, network out of order 38, ...): ``HangupRequest`` (cause), ``DialEnd``
  (BUSY for 17, CONGESTION for 34, else NOANSWER), ``HangupRequest`` (cause), ``Hangup`` (cause),
  ``OriginateResponse`` Reason 0 -- the cause travels as is (a SIP trunk maps SIP codes to causes first);
* ringing past the Originate ``Timeout``: ``DialState`` RINGING, ``HangupRequest`` 19, ``OriginateResponse``
  Reason 3, ``Hangup`` 19, and no ``DialEnd``;
* an answer: ``DialState`` RINGING, ``Newstate`` Up, ``DialEnd`` ANSWER, ``OriginateResponse`` Reason 4; the
  trunk channel itself then runs the Originate's context.

In the recorded world the numbers are the lab carrier's ([carrier-numbers]): the last digit as for
``Local/<number>@sim-pstn`` (answers after 2 s and talks 10 s for ...1), and ``55590CC`` is released at once
with cause ``CC``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from dialer.calls.classify import CallFacts, classify
from dialer.calls.outcome import Outcome
from dialer.sim.pbx.calls import Stage
from dialer.sim.pbx.channels import ChannelState
from dialer.sim.pbx.config import WorldKind
from dialer.sim.pbx.trunk import TrunkCall
from dialer.sim.pbx.world import Fate

IAX2_TRUNK = re.compile(r"^IAX2/(?P<endpoint>[A-Za-z0-9_.-]+)/(?P<exten>[^@/]+)$")
_CARRIER_RELEASE = re.compile(r"^55590(?P<cause>\d\d)$")  # asterisk/lab/carrier: released with cause CC
_CARRIER_ANSWER = (2.0, 10.0)  # [carrier-numbers] ...1: rings 2 s, talks CARRIER_TALK (10) s
_CONTROL = {Fate.BUSY: ("BUSY", 17, 5, Outcome.BUSY), Fate.CONGESTION: ("CONGESTION", 34, 8, Outcome.CONGESTION)}
_RELEASE = {Fate.UNALLOCATED: 1, Fate.INVALID_NUMBER: 28}


def release_outcome(cause: int, dial_status: str) -> Outcome:
    """The outcome a Reason-0 release with ``cause`` means (the dialer's one definition, dialer.calls.classify)."""
    facts = CallFacts(
        answered=False,
        reason=0,
        hangup_cause=cause,
        dial_status=dial_status,
        amd_status=None,
        agent_connected=False,
        hangup_requested=False,
    )
    return classify(facts)


def release_fate(cause: int) -> Fate:
    """What the far end did, for the record of the simulated world (truth), when it released with ``cause``."""
    return {1: Fate.UNALLOCATED, 28: Fate.INVALID_NUMBER, 17: Fate.BUSY, 18: Fate.NO_ANSWER, 19: Fate.NO_ANSWER}.get(
        cause, Fate.CONGESTION
    )


class Iax2TrunkCall(TrunkCall):
    """``Originate`` of ``IAX2/<peer>/<number>``: one channel towards the carrier, the callee beyond it."""

    release_cause: int | None = None  # the carrier releases the call with this cause (recorded world: 55590CC)
    far_released = False  # the carrier hung up an answered call (an IAX2 HANGUP)

    @property
    def endpoint(self) -> str:
        match = IAX2_TRUNK.match(self.request.dial_string)
        return match.group("endpoint") if match else ""

    def start(self) -> None:
        e = self.engine
        req = self.request
        if e.config.world is WorldKind.RECORDED:
            self._lab_carrier_plan()
        o = self._trunk_channel(f"IAX2/{self.endpoint}-{int(e.next_local_suffix(), 16) % 32767 + 1}")
        o.context = ""
        e.step(o, "AppDial2", "(Outgoing Line)")
        e.take_call_identity(o, reversed(req.variables), req.caller_num, req.caller_name)
        e.set_state(o, ChannelState.RINGING)
        e.emit("DialBegin", "call,all", [*e.snapshot(o, "Dest"), ("DialString", f"{self.endpoint}/{self.number}")])
        e.device_state(o.device, "RINGING")
        if self.release_cause is not None:
            self.later(self.plan.ring_seconds, self._network_rejects)
            return
        self._schedule_fate(ringing_after=0.05)

    def _lab_carrier_plan(self) -> None:
        release = _CARRIER_RELEASE.match(self.number[-7:])  # E.164 numbers act as their last seven digits
        if release is not None:
            self.release_cause = int(release.group("cause"))
            self.plan = replace(self.plan, fate=release_fate(self.release_cause), ring_seconds=0.002)
        elif self.plan.fate is Fate.HUMAN and self.number.endswith("1"):
            ring, talk = _CARRIER_ANSWER
            self.plan = replace(self.plan, ring_seconds=ring, stay_seconds=talk)
        self.record.plan = self.plan

    def _ringing(self) -> None:
        e = self.engine
        e.emit("DialState", "call,all", [*e.snapshot(self.o, "Dest"), ("DialStatus", "RINGING")])

    def _network_rejects(self) -> None:
        e = self.engine
        o = self.o
        self._end()
        control = _CONTROL.get(self.plan.fate) if self.release_cause is None else None
        if control is not None:
            status, cause, reason, outcome = control
            self._respond(False, reason, 0)
            self._dial_end(status)
            e.hangup_request(o, cause)
            e.hangup(o, cause)
            self._fail(reason, outcome)
        else:
            cause = self.release_cause if self.release_cause is not None else _RELEASE.get(self.plan.fate, 28)
            status = {17: "BUSY", 34: "CONGESTION"}.get(cause, "NOANSWER")
            reason = 0
            self._respond(False, reason, 0)
            e.hangup_request(o, cause)
            self._dial_end(status)
            e.hangup_request(o, cause)
            e.hangup(o, cause)
            self._fail(reason, release_outcome(cause, status))
        e.device_state(o.device, "UNKNOWN")
        self._respond(False, reason, 2)
        self.on_ended()

    def _no_answer(self) -> None:
        e = self.engine
        o = self.o
        self._end()
        self._respond(False, 3, 0)
        e.hangup_request(o, 19)
        self._fail(3, Outcome.NO_ANSWER)
        e.hangup(o, 19)
        e.device_state(o.device, "UNKNOWN")
        self._respond(False, 3, 2)
        self.on_ended()

    def _answer(self) -> None:
        e = self.engine
        o = self.o
        self._answered()
        e.set_state(o, ChannelState.UP)
        self._dial_end("ANSWER")
        e.device_state(o.device, "INUSE")
        self._respond(True, 4, 1)
        self._respond(True, 4, 2)
        self._callee_stays()

    def far_hangs_up(self, cause: int = 16) -> None:
        self.far_released = True
        super().far_hangs_up(cause)

    def before_hangup(self, cause: int, stage: Stage) -> None:
        """After the h extension, chan_iax2 requests the hang-up of a channel the carrier released once more."""
        super().before_hangup(cause, stage)
        if self.far_released:
            self.engine.hangup_request(self.o, cause)
