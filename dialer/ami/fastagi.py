"""FastAGI: the daemon's answer to the dialplan's ``AGI(agi://host:port/<script>)`` (panoramisk's server, wrapped).

The dialplan asks the daemon something in the middle of a call -- run the IVR flow of this call, look up an
account -- by opening a FastAGI session. This module owns the socket and panoramisk's framing and hands a typed
:class:`AgiSession` to a handler chosen by the script name; nothing else in the dialer sees panoramisk.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from panoramisk.fast_agi import Application, Request

log = structlog.get_logger(__name__)

_UNSAFE = re.compile(r'[\r\n"\\]')


class AgiHangup(Exception):
    """The channel hung up (or the application failed because it did): the session is over."""


@dataclass(frozen=True, slots=True)
class AgiReply:
    """One AGI answer: ``200 result=<result> (<data>)``."""

    code: int
    result: str
    data: str


def quote(value: str) -> str:
    """An AGI argument in double quotes, with the characters that would break the command line removed."""
    return '"' + _UNSAFE.sub("", value) + '"'


class AgiSession:
    """One FastAGI request: the channel's ``agi_*`` headers and its command channel."""

    def __init__(self, request: Request) -> None:
        self._request = request
        raw: Mapping[str, str] = request.headers
        self.headers: dict[str, str] = {str(k): str(v) for k, v in raw.items()}

    @property
    def script(self) -> str:
        return self.headers.get("agi_network_script", "").split("?")[0]

    @property
    def args(self) -> list[str]:
        found = []
        n = 1
        while f"agi_arg_{n}" in self.headers:
            found.append(self.headers[f"agi_arg_{n}"])
            n += 1
        return found

    async def command(self, line: str) -> AgiReply:
        """Send one AGI command; raises AgiHangup when the channel is gone."""
        try:
            reply: dict[str, Any] = await self._request.send_command(line)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            raise AgiHangup(str(exc)) from None
        error = reply.get("error")
        if error in ("AGIResultHangup", "AGIAppError"):
            raise AgiHangup(str(reply.get("msg", "")))
        if error is not None:
            raise ValueError(f"AGI command {line.split(' ')[0:2]} failed: {error} {reply.get('msg', '')}".strip())
        result, data = reply.get("result", ("", ""))
        return AgiReply(int(reply.get("status_code", 0)), str(result), str(data))

    async def get_variable(self, name: str) -> str:
        reply = await self.command(f"GET VARIABLE {name}")
        return reply.data if reply.result == "1" else ""

    async def set_variable(self, name: str, value: str) -> None:
        await self.command(f"SET VARIABLE {name} {quote(value)}")


AgiHandler = Callable[[AgiSession], Awaitable[None]]


class FastAgiServer:
    """Listens for FastAGI requests and runs ``routes[script](session)`` for each."""

    def __init__(self, host: str, port: int, routes: Mapping[str, AgiHandler]) -> None:
        self.host = host
        self.port = port
        self._routes = dict(routes)
        self._server: asyncio.Server | None = None

    @property
    def bound_port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the FastAGI server is not listening")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        app = Application(loop=asyncio.get_running_loop())
        for script, handler in self._routes.items():
            app.add_route(script, self._wrap(script, handler))
        self._server = await asyncio.start_server(app.handler, self.host, self.port)
        log.info("fastagi listening", host=self.host, port=self.bound_port, scripts=sorted(self._routes))

    def _wrap(self, script: str, handler: AgiHandler) -> Callable[[Request], Awaitable[None]]:
        async def run(request: Request) -> None:
            session = AgiSession(request)
            try:
                await handler(session)
            except AgiHangup:
                log.debug("fastagi session hung up", script=script)
            except Exception:
                log.exception("fastagi handler failed", script=script)

        return run

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
