"""The Asterisk servers this daemon dials through: one AMI client, trunk gate and call tracker each.

The campaign runners ask the pool for a server with room, register the Originate with that server's tracker
*before* writing it (its events may arrive before the action's response), and send it. The per-server event pump
(see :mod:`dialer.runner.pump`) feeds the same tracker, so every call is followed by the tracker of the server
that dialled it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from dialer.ami.actions import OriginateRequest, OriginateResult, OriginateStatus
from dialer.calls.tracker import CallTracker, CallUpdate, OriginateRecord
from dialer.runner.trunks import TrunkGate, pick_trunk


class Originator(Protocol):
    """What the pool needs from an AMI connection (``dialer.ami.client.AmiClient`` provides it)."""

    @property
    def is_up(self) -> bool: ...

    async def originate(self, request: OriginateRequest) -> OriginateResult: ...

    async def hangup(self, channel_or_uniqueid: str, cause: int | None = None) -> bool: ...


@dataclass
class Server:
    name: str
    client: Originator
    gate: TrunkGate
    tracker: CallTracker = field(default_factory=CallTracker)


@dataclass(frozen=True, slots=True)
class Placed:
    server: str
    result: OriginateResult
    updates: tuple[CallUpdate, ...] = ()  # e.g. the failure of a rejected Originate


class ServerPool:
    def __init__(self, servers: list[Server]) -> None:
        if not servers:
            raise ValueError("at least one Asterisk server is needed")
        self.servers = servers
        self._by_name = {s.name: s for s in servers}

    def get(self, name: str) -> Server:
        return self._by_name[name]

    def any_up(self) -> bool:
        return any(s.client.is_up for s in self.servers)

    def room(self, now: float) -> int:
        """How many calls may start now across every connected server."""
        return sum(s.gate.room(now) for s in self.servers if s.client.is_up)

    def choose(self, now: float, only: str | None = None) -> Server | None:
        """The connected server with the most trunk room (``only``: that server, if it is up and has room)."""
        up = [s for s in self.servers if s.client.is_up and (only is None or s.name == only)]
        gate = pick_trunk([s.gate for s in up], now)
        return None if gate is None else self._by_name[gate.name]

    def dialable(self, now: float, agent_servers: Iterable[str]) -> list[str] | None:
        """Where a campaign may place calls, given the servers of its logged-in agents' phones ("" for an agent
        bound to no server): the connected servers with agents of the campaign and trunk room, most agents
        first, then most room. None when no agent is bound to a server (a single-server daemon): any server.

        A call placed on a server can reach only that server's queue members: a server without the campaign's
        agents is never dialled, whatever its room.
        """
        counts = Counter(agent_servers)
        if not counts or set(counts) == {""}:
            return None
        room = {s.name: s.gate.room(now) for s in self.servers if s.client.is_up}
        ranked = [name for name in room if counts[name] + counts[""] > 0 and room[name] > 0]
        return sorted(ranked, key=lambda name: (-(counts[name] + counts[""]), -room[name]))

    async def place(self, server: Server, record: OriginateRecord, request: OriginateRequest, now: float) -> Placed:
        """Take a channel, track the call, write the Originate. The channel is given back on a certain failure."""
        if not server.gate.acquire(now):
            return Placed(server.name, OriginateResult(OriginateStatus.NOT_SENT, record.action_id, "", "no trunk room"))
        server.tracker.register(record)
        result = await server.client.originate(request)
        if result.may_be_dialling:
            return Placed(server.name, result)
        server.gate.release()
        if result.status is OriginateStatus.NOT_SENT:
            # Nothing reached Asterisk: not an attempt at all (the runner puts the lead back untouched).
            server.tracker.unregister(record.action_id)
            return Placed(server.name, result)
        return Placed(server.name, result, tuple(server.tracker.originate_rejected(record.action_id, now)))
