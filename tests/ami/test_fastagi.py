"""The daemon's FastAGI server (dialer.ami.fastagi) against peers that do not behave like Asterisk: one gone before
the end of its headers (which froze panoramisk's handler, and so the whole event loop), one sending endless headers,
one saying nothing, one hanging up in the middle of a command; and a stop with sessions still running."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from harness.stepping import wait_real
from structlog.testing import capture_logs

from dialer.ami.fastagi import HEADER_LIMIT_BYTES, AgiHangup, AgiSession, FastAgiServer
from dialer.tcp_keepalive import DEAD_PEER_SECONDS, TCP_OPTIONS, keepalive_options

HEADERS = b"agi_network: yes\nagi_network_script: ivr?x=1\nagi_channel: Local/9981001@sim-pstn-0001;1\n\n"


@asynccontextmanager
async def serving(
    handler: Callable[[AgiSession], Awaitable[None]], header_timeout: float = 10.0
) -> AsyncIterator[FastAgiServer]:
    server = FastAgiServer("127.0.0.1", 0, {"ivr": handler}, header_timeout_seconds=header_timeout)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def connect(server: FastAgiServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", server.bound_port)


async def loop_ticks(seconds: float) -> int:
    """How many 10 ms sleeps the loop completes in ``seconds`` (about 100 a second when nothing blocks it)."""
    ticks = 0
    end = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < end:
        await asyncio.sleep(0.01)
        ticks += 1
    return ticks


async def test_a_peer_gone_before_the_end_of_its_headers_is_refused_and_the_loop_runs_on() -> None:
    seen: list[tuple[str, str, str]] = []

    async def handler(session: AgiSession) -> None:
        seen.append((session.script, session.headers["agi_channel"], await session.get_variable("ACCOUNT")))

    async with serving(handler) as server:
        with capture_logs() as logs:
            _, writer = await connect(server)
            writer.write(b"agi_network: yes\nagi_network_script: ivr\n")  # no blank line: the peer goes
            writer.close()
            assert await loop_ticks(0.3) > 10  # (panoramisk's handler spun here forever: 0 ticks)
            assert await wait_real(lambda: server.refused == 1)
        assert {"event": "fastagi_request_refused", "reason": "closed before the end of its headers"} in [
            {k: e[k] for k in ("event", "reason") if k in e} for e in logs
        ]
        # The next request is served as usual.
        reader, writer = await connect(server)
        writer.write(HEADERS)
        assert await reader.readline() == b"GET VARIABLE ACCOUNT\n"
        writer.write(b"200 result=1 (4711)\n")
        await writer.drain()
        assert await reader.read() == b""  # the script ended: the server closed the session
        writer.close()
    assert seen == [("ivr", "Local/9981001@sim-pstn-0001;1", "4711")]
    assert server.sessions == 0


async def test_headers_over_the_limit_are_refused() -> None:
    async def handler(session: AgiSession) -> None:
        raise AssertionError("no script runs for oversized headers")

    async with serving(handler) as server:
        reader, writer = await connect(server)
        writer.write(b"agi_x: " + b"y" * (HEADER_LIMIT_BYTES + 1024) + b"\n")
        with contextlib.suppress(ConnectionError):  # (reset: closed by the server while the peer still writes)
            await writer.drain()
            assert await reader.read() == b""
        assert await wait_real(lambda: server.refused == 1)
        assert server.sessions == 0
        writer.close()


async def test_a_silent_peer_is_closed_after_the_header_timeout() -> None:
    async def handler(session: AgiSession) -> None:
        raise AssertionError("no script runs without headers")

    async with serving(handler, header_timeout=0.2) as server:
        reader, writer = await connect(server)
        async with asyncio.timeout(5):
            assert await reader.read() == b""
        assert server.refused == 1
        assert server.sessions == 0
        writer.close()


async def test_an_unknown_script_is_refused() -> None:
    async def handler(session: AgiSession) -> None:
        raise AssertionError("not this script")

    async with serving(handler) as server:
        reader, writer = await connect(server)
        writer.write(HEADERS.replace(b"ivr?x=1", b"other"))
        async with asyncio.timeout(5):
            assert await reader.read() == b""
        assert server.refused == 1
        writer.close()


@pytest.mark.parametrize("how", ["close", "reset"])
async def test_a_pbx_going_away_in_the_middle_of_a_command_is_a_hangup(how: str) -> None:
    outcome: list[str] = []

    async def handler(session: AgiSession) -> None:
        try:
            await session.get_variable("ACCOUNT")
        except AgiHangup:
            outcome.append("hangup")
            raise

    async with serving(handler) as server:
        reader, writer = await connect(server)
        writer.write(HEADERS)
        assert await reader.readline() == b"GET VARIABLE ACCOUNT\n"
        if how == "close":
            writer.close()  # no reply: the channel's Asterisk is gone
        else:
            # SO_LINGER 0: the close is a reset (RST), as from a PBX host whose stack dropped the connection.
            linger = struct.pack("ii", 1, 0)
            writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            writer.transport.abort()
        assert await wait_real(lambda: outcome == ["hangup"])
        assert await wait_real(lambda: server.sessions == 0)


async def test_every_session_probes_a_pbx_gone_silent() -> None:
    """A PBX gone without closing (host off, network cut) is found by TCP keepalive within DEAD_PEER_SECONDS."""
    options: dict[str, int] = {}

    async def handler(session: AgiSession) -> None:
        sock = session.socket
        assert sock is not None
        options.update(keepalive_options(sock))

    async with serving(handler) as server:
        reader, writer = await connect(server)
        writer.write(HEADERS)
        assert await reader.read() == b""  # the script ran and the session ended
        writer.close()
    assert options.pop("SO_KEEPALIVE") == 1
    assert options == {name: value for name, value in TCP_OPTIONS.items() if name in options}
    assert "TCP_USER_TIMEOUT" in options or not hasattr(socket, "TCP_USER_TIMEOUT")
    assert DEAD_PEER_SECONDS == 120


async def test_stop_ends_the_sessions_in_progress() -> None:
    started = asyncio.Event()
    ended: list[str] = []

    async def handler(session: AgiSession) -> None:
        started.set()
        try:
            await session.get_variable("ACCOUNT")  # never answered
        except asyncio.CancelledError:
            ended.append("cancelled")
            raise

    server = FastAgiServer("127.0.0.1", 0, {"ivr": handler})
    await server.start()
    reader, writer = await connect(server)
    writer.write(HEADERS)
    async with asyncio.timeout(5):
        await started.wait()
        await server.stop()
    assert ended == ["cancelled"]
    assert server.sessions == 0
    assert await reader.read() == b"GET VARIABLE ACCOUNT\n"  # then the end: the server closed the session
    writer.close()
