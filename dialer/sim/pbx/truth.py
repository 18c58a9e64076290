"""Ground truth: what the simulated PBX decided and did, readable in-process by tests and benchmarks."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from dialer.calls.outcome import Outcome
from dialer.contract import ATTEMPT_VARIABLE
from dialer.sim.pbx.world import CalleePlan


@dataclass(eq=False)
class OriginateRecord:
    """One Originate action as received, and what became of it (times are simulated epoch seconds)."""

    sequence: int
    action_id: str
    channel_id: str
    dial_string: str
    number: str
    variables: dict[str, str]
    received_at: float
    caller_num: str = ""  # the CallerID number the Originate presents
    plan: CalleePlan | None = None
    uniqueid: str = ""  # of the ;1 channel ("" if no channel was created)
    answered_at: float | None = None
    amd_status: str | None = None
    queued_at: float | None = None
    queue: str | None = None
    agent: str | None = None  # interface of the member who took it
    connected_at: float | None = None
    abandoned: bool = False
    opted_out: bool = False
    ended_at: float | None = None
    outcome: Outcome | None = None  # what a perfect dialer should conclude
    reason: int | None = None  # OriginateResponse Reason sent

    @property
    def attempt(self) -> str:
        return self.variables.get(ATTEMPT_VARIABLE, "")


@dataclass(eq=False)
class InboundRecord:
    uniqueid: str
    queue: str
    arrived_at: float
    patience: float
    agent: str | None = None
    answered_at: float | None = None
    abandoned_at: float | None = None
    ended_at: float | None = None


# Records kept for inspection; older ones are dropped so a long soak does not grow without bound (the
# counters below keep counting every originate).
DEFAULT_RECORD_LIMIT = 200_000


@dataclass
class GroundTruth:
    originates: deque[OriginateRecord] = field(default_factory=lambda: deque(maxlen=DEFAULT_RECORD_LIMIT))
    inbound: deque[InboundRecord] = field(default_factory=lambda: deque(maxlen=DEFAULT_RECORD_LIMIT))
    originates_by_action_id: Counter[str] = field(default_factory=Counter)
    originates_by_channel_id: Counter[str] = field(default_factory=Counter)
    originates_by_attempt: Counter[str] = field(default_factory=Counter)
    originates_by_number: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    logins: int = 0
    failed_logins: int = 0

    def record_originate(self, record: OriginateRecord) -> None:
        self.originates.append(record)
        if record.action_id:
            self.originates_by_action_id[record.action_id] += 1
        if record.channel_id:
            self.originates_by_channel_id[record.channel_id] += 1
        if record.attempt:
            self.originates_by_attempt[record.attempt] += 1
        if record.number:
            self.originates_by_number[record.number] += 1

    def originate(self, action_id: str) -> OriginateRecord:
        """The (last) originate sent with this ActionID."""
        for record in reversed(self.originates):
            if record.action_id == action_id:
                return record
        raise KeyError(action_id)

    def outcomes(self) -> Counter[Outcome]:
        return Counter(r.outcome for r in self.originates if r.outcome is not None)

    def duplicates(self) -> dict[str, int]:
        """Attempts (DIALER_ATTEMPT) or ChannelIds originated more than once: a double dial."""
        dup = {k: n for k, n in self.originates_by_attempt.items() if n > 1}
        dup.update({k: n for k, n in self.originates_by_channel_id.items() if n > 1})
        return dup
