"""FastAGI: the daemon's answer to the dialplan's ``AGI(agi://host:port/<script>)`` (panoramisk's server, wrapped).

The dialplan asks the daemon something in the middle of a call -- run the IVR flow of this call, look up an
account -- by opening a FastAGI session. This module owns the socket and panoramisk's framing and hands a typed
:class:`AgiSession` to a handler chosen by the script name; nothing else in the dialer sees panoramisk.

panoramisk's connection handler (``Application.handler``) is not used: it reads the request's headers with
``while b"\\n\\n" not in buffer: buffer += await reader.read(100)``, which never suspends once the peer has closed
(``read`` returns ``b""`` at once), so a peer gone before the blank line -- a port probe, an Asterisk restarting --
froze the whole daemon (pacing, AMI, web) in that loop; it also read headers without a size or time limit, and caught
``BaseException`` around the script, so a session could not be cancelled. The headers are read here (bounded in
size and time), and each session is a task this server ends on :meth:`FastAgiServer.stop`. panoramisk's ``Request``
still sends the commands and parses the replies.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from panoramisk.fast_agi import Request

from dialer.tcp_keepalive import Socket, keep_alive

log = structlog.get_logger(__name__)

# The request's headers (the agi_* variables and the blank line after them): what Asterisk sends at once on connect.
# A peer that sends more, or takes longer, is not an Asterisk asking for a script.
HEADER_LIMIT_BYTES = 64 * 1024
HEADER_TIMEOUT_SECONDS = 10.0

_UNSAFE = re.compile(r'[\r\n"\\]')


class AgiHangup(Exception):
    """The channel hung up (or the application failed because it did): the session is over."""


@dataclass(frozen=True, slots=True)
class AgiReply:
    """One AGI answer: ``200 result=<result> (<data>)``."""

    code: int
    result: str
    data: str


def script_of(headers: Mapping[str, str]) -> str:
    """The script a request asks for: ``agi://host:port/<script>?<args>`` gives ``<script>``."""
    return headers.get("agi_network_script", "").split("?")[0]


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
        return script_of(self.headers)

    @property
    def socket(self) -> Socket | None:
        """The session's socket, to read its options (keep_alive's); None once the transport is gone."""
        sock: Socket | None = self._request.writer.get_extra_info("socket")
        return sock

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
        except (OSError, asyncio.IncompleteReadError) as exc:
            # ConnectionError: the PBX closed or reset the session; TimeoutError (ETIMEDOUT): it went silent (host
            # off, network cut) and the keepalive probes gave up on it (dialer.tcp_keepalive).
            raise AgiHangup(str(exc) or type(exc).__name__) from None
        except ValueError:  # panoramisk parsing the empty line of a closed socket
            if self._request.reader.at_eof():
                raise AgiHangup("the PBX closed the FastAGI session") from None
            raise
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

    def __init__(
        self,
        host: str,
        port: int,
        routes: Mapping[str, AgiHandler],
        *,
        header_timeout_seconds: float = HEADER_TIMEOUT_SECONDS,
    ) -> None:
        self.host = host
        self.port = port
        self._routes = dict(routes)
        self._header_timeout = header_timeout_seconds
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()
        self.refused = 0  # connections closed without running a script (bad, oversized, late or missing headers)

    @property
    def bound_port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the FastAGI server is not listening")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def sessions(self) -> int:
        """Connections being served now (reading their headers or running their script)."""
        return len(self._sessions)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=HEADER_LIMIT_BYTES)
        log.info("fastagi listening", host=self.host, port=self.bound_port, scripts=sorted(self._routes))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            keep_alive(sock)
        try:
            headers = await self._headers(reader)
            if headers is not None:
                await self._run(headers, reader, writer)
        finally:
            if task is not None:
                self._sessions.discard(task)
            writer.close()

    async def _headers(self, reader: asyncio.StreamReader) -> dict[str, str] | None:
        """The request's ``agi_*`` headers, or None (logged) when the peer does not send them."""
        try:
            async with asyncio.timeout(self._header_timeout):
                raw = await reader.readuntil(b"\n\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError) as exc:
            self.refused += 1
            why = {
                asyncio.IncompleteReadError: "closed before the end of its headers",
                asyncio.LimitOverrunError: f"headers over {HEADER_LIMIT_BYTES} bytes",
                TimeoutError: f"no complete headers within {self._header_timeout:g} s",
            }.get(type(exc), str(exc))
            log.warning("fastagi_request_refused", reason=why)
            return None
        lines = raw.decode("utf-8", errors="replace").splitlines()
        return dict(line.split(": ", 1) for line in lines if ": " in line)

    async def _run(self, headers: dict[str, str], reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        script = script_of(headers)
        handler = self._routes.get(script)
        if handler is None:
            self.refused += 1
            log.warning("fastagi_request_refused", reason="no such script", script=script[:64])
            return
        session = AgiSession(Request(app=None, headers=headers, reader=reader, writer=writer, encoding="utf-8"))
        try:
            await handler(session)
        except AgiHangup:
            log.debug("fastagi session hung up", script=script)
        except Exception:
            log.exception("fastagi handler failed", script=script)

    async def stop(self) -> None:
        """Stop listening, and end the sessions in progress (their channels go on in the dialplan after AGI())."""
        if self._server is not None:
            self._server.close()
        sessions = list(self._sessions)
        for task in sessions:
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
