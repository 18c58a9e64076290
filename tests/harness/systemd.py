"""systemd's notification socket in the ops tests: the daemon's settings for a `serve()` on given ports, and the next
message the daemon sent to $NOTIFY_SOCKET (the ``notify_socket`` fixture of tests/ops/conftest.py)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from dialer.settings import AmiServerSettings, HttpSettings, Settings


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
