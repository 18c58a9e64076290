"""What the AMI action handlers kept beside their features (call control, recording and monitoring) use of an AMI
session: :class:`dialer.sim.pbx.session.AmiSession` registers them and is what they get."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from dialer.ami.protocol import AmiMessage
from dialer.sim.pbx.channels import Headers
from dialer.sim.pbx.engine import Engine


class _Core(Protocol):
    """The simulated PBX's core, for its engine (the channels and the event stream)."""

    @property
    def engine(self) -> Engine: ...


class _Pbx(Protocol):
    """The simulated PBX a session belongs to, for its core."""

    @property
    def core(self) -> _Core: ...


class ActionSession(Protocol):
    """One AMI session, as an action handler answers on it."""

    @property
    def pbx(self) -> _Pbx: ...

    def respond(self, msg: AmiMessage, response: str, headers: Headers) -> None: ...

    def error(self, msg: AmiMessage, message: str) -> None: ...

    def events_after_response(self) -> AbstractContextManager[None]: ...
