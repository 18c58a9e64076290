"""Queue state as app_queue keeps it, and the member/params headers it shows in AMI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dialer.sim.pbx.channels import Headers
from dialer.sim.pbx.config import QueueConfig

if TYPE_CHECKING:
    from dialer.sim.pbx.channels import Channel
    from dialer.sim.pbx.direct import DirectAgentDial
    from dialer.sim.pbx.legs import AgentLeg, QueueClient

# QueueMember Status codes (enum ast_device_state).
DEVICE_NOT_INUSE = 1
DEVICE_INUSE = 2


@dataclass(eq=False)
class Member:
    """A queue member. One interface may be a member of several queues (one Member each); its device
    state (in a call or not) is shared, see :class:`Device`."""

    queue: str
    interface: str
    name: str
    penalty: int
    dynamic: bool
    login_time: int
    paused: bool = False
    paused_reason: str = ""
    last_pause: int = 0
    calls_taken: int = 0
    last_call: int = 0

    def headers(self, device: Device, *, in_queue_event: bool) -> Headers:
        """QueueMemberStatus/Added/Pause/Removed body (``in_queue_event``) or the QueueMember list item."""
        common: Headers = [
            ("StateInterface", self.interface),
            ("Membership", "dynamic" if self.dynamic else "static"),
            ("Penalty", str(self.penalty)),
            ("CallsTaken", str(self.calls_taken)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", "1" if device.in_call else "0"),
            ("Status", str(device.status)),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.paused_reason),
        ]
        if in_queue_event:
            return [
                ("Queue", self.queue),
                ("MemberName", self.name),
                ("Interface", self.interface),
                *common,
                ("Ringinuse", "0"),
                ("Wrapuptime", "0"),
            ]
        return [("Queue", self.queue), ("Name", self.name), ("Location", self.interface), *common, ("Wrapuptime", "0")]


@dataclass(eq=False)
class Device:
    """The phone behind an interface: busy while any leg to it exists (ringinuse=no)."""

    interface: str
    leg: AgentLeg | DirectAgentDial | None = None
    # shared_lastcall=yes: the end of the last call, for every queue's wrap-up time.
    last_call_end: float = -1e18

    @property
    def in_call(self) -> bool:
        return self.leg is not None

    @property
    def status(self) -> int:
        return DEVICE_INUSE if self.leg is not None else DEVICE_NOT_INUSE


@dataclass(eq=False)
class QueueCaller:
    """A channel waiting in Queue()."""

    channel: Channel
    queue: str
    joined_at: float
    original_position: int
    client: QueueClient  # the call flow of the waiting channel (calls.py)
    leg: AgentLeg | None = None  # the agent leg ringing for this caller, if any


@dataclass(eq=False)
class Queue:
    config: QueueConfig
    members: dict[str, Member] = field(default_factory=dict)
    callers: list[QueueCaller] = field(default_factory=list)
    completed: int = 0
    abandoned: int = 0
    holdtime: int = 0
    talktime: int = 0
    rr_last: str = ""  # rrmemory: the interface rung last

    @property
    def name(self) -> str:
        return self.config.name

    def record_hold(self, seconds: int) -> None:
        # app_queue's running average: new = (3 * old + sample) / 4, in integer seconds.
        self.holdtime = ((self.holdtime << 2) - self.holdtime + seconds) >> 2

    def record_talk(self, seconds: int) -> None:
        self.talktime = ((self.talktime << 2) - self.talktime + seconds) >> 2

    def params_headers(self) -> Headers:
        return [
            ("Queue", self.name),
            ("Max", "0"),
            ("Strategy", self.config.strategy),
            ("Calls", str(len(self.callers))),
            ("Holdtime", str(self.holdtime)),
            ("TalkTime", str(self.talktime)),
            ("Completed", str(self.completed)),
            ("Abandoned", str(self.abandoned)),
            ("ServiceLevel", str(self.config.service_level)),
            ("ServicelevelPerf", "0.0"),
            ("ServicelevelPerf2", "0.0"),
            ("Weight", str(self.config.weight)),
        ]
