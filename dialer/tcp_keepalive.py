"""TCP keepalive on the daemon's long-lived connections to peers that may vanish without closing them.

A peer whose host is powered off, or cut off by the network, sends no FIN or RST: without probes the daemon's side of
the connection stays open for ever while it waits for a reply (a FastAGI session), or for the kernel's
retransmissions to give up, about 15 minutes, while a query it sent goes unacknowledged (PostgreSQL). Every
connection passed to :func:`keep_alive` is probed after KEEPALIVE_IDLE_SECONDS of silence, every
KEEPALIVE_INTERVAL_SECONDS, and given up after KEEPALIVE_PROBES unanswered probes; TCP_USER_TIMEOUT gives up on data
sent but not acknowledged after the same DEAD_PEER_SECONDS. The read or write then fails with an ``OSError``
(``TimeoutError``), which its owner handles as the peer gone. A live peer's kernel answers the probes, so a long wait
for a reply (a long prompt, a slow query) is not cut.

(The AMI connection has its own check: a ping whose pong is awaited, :mod:`dialer.ami.client`.)
"""

from __future__ import annotations

import socket
from asyncio.trsock import TransportSocket

# A connection's socket: a plain one, or the view of it an asyncio transport gives (``get_extra_info("socket")``).
Socket = socket.socket | TransportSocket

KEEPALIVE_IDLE_SECONDS = 60
KEEPALIVE_INTERVAL_SECONDS = 10
KEEPALIVE_PROBES = 6
DEAD_PEER_SECONDS = KEEPALIVE_IDLE_SECONDS + KEEPALIVE_INTERVAL_SECONDS * KEEPALIVE_PROBES

# The per-connection options, by name: TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_USER_TIMEOUT are Linux's; where the
# platform lacks one, its system-wide default stays.
TCP_OPTIONS: dict[str, int] = {
    "TCP_KEEPIDLE": KEEPALIVE_IDLE_SECONDS,
    "TCP_KEEPINTVL": KEEPALIVE_INTERVAL_SECONDS,
    "TCP_KEEPCNT": KEEPALIVE_PROBES,
    "TCP_USER_TIMEOUT": DEAD_PEER_SECONDS * 1000,  # milliseconds
}


def keep_alive(sock: Socket) -> None:
    """Turn the probes on for ``sock`` (a TCP socket; a Unix-domain one is left as it is: its peer is this host)."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in TCP_OPTIONS.items():
        option = getattr(socket, name, None)
        if option is not None:
            sock.setsockopt(socket.IPPROTO_TCP, option, value)


def keepalive_options(sock: Socket) -> dict[str, int]:
    """What ``sock`` has of the options :func:`keep_alive` sets (``SO_KEEPALIVE`` and the platform's TCP ones)."""
    found = {"SO_KEEPALIVE": sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)}
    for name in TCP_OPTIONS:
        option = getattr(socket, name, None)
        if option is not None:
            found[name] = sock.getsockopt(socket.IPPROTO_TCP, option)
    return found
