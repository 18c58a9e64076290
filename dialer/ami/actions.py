"""AMI actions the dialer sends, as typed requests and results, and how they are written on the wire."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from dialer.ami.protocol import sanitize_value
from dialer.contract import ATTEMPT_VARIABLE

# Asterisk's limit for ChannelId / OtherChannelId (AST_MAX_PUBLIC_UNIQUEID).
MAX_CHANNEL_ID_LENGTH = 149
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Originate's Variable values are split on ',' by AST_STANDARD_APP_ARGS, which also gives meaning to quotes,
# parentheses and brackets, and drops a backslash before any character. Escaping these keeps a value (a lead's
# name with a comma) one literal value instead of several variables.
_VARIABLE_SPECIALS = re.compile(r'([\\",()\[\]])')


class AmiError(Exception):
    """Base of every AMI client error; the message is meant for an operator."""


class AmiConnectionError(AmiError):
    """Not connected, the connection failed, or it was lost before the answer came."""


class AmiAuthenticationError(AmiConnectionError):
    """Asterisk refused the login (wrong user or secret, or the address is not permitted for this user)."""


class AmiTimeout(AmiError):
    """No answer to an action within the configured ``action_timeout_seconds``."""


class AmiActionError(AmiError):
    """Asterisk answered ``Response: Error``; ``message`` is its ``Message:`` header."""

    def __init__(self, action: str, message: str) -> None:
        super().__init__(f"{action} failed: {message}")
        self.action = action
        self.message = message


def escape_variable_value(value: str) -> str:
    return _VARIABLE_SPECIALS.sub(r"\\\1", sanitize_value(value))


@dataclass(frozen=True, slots=True)
class OriginateRequest:
    """One outbound call attempt. Always sent ``Async: true`` (a synchronous Originate blocks the AMI session).

    ``channel`` is the dial string (``PJSIP/+15551234567@trunk``, ``Local/5550001@sim-pstn``); once the callee
    answers, the dialled channel continues at ``context``/``exten``/``priority``. ``action_id`` and
    ``channel_id`` are chosen by the client when not given; ``attempt_id`` travels as the DIALER_ATTEMPT
    channel variable.
    """

    channel: str
    attempt_id: str
    context: str
    exten: str = "s"
    priority: int = 1
    caller_id: str = ""  # e.g. '"Acme" <8005551000>'
    timeout_ms: int = 30_000  # how long the callee may ring
    variables: Mapping[str, str] = field(default_factory=dict)
    action_id: str | None = None
    channel_id: str | None = None
    account: str | None = None

    def __post_init__(self) -> None:
        if not self.channel or sanitize_value(self.channel) != self.channel:
            raise ValueError(f"invalid dial string: {self.channel!r}")
        if self.timeout_ms <= 0:
            raise ValueError("timeout_ms must be positive")
        for name in self.variables:
            if not _VARIABLE_NAME.match(name):
                raise ValueError(f"invalid channel variable name: {name!r}")
        if self.channel_id is not None and not 0 < len(self.channel_id) <= MAX_CHANNEL_ID_LENGTH:
            raise ValueError(f"ChannelId must be 1..{MAX_CHANNEL_ID_LENGTH} characters")
        # Our own ids: the answer is matched on ActionID and events on ChannelId, so they must survive the wire as is.
        for name, value in (("ActionID", self.action_id), ("ChannelId", self.channel_id)):
            if value is not None and sanitize_value(value) != value:
                raise ValueError(f"invalid {name}: {value!r}")


def caller_id_header(name: str, number: str) -> str:
    """The Originate's CallerID: ``"Acme" <8005551000>``, or the bare number when there is no name."""
    return f'"{name}" <{number}>' if name else number


def action_headers(action: str, *headers: tuple[str, str | None]) -> list[tuple[str, str]]:
    """The headers of the AMI action ``action``: ``Action`` first, then ``headers`` in the order given, each optional
    one left out when its value is None or empty."""
    return [("Action", action), *((name, value) for name, value in headers if value)]


def optional_number(value: int | None) -> str | None:
    """An optional numeric header's value (None: the header is left out; 0 is sent)."""
    return None if value is None else str(value)


def originate_headers(request: OriginateRequest, action_id: str, channel_id: str) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = [
        ("Action", "Originate"),
        ("ActionID", action_id),
        ("Channel", request.channel),
        ("Context", request.context),
        ("Exten", request.exten),
        ("Priority", str(request.priority)),
        ("Timeout", str(request.timeout_ms)),
        ("ChannelId", channel_id),
        ("Async", "true"),
    ]
    if request.caller_id:
        headers.append(("CallerID", request.caller_id))
    if request.account:
        headers.append(("Account", request.account))
    variables = {ATTEMPT_VARIABLE: request.attempt_id, **request.variables}
    headers.extend(("Variable", f"{name}={escape_variable_value(value)}") for name, value in variables.items())
    return headers


class OriginateStatus(StrEnum):
    QUEUED = "queued"  # Asterisk accepted the Originate; the call's fate comes in events (OriginateResponse)
    REJECTED = "rejected"  # Asterisk answered Response: Error: nothing was dialled
    NOT_SENT = "not_sent"  # not connected: nothing was written, nothing was dialled
    UNKNOWN = "unknown"  # written, but no answer (timeout or connection lost): it may be dialling. Never resent.


@dataclass(frozen=True, slots=True)
class OriginateResult:
    status: OriginateStatus
    action_id: str
    channel_id: str
    message: str = ""

    @property
    def may_be_dialling(self) -> bool:
        """True unless Asterisk certainly dialled nothing (track the call until its events or the sweep)."""
        return self.status in (OriginateStatus.QUEUED, OriginateStatus.UNKNOWN)
