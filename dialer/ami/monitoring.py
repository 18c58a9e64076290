"""AMI actions of recording and supervisor monitoring, as typed requests and the headers written on the wire.

* Recording: ``MixMonitor`` (start; option ``b``: only while bridged), ``MixMonitorMute`` (pause / resume: silence
  is written meanwhile, so the file still lasts as long as the call), ``StopMixMonitor``. The channel is named by
  its Uniqueid (the ChannelId we chose for the call).
* Supervision: an ``Originate`` to the supervisor's phone into ``dialer-supervise`` (asterisk/extensions.conf),
  Exten = the mode, ``DIALER_SPY_TARGET`` = the agent's interface (ChanSpy spies on ``<interface>-*``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dialer.ami.actions import action_headers, escape_variable_value
from dialer.ami.protocol import sanitize_value
from dialer.contract import SPY_MODES, SPY_SUPERVISOR_VARIABLE, SPY_TARGET_VARIABLE, SUPERVISE_CONTEXT
from dialer.i18n import M_, OneOf

# MixMonitor's file argument is one dialplan argument: no separators, quotes or brackets.
_FILE = re.compile(r"^[^,|()\[\]\"\\\r\n]{1,250}$")
_INTERFACE = re.compile(r"^[A-Za-z][A-Za-z0-9]*/[A-Za-z0-9_.@+*#:-]{1,120}$")


def _checked(value: str, what: str) -> str:
    if not value or sanitize_value(value) != value:
        raise ValueError(M_("invalid channel name: {value}", value=repr(value)))  # what: always the channel
    return value


def mix_monitor_headers(channel: str, file: str, options: str = "b") -> list[tuple[str, str]]:
    if not _FILE.match(file):
        raise ValueError(M_("invalid recording file name: {file}", file=repr(file)))
    if not re.fullmatch(r"[a-zA-Z]*", options):
        raise ValueError(M_("invalid MixMonitor options: {options}", options=repr(options)))
    return action_headers("MixMonitor", ("Channel", _checked(channel, "channel")), ("File", file), ("Options", options))


def stop_mix_monitor_headers(channel: str) -> list[tuple[str, str]]:
    return [("Action", "StopMixMonitor"), ("Channel", _checked(channel, "channel"))]


def mix_monitor_mute_headers(channel: str, muted: bool, direction: str = "both") -> list[tuple[str, str]]:
    if direction not in ("read", "write", "both"):
        raise ValueError(M_("invalid recording direction: {direction}", direction=repr(direction)))
    return [
        ("Action", "MixMonitorMute"),
        ("Channel", _checked(channel, "channel")),
        ("Direction", direction),
        ("State", "1" if muted else "0"),
    ]


@dataclass(frozen=True, slots=True)
class SpyRequest:
    """A supervisor listens to / whispers to / barges into an agent's call from ``phone``."""

    phone: str  # the supervisor's phone interface (PJSIP/2001, Local/supervisor1@lab-supervisors)
    agent_interface: str
    mode: str
    supervisor: str  # the dialer user (travels as DIALER_SPY_SUPERVISOR, for the logs)
    caller_id: str = '"Supervisor" <0>'
    timeout_ms: int = 30_000

    def __post_init__(self) -> None:
        if self.mode not in SPY_MODES:
            raise ValueError(
                M_("the monitoring mode must be one of {modes}", modes=OneOf(tuple(repr(m) for m in SPY_MODES)))
            )
        if not _INTERFACE.match(self.phone):
            raise ValueError(M_("invalid supervisor phone: {value}", value=repr(self.phone)))
        if not _INTERFACE.match(self.agent_interface):
            raise ValueError(M_("invalid agent interface: {value}", value=repr(self.agent_interface)))


def spy_headers(request: SpyRequest, action_id: str, channel_id: str) -> list[tuple[str, str]]:
    return [
        ("Action", "Originate"),
        ("ActionID", action_id),
        ("Channel", request.phone),
        ("Context", SUPERVISE_CONTEXT),
        ("Exten", request.mode),
        ("Priority", "1"),
        ("Timeout", str(request.timeout_ms)),
        ("ChannelId", channel_id),
        ("Async", "true"),
        ("CallerID", request.caller_id),
        ("Variable", f"{SPY_TARGET_VARIABLE}={escape_variable_value(request.agent_interface)}"),
        ("Variable", f"{SPY_SUPERVISOR_VARIABLE}={escape_variable_value(request.supervisor)}"),
    ]
