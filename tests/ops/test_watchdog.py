"""WATCHDOG=1 from the real `serve()`: sent while the event loop turns on time and AMI is up, withheld otherwise."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest
from harness.ports import free_port
from harness.systemd import next_message, settings, stop_serving

import dialer.app
from dialer.app import build_app, serve
from dialer.ops.systemd import watchdog_withheld
from dialer.sim.pbx import SimulatedPbx


@pytest.mark.parametrize(
    ("ami_up", "lag", "why"),
    [
        (True, 0.01, None),
        (False, 0.01, "no AMI session"),
        (True, 3.0, "event loop 3.0s late"),
        (False, 3.0, "event loop 3.0s late"),
    ],
)
def test_watchdog_verdict(ami_up: bool, lag: float, why: str | None) -> None:
    assert watchdog_withheld(ami_up=ami_up, loop_lag=lag, max_lag=2.0) == why


async def collect(sock: socket.socket, seconds: float) -> list[str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    out: list[str] = []
    while loop.time() < deadline:
        if (m := await next_message(sock, 0.05)) is not None:
            out.append(m)
    return out


def drain(sock: socket.socket) -> None:
    try:
        while sock.recv(4096):
            pass
    except BlockingIOError:
        pass


def stall_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # a blocking call in a coroutine: the bug the watchdog exists for


async def test_watchdog_only_while_ami_is_up_and_the_loop_turns(
    tmp_path: Path, notify_socket: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "400000")  # WatchdogSec=0.4: the daemon pings every 0.2 s
    monkeypatch.setattr(dialer.app, "WATCHDOG_MAX_LAG_SECONDS", 0.3)
    ami_port, http_port = free_port(), free_port()
    pbx = SimulatedPbx(port=ami_port)
    await pbx.start()
    app = build_app(settings(tmp_path, ami_port, http_port))
    server = asyncio.create_task(serve(app, "127.0.0.1", http_port))
    try:
        while (m := await next_message(notify_socket, 15.0)) is not None and not m.startswith("READY=1"):
            pass
        assert m is not None
        healthy = await collect(notify_socket, 1.0)
        assert healthy.count("WATCHDOG=1") >= 3, healthy

        await pbx.kill()
        await collect(notify_socket, 0.5)  # the cut is seen within a ping or two
        down = await collect(notify_socket, 1.0)
        assert "WATCHDOG=1" not in down, down
        assert any("watchdog withheld: no AMI session" in m for m in down), down

        await pbx.restart()
        back = await collect(notify_socket, 3.0)
        assert "WATCHDOG=1" in back, back
        assert any("AMI 1/1 up" in m for m in back), back

        drain(notify_socket)
        stall_the_loop(0.8)
        after = await collect(notify_socket, 1.0)
        assert after, "nothing sent after the stall"
        assert after[0].startswith("STATUS="), after
        assert "watchdog withheld: event loop" in after[0], after
        assert "WATCHDOG=1" in after[1:], after  # the loop turns on time again
    finally:
        await stop_serving(app, server, pbx, notify_socket)
