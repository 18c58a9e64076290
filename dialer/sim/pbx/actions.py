"""What the AMI action handlers kept beside their features (call control, recording and monitoring) use of an AMI
session: :class:`dialer.sim.pbx.session.AmiSession` registers them and is what they get."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from dialer.ami.protocol import AmiMessage
from dialer.sim.pbx.channels import Headers
from dialer.sim.pbx.engine import Engine


class _Core(Protocol):
    @property
    def engine(self) -> Engine: ...


class _Pbx(Protocol):
    @property
    def core(self) -> _Core: ...


class ActionSession(Protocol):
    """One AMI session, as an action handler answers on it."""

    @property
    def pbx(self) -> _Pbx: ...

    def respond(self, msg: AmiMessage, response: str, headers: Headers) -> None: ...

    def error(self, msg: AmiMessage, message: str) -> None: ...

    def events_after_response(self) -> AbstractContextManager[None]: ...
