"""Calls a runner has placed and not yet seen end (pure bookkeeping, times on the runner's clock)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.pacing.snapshot import CallInFlight, CallStage


@dataclass(slots=True)
class InFlightCall:
    attempt_id: int
    lead_id: int
    server: str
    sent_at: float
    stage: CallStage = CallStage.DIALLING
    stage_since: float = 0.0
    answered_at: float | None = None
    connected_at: float | None = None
    agent_id: str | None = None
    placed_predictively: bool = True
    channel_id: str | None = None
    preview_agent: str | None = None  # placed for this agent (preview / own callback), not through the queue

    @property
    def connected(self) -> bool:
        return self.connected_at is not None


@dataclass
class InFlightCalls:
    calls: dict[int, InFlightCall] = field(default_factory=dict)

    def add(self, call: InFlightCall) -> None:
        call.stage_since = call.sent_at
        self.calls[call.attempt_id] = call

    def get(self, attempt_id: int) -> InFlightCall | None:
        return self.calls.get(attempt_id)

    def pop(self, attempt_id: int) -> InFlightCall | None:
        return self.calls.pop(attempt_id, None)

    def set_stage(self, attempt_id: int, stage: CallStage, now: float) -> None:
        call = self.calls.get(attempt_id)
        if call is not None and call.stage != stage and not call.connected:
            call.stage = stage
            call.stage_since = now

    def for_pacing(self, now: float) -> list[CallInFlight]:
        """Calls still needing an agent: dialling, in AMD, or answered and waiting (connected ones are agents')."""
        return [
            CallInFlight(stage=c.stage, age_seconds=max(0.0, now - c.stage_since))
            for c in self.calls.values()
            if not c.connected
        ]

    def __len__(self) -> int:
        return len(self.calls)
