"""The queue side of an AMI connection, for agent tests."""

from __future__ import annotations

from dialer.ami.client import QueueStatusSnapshot
from dialer.ami.events import QueueMember


class QueuePbx:
    """The queue side of an AMI connection for agent tests: every action accepted, QueueStatus lists ``members``."""

    is_up = True

    def __init__(self) -> None:
        self.members: list[QueueMember] = []

    async def queue_add(self, queue: str, interface: str, **kw: object) -> bool:
        return True

    async def queue_remove(self, queue: str, interface: str) -> bool:
        return True

    async def queue_pause(self, interface: str, paused: bool, *, queue: str | None = None, reason: str = "") -> None:
        return None

    async def queue_status(self, queue: str | None = None, member: str | None = None) -> QueueStatusSnapshot:
        return QueueStatusSnapshot(params=(), members=tuple(self.members), entries=())
