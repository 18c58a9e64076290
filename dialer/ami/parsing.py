"""AMI messages into typed events (dialer.ami.events): one parser an event name, built from the event class's
dataclass fields (each read from its header by its annotated type, see ``_fields_parser``); a known event with a
broken field is logged and skipped, never raised."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any

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
    QueueCallerJoin,
    QueueCallerLeave,
    QueueEntry,
    QueueMember,
    QueueMemberAdded,
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


Parser = Callable[[dict[str, str], AmiMessage], AmiEvent | None]
Reader = Callable[[dict[str, str], AmiMessage], object]


def _chan_variables(f: dict[str, str], m: AmiMessage) -> tuple[tuple[str, str], ...]:
    """``ChanVariable: NAME=value`` headers (Asterisk C-escapes the value; ours are plain ids)."""
    found: list[tuple[str, str]] = []
    for value in m.getall("chanvariable"):
        name, sep, rest = value.partition("=")
        if sep and name:
            found.append((name, rest))
    return tuple(found)


def _type_reader(type_name: str, key: str, required: bool) -> Reader:
    """How a field of this (annotation) type is read from header ``key``: a required one raises
    :class:`MalformedEvent` when missing; an optional int is 0, str ``""``, ``str | None`` None when missing."""
    if type_name == "int":
        if required:
            return lambda f, m: _int(f, key)
        return lambda f, m: _int(f, key, 0)
    if type_name == "str":
        if required:
            return lambda f, m: _req(f, key)
        return lambda f, m: f.get(key, "")
    if type_name == "str | None" and not required:
        return lambda f, m: f.get(key)
    if type_name == "bool" and not required:
        return lambda f, m: _flag(f, key)
    if type_name == "tuple[tuple[str, str], ...]" and key == "variables":
        return _chan_variables
    raise TypeError(f"no AMI reader for a field {key!r} of type {type_name}")


def _fields_parser(
    cls: type[AmiEvent],
    *,
    required: tuple[str, ...] = (),
    headers: Mapping[str, str] | None = None,
    or_else: Mapping[str, str] | None = None,
    absent: Mapping[str, str] | None = None,
    custom: Mapping[str, Reader] | None = None,
) -> Parser:
    """The parser of ``cls``: each dataclass field is read from the header named like it without its underscores
    (``hold_time`` from ``HoldTime``; ``headers`` names the others), by its annotated type. ``required`` fields
    are read first, in that order; ``or_else`` / ``absent`` fields take the value of another field when their
    header is empty or missing / missing; ``custom`` fields are read by their own function."""
    headers, or_else, absent, custom = headers or {}, or_else or {}, absent or {}, custom or {}
    names = [field.name for field in fields(cls)]
    types = {field.name: str(field.type) for field in fields(cls)}
    unknown = (set(required) | set(headers) | set(or_else) | set(absent) | set(custom)) - set(names)
    assert not unknown, f"{cls.__name__} has no field {sorted(unknown)}"
    later = set(or_else) | set(absent)

    def header(name: str) -> str:
        return headers.get(name, name.replace("_", ""))

    order = [*required, *(name for name in names if name not in required and name not in later)]
    readers = [
        (
            name,
            custom.get(name) or _type_reader(types[name], header(name), name in required),
        )
        for name in order
    ]
    defaults = [(name, header(name), other, name in or_else) for name, other in [*or_else.items(), *absent.items()]]

    def parse(f: dict[str, str], m: AmiMessage) -> AmiEvent:
        values = {name: read(f, m) for name, read in readers}
        for name, key, other, when_empty in defaults:
            raw = f.get(key)
            values[name] = (raw or values[other]) if when_empty else (values[other] if raw is None else raw)
        return cls(**values)

    return parse


# Where a channel's own fields differ from the rule: its Uniqueid and Channel are required (in that order), its
# Linkedid is its Uniqueid when not sent.
_CHANNEL: dict[str, Any] = {"required": ("uniqueid", "channel"), "or_else": {"linkedid": "uniqueid"}}
# Originate's dial events have no caller (``channel``/``uniqueid`` None), the queue's agent legs have one.
_DIAL: dict[str, Any] = {
    "required": ("dest_uniqueid", "dest_channel"),
    "or_else": {"linkedid": "uniqueid", "dest_linkedid": "dest_uniqueid"},
}
# Asterisk 22 sometimes sends AgentComplete without any caller snapshot (the caller channel is already gone, seen
# in core-show-channels.txt): the caller fields are then empty strings.
_AGENT: dict[str, Any] = {"required": ("queue",), "or_else": {"linkedid": "uniqueid"}}
# A queue member's events name it by Interface (MemberName, StateInterface: that interface when not sent).
# ChanSpy's spyer (the supervisor's Local leg) is required; a linkedid not sent is the channel's Uniqueid.
_SPY: dict[str, Any] = {
    "required": ("spyer_channel", "spyer_uniqueid"),
    "or_else": {"spyee_linkedid": "spyee_uniqueid", "spyer_linkedid": "spyer_uniqueid"},
}
_QUEUE_CALLER: dict[str, Any] = {**_CHANNEL, "required": ("uniqueid", "channel", "queue")}
_MEMBER: dict[str, Any] = {
    "required": ("interface", "queue"),
    "absent": {"member_name": "interface", "state_interface": "interface"},
}


def _read_alike(spec: dict[str, Any], *classes: type[AmiEvent]) -> dict[str, Parser]:
    """The parsers of events read by one ``spec`` (``_DIAL``, ``_AGENT`` ...), under their event names: an event
    class is named like its AMI event."""
    return {cls.__name__.lower(): _fields_parser(cls, **spec) for cls in classes}


def _varset_parser() -> Parser:
    parse = _fields_parser(VarSet, **_CHANNEL)

    def varset(f: dict[str, str], m: AmiMessage) -> AmiEvent | None:
        variable = f.get("variable", "")
        if variable not in AMD_VARIABLES and not variable.startswith(VARIABLE_PREFIX):
            return None
        return parse(f, m)

    return varset


def _user_event_body(f: dict[str, str], m: AmiMessage) -> tuple[tuple[str, str], ...]:
    # The body is every header after the "UserEvent:" one (Asterisk appends it after the channel snapshot).
    body: list[tuple[str, str]] = []
    seen = False
    for key, value in m.headers:
        if seen:
            body.append((key, value))
        elif key.lower() == "userevent":
            seen = True
    return tuple(body)


def _status_seconds(f: dict[str, str], m: AmiMessage) -> int | None:
    seconds = f.get("seconds")
    return int(seconds) if seconds and seconds.isdigit() else None


def _originate_uniqueid(f: dict[str, str], m: AmiMessage) -> str | None:
    uniqueid = f.get("uniqueid")
    return None if not uniqueid or uniqueid == "<unknown>" else uniqueid


_PARSERS: dict[str, Parser] = {
    "originateresponse": _fields_parser(
        OriginateResponse,
        custom={
            "success": lambda f, m: f.get("response", "").lower() == "success",
            "uniqueid": _originate_uniqueid,
        },
    ),
    "newchannel": _fields_parser(Newchannel, **_CHANNEL),
    "newstate": _fields_parser(Newstate, headers={"state_desc": "channelstatedesc"}, **_CHANNEL),
    "hangup": _fields_parser(Hangup, headers={"cause_txt": "cause-txt"}, **_CHANNEL),
    "varset": _varset_parser(),
    "userevent": _fields_parser(
        UserEvent,
        required=("uniqueid", "channel", "name"),
        headers={"name": "userevent"},
        or_else={"linkedid": "uniqueid"},
        custom={"fields": _user_event_body},
    ),
    **_read_alike(_DIAL, DialBegin, DialState, DialEnd),
    "localbridge": _fields_parser(
        LocalBridge,
        required=("local_one_uniqueid", "local_two_uniqueid"),
        headers={"linkedid": "localonelinkedid"},
        or_else={"linkedid": "local_one_uniqueid"},
    ),
    **_read_alike(_QUEUE_CALLER, QueueCallerJoin, QueueCallerLeave, QueueCallerAbandon),
    **_read_alike(_AGENT, AgentCalled, AgentConnect, AgentComplete, AgentRingNoAnswer),
    **_read_alike(_MEMBER, QueueMemberStatus, QueueMemberAdded, QueueMemberRemoved, QueueMemberPause),
    # Asterisk < 13 named it QueueMemberPaused.
    "queuememberpaused": _fields_parser(QueueMemberPause, **_MEMBER),
    "queueparams": _fields_parser(QueueParams, required=("queue",)),
    # QueueStatus names a member's interface Location and its member name Name.
    "queuemember": _fields_parser(
        QueueMember, required=("location", "queue"), absent={"name": "location", "state_interface": "location"}
    ),
    "queueentry": _fields_parser(QueueEntry, required=("queue",)),
    "queuesummary": _fields_parser(QueueSummary, required=("queue",)),
    "coreshowchannel": _fields_parser(CoreShowChannel, **_CHANNEL),
    "status": _fields_parser(Status, custom={"seconds": _status_seconds}, **_CHANNEL),
    "fullybooted": _fields_parser(FullyBooted),
    **_read_alike(_CHANNEL, MixMonitorStart, MixMonitorStop),
    "mixmonitormute": _fields_parser(
        MixMonitorMute, custom={"muted": lambda f, m: f.get("state", "") == "1"}, **_CHANNEL
    ),
    **_read_alike(_SPY, ChanSpyStart, ChanSpyStop),
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
