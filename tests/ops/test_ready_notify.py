"""sd_notify from the real `serve()`: READY=1 only once the database, an AMI session and HTTP are all up."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from harness.ports import free_port
from harness.systemd import next_message, settings, stop_serving

from dialer.app import announce_ready, build_app, serve
from dialer.appkeys import DIALER, SHUTDOWN
from dialer.sim.pbx import SimulatedPbx


async def healthy(http: aiohttp.ClientSession, port: int, seconds: float = 30.0) -> bool:
    """Whether ``/healthz`` answers 200 within ``seconds`` of real time."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                return resp.status == 200
        except aiohttp.ClientConnectorError:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.05)


async def test_ready_waits_for_ami_and_http_then_stopping_on_drain(
    tmp_path: Path, notify_socket: socket.socket
) -> None:
    ami_port, http_port = free_port(), free_port()
    app = build_app(settings(tmp_path, ami_port, http_port))
    server = asyncio.create_task(serve(app, "127.0.0.1", http_port))
    pbx = SimulatedPbx(port=ami_port)
    try:
        async with aiohttp.ClientSession() as http:
            # Database migrated and HTTP listening (a loaded machine may take seconds to get there) ...
            assert await healthy(http, http_port), "HTTP should listen once the database is migrated"
            # ... but no Asterisk yet: not ready (the watchdog may say why in STATUS= lines).
            while (early := await next_message(notify_socket, 1.0)) is not None:
                assert early.startswith("STATUS="), early
            await pbx.start()
            while (message := await next_message(notify_socket, 15.0)) is not None and "READY=1" not in message:
                assert message.startswith("STATUS="), message
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
        async with asyncio.timeout(10.0):
            await server
    finally:
        await stop_serving(app, server, pbx, notify_socket)


async def test_no_ready_while_no_asterisk_answers_and_status_says_why(
    tmp_path: Path, notify_socket: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "400000")  # the watchdog task (and its STATUS=) every 0.2 s
    ami_port = free_port()
    app = build_app(settings(tmp_path, ami_port, free_port()))
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    ready = asyncio.create_task(announce_ready(app))
    pbx = SimulatedPbx(port=ami_port)
    try:
        messages = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 1.5
        while loop.time() < deadline:
            if (m := await next_message(notify_socket, 0.3)) is not None:
                messages.append(m)
        assert not any("READY=1" in m or "WATCHDOG=1" in m for m in messages), messages
        assert any(m.startswith("STATUS=") and "no AMI session (sim: " in m for m in messages), messages
        await pbx.start()
        async with asyncio.timeout(10.0):
            await ready
        while (m := await next_message(notify_socket, 5.0)) is not None and not m.startswith("READY=1"):
            pass
        assert m is not None
        assert m.startswith("READY=1\nSTATUS=0 campaigns running, 0 calls in progress, 0 agents (0 ready), AMI 1/1 up")
    finally:
        ready.cancel()
        await runner.cleanup()
        await pbx.stop()
        notify_socket.close()
