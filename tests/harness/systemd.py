"""systemd's notification socket in the ops tests: the daemon's settings for a `serve()` on given ports, and the next
message the daemon sent to $NOTIFY_SOCKET (the ``notify_socket`` fixture of tests/ops/conftest.py), and the end of
such a test."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

from aiohttp import web

from dialer.appkeys import SHUTDOWN
from dialer.settings import AmiServerSettings, HttpSettings, Settings
from dialer.sim.pbx import SimulatedPbx


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


async def stop_serving(app: web.Application, server: asyncio.Task[Any], pbx: SimulatedPbx, sock: socket.socket) -> None:
    """Two stop requests (drain, then cancel) unless ``serve()`` has ended, ended within 10 s, the PBX stopped, the
    socket closed."""
    if not server.done():
        app[SHUTDOWN].request_stop("test")
        app[SHUTDOWN].request_stop("test")
    async with asyncio.timeout(10.0):
        await server
    await pbx.stop()
    sock.close()
