"""The queue side of an AMI connection, for agent tests."""

from __future__ import annotations

from typing import TypeVar

from dialer.ami.client import QueueStatusSnapshot
from dialer.ami.events import AgentCalled, AgentComplete, AgentConnect, AgentRingNoAnswer, QueueMember


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
    """The queue side of an AMI connection for agent tests: every action accepted and recorded in ``sent`` (or the
    next one failing with ConnectionError, "AMI down", when ``fail_next`` is set); QueueStatus lists ``members``."""

    is_up = True

    def __init__(self) -> None:
        self.members: list[QueueMember] = []
        self.sent: list[tuple[object, ...]] = []
        self.fail_next = False

    def _maybe_fail(self) -> None:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("AMI down")

    async def queue_add(self, queue: str, interface: str, *, paused: bool = False, **kw: object) -> bool:
        self._maybe_fail()
        self.sent.append(("add", queue, interface, paused))
        return True

    async def queue_remove(self, queue: str, interface: str) -> bool:
        self._maybe_fail()
        self.sent.append(("remove", queue, interface))
        return True

    async def queue_pause(self, interface: str, paused: bool, *, queue: str | None = None, reason: str = "") -> None:
        self._maybe_fail()
        self.sent.append(("pause", interface, paused, queue, reason))

    async def queue_status(self, queue: str | None = None, member: str | None = None) -> QueueStatusSnapshot:
        return QueueStatusSnapshot(params=(), members=tuple(self.members), entries=())


# The queue events of one call to an agent, as app_queue reports them (every field overridable).
E = TypeVar("E", AgentCalled, AgentConnect, AgentRingNoAnswer, AgentComplete)
AGENT_PHONE = "PJSIP/1001"


def agent_event(cls: type[E], **kw: object) -> E:
    """A queue call event to alice's phone (``AGENT_PHONE``) in queue "sales", its timings filled in."""
    base: dict[str, object] = dict(
        channel="PJSIP/trunk-0001",
        uniqueid="dialer-a1",
        linkedid="dialer-a1",
        dest_channel="PJSIP/1001-0002",
        dest_uniqueid="x.2",
        queue="sales",
        interface=AGENT_PHONE,
        member_name="alice",
    )
    if cls is AgentConnect:
        base.update(hold_time=1, ring_time=0)
    if cls is AgentRingNoAnswer:
        base.update(ring_time=15)
    if cls is AgentComplete:
        base.update(hold_time=1, talk_time=60, reason="caller")
    base.update(kw)
    return cls(**base)  # type: ignore[arg-type]
