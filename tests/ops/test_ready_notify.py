"""sd_notify from the real `serve()`: READY=1 only once the database, an AMI session and HTTP are all up."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from dialer.app import announce_ready, build_app, serve
from dialer.appkeys import DIALER, SHUTDOWN
from dialer.settings import AmiServerSettings, HttpSettings, Settings
from dialer.sim.pbx import SimulatedPbx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> socket.socket:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    return sock


def settings(tmp_path: Path, ami_port: int, http_port: int) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'd.db'}",
        var_dir=tmp_path,
        ami=[AmiServerSettings(name="sim", port=ami_port, reconnect_max_backoff_seconds=0.5)],
        http=HttpSettings(port=http_port),
        drain_timeout_seconds=1.0,
    )


async def next_message(sock: socket.socket, wait: float) -> str | None:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(wait):
            data = await loop.sock_recv(sock, 4096)
    except TimeoutError:
        return None
    return data.decode()


async def test_ready_waits_for_ami_and_http_then_stopping_on_drain(
    tmp_path: Path, notify_socket: socket.socket
) -> None:
    ami_port, http_port = free_port(), free_port()
    app = build_app(settings(tmp_path, ami_port, http_port))
    server = asyncio.create_task(serve(app, "127.0.0.1", http_port))
    pbx = SimulatedPbx(port=ami_port)
    try:
        # Database migrated and HTTP listening, but no Asterisk yet: not ready.
        assert await next_message(notify_socket, 1.5) is None
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{http_port}/healthz") as resp:
                assert resp.status == 200
            await pbx.start()
            message = await next_message(notify_socket, 15.0)
            assert message is not None
            assert message.startswith("READY=1"), message
            assert app[DIALER].pool.any_up()
            async with http.get(f"http://127.0.0.1:{http_port}/healthz") as resp:
                assert resp.status == 200
        app[SHUTDOWN].request_stop("test")
        messages = []
        while (m := await next_message(notify_socket, 5.0)) is not None and "STOPPING=1" not in m:
            messages.append(m)
        assert m is not None, messages
        assert m.startswith("STOPPING=1"), messages
        await asyncio.wait_for(server, 10.0)
    finally:
        if not server.done():
            app[SHUTDOWN].request_stop("test")
            app[SHUTDOWN].request_stop("test")
            await asyncio.wait_for(server, 10.0)
        await pbx.stop()
        notify_socket.close()


async def test_ready_after_a_bounded_wait_when_no_asterisk_answers(
    tmp_path: Path, notify_socket: socket.socket
) -> None:
    app = build_app(settings(tmp_path, free_port(), free_port()))
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        assert await next_message(notify_socket, 0.2) is None
        await announce_ready(app, ami_wait=0.3)
        message = await next_message(notify_socket, 1.0)
        assert message == "READY=1\nSTATUS=dialer up; no Asterisk server connected"
    finally:
        await runner.cleanup()
        notify_socket.close()
