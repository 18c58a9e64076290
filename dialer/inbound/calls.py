"""The fate of every inbound caller, from the queue events of one AMI pump (pure: the clock is passed in).

Asterisk 22 (recorded in tests/fixtures/ami-traces/lab/inbound-*.txt and ivr-inbound-*.txt) tells an inbound
caller's story on the caller's channel (``Uniqueid``, the ``;2`` half of a Local channel in the lab):

* ``QueueCallerJoin`` — the caller entered the queue (its ``CallerIDNum``);
* then either ``AgentConnect`` (after ``QueueCallerLeave``) — an agent took the call (``Interface``) — and
  ``AgentComplete`` when the conversation ends (``TalkTime``);
* or ``QueueCallerAbandon`` (``HoldTime``) and ``QueueCallerLeave``: the caller is gone from the queue. Asterisk sends
  this both when the caller hung up and when Queue() reached its bound; the dialplan tells the second apart by
  ``UserEvent(DialerAbandon, Queue, QueueStatus: TIMEOUT)`` (asterisk/extensions.conf), raised when Queue() returns
  without an agent. A caller who hung up never comes back from Queue(): their channel's ``Hangup`` ends the story;
* a caller refused at the door (no reachable member: ``JOINEMPTY``, ``FULL`` ...) gets no ``QueueCallerJoin`` at all,
  only the ``DialerAbandon`` with the queue and the status.

An outbound customer an agent transferred into the queue (call control's blind transfer to a queue, such as a closer
queue: the customer's channel runs ``dialer-transfer``, :data:`dialer.contract.TRANSFER_CONTEXT`) is our own call,
not a caller who called in: its queue events are not booked here (call control records that leg,
:mod:`dialer.store.call_legs`), so an inbound queue that doubles as a closer queue keeps its inbound figures.

:class:`InboundCallBook` turns that into one :class:`InboundCall` per caller, finished when its story ends.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from enum import StrEnum

from dialer.ami.events import (
    AgentComplete,
    AgentConnect,
    AgentEvent,
    AmiEvent,
    ChannelEvent,
    Hangup,
    QueueCallerAbandon,
    QueueCallerJoin,
    UserEvent,
)
from dialer.contract import ABANDON_USER_EVENT, TRANSFER_CONTEXT

# Queue() statuses that mean the caller was never offered to an agent: nobody could take calls, or the queue was full.
REFUSED_STATUSES = frozenset({"JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL", "FULL"})
TIMEOUT_STATUS = "TIMEOUT"
# A story the PBX never finished (events lost while AMI was down): dropped after this long, with a count.
STALE_SECONDS = 12 * 3600.0
# After QueueCallerAbandon, the dialplan's DialerAbandon (a timeout) or the caller's Hangup follow at once; if
# neither came (a lost event), the caller is counted as having hung up after this long.
ABANDON_SETTLE_SECONDS = 10.0


class InboundOutcome(StrEnum):
    ANSWERED = "answered"  # an agent took the call
    ABANDONED = "abandoned"  # the caller hung up while waiting
    TIMED_OUT = "timed_out"  # Queue() reached its bound: the caller heard the apology
    REFUSED = "refused"  # no agent could take calls (or the queue was full): never offered


@dataclass(frozen=True, slots=True)
class InboundCall:
    """One inbound caller's visit to a queue. ``wait_seconds``: from joining the queue to being answered or leaving
    it (0 for a refused caller); ``talk_seconds``: the conversation, for an answered call (None: still talking when
    the story was cut, or not answered)."""

    server: str | None
    queue: str
    uniqueid: str
    caller: str
    joined_at: float
    outcome: InboundOutcome | None = None
    wait_seconds: float = 0.0
    interface: str | None = None  # the member who answered
    talk_seconds: float | None = None
    queue_status: str | None = None  # Queue()'s QUEUESTATUS when it returned without an agent
    ended_at: float | None = None

    @property
    def waiting(self) -> bool:
        return self.outcome is None


class InboundCallBook:
    """The callers of the inbound ``queues`` on every server, from their events; :meth:`observe` returns the calls
    whose story just ended. Bounded: at most ``max_calls`` stories at once (the oldest are dropped)."""

    def __init__(self, queues: frozenset[str], *, max_calls: int = 10_000) -> None:
        self.queues = queues
        self._max = max_calls
        self._calls: OrderedDict[tuple[str | None, str], InboundCall] = OrderedDict()
        self._next_sweep = float("-inf")
        self.dropped = 0  # stories dropped unfinished: the book full, or the PBX never finished them (12 h)
        self.lost = 0  # callers gone while AMI was down (their channel no longer listed at a resync)

    def __len__(self) -> int:
        """The callers whose story is under way (waiting, talking, just gone)."""
        return len(self._calls)

    def caller_of(self, server: str | None, uniqueid: str) -> str:
        """The number of the caller on channel ``uniqueid`` of ``server`` ("" when the book has no such caller)."""
        call = self._calls.get((server, uniqueid))
        return call.caller if call is not None else ""

    def waiting(self, now: float) -> list[tuple[str, float]]:
        """(queue, seconds waited so far) of every caller in a queue now."""
        return [(c.queue, max(0.0, now - c.joined_at)) for c in self._calls.values() if c.waiting]

    def observe(self, event: AmiEvent, now: float, server: str | None = None) -> list[InboundCall]:
        finished = self._sweep(now)
        if isinstance(event, QueueCallerJoin):
            if event.queue in self.queues and not transferred_in(event):
                self._put(InboundCall(server, event.queue, event.uniqueid, event.caller_id_num, now))
        elif isinstance(event, AgentConnect):
            call = self._calls.get((server, event.uniqueid))
            if call is None and event.queue in self.queues and event.uniqueid and not transferred_in(event):
                call = self._unseen_join(event, now, server)
            if call is not None and call.waiting and event.queue == call.queue:
                wait = now - call.joined_at
                self._calls[(server, event.uniqueid)] = replace(
                    call, outcome=InboundOutcome.ANSWERED, wait_seconds=wait, interface=event.interface
                )
        elif isinstance(event, AgentComplete):
            call = self._calls.get((server, event.uniqueid))
            if call is not None and call.outcome is InboundOutcome.ANSWERED:
                finished.append(self._end(call, now, talk_seconds=float(event.talk_time)))
        elif isinstance(event, QueueCallerAbandon):
            call = self._calls.get((server, event.uniqueid))
            if call is None and event.queue in self.queues and not transferred_in(event):
                call = self._unseen_join(event, now, server)
            if call is not None and call.waiting:
                # Provisional until the dialplan says TIMEOUT or the caller's channel hangs up.
                self._calls[(server, event.uniqueid)] = replace(
                    call, outcome=InboundOutcome.ABANDONED, wait_seconds=now - call.joined_at, ended_at=now
                )
        elif isinstance(event, UserEvent) and event.name == ABANDON_USER_EVENT and not event.get("Attempt"):
            finished += self._unanswered(event, now, server)
        elif isinstance(event, Hangup):
            call = self._calls.get((server, event.uniqueid))
            if call is not None:
                finished.append(self._hung_up(call, now))
        return finished

    def reconcile(self, server: str | None, live: set[str]) -> int:
        """After the PBX listed its channels (a reconnect, the periodic resync): forget the callers of ``server``
        whose channel is gone unseen (their ending was lost with the connection: counted in ``lost``, never
        guessed). Returns how many."""
        gone = [key for key, call in self._calls.items() if call.server == server and call.uniqueid not in live]
        for key in gone:
            del self._calls[key]
        self.lost += len(gone)
        return len(gone)

    def _unseen_join(self, event: AgentConnect | QueueCallerAbandon, now: float, server: str | None) -> InboundCall:
        """A caller whose join this book never saw (it came while AMI was down, or before this daemon started):
        Asterisk's HoldTime tells when they joined."""
        call = InboundCall(server, event.queue, event.uniqueid, "", now - event.hold_time)
        if isinstance(event, QueueCallerAbandon):
            call = replace(call, caller=event.caller_id_num)
        self._put(call)
        return call

    def _unanswered(self, event: UserEvent, now: float, server: str | None) -> list[InboundCall]:
        """The dialplan's DialerAbandon of an inbound caller: Queue() returned without an agent (why: QueueStatus)."""
        status = (event.get("QueueStatus") or "").upper()
        call = self._calls.get((server, event.uniqueid))
        if call is None:
            queue = event.get("Queue") or ""
            if queue not in self.queues:
                return []
            # Refused at the door (no QueueCallerJoin): never waited.
            call = InboundCall(server, queue, event.uniqueid, event.caller_id_num, now, wait_seconds=0.0)
            return [self._finish(call, InboundOutcome.REFUSED, now, status)]
        if call.outcome is InboundOutcome.ANSWERED:
            return []  # (an agent took it and hung up first: not this)
        if status == TIMEOUT_STATUS:
            outcome = InboundOutcome.TIMED_OUT
        elif status in REFUSED_STATUSES:
            outcome = InboundOutcome.REFUSED  # every member left while the caller waited (LEAVEEMPTY ...)
        else:
            outcome = InboundOutcome.ABANDONED  # CALLERHANGUP, or a status Asterisk may add: the caller is gone
        wait = call.wait_seconds if call.outcome is not None else now - call.joined_at
        del self._calls[(server, call.uniqueid)]
        return [self._finish(replace(call, wait_seconds=wait), outcome, now, status)]

    def _hung_up(self, call: InboundCall, now: float) -> InboundCall:
        del self._calls[(call.server, call.uniqueid)]
        if call.outcome is InboundOutcome.ANSWERED:  # (no AgentComplete came first): talk until this Hangup
            return replace(call, talk_seconds=max(0.0, now - call.joined_at - call.wait_seconds), ended_at=now)
        if call.outcome is None:  # hung up without a QueueCallerAbandon (lost event): still an abandon
            call = replace(call, wait_seconds=now - call.joined_at)
        return self._finish(call, InboundOutcome.ABANDONED, now, None)

    def _end(self, call: InboundCall, now: float, *, talk_seconds: float) -> InboundCall:
        del self._calls[(call.server, call.uniqueid)]
        return replace(call, talk_seconds=talk_seconds, ended_at=now)

    @staticmethod
    def _finish(call: InboundCall, outcome: InboundOutcome, now: float, status: str | None) -> InboundCall:
        ended = call.ended_at if call.ended_at is not None else now
        return replace(call, outcome=outcome, queue_status=status or None, ended_at=ended)

    def _put(self, call: InboundCall) -> None:
        self._calls[(call.server, call.uniqueid)] = call
        while len(self._calls) > self._max:
            self._calls.popitem(last=False)
            self.dropped += 1

    def _sweep(self, now: float) -> list[InboundCall]:
        """Finish abandons whose follow-up never came; drop stories the PBX never finished (once a second)."""
        finished: list[InboundCall] = []
        if now < self._next_sweep:
            return finished
        self._next_sweep = now + 1.0
        for key, call in list(self._calls.items()):
            if call.outcome is InboundOutcome.ABANDONED and call.ended_at is not None:
                if now - call.ended_at >= ABANDON_SETTLE_SECONDS:
                    del self._calls[key]
                    finished.append(self._finish(call, InboundOutcome.ABANDONED, now, None))
            elif now - call.joined_at > STALE_SECONDS:
                del self._calls[key]
                self.dropped += 1
        return finished


def transferred_in(event: ChannelEvent | AgentEvent) -> bool:
    """The caller's channel is one of our outbound customers an agent transferred into the queue (it runs call
    control's transfer context): not an inbound caller."""
    return event.context == TRANSFER_CONTEXT
