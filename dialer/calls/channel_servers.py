"""Which Asterisk server each live channel is on, from the channel events of every server's pump (pure).

A FastAGI request names its channel (``agi_uniqueid``) but not the server it came from: the daemon's FastAGI server
is one for every server, and several servers may run on one host. Each server's AMI told the daemon of that channel
first (``Newchannel``, class ``call``, which the dialer's AMI user reads), so the server is known by the channel's
Uniqueid until its ``Hangup``. A Uniqueid seen on two servers (Asterisk's ids are only unique per server unless each
sets its ``systemname``) names neither.
"""

from __future__ import annotations

from collections import OrderedDict

from dialer.ami.events import AmiEvent, Hangup, Newchannel

# Two servers created a channel with this Uniqueid: its server is unknown.
_AMBIGUOUS = ""
# A listing forgets only the channels seen longer ago than this (one seen since the listing was asked for is live).
LISTING_GRACE_SECONDS = 60.0


class ChannelServers:
    """Live channels by Uniqueid → their server. Bounded: at most ``max_channels`` (the oldest forgotten first: a
    lost ``Hangup``, while AMI was down, leaves an entry until a listing or the bound removes it)."""

    def __init__(self, *, max_channels: int = 100_000) -> None:
        self._max = max_channels
        self._servers: OrderedDict[str, tuple[str, float]] = OrderedDict()  # uniqueid -> (server, seen at)

    def __len__(self) -> int:
        return len(self._servers)

    def observe(self, event: AmiEvent, now: float, server: str | None) -> None:
        if server is None or not isinstance(event, Newchannel | Hangup) or not event.uniqueid:
            return
        known = self._servers.get(event.uniqueid)
        if isinstance(event, Hangup):
            if known is not None and known[0] in (server, _AMBIGUOUS):
                del self._servers[event.uniqueid]
            return
        self._servers[event.uniqueid] = (server if known is None or known[0] == server else _AMBIGUOUS, now)
        while len(self._servers) > self._max:
            self._servers.popitem(last=False)

    def server_of(self, uniqueid: str) -> str | None:
        """The server of the live channel ``uniqueid`` (None: not seen, gone, or seen on two servers)."""
        known = self._servers.get(uniqueid)
        return (known[0] or None) if known is not None else None

    def reconcile(self, server: str, live: set[str], now: float) -> None:
        """After ``server`` listed its channels: forget its channels not listed (their Hangup was lost), but those
        seen within :data:`LISTING_GRACE_SECONDS` (created while the listing was under way)."""
        gone = [
            uid
            for uid, (known, seen) in self._servers.items()
            if known == server and uid not in live and seen < now - LISTING_GRACE_SECONDS
        ]
        for uid in gone:
            del self._servers[uid]
