"""AMI messages into typed events (dialer.ami.events): one parser an event name, each reading its fields with the
helpers below; a known event with a broken field is logged and skipped, never raised."""

from __future__ import annotations

from collections.abc import Callable

from dialer.ami.events import (
    AgentCalled,
    AgentComplete,
    AgentConnect,
    AgentRingNoAnswer,
    AmiEvent,
    ChanSpyStart,
    ChanSpyStop,
    CoreShowChannel,
    DialBegin,
    DialEnd,
    DialState,
    DialStatusEvent,
    FullyBooted,
    Hangup,
    ListComplete,
    LocalBridge,
    MixMonitorMute,
    MixMonitorStart,
    MixMonitorStop,
    Newchannel,
    Newstate,
    OriginateResponse,
    QueueCallerAbandon,
    QueueCallerEvent,
    QueueCallerJoin,
    QueueCallerLeave,
    QueueEntry,
    QueueMember,
    QueueMemberAdded,
    QueueMemberEvent,
    QueueMemberPause,
    QueueMemberRemoved,
    QueueMemberStatus,
    QueueParams,
    QueueSummary,
    Status,
    UserEvent,
    VarSet,
)
from dialer.ami.protocol import AmiMessage
from dialer.contract import VARIABLE_PREFIX
from dialer.logging import get_logger

log = get_logger(__name__)

# Channel variables worth an event: the AMD verdict (app_amd sets them on the channel running AMD()) and
# the dialer's own variables (DIALER_ATTEMPT, DIALER_STAGE ...). Every other VarSet is noise for us.
AMD_VARIABLES = frozenset({"AMDSTATUS", "AMDCAUSE"})


class MalformedEvent(ValueError):
    pass


def _int(first: dict[str, str], key: str, default: int | None = None) -> int:
    raw = first.get(key)
    if raw is None or raw == "":
        if default is None:
            raise MalformedEvent(f"missing {key}")
        return default
    try:
        return int(raw)
    except ValueError:
        raise MalformedEvent(f"{key} is not a number: {raw[:40]!r}") from None


def _req(first: dict[str, str], key: str) -> str:
    value = first.get(key)
    if value is None:
        raise MalformedEvent(f"missing {key}")
    return value


def _flag(first: dict[str, str], key: str) -> bool:
    return first.get(key, "").lower() in ("1", "true", "yes")


def _channel_fields(f: dict[str, str]) -> tuple[str, str, str, int, str, str, str]:
    uniqueid = _req(f, "uniqueid")
    return (
        _req(f, "channel"),
        uniqueid,
        f.get("linkedid") or uniqueid,
        _int(f, "channelstate", 0),
        f.get("calleridnum", ""),
        f.get("context", ""),
        f.get("exten", ""),
    )


def _newchannel(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return Newchannel(*_channel_fields(f))


def _newstate(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return Newstate(*_channel_fields(f), f.get("channelstatedesc", ""))


def _hangup(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return Hangup(*_channel_fields(f), _int(f, "cause", 0), f.get("cause-txt", ""))


def _varset(f: dict[str, str], m: AmiMessage) -> AmiEvent | None:
    variable = f.get("variable", "")
    if variable not in AMD_VARIABLES and not variable.startswith(VARIABLE_PREFIX):
        return None
    return VarSet(*_channel_fields(f), variable, f.get("value", ""))


def _user_event(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    # The body is every header after the "UserEvent:" one (Asterisk appends it after the channel snapshot).
    body: list[tuple[str, str]] = []
    seen = False
    for key, value in m.headers:
        if seen:
            body.append((key, value))
        elif key.lower() == "userevent":
            seen = True
    return UserEvent(*_channel_fields(f), _req(f, "userevent"), tuple(body))


def _queue_caller_parser(cls: type[QueueCallerEvent]) -> Callable[[dict[str, str], AmiMessage], AmiEvent]:
    def parse(f: dict[str, str], m: AmiMessage) -> AmiEvent:
        return cls(*_channel_fields(f), _req(f, "queue"), _int(f, "position", 0), _int(f, "count", 0))

    return parse


def _queue_caller_abandon(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return QueueCallerAbandon(
        *_channel_fields(f),
        _req(f, "queue"),
        _int(f, "position", 0),
        _int(f, "originalposition", 0),
        _int(f, "holdtime", 0),
    )


def _originate_response(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    uniqueid = f.get("uniqueid")
    return OriginateResponse(
        action_id=f.get("actionid", ""),
        success=f.get("response", "").lower() == "success",
        reason=_int(f, "reason", 0),
        channel=f.get("channel", ""),
        uniqueid=None if not uniqueid or uniqueid == "<unknown>" else uniqueid,
        context=f.get("context", ""),
        exten=f.get("exten", ""),
    )


def _dial_fields(f: dict[str, str]) -> tuple[str | None, str | None, str | None, str, str, str]:
    dest_uniqueid = _req(f, "destuniqueid")
    uniqueid = f.get("uniqueid")
    return (
        f.get("channel"),
        uniqueid,
        f.get("linkedid") or uniqueid,
        _req(f, "destchannel"),
        dest_uniqueid,
        f.get("destlinkedid") or dest_uniqueid,
    )


def _dial_begin(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return DialBegin(*_dial_fields(f), f.get("dialstring", ""))


def _dial_status_parser(cls: type[DialStatusEvent]) -> Callable[[dict[str, str], AmiMessage], AmiEvent]:
    def parse(f: dict[str, str], m: AmiMessage) -> AmiEvent:
        return cls(*_dial_fields(f), f.get("dialstatus", ""))

    return parse


def _local_bridge(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    one = _req(f, "localoneuniqueid")
    return LocalBridge(
        local_one_channel=f.get("localonechannel", ""),
        local_one_uniqueid=one,
        local_two_channel=f.get("localtwochannel", ""),
        local_two_uniqueid=_req(f, "localtwouniqueid"),
        linkedid=f.get("localonelinkedid") or one,
    )


def _agent_fields(f: dict[str, str]) -> tuple[str, str, str, str, str, str, str, str]:
    # Asterisk 22 sometimes sends AgentComplete without any caller snapshot (the caller channel is already
    # gone, seen in core-show-channels.txt): the caller fields are then empty strings.
    uniqueid = f.get("uniqueid", "")
    return (
        f.get("channel", ""),
        uniqueid,
        f.get("linkedid") or uniqueid,
        f.get("destchannel", ""),
        f.get("destuniqueid", ""),
        _req(f, "queue"),
        f.get("interface", ""),
        f.get("membername", ""),
    )


def _agent_called(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return AgentCalled(*_agent_fields(f))


def _agent_connect(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return AgentConnect(*_agent_fields(f), _int(f, "holdtime", 0), _int(f, "ringtime", 0))


def _agent_complete(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return AgentComplete(*_agent_fields(f), _int(f, "holdtime", 0), _int(f, "talktime", 0), f.get("reason", ""))


def _agent_ring_no_answer(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return AgentRingNoAnswer(*_agent_fields(f), _int(f, "ringtime", 0))


def _member_fields(
    f: dict[str, str], interface_key: str = "interface", name_key: str = "membername"
) -> tuple[str, str, str, str, str, int, int, bool, int, bool, str]:
    """A queue member's fields as its events carry them (QueueMember list items name the interface ``Location``
    and the member ``Name``)."""
    interface = _req(f, interface_key)
    return (
        _req(f, "queue"),
        f.get(name_key, interface),
        interface,
        f.get("stateinterface", interface),
        f.get("membership", ""),
        _int(f, "penalty", 0),
        _int(f, "callstaken", 0),
        _flag(f, "incall"),
        _int(f, "status", 0),
        _flag(f, "paused"),
        f.get("pausedreason", ""),
    )


def _member_parser(cls: type[QueueMemberEvent]) -> Callable[[dict[str, str], AmiMessage], AmiEvent]:
    def parse(f: dict[str, str], m: AmiMessage) -> AmiEvent:
        return cls(*_member_fields(f))

    return parse


def _queue_params(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return QueueParams(
        f.get("actionid"),
        _req(f, "queue"),
        _int(f, "max", 0),
        f.get("strategy", ""),
        _int(f, "calls", 0),
        _int(f, "holdtime", 0),
        _int(f, "talktime", 0),
        _int(f, "completed", 0),
        _int(f, "abandoned", 0),
    )


def _queue_member(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return QueueMember(f.get("actionid"), *_member_fields(f, interface_key="location", name_key="name"))


def _queue_entry(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return QueueEntry(
        f.get("actionid"),
        _req(f, "queue"),
        _int(f, "position", 0),
        f.get("channel", ""),
        f.get("uniqueid", ""),
        f.get("calleridnum", ""),
        _int(f, "wait", 0),
    )


def _queue_summary(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return QueueSummary(
        f.get("actionid"),
        _req(f, "queue"),
        _int(f, "loggedin", 0),
        _int(f, "available", 0),
        _int(f, "callers", 0),
        _int(f, "holdtime", 0),
        _int(f, "talktime", 0),
        _int(f, "longestholdtime", 0),
    )


def _core_show_channel(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return CoreShowChannel(
        f.get("actionid"),
        *_channel_fields(f),
        f.get("application", ""),
        f.get("applicationdata", ""),
        f.get("duration", ""),
        f.get("bridgeid", ""),
        _chan_variables(m),
    )


def _chan_variables(m: AmiMessage) -> tuple[tuple[str, str], ...]:
    """``ChanVariable: NAME=value`` headers (Asterisk C-escapes the value; ours are plain ids)."""
    found: list[tuple[str, str]] = []
    for value in m.getall("chanvariable"):
        name, sep, rest = value.partition("=")
        if sep and name:
            found.append((name, rest))
    return tuple(found)


def _status(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    seconds = f.get("seconds")
    return Status(
        f.get("actionid"),
        *_channel_fields(f),
        f.get("application", ""),
        int(seconds) if seconds and seconds.isdigit() else None,
        f.get("bridgeid", ""),
    )


def _fully_booted(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return FullyBooted(f.get("status", ""))


# -- recording and supervisor monitoring (app_mixmonitor, app_chanspy) --------------------------------------------


def _mix_monitor_parser(
    cls: type[MixMonitorStart] | type[MixMonitorStop],
) -> Callable[[dict[str, str], AmiMessage], AmiEvent]:
    def parse(f: dict[str, str], m: AmiMessage) -> AmiEvent:
        return cls(*_channel_fields(f), _chan_variables(m))

    return parse


def _mix_monitor_mute(f: dict[str, str], m: AmiMessage) -> AmiEvent:
    return MixMonitorMute(*_channel_fields(f), _chan_variables(m), f.get("direction", ""), f.get("state", "") == "1")


def _chan_spy_parser(cls: type[ChanSpyStart] | type[ChanSpyStop]) -> Callable[[dict[str, str], AmiMessage], AmiEvent]:
    def parse(f: dict[str, str], m: AmiMessage) -> AmiEvent:
        spyee_uniqueid = f.get("spyeeuniqueid", "")
        return cls(
            _req(f, "spyerchannel"),
            _req(f, "spyeruniqueid"),
            f.get("spyeechannel", ""),
            spyee_uniqueid,
            f.get("spyeelinkedid") or spyee_uniqueid,
            f.get("spyerlinkedid") or f.get("spyeruniqueid", ""),
        )

    return parse


_PARSERS: dict[str, Callable[[dict[str, str], AmiMessage], AmiEvent | None]] = {
    "originateresponse": _originate_response,
    "newchannel": _newchannel,
    "newstate": _newstate,
    "hangup": _hangup,
    "varset": _varset,
    "userevent": _user_event,
    "dialbegin": _dial_begin,
    "dialstate": _dial_status_parser(DialState),
    "dialend": _dial_status_parser(DialEnd),
    "localbridge": _local_bridge,
    "queuecallerjoin": _queue_caller_parser(QueueCallerJoin),
    "queuecallerleave": _queue_caller_parser(QueueCallerLeave),
    "queuecallerabandon": _queue_caller_abandon,
    "agentcalled": _agent_called,
    "agentconnect": _agent_connect,
    "agentcomplete": _agent_complete,
    "agentringnoanswer": _agent_ring_no_answer,
    "queuememberstatus": _member_parser(QueueMemberStatus),
    "queuememberadded": _member_parser(QueueMemberAdded),
    "queuememberremoved": _member_parser(QueueMemberRemoved),
    "queuememberpause": _member_parser(QueueMemberPause),
    # Asterisk < 13 named it QueueMemberPaused.
    "queuememberpaused": _member_parser(QueueMemberPause),
    "queueparams": _queue_params,
    "queuemember": _queue_member,
    "queueentry": _queue_entry,
    "queuesummary": _queue_summary,
    "coreshowchannel": _core_show_channel,
    "status": _status,
    "fullybooted": _fully_booted,
    "mixmonitorstart": _mix_monitor_parser(MixMonitorStart),
    "mixmonitorstop": _mix_monitor_parser(MixMonitorStop),
    "mixmonitormute": _mix_monitor_mute,
    "chanspystart": _chan_spy_parser(ChanSpyStart),
    "chanspystop": _chan_spy_parser(ChanSpyStop),
}


def parse_event(message: AmiMessage) -> AmiEvent | None:
    """The typed event for an AMI event message; ``None`` for events we do not use and for non-events.

    A known event with a malformed field is logged (with its name and the problem) and skipped.
    """
    headers = message.headers
    # Asterisk always writes "Event:" first: decide from it without indexing the whole message.
    key, name = headers[0]
    if key.lower() != "event":
        name = message.get("event") or ""
        if not name:
            return None
    lowered = name.lower()
    parser = _PARSERS.get(lowered)
    if parser is None and not lowered.endswith("complete"):
        return None
    first = message._first
    try:
        if parser is not None:
            return parser(first, message)
        if lowered.endswith("complete") and first.get("eventlist", "").lower() == "complete":
            return ListComplete(first.get("actionid"), name, _int(first, "listitems", 0))
    except MalformedEvent as exc:
        log.warning("ami_event_malformed_skipped", ami_event=name, problem=str(exc))
    return None
