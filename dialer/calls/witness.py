"""Calls seen on the wire that no tracker follows yet (pure, bounded): what the PBX said about them.

A daemon follows the calls it placed (:mod:`dialer.calls.tracker`). Calls another daemon placed -- one whose
campaign lease this daemon is waiting out, or a dead process's calls before the adoption pass ran -- still
show up on every AMI session. Dropping their events means their outcome must later be guessed. The witness
keeps each such call's events (keyed by its ``Linkedid`` = the dialled channel's Uniqueid = the ChannelId the
dialer chose, and by ``DIALER_ATTEMPT`` when a ``VarSet``/``Dialer*`` UserEvent names it) until its attempt is
adopted or closed, and then says what they mean by replaying them through a :class:`CallTracker` -- one way
to read a call's events, whether the call was ours from the start or not.

No I/O and no clock: ``feed``/``expire`` take ``now``. Bounded: at most ``max_calls`` calls and
``max_events_per_call`` events each (oldest dropped first); a call is forgotten ``keep_seconds`` after its
last event.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from dialer.ami.events import (
    AgentEvent,
    AmiEvent,
    ChannelEvent,
    DialEvent,
    Hangup,
    Newchannel,
    OriginateResponse,
    UserEvent,
    VarSet,
)
from dialer.calls.tracker import (
    AmdVerdict,
    CallAnswered,
    CallConnected,
    CallEnded,
    CallRinging,
    CallTracker,
    CallUpdate,
    OriginateRecord,
)
from dialer.contract import ATTEMPT_VARIABLE


@dataclass(slots=True)
class WitnessedCall:
    """The events of one call nobody tracked, in wire order with the time each arrived."""

    linkedid: str
    first_at: float
    last_at: float
    attempt_id: str | None = None
    # The dialled channel's Newchannel was seen: the events are the whole call, as its own daemon saw them.
    from_start: bool = False
    # The dialled channel's Hangup was seen: the call is over.
    hangup_seen: bool = False
    events: list[tuple[float, AmiEvent]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CallEvidence:
    """What a witnessed call's events say, read by a tracker (see :func:`read_witnessed`)."""

    answered_at: float | None
    ring_seconds: float | None
    connected_at: float | None
    agent_interface: str | None
    agent_name: str | None
    amd_status: str | None
    amd_cause: str | None
    ended: CallEnded | None  # the call is over and this is its outcome as the PBX reported it
    from_start: bool


def _key_of(event: AmiEvent) -> str | None:
    """The Linkedid of the call an event belongs to (``None``: not a call event the tracker reads)."""
    if isinstance(event, ChannelEvent | AgentEvent):
        return event.linkedid
    if isinstance(event, DialEvent):
        return event.dest_linkedid
    if isinstance(event, OriginateResponse):
        return event.uniqueid  # Success carries the dialled channel's Uniqueid, a failure the ChannelId
    return None


class CallWitness:
    """Keeps the events of calls no tracker follows, until their attempt is adopted or closed."""

    def __init__(
        self,
        *,
        max_calls: int = 5000,
        max_events_per_call: int = 400,
        keep_seconds: float = 3600.0,
        max_call_seconds: float = 4 * 3600.0,
    ) -> None:
        self.max_calls = max_calls
        self.max_events_per_call = max_events_per_call
        self.keep_seconds = keep_seconds  # an ended call is forgotten this long after its last event
        self.max_call_seconds = max_call_seconds  # a call still up is forgotten after this long without an event
        self._calls: OrderedDict[str, WitnessedCall] = OrderedDict()  # by Linkedid, least recently fed first
        self._by_attempt: dict[str, str] = {}
        self._responses: OrderedDict[str, tuple[float, OriginateResponse]] = OrderedDict()  # by ActionID
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._calls)

    def feed(
        self,
        event: AmiEvent,
        now: float,
        *,
        tracked: Callable[[str], bool] = lambda _: False,
        tracked_action: Callable[[str], bool] = lambda _: False,
    ) -> None:
        """Keep one event. ``tracked(linkedid)``: a tracker already follows that call, ``tracked_action(action_id)``:
        the Originate is a tracker's own -- their events are not kept."""
        key = _key_of(event)
        if isinstance(event, OriginateResponse) and event.action_id and not tracked_action(event.action_id):
            # A response can come before its channel's first event (or name no channel at all, a failure without
            # ChannelId): kept by ActionID too, which the stored attempt knows.
            self._responses[event.action_id] = (now, event)
            while len(self._responses) > self.max_calls:
                self._responses.popitem(last=False)
        if not key or tracked(key):
            return
        call = self._calls.get(key)
        if call is None:
            if isinstance(event, OriginateResponse):
                return
            if isinstance(event, Hangup) and event.uniqueid != key:
                # Another channel of a call that ended (a tracker's, forgotten at its own channel's Hangup, or one
                # already gone): it says nothing about how the call went.
                return
            call = WitnessedCall(key, now, now)
            self._calls[key] = call
            self._bound(now)
        else:
            self._calls.move_to_end(key)
        call.last_at = now
        if len(call.events) >= self.max_events_per_call:
            del call.events[0]
        call.events.append((now, event))
        if isinstance(event, Newchannel) and event.uniqueid == key:
            call.from_start = True
        elif isinstance(event, Hangup) and event.uniqueid == key:
            call.hangup_seen = True
        attempt: str | None = None
        if isinstance(event, VarSet) and event.variable == ATTEMPT_VARIABLE and event.uniqueid == key:
            attempt = event.value
        elif isinstance(event, UserEvent) and event.name.startswith("Dialer"):
            attempt = event.get("Attempt")
        if attempt and call.attempt_id is None:
            call.attempt_id = attempt
            self._by_attempt[attempt] = key

    def _bound(self, now: float) -> None:
        if len(self._calls) > self.max_calls:
            self.expire(now)
        while len(self._calls) > self.max_calls:
            _, oldest = self._calls.popitem(last=False)
            self._drop_index(oldest)
            self.dropped += 1

    def expire(self, now: float) -> int:
        """Forget calls past their retention; returns how many."""
        gone = [
            call
            for call in self._calls.values()
            if now - call.last_at > (self.keep_seconds if call.hangup_seen else self.max_call_seconds)
        ]
        for call in gone:
            del self._calls[call.linkedid]
            self._drop_index(call)
        return len(gone)

    def _drop_index(self, call: WitnessedCall) -> None:
        if call.attempt_id is not None and self._by_attempt.get(call.attempt_id) == call.linkedid:
            del self._by_attempt[call.attempt_id]

    def find(self, attempt_id: str, channel_id: str | None, action_id: str | None = None) -> WitnessedCall | None:
        """The witnessed call of an attempt: by its ChannelId (= Linkedid), else by ``DIALER_ATTEMPT``; with its
        OriginateResponse (by ``action_id``) in its place if the response named no channel."""
        call = self._calls.get(channel_id) if channel_id else None
        if call is None:
            key = self._by_attempt.get(attempt_id)
            call = self._calls.get(key) if key is not None else None
        response = self._responses.get(action_id) if action_id else None
        if call is not None and response is not None and not any(e is response[1] for _, e in call.events):
            call.events.append(response)
            call.events.sort(key=lambda item: item[0])  # (stable: same-time events keep their wire order)
        return call

    def forget(self, call: WitnessedCall) -> None:
        """The call's attempt was adopted or closed: its events are no longer needed."""
        if self._calls.get(call.linkedid) is call:
            del self._calls[call.linkedid]
            self._drop_index(call)


def read_witnessed(
    call: WitnessedCall,
    record: OriginateRecord,
    *,
    answered_at: float | None = None,
    connected_at: float | None = None,
    agent: str | None = None,
    amd_status: str | None = None,
) -> CallEvidence:
    """What a witnessed call's events say, read by the same tracker that reads our own calls.

    ``record``: the attempt's Originate as stored (ActionID, dial string, ChannelId, start). A call seen from its
    first channel is replayed as if we had placed it; one seen from mid-call starts from the stored facts
    (``answered_at`` ..., as the dead daemon wrote them) and the events refine them."""
    tracker = CallTracker()
    record = replace(record, channel_id=call.linkedid)
    if call.from_start:
        tracker.register(record)
    else:
        tracker.adopt(
            record, answered_at=answered_at, connected_at=connected_at, agent_name=agent, amd_status=amd_status
        )
    updates: list[CallUpdate] = []
    last = record.sent_at
    for at, event in call.events:
        last = at
        updates.extend(tracker.feed(event, at))
    if call.hangup_seen:
        # A failure whose channel never came settles after the channel grace (as on the wire).
        updates.extend(u for u in tracker.sweep(last + tracker.channel_grace_seconds) if isinstance(u, CallEnded))
    return _evidence(updates, call.from_start, answered_at, connected_at, agent, amd_status)


def _evidence(
    updates: Sequence[CallUpdate],
    from_start: bool,
    answered_at: float | None,
    connected_at: float | None,
    agent: str | None,
    amd_status: str | None,
) -> CallEvidence:
    ring_at: float | None = None
    ring_seconds: float | None = None
    interface: str | None = None
    amd_cause: str | None = None
    ended: CallEnded | None = None
    for update in updates:
        match update:
            case CallRinging():
                ring_at = update.at if ring_at is None else ring_at
            case CallAnswered():
                answered_at = update.at
                ring_seconds = update.ring_seconds
            case AmdVerdict():
                amd_status, amd_cause = update.status, update.cause
            case CallConnected():
                connected_at, interface, agent = update.at, update.interface, update.member_name or agent
            case CallEnded():
                ended = update
    if ended is not None:
        interface = ended.agent_interface or interface
        agent = ended.agent_name or agent
    return CallEvidence(
        answered_at=answered_at,
        ring_seconds=ring_seconds,
        connected_at=connected_at,
        agent_interface=interface,
        agent_name=agent,
        amd_status=amd_status,
        amd_cause=amd_cause,
        ended=ended,
        from_start=from_start,
    )
