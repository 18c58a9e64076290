"""The queue side of an AMI connection, for agent tests."""

from __future__ import annotations

from dialer.ami.client import QueueStatusSnapshot
from dialer.ami.events import QueueMember


def queue_member(
    queue: str,
    location: str,
    *,
    name: str = "alice",
    paused: bool = False,
    paused_reason: str = "",
    in_call: bool = False,
    status: int = 1,
    calls_taken: int = 0,
    action_id: str = "qs",
) -> QueueMember:
    """A dynamic member of ``queue`` as a ``QueueStatus`` list item reports it (interface ``location``)."""
    return QueueMember(
        action_id=action_id,
        queue=queue,
        name=name,
        location=location,
        state_interface=location,
        membership="dynamic",
        penalty=0,
        calls_taken=calls_taken,
        in_call=in_call,
        status=status,
        paused=paused,
        paused_reason=paused_reason,
    )


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
