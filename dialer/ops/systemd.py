"""sd_notify without a dependency: READY=1, STATUS=, WATCHDOG=1 and STOPPING=1 over $NOTIFY_SOCKET.

Outside systemd (no NOTIFY_SOCKET) every call is a no-op, so the daemon runs the same everywhere.
"""

from __future__ import annotations

import os
import socket


class SystemdNotifier:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._address = env.get("NOTIFY_SOCKET") or None
        usec = env.get("WATCHDOG_USEC")
        pid = env.get("WATCHDOG_PID")
        watchdog_for_us = usec is not None and (pid is None or pid == str(os.getpid()))
        # systemd recommends pinging at half the configured interval.
        self.watchdog_interval: float | None = int(usec) / 2_000_000 if watchdog_for_us and usec else None

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def _send(self, message: str) -> None:
        if self._address is None:
            return
        address = self._address
        if address.startswith("@"):  # abstract namespace socket
            address = "\0" + address[1:]
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))

    def ready(self, status: str | None = None) -> None:
        self._send("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def status(self, status: str) -> None:
        self._send(f"STATUS={status}")

    def watchdog(self) -> None:
        self._send("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> None:
        self._send("STOPPING=1" + (f"\nSTATUS={status}" if status else ""))

    def reloading(self) -> None:
        self._send("RELOADING=1")


def watchdog_withheld(*, ami_up: bool, loop_lag: float, max_lag: float) -> str | None:
    """Why WATCHDOG=1 must not be sent now (None: send it). Without it systemd restarts the daemon once
    ``WatchdogSec`` has passed: a stalled event loop or a daemon no Asterisk server talks to is not healthy."""
    if loop_lag > max_lag:
        return f"event loop {loop_lag:.1f}s late"
    if not ami_up:
        return "no AMI session"
    return None
