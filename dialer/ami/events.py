"""Typed, frozen AMI events: the only shape in which AMI reaches code outside ``dialer/ami``.

``parse_event(message)`` (dialer.ami.parsing) turns one ``AmiMessage`` into one of these classes, or returns
``None`` for events the dialer does not use (``Newexten``, ``DeviceStateChange``, most ``VarSet`` ...). A known
event with a broken field (a non-numeric ``Cause``, a missing ``Uniqueid``) is logged and skipped, never raised.

Field notes (Asterisk 22, see the recorded traces):

* ``Uniqueid`` identifies one channel; ``Linkedid`` is the Uniqueid of the first channel of the call and is
  carried by every channel of it, agent legs included: the natural call id.
* Originate's dial events (``DialBegin``/``DialState``/``DialEnd``) have only ``Dest*`` fields; the queue's
  agent leg events have both the caller (``Channel``, ``Uniqueid``) and the ``Dest*`` (agent) fields.
* ``OriginateResponse`` of a failure has ``Uniqueid: <unknown>`` (unless the Originate set ``ChannelId``) and
  the dial string as ``Channel``; ``uniqueid`` is then ``None`` here.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _variable(variables: tuple[tuple[str, str], ...], name: str) -> str | None:
    """The value of the ``ChanVariable`` ``name`` among an event's ``variables`` (None: not sent)."""
    return next((value for key, value in variables if key == name), None)


@dataclass(frozen=True, slots=True)
class AmiEvent:
    """Base of every typed event."""


@dataclass(frozen=True)
class ChannelSnapshot:
    """The snapshot of one channel Asterisk attaches (``Channel``, ``Uniqueid``, ``Linkedid``, state, caller,
    dialplan place): the fields of :class:`ChannelEvent` and :class:`ChannelListItem`. (No slots of its own, so
    that a list item can be both a :class:`ListItem` and a snapshot.)"""

    __slots__ = ()

    channel: str
    uniqueid: str
    linkedid: str
    channel_state: int
    caller_id_num: str
    context: str
    exten: str


@dataclass(frozen=True, slots=True)
class ChannelEvent(ChannelSnapshot, AmiEvent):
    """An event about one channel."""


@dataclass(frozen=True, slots=True)
class Newchannel(ChannelEvent):
    """``Newchannel``: Asterisk created a channel (the dialled channel, a Local half, a queue's agent leg)."""


@dataclass(frozen=True, slots=True)
class Newstate(ChannelEvent):
    """``channel_state`` 5 = Ringing, 6 = Up; ``state_desc`` is Asterisk's text (``Busy`` for a busy callee)."""

    state_desc: str


@dataclass(frozen=True, slots=True)
class Hangup(ChannelEvent):
    """``cause`` is the Q.850 cause of this channel (0 = unknown; for Local busy/congestion the ;1 says 0)."""

    cause: int
    cause_txt: str


@dataclass(frozen=True, slots=True)
class VarSet(ChannelEvent):
    """``VarSet``: a channel variable was set (only those the dialer reads are parsed, e.g. ``DIALER_ATTEMPT``)."""

    variable: str
    value: str


@dataclass(frozen=True, slots=True)
class UserEvent(ChannelEvent):
    """``UserEvent(Name,Key: Value,...)`` from the dialplan; ``fields`` are the body's headers, in order."""

    name: str
    fields: tuple[tuple[str, str], ...]

    def get(self, key: str, default: str | None = None) -> str | None:
        lowered = key.lower()
        for k, v in self.fields:
            if k.lower() == lowered:
                return v
        return default


@dataclass(frozen=True, slots=True)
class QueueCallerEvent(ChannelEvent):
    """``QueueCallerJoin`` / ``QueueCallerLeave``: the caller's ``position`` and the queue's caller ``count``."""

    queue: str
    position: int
    count: int


@dataclass(frozen=True, slots=True)
class QueueCallerJoin(QueueCallerEvent):
    """``QueueCallerJoin``: the caller entered the queue at ``position``."""


@dataclass(frozen=True, slots=True)
class QueueCallerLeave(QueueCallerEvent):
    """``QueueCallerLeave``: the caller left the queue (answered by an agent, or gone); ``count`` remain."""


@dataclass(frozen=True, slots=True)
class QueueCallerAbandon(ChannelEvent):
    """``QueueCallerAbandon``: the caller hung up while waiting in ``queue`` (``hold_time`` seconds)."""

    queue: str
    position: int
    original_position: int
    hold_time: int


@dataclass(frozen=True, slots=True)
class OriginateResponse(AmiEvent):
    """The real result of an Async Originate (the action's own "queued" response means nothing).

    ``reason``: 4 answered, 5 busy, 8 congestion, 3 rang without answer (incl. the Originate timeout),
    0 everything else (unallocated, invalid number, cannot dial, hung up by us) -- see dialer/calls.
    """

    action_id: str
    success: bool
    reason: int
    channel: str
    uniqueid: str | None
    context: str
    exten: str


@dataclass(frozen=True, slots=True)
class DialEvent(AmiEvent):
    """``DialBegin``/``DialState``/``DialEnd``. ``channel``/``uniqueid`` are ``None`` for an Originate's dial."""

    channel: str | None
    uniqueid: str | None
    linkedid: str | None
    dest_channel: str
    dest_uniqueid: str
    dest_linkedid: str


@dataclass(frozen=True, slots=True)
class DialBegin(DialEvent):
    """``DialBegin``: a dial started; ``dial_string`` is what was dialled (the Originate's Channel)."""

    dial_string: str


@dataclass(frozen=True, slots=True)
class DialStatusEvent(DialEvent):
    """``DialState`` / ``DialEnd``. ``dial_status``: ANSWER, BUSY, CONGESTION, NOANSWER, CANCEL, CHANUNAVAIL ..."""

    dial_status: str


@dataclass(frozen=True, slots=True)
class DialState(DialStatusEvent):
    """``DialState``: a dial in progress changed state (``RINGING``, ``PROCEEDING``, ``PROGRESS`` ...)."""


@dataclass(frozen=True, slots=True)
class DialEnd(DialStatusEvent):
    """``DialEnd``: a dial finished; ``dial_status`` says how (``ANSWER``, ``BUSY``, ``NOANSWER`` ...)."""


@dataclass(frozen=True, slots=True)
class LocalBridge(AmiEvent):
    """The two halves of a Local channel (``…;1`` and ``…;2``) were linked."""

    local_one_channel: str
    local_one_uniqueid: str
    local_two_channel: str
    local_two_uniqueid: str
    linkedid: str


@dataclass(frozen=True, slots=True)
class AgentEvent(AmiEvent):
    """Queue agent events: the caller (``channel``/``uniqueid``/``linkedid``) and the member rung (``dest_*``).

    The caller fields are ``""`` when Asterisk omitted the caller snapshot (an ``AgentComplete`` after the
    caller channel is gone); ``context`` is the caller's dialplan context (``dialer-transfer``: a customer an agent
    transferred into the queue).
    """

    channel: str
    uniqueid: str
    linkedid: str
    dest_channel: str
    dest_uniqueid: str
    queue: str
    interface: str
    member_name: str
    context: str = field(default="", kw_only=True)


@dataclass(frozen=True, slots=True)
class AgentCalled(AgentEvent):
    """``AgentCalled``: the queue rings the member ``interface`` for the caller."""


@dataclass(frozen=True, slots=True)
class AgentConnect(AgentEvent):
    """``AgentConnect``: the member answered; the caller waited ``hold_time`` s, the agent rang ``ring_time`` s."""

    hold_time: int
    ring_time: int


@dataclass(frozen=True, slots=True)
class AgentComplete(AgentEvent):
    """``reason``: ``agent`` or ``caller`` (who hung up first), ``transfer``."""

    hold_time: int
    talk_time: int
    reason: str


@dataclass(frozen=True, slots=True)
class AgentRingNoAnswer(AgentEvent):
    """``AgentRingNoAnswer``: the member did not answer within the queue's timeout (``ring_time`` s)."""

    ring_time: int


@dataclass(frozen=True)
class MemberState:
    """A queue member's state as Asterisk reports it, in its events and in ``QueueStatus`` lists: the fields of
    :class:`QueueMemberEvent` and :class:`QueueMember`. ``status`` is the device state (1 not in use, 2 in use,
    5 unavailable, 6 ringing). (No slots of its own, like :class:`ChannelSnapshot`.)"""

    __slots__ = ()

    queue: str
    state_interface: str
    membership: str
    penalty: int
    calls_taken: int
    in_call: bool
    status: int
    paused: bool
    paused_reason: str


@dataclass(frozen=True, slots=True)
class QueueMemberEvent(MemberState, AmiEvent):
    """A queue member's state (``QueueMemberStatus``, ``QueueMemberAdded`` ...), naming the member by its events'
    ``MemberName`` and ``Interface``."""

    member_name: str
    interface: str


@dataclass(frozen=True, slots=True)
class QueueMemberStatus(QueueMemberEvent):
    """``QueueMemberStatus``: a member's device state, pause or call count changed."""


@dataclass(frozen=True, slots=True)
class QueueMemberAdded(QueueMemberEvent):
    """``QueueMemberAdded``: a member joined the queue (``QueueAdd`` or the queue's configuration)."""


@dataclass(frozen=True, slots=True)
class QueueMemberRemoved(QueueMemberEvent):
    """``QueueMemberRemoved``: a member left the queue (``QueueRemove``)."""


@dataclass(frozen=True, slots=True)
class QueueMemberPause(QueueMemberEvent):
    """``QueueMemberPause`` (``QueueMemberPaused`` before Asterisk 13): a member was paused or unpaused."""


@dataclass(frozen=True, slots=True)
class ListItem(AmiEvent):
    """An item of a list response (``QueueStatus``, ``CoreShowChannels`` ...): carries the action's ``ActionID``."""

    action_id: str | None


@dataclass(frozen=True, slots=True)
class QueueParams(ListItem):
    """``QueueStatus`` list item for a queue: its settings and its counters (calls completed, abandoned)."""

    queue: str
    max: int
    strategy: str
    calls: int
    hold_time: int
    talk_time: int
    completed: int
    abandoned: int


@dataclass(frozen=True, slots=True)
class QueueMember(MemberState, ListItem):
    """``QueueStatus`` list item for a member: ``location`` is the interface, ``name`` the member name."""

    name: str
    location: str


@dataclass(frozen=True, slots=True)
class QueueEntry(ListItem):
    """``QueueStatus`` list item for a caller waiting in a queue: its place and how long it has waited."""

    queue: str
    position: int
    channel: str
    uniqueid: str
    caller_id_num: str
    wait: int


@dataclass(frozen=True, slots=True)
class QueueSummary(ListItem):
    """``QueueSummary`` list item: a queue's members logged in and available, callers waiting, averages."""

    queue: str
    logged_in: int
    available: int
    callers: int
    hold_time: int
    talk_time: int
    longest_hold_time: int


@dataclass(frozen=True, slots=True)
class ChannelListItem(ChannelSnapshot, ListItem):
    """A list item describing one live channel (``CoreShowChannels``, ``Status``): its snapshot and application."""

    application: str


@dataclass(frozen=True, slots=True)
class CoreShowChannel(ChannelListItem):
    """``CoreShowChannels`` list item: one live channel, what it runs, for how long, in which bridge."""

    application_data: str
    duration: str
    bridge_id: str
    # ``ChanVariable: NAME=value`` lines (manager.conf ``channelvars``, e.g. DIALER_ATTEMPT), in wire order.
    variables: tuple[tuple[str, str], ...] = ()

    def variable(self, name: str) -> str | None:
        return _variable(self.variables, name)


@dataclass(frozen=True, slots=True)
class Status(ChannelListItem):
    """``Status`` list item: one live channel, its age in ``seconds`` (None: not given) and its bridge."""

    seconds: int | None
    bridge_id: str


@dataclass(frozen=True, slots=True)
class ListComplete(ListItem):
    """``QueueStatusComplete``, ``CoreShowChannelsComplete``, ``StatusComplete`` ...: the end of a list."""

    name: str
    list_items: int


@dataclass(frozen=True, slots=True)
class FullyBooted(AmiEvent):
    """Sent to every new AMI session once Asterisk is fully up: the moment to resynchronise calls and agents."""

    status: str


@dataclass(frozen=True, slots=True)
class ConnectionUp(AmiEvent):
    """Synthetic (from ``AmiClient``): logged in to ``server``."""

    server: str


@dataclass(frozen=True, slots=True)
class ConnectionDown(AmiEvent):
    """Synthetic (from ``AmiClient``): the connection to ``server`` is gone; ``reason`` says why."""

    server: str
    reason: str


# -- recording and supervisor monitoring (app_mixmonitor, app_chanspy) --------------------------------------------


@dataclass(frozen=True, slots=True)
class MixMonitorEvent(ChannelEvent):
    """``MixMonitorStart`` / ``MixMonitorStop`` / ``MixMonitorMute`` of the recorded channel; ``variables`` are its
    ``ChanVariable`` lines (DIALER_ATTEMPT). A recording that ends with its channel has no Stop event."""

    variables: tuple[tuple[str, str], ...]

    def variable(self, name: str) -> str | None:
        return _variable(self.variables, name)


@dataclass(frozen=True, slots=True)
class MixMonitorStart(MixMonitorEvent):
    """``MixMonitorStart``: a recording of the channel started."""


@dataclass(frozen=True, slots=True)
class MixMonitorStop(MixMonitorEvent):
    """``MixMonitorStop``: the recording of the channel was stopped (``StopMixMonitor``)."""


@dataclass(frozen=True, slots=True)
class MixMonitorMute(MixMonitorEvent):
    """``MixMonitorMute``: one ``direction`` of the recording was muted or unmuted."""

    direction: str  # read, write, both
    muted: bool


@dataclass(frozen=True, slots=True)
class ChanSpyEvent(AmiEvent):
    """``ChanSpyStart`` / ``ChanSpyStop``: the spying channel (spyer: the Local leg the supervisor's phone Dials, whose
    linkedid is the phone leg's ChannelId) and the agent's (spyee)."""

    spyer_channel: str
    spyer_uniqueid: str
    spyee_channel: str
    spyee_uniqueid: str
    spyee_linkedid: str
    spyer_linkedid: str = ""


@dataclass(frozen=True, slots=True)
class ChanSpyStart(ChanSpyEvent):
    """``ChanSpyStart``: a supervisor started listening to (or whispering to) an agent's channel."""


@dataclass(frozen=True, slots=True)
class ChanSpyStop(ChanSpyEvent):
    """``ChanSpyStop``: the supervisor stopped spying on the agent's channel."""
