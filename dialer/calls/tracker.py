"""Pure call tracker: the originates the daemon sent plus typed AMI events in, typed call updates out.

No I/O, no clock: every method takes ``now`` (seconds, any monotonic-ish clock the caller uses consistently).

Correlation (Asterisk 22, see the trace README):

* ``OriginateResponse`` carries the Originate's ``ActionID``: the only asynchronous event that does.
* The dialled channel (``;1`` of a Local channel, the only channel on a real trunk) has ``Uniqueid`` = the
  ``ChannelId`` the dialer chose, when it chose one. Every channel of the call (``;2``, agent legs) carries
  ``Linkedid`` = that Uniqueid, so once it is known every event maps to the call by ``Linkedid``.
* Without ``ChannelId`` (as in most recorded traces), the dialled channel is found by its name:
  ``Local/5550002@sim-pstn-00000002;1`` starts with the dial string ``Local/5550002@sim-pstn``. That only works
  for Local channels, which is why the daemon always sends ``ChannelId``. A ``DIALER_ATTEMPT`` channel variable
  (``VarSet`` on the dialled channel) links it too.

A call is kept until both its ``OriginateResponse`` and its dialled channel's ``Hangup`` were seen -- they come
in any order -- then its ``CallEnded`` is emitted and it is forgotten. A ``DialerCallEnd`` (raised only by an
answered call's dialplan) stands for a response missed in a reconnect. Calls whose events never come (events lost
in a reconnect, a tracker attached mid-call) are reported as ``CallLost`` by ``sweep`` or ``reconcile``.

Why one module (over 500 lines): ``CallTracker`` is one state machine over one table of calls, and the update
types defined here are its output vocabulary; every correlation rule reads and writes the same ``_Call`` records, so a
split would only move halves of one mechanism apart.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from dialer.ami.events import (
    AgentCalled,
    AgentConnect,
    AmiEvent,
    DialEnd,
    DialState,
    Hangup,
    Newchannel,
    Newstate,
    OriginateResponse,
    QueueCallerAbandon,
    QueueCallerJoin,
    QueueCallerLeave,
    UserEvent,
    VarSet,
)
from dialer.calls.classify import REASON_ANSWERED, CallFacts, classify
from dialer.calls.outcome import Outcome
from dialer.contract import (
    ABANDON_USER_EVENT,
    AGENT_CONNECT_USER_EVENT,
    AMD_USER_EVENT,
    ATTEMPT_VARIABLE,
    CALL_END_USER_EVENT,
    CONNECTED_STAGE,
    IVR_STAGE,
    MESSAGE_MISSING_USER_EVENT,
    OPT_OUT_USER_EVENT,
)

CHANNEL_STATE_RINGING = 5
CHANNEL_STATE_UP = 6
_NOTHING: tuple[CallUpdate, ...] = ()


@dataclass(frozen=True, slots=True)
class OriginateRecord:
    """One Originate the daemon sent (register it before or right after writing it)."""

    action_id: str
    attempt_id: str
    dial_string: str  # the Originate's Channel header, e.g. Local/5550001@sim-pstn or PJSIP/0612345678@trunk
    number: str
    sent_at: float
    channel_id: str | None = None  # the Originate's ChannelId (= Uniqueid of the dialled channel)
    timeout_seconds: float = 30.0  # the Originate's Timeout: how long it may ring


@dataclass(frozen=True, slots=True)
class CallUpdate:
    """What the tracker tells the runner about the call of attempt ``attempt_id``, at ``at``."""

    attempt_id: str
    at: float


@dataclass(frozen=True, slots=True)
class CallRinging(CallUpdate):
    """The dialled channel is ringing."""


@dataclass(frozen=True, slots=True)
class CallAnswered(CallUpdate):
    """The callee answered after ringing ``ring_seconds``."""

    ring_seconds: float


@dataclass(frozen=True, slots=True)
class AmdVerdict(CallUpdate):
    """Answering-machine detection's verdict on the answered call (the dialplan's DialerAMD event, or its AMDSTATUS
    and AMDCAUSE VarSets)."""

    status: str  # MACHINE, HUMAN, NOTSURE, HANGUP
    cause: str  # e.g. LONGGREETING-1500-1500


@dataclass(frozen=True, slots=True)
class CallQueued(CallUpdate):
    """The answered call entered ``queue`` to wait for an agent."""

    queue: str


@dataclass(frozen=True, slots=True)
class AgentLegUpdate(CallUpdate):
    """An update about the queue's agent leg: the queue and the member it rings or connected."""

    queue: str
    interface: str
    member_name: str


@dataclass(frozen=True, slots=True)
class AgentRinging(AgentLegUpdate):
    """The queue rings an agent's phone for the call."""


@dataclass(frozen=True, slots=True)
class CallConnected(AgentLegUpdate):
    """An agent answered: the call is bridged to the agent's leg."""

    wait_seconds: float  # in the queue before the agent answered
    agent_channel: str = ""  # the agent's leg bridged to the call (call control acts on it); "" when unknown


@dataclass(frozen=True, slots=True)
class CallOptedOut(CallUpdate):
    """The callee asked not to be called again (DialerOptOut): add the number to the DNC list."""

    campaign: str


@dataclass(frozen=True, slots=True)
class SafeHarbourMessageMissing(CallUpdate):
    """An abandoned call could not hear the safe-harbour message: a compliance alarm."""

    prompt: str


@dataclass(frozen=True, slots=True)
class CallOver(CallUpdate):
    """The tracker is done with the call (:class:`CallEnded`, :class:`CallLost`): its Originate and channel."""

    action_id: str
    channel_id: str | None  # Uniqueid of the dialled channel when known


@dataclass(frozen=True, slots=True)
class CallEnded(CallOver):
    """The call is over and its outcome known: everything the tracker saw of it, for the attempt row."""

    outcome: Outcome
    reason: int | None  # OriginateResponse Reason
    cause: int | None  # Q.850 cause of the dialled channel's Hangup
    amd_status: str | None
    amd_cause: str | None
    agent_interface: str | None
    agent_name: str | None
    # From ringing to answer (or to the end if unanswered); 0 if it never rang; None if it was answered when nobody
    # listened (its answer time unknown: a response missed in a reconnect, taken from its DialerCallEnd).
    ring_seconds: float | None
    wait_seconds: float | None  # in the queue until an agent answered or the call ended; None if never queued
    talk_seconds: float | None  # from the agent's answer to the end
    duration_seconds: float  # from the Originate to the end
    # Why an answered call had no agent, from the dialplan: DialerAbandon's QueueStatus (TIMEOUT, JOINEMPTY,
    # CALLERHANGUP, AGENT_NOANSWER ...), else DialerCallEnd's Stage (SAFE_HARBOUR, OPTOUT ...); None if unknown.
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class CallLost(CallOver):
    """The tracker gave up on a call: its events never came. Its real outcome is unknown."""

    reason: str
    answered: bool
    agent_connected: bool


@dataclass(slots=True)
class _Call:
    record: OriginateRecord
    uniqueid: str | None = None
    channel_seen: bool = False
    response_seen: bool = False
    response_at: float | None = None
    reason: int | None = None
    hangup_seen: bool = False
    hangup_cause: int | None = None
    dial_status: str | None = None
    rejected: bool = False
    hangup_requested: bool = False
    ring_at: float | None = None
    answer_at: float | None = None
    queue: str | None = None
    queued_at: float | None = None
    agent_rung: bool = False
    agent_interface: str | None = None
    agent_name: str | None = None
    connected_at: float | None = None
    left_queue_at: float | None = None
    amd_status: str | None = None
    amd_cause: str | None = None
    amd_reported: bool = False
    abandon_status: str | None = None
    end_stage: str | None = None
    last_event_at: float = 0.0
    updates: list[CallUpdate] = field(default_factory=list)


class CallTracker:
    """Follows every originated call from the Originate to its outcome. Pure and bounded in memory."""

    def __init__(
        self,
        *,
        response_grace_seconds: float = 120.0,
        max_call_seconds: float = 4 * 3600.0,
        channel_grace_seconds: float = 10.0,
    ) -> None:
        # An unanswered call past its Originate timeout plus this grace with no OriginateResponse is lost.
        self.response_grace_seconds = response_grace_seconds
        # An answered call is lost if it has not ended after this long (its Hangup was missed).
        self.max_call_seconds = max_call_seconds
        # A failed OriginateResponse can arrive BEFORE the Newchannel of the channel it tried (seen under the
        # 50-call burst); the channel's Hangup cause is still needed (unallocated vs invalid number), so a
        # failure without any channel waits this long for one before it is classified without a cause.
        self.channel_grace_seconds = channel_grace_seconds
        self._by_action: dict[str, _Call] = {}
        self._by_attempt: dict[str, _Call] = {}
        self._by_linkedid: dict[str, _Call] = {}
        # Calls without a known dialled channel, by dial string, oldest first (for the Local name prefix).
        self._unmatched_by_dial: dict[str, deque[_Call]] = {}

    # ---- registration and daemon-side facts -------------------------------------------------------------

    def register(self, record: OriginateRecord) -> None:
        """Track an Originate the daemon is sending. Duplicate action or attempt ids are a programming error."""
        if record.action_id in self._by_action:
            raise ValueError(f"ActionID {record.action_id!r} is already tracked")
        if record.attempt_id in self._by_attempt:
            raise ValueError(f"attempt {record.attempt_id!r} is already tracked")
        call = _Call(record, last_event_at=record.sent_at)
        self._by_action[record.action_id] = call
        self._by_attempt[record.attempt_id] = call
        if record.channel_id is not None and record.channel_id not in self._by_linkedid:
            # If the ChannelId is already in use Asterisk refuses this Originate (OriginateResponse Failure with
            # that id as Uniqueid); the id keeps pointing at the call that owns it.
            call.uniqueid = record.channel_id
            self._by_linkedid[record.channel_id] = call
        else:
            self._unmatched_by_dial.setdefault(record.dial_string, deque()).append(call)

    def adopt(
        self,
        record: OriginateRecord,
        *,
        answered_at: float | None,
        connected_at: float | None = None,
        agent_interface: str | None = None,
        agent_name: str | None = None,
        amd_status: str | None = None,
    ) -> None:
        """Follow a call another daemon placed (found live in ``CoreShowChannels``; see dialer/calls/adoption.py).

        ``record.channel_id`` must be the live dialled channel's Uniqueid. An answered call's OriginateResponse
        went to the dead daemon's session long ago (Asterisk sends it once the dialled channel answers), so it is
        taken as seen; an unanswered one's is still to come, to every session, with the stored ActionID."""
        if record.channel_id is None:
            raise ValueError("an adopted call needs its dialled channel's Uniqueid")
        self.register(record)
        call = self._by_attempt[record.attempt_id]
        call.channel_seen = True
        if answered_at is not None:
            call.answer_at = answered_at
            call.response_seen = True
            call.response_at = answered_at
            call.reason = REASON_ANSWERED
        if connected_at is not None:
            call.connected_at = connected_at
            call.agent_interface = agent_interface
            call.agent_name = agent_name
        call.amd_status = amd_status
        call.amd_reported = amd_status is not None

    def originate_rejected(self, action_id: str, now: float) -> Sequence[CallUpdate]:
        """The Originate action itself got ``Response: Error``: nothing was dialled."""
        call = self._by_action.get(action_id)
        if call is None:
            return _NOTHING
        call.rejected = True
        call.response_seen = True
        return self._finish(call, now)

    def unregister(self, action_id: str) -> bool:
        """Forget an Originate that was never written (``OriginateStatus.NOT_SENT``): no update at all."""
        call = self._by_action.get(action_id)
        if call is None:
            return False
        self._forget(call)
        return True

    def hangup_requested(self, attempt_id: str) -> None:
        """The daemon sent ``Action: Hangup`` for this call (drain, cancel): an unanswered end is ``cancelled``."""
        call = self._by_attempt.get(attempt_id)
        if call is not None:
            call.hangup_requested = True

    def follows_action(self, action_id: str) -> bool:
        """An Originate of this tracker's (its OriginateResponse is the tracker's to read, not a witness's)."""
        return action_id in self._by_action

    def attempt_for_uniqueid(self, uniqueid: str) -> str | None:
        """The attempt whose dialled channel has this Uniqueid (or ChannelId), if tracked."""
        call = self._by_linkedid.get(uniqueid)
        return None if call is None else call.record.attempt_id

    def uniqueid_of(self, attempt_id: str) -> str | None:
        """The Uniqueid of the call's dialled channel, when known (what ``Action: Hangup`` needs)."""
        call = self._by_attempt.get(attempt_id)
        return None if call is None else call.uniqueid

    @property
    def active_calls(self) -> int:
        return len(self._by_attempt)

    def is_tracking(self, attempt_id: str) -> bool:
        return attempt_id in self._by_attempt

    # ---- events -----------------------------------------------------------------------------------------

    def feed(self, event: AmiEvent, now: float) -> Sequence[CallUpdate]:
        """Apply one typed event; return the updates it caused (often none)."""
        handler = _HANDLERS.get(type(event))
        if handler is None:
            return _NOTHING
        return handler(self, event, now)

    def _on_originate_response(self, event: AmiEvent, now: float) -> Sequence[CallUpdate]:
        assert isinstance(event, OriginateResponse)
        call = self._by_action.get(event.action_id)
        if call is None or call.response_seen:
            return _NOTHING
        call.response_seen = True
        call.response_at = now
        call.reason = event.reason
        call.last_event_at = now
        if event.uniqueid is not None and call.uniqueid is None and event.uniqueid not in self._by_linkedid:
            # Success carries the dialled channel's Uniqueid (failure only with ChannelId).
            self._link(call, event.uniqueid)
        if event.success:
            self._answered(call, now)
        # A failure with no channel seen yet: either the channel's events are still to come, or no channel was
        # ever created (unknown technology, ChannelId in use); ``sweep`` settles it after channel_grace_seconds.
        return self._maybe_finish(call, now)

    def _link(self, call: _Call, uniqueid: str) -> None:
        call.uniqueid = uniqueid
        self._by_linkedid[uniqueid] = call
        self._drop_unmatched(call)

    def _drop_unmatched(self, call: _Call) -> None:
        pending = self._unmatched_by_dial.get(call.record.dial_string)
        if pending is not None and call in pending:
            pending.remove(call)
            if not pending:
                del self._unmatched_by_dial[call.record.dial_string]

    def _on_newchannel(self, event: AmiEvent, now: float) -> Sequence[CallUpdate]:
        assert isinstance(event, Newchannel)
        call = self._dialled_call(event)
        if call is not None:
            call.channel_seen = True
            call.last_event_at = now
        return _NOTHING

    def _dialled_call(self, event: Newchannel | Hangup) -> _Call | None:
        """The call whose dialled channel ``event`` is about: by its Linkedid, or (the first event of a channel the
        call has no Uniqueid for yet) by its name; None for every other channel (``;2`` halves, agent legs)."""
        call = self._by_linkedid.get(event.linkedid)
        if call is None and event.uniqueid == event.linkedid and self._unmatched_by_dial:
            call = self._match_by_name(event.channel, event.uniqueid)
        return call if call is not None and event.uniqueid == call.uniqueid else None

    def _match_by_name(self, channel: str, uniqueid: str) -> _Call | None:
        # Local/5550002@sim-pstn-00000002;1 -> dial string Local/5550002@sim-pstn
        if not channel.endswith(";1"):
            return None
        dial_string = channel[:-2].rpartition("-")[0]
        pending = self._unmatched_by_dial.get(dial_string)
        if not pending:
            return None
        call = pending[0]
        self._link(call, uniqueid)
        return call

    def _on_newstate(self, event: AmiEvent, now: float) -> Sequence[CallUpdate]:
        assert isinstance(event, Newstate)
        call = self._by_linkedid.get(event.linkedid)
        if call is None or event.uniqueid != call.uniqueid:
            return _NOTHING
        call.last_event_at = now
        if event.channel_state == CHANNEL_STATE_RINGING:
            self._ringing(call, now)
        elif event.channel_state == CHANNEL_STATE_UP:
            self._answered(call, now)
        return self._flush(call)

    def _ringing(self, call: _Call, now: float) -> None:
        if call.ring_at is None and call.answer_at is None:
            call.ring_at = now
            call.updates.append(CallRinging(call.record.attempt_id, now))

    def _answered(self, call: _Call, now: float) -> None:
        if call.answer_at is None:
            call.answer_at = now
            ring = now - call.ring_at if call.ring_at is not None else 0.0
            call.updates.append(CallAnswered(call.record.attempt_id, now, ring))

    def _flush(self, call: _Call) -> Sequence[CallUpdate]:
        if not call.updates:
            return _NOTHING
        updates = tuple(call.updates)
        call.updates.clear()
        return updates

    def _on_dial_state(self, event: AmiEvent, now: float) -> Sequence[CallUpdate]:
        assert isinstance(event, DialState)
        call = self._dialled_dest(event)
        if call is None:
            return _NOTHING
        if event.dial_status == "RINGING":
            self._ringing(call, now)
        return self._flush(call)

    def _dialled_dest(self, event: DialState | DialEnd) -> _Call | None:
        """The call whose dialled channel is the destination of a dial event (not a queue's agent leg)."""
        call = self._by_linkedid.get(event.dest_linkedid)
        return call if call is not None and event.dest_uniqueid == call.uniqueid else None

    def _on_dial_end(self, event: AmiEvent, now: float) -> Sequence[CallUpdate]:
        assert isinstance(event, DialEnd)
        call = self._dialled_dest(event)
        if call is None:
            return _NOTHING  # the queue's agent legs (DialEnd CANCEL/ANSWER) are not the dialled channel
        call.dial_status = event.dial_status
        call.last_event_at = now
        if event.dial_status == "ANSWER":
            self._answered(call, now)
        return self._flush(call)

    def _on_hangup(self, event: AmiEvent, now: float) -> Sequence[CallUpdate]:
        assert isinstance(event, Hangup)
        call = self._dialled_call(event)
        if call is None:
            return _NOTHING
        call.channel_seen = True
        call.hangup_seen = True
        call.hangup_cause = event.cause
        call.last_event_at = now
        if call.queued_at is not None and call.left_queue_at is None:
            call.left_queue_at = now
        return self._maybe_finish(call, now)

    def _on_varset(self, event: AmiEvent, now: float) -> Sequence[CallUpdate]:
        assert isinstance(event, VarSet)
        call = self._by_linkedid.get(event.linkedid)
        if call is None and event.variable == ATTEMPT_VARIABLE and event.uniqueid == event.linkedid:
            candidate = self._by_attempt.get(event.value)
            if candidate is not None and candidate.uniqueid is None:
                self._link(candidate, event.uniqueid)
                call = candidate
        if call is None or event.uniqueid != call.uniqueid:
            return _NOTHING
        if event.variable == "AMDSTATUS":
            call.amd_status = event.value
        elif event.variable == "AMDCAUSE":
            call.amd_cause = event.value
        else:
            return _NOTHING
        self._amd_verdict(call, now)
        return self._flush(call)

    def _amd_verdict(self, call: _Call, now: float) -> None:
        # app_amd sets AMDSTATUS then AMDCAUSE; report once both are known.
        if not call.amd_reported and call.amd_status is not None and call.amd_cause is not None:
            call.amd_reported = True
            call.updates.append(AmdVerdict(call.record.attempt_id, now, call.amd_status, call.amd_cause))

    def _on_user_event(self, event: AmiEvent, now: float) -> Sequence[CallUpdate]:
        assert isinstance(event, UserEvent)
        name = event.name
        if not name.startswith("Dialer"):
            return _NOTHING
        attempt = event.get("Attempt")
        call = self._by_attempt.get(attempt) if attempt else None
        if call is None:
            # DialerAgentConnect is raised on the agent's leg: its Attempt field is the link, not the channel.
            call = self._by_linkedid.get(event.linkedid)
        if call is None:
            return _NOTHING
        call.last_event_at = now
        if name == AMD_USER_EVENT:
            if call.amd_status is None:
                call.amd_status = event.get("Status")
            if call.amd_cause is None:
                call.amd_cause = event.get("Cause") or ""
            self._amd_verdict(call, now)
        elif name == AGENT_CONNECT_USER_EVENT:
            agent = event.get("Agent") or ""
            self._connected(call, now, "", agent, agent, None, event.channel)
        elif name == ABANDON_USER_EVENT:
            call.abandon_status = event.get("QueueStatus") or call.abandon_status
        elif name == CALL_END_USER_EVENT:
            call.end_stage = event.get("Stage") or None
            if not call.response_seen:
                # Only an answered call runs the dialplan that raises this, and Asterisk sent the Originate's
                # response when it answered: we missed it (the AMI connection was down then; recorded:
                # lab/reconnect-mid-call.txt). Taken as seen, as for an adopted call, else the Hangup to come would
                # never end the call and it would be lost though the dialplan said how it ended.
                call.response_seen = True
                call.response_at = now
                call.reason = REASON_ANSWERED
            if call.end_stage == CONNECTED_STAGE and call.agent_interface is None:
                # The dialplan's own word that an agent had the call (its AgentConnect may predate our listening:
                # a call followed from mid-call), with the member who took it.
                call.agent_interface = call.agent_name = event.get("Agent") or None
        elif name == OPT_OUT_USER_EVENT:
            call.updates.append(CallOptedOut(call.record.attempt_id, now, event.get("Campaign") or ""))
        elif name == MESSAGE_MISSING_USER_EVENT:
            call.updates.append(SafeHarbourMessageMissing(call.record.attempt_id, now, event.get("Prompt") or ""))
        return self._flush(call)

    def _on_queue_join(self, event: AmiEvent, now: float) -> Sequence[CallUpdate]:
        assert isinstance(event, QueueCallerJoin)
        call = self._by_linkedid.get(event.linkedid)
        if call is None or call.queued_at is not None:
            return _NOTHING
        call.queue = event.queue
        call.queued_at = now
        call.last_event_at = now
        return (CallQueued(call.record.attempt_id, now, event.queue),)

    def _on_queue_leave(self, event: AmiEvent, now: float) -> Sequence[CallUpdate]:
        assert isinstance(event, QueueCallerLeave | QueueCallerAbandon)
        call = self._by_linkedid.get(event.linkedid)
        if call is not None and call.left_queue_at is None:
            call.left_queue_at = now
        return _NOTHING

    def _on_agent_called(self, event: AmiEvent, now: float) -> Sequence[CallUpdate]:
        assert isinstance(event, AgentCalled)
        call = self._by_linkedid.get(event.linkedid)
        if call is None:
            return _NOTHING
        call.agent_rung = True
        call.last_event_at = now
        return (AgentRinging(call.record.attempt_id, now, event.queue, event.interface, event.member_name),)

    def _on_agent_connect(self, event: AmiEvent, now: float) -> Sequence[CallUpdate]:
        assert isinstance(event, AgentConnect)
        call = self._by_linkedid.get(event.linkedid)
        if call is None:
            return _NOTHING
        call.last_event_at = now
        self._connected(
            call, now, event.queue, event.interface, event.member_name, float(event.hold_time), event.dest_channel
        )
        return self._flush(call)

    def _connected(
        self,
        call: _Call,
        now: float,
        queue: str,
        interface: str,
        member_name: str,
        hold_time: float | None,
        agent_channel: str = "",
    ) -> None:
        if call.connected_at is not None:
            return
        call.connected_at = now
        call.agent_interface = interface
        call.agent_name = member_name
        if call.queued_at is not None:
            call.left_queue_at = now
            wait = now - call.queued_at
        elif hold_time is not None:
            wait = hold_time
        else:
            wait = now - call.answer_at if call.answer_at is not None else 0.0
        call.updates.append(
            CallConnected(call.record.attempt_id, now, queue, interface, member_name, wait, agent_channel)
        )

    # ---- ending -----------------------------------------------------------------------------------------

    def _maybe_finish(self, call: _Call, now: float) -> Sequence[CallUpdate]:
        if call.response_seen and call.hangup_seen:
            return self._finish(call, now)
        return self._flush(call)

    def _finish(self, call: _Call, now: float) -> Sequence[CallUpdate]:
        record = call.record
        outcome = classify(
            CallFacts(
                answered=call.answer_at is not None,
                reason=call.reason,
                hangup_cause=call.hangup_cause,
                dial_status=call.dial_status,
                amd_status=call.amd_status,
                agent_connected=call.connected_at is not None or call.end_stage == CONNECTED_STAGE,
                hangup_requested=call.hangup_requested,
                rejected=call.rejected,
                flow_served=call.end_stage == IVR_STAGE and call.abandon_status is None,
            )
        )
        ring_from = call.ring_at
        ring_to = call.answer_at if call.answer_at is not None else now
        answer_unseen = call.answer_at is None and call.reason == REASON_ANSWERED
        wait: float | None = None
        if call.queued_at is not None:
            wait = (call.left_queue_at if call.left_queue_at is not None else now) - call.queued_at
        ended = CallEnded(
            attempt_id=record.attempt_id,
            at=now,
            action_id=record.action_id,
            channel_id=call.uniqueid,
            outcome=outcome,
            reason=call.reason,
            cause=call.hangup_cause,
            amd_status=call.amd_status,
            amd_cause=call.amd_cause,
            agent_interface=call.agent_interface,
            agent_name=call.agent_name,
            ring_seconds=None if answer_unseen else max(0.0, ring_to - ring_from) if ring_from is not None else 0.0,
            wait_seconds=wait,
            talk_seconds=now - call.connected_at if call.connected_at is not None else None,
            duration_seconds=now - record.sent_at,
            detail=call.abandon_status or call.end_stage,
        )
        call.updates.append(ended)
        updates = self._flush(call)
        self._forget(call)
        return updates

    def _forget(self, call: _Call) -> None:
        record = call.record
        self._by_action.pop(record.action_id, None)
        self._by_attempt.pop(record.attempt_id, None)
        if call.uniqueid is not None and self._by_linkedid.get(call.uniqueid) is call:
            del self._by_linkedid[call.uniqueid]
        self._drop_unmatched(call)

    def _lose(self, call: _Call, now: float, reason: str) -> CallLost:
        self._forget(call)
        return CallLost(
            attempt_id=call.record.attempt_id,
            at=now,
            action_id=call.record.action_id,
            channel_id=call.uniqueid,
            reason=reason,
            answered=call.answer_at is not None,
            agent_connected=call.connected_at is not None,
        )

    def sweep(self, now: float) -> list[CallUpdate]:
        """Settle calls whose remaining events will not come (call it about once a second).

        Failed originates that never had a channel end (``CallEnded``); calls whose events are overdue are
        given up (``CallLost``).
        """
        lost: list[CallUpdate] = []
        for call in list(self._by_attempt.values()):
            record = call.record
            if (
                call.response_at is not None
                and call.answer_at is None
                and not call.channel_seen
                and now - call.response_at >= self.channel_grace_seconds
            ):
                # Failed before any channel existed: classify from the Reason alone (no Hangup will come).
                lost.extend(self._finish(call, now))
            elif call.answer_at is None:
                deadline = record.sent_at + record.timeout_seconds + self.response_grace_seconds
                if now > deadline:
                    lost.append(self._lose(call, now, "no result after the originate timeout"))
            elif now - call.answer_at > self.max_call_seconds:
                lost.append(self._lose(call, now, "answered call never ended"))
        return lost

    def reconcile(self, live_uniqueids: Iterable[str], now: float, *, min_age_seconds: float = 5.0) -> list[CallUpdate]:
        """After a reconnect: calls whose dialled channel is not among the live channels (``CoreShowChannels``)
        ended while we were not listening; report them lost. Calls younger than ``min_age_seconds`` are kept
        (their channel may not exist yet)."""
        live = set(live_uniqueids)
        lost: list[CallUpdate] = []
        for call in list(self._by_attempt.values()):
            if now - call.record.sent_at < min_age_seconds:
                continue
            if call.uniqueid is None or call.uniqueid not in live:
                lost.append(self._lose(call, now, "not among the live channels after a reconnect"))
        return lost

    def lose_all(self, now: float, reason: str) -> list[CallUpdate]:
        """Forget every call (e.g. the server was replaced); each is reported lost."""
        return [self._lose(call, now, reason) for call in list(self._by_attempt.values())]


_Handler = Callable[[CallTracker, AmiEvent, float], Sequence[CallUpdate]]
_HANDLERS: dict[type[AmiEvent], _Handler] = {
    OriginateResponse: CallTracker._on_originate_response,
    Newchannel: CallTracker._on_newchannel,
    Newstate: CallTracker._on_newstate,
    DialState: CallTracker._on_dial_state,
    DialEnd: CallTracker._on_dial_end,
    Hangup: CallTracker._on_hangup,
    VarSet: CallTracker._on_varset,
    UserEvent: CallTracker._on_user_event,
    QueueCallerJoin: CallTracker._on_queue_join,
    QueueCallerLeave: CallTracker._on_queue_leave,
    QueueCallerAbandon: CallTracker._on_queue_leave,
    AgentCalled: CallTracker._on_agent_called,
    AgentConnect: CallTracker._on_agent_connect,
}
