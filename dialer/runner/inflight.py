"""Calls a runner has placed and not yet seen end (pure bookkeeping, times on the runner's clock).

Besides the calls themselves, :class:`InFlightCalls` keeps the calls still needing an agent indexed by stage, so the
pacer's view of them (:meth:`InFlightCalls.load`) costs one float per ringing call instead of a rebuilt list of
objects at every pacing step. Stage changes and connections therefore go through :meth:`InFlightCalls.set_stage`
and :meth:`InFlightCalls.connect`, not through the call's attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.pacing.snapshot import CallInFlight, CallLoad, CallStage
from dialer.pacing.stats import LeadHistory


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
    # Placed for this agent alone (preview, manual dial, own callback), not through the queue: the agent is reserved
    # for it, so the pacer finds no queue agent for it (not in :meth:`InFlightCalls.load`).
    preview_agent: str | None = None
    own_callback: bool = False  # a callback this agent promised, placed to keep it
    amd: bool = False  # AMD() runs on its answer (the campaign's AMD, unless the pacer paused it for this call)
    # What the pacer learns the answer rate by: the lead's history, the hour of day the call went out in, and the
    # rate it expected of the call then (PacingStats.answer_rate).
    history: LeadHistory | None = None
    hour: int | None = None
    answer_rate: float | None = None

    @property
    def connected(self) -> bool:
        return self.connected_at is not None


def _by_stage() -> dict[CallStage, dict[int, float]]:
    return {stage: {} for stage in CallStage}


@dataclass
class InFlightCalls:
    calls: dict[int, InFlightCall] = field(default_factory=dict)
    # attempt id -> stage_since of the calls not yet connected, per stage (in the order they entered it).
    _waiting_for_agent: dict[CallStage, dict[int, float]] = field(default_factory=_by_stage, repr=False)

    def add(self, call: InFlightCall) -> None:
        self.pop(call.attempt_id)
        call.stage_since = call.sent_at
        self.calls[call.attempt_id] = call
        if not call.connected and call.preview_agent is None:
            self._waiting_for_agent[call.stage][call.attempt_id] = call.stage_since

    def get(self, attempt_id: int) -> InFlightCall | None:
        return self.calls.get(attempt_id)

    def pop(self, attempt_id: int) -> InFlightCall | None:
        call = self.calls.pop(attempt_id, None)
        if call is not None:
            self._waiting_for_agent[call.stage].pop(attempt_id, None)
        return call

    def set_stage(self, attempt_id: int, stage: CallStage, now: float) -> None:
        call = self.calls.get(attempt_id)
        if call is not None and call.stage != stage and not call.connected:
            indexed = self._waiting_for_agent[call.stage].pop(attempt_id, None) is not None
            call.stage = stage
            call.stage_since = now
            if indexed:  # (a call placed for one agent is never the pacer's)
                self._waiting_for_agent[stage][attempt_id] = now

    def connect(self, attempt_id: int, at: float, agent_id: str | None) -> InFlightCall | None:
        """An agent took the call: from now on it is the agent's, no longer the pacer's."""
        call = self.calls.get(attempt_id)
        if call is None:
            return None
        self._waiting_for_agent[call.stage].pop(attempt_id, None)
        call.connected_at = at
        call.agent_id = agent_id
        return call

    def load(self, now: float, server: str | None = None) -> CallLoad:
        """What the pacer reads: the calls still needing a queue agent (dialling, in AMD, or answered and waiting; a
        call placed for one agent, reserved for it, is not) -- those placed on ``server`` when given (only that
        server's agents can take them)."""
        index = self._waiting_for_agent

        def ages(stage: CallStage) -> list[float]:
            return [
                max(0.0, now - since)
                for attempt_id, since in index[stage].items()
                if server is None or self.calls[attempt_id].server == server
            ]

        dialling = [
            self.calls[attempt_id]
            for attempt_id in index[CallStage.DIALLING]
            if server is None or self.calls[attempt_id].server == server
        ]
        rates = [c.answer_rate for c in dialling]
        return CallLoad(
            dialling_ages=[max(0.0, now - c.stage_since) for c in dialling],
            amd_ages=ages(CallStage.AMD),
            waiting=len(ages(CallStage.WAITING)),
            dialling_answer_rates=rates if any(r is not None for r in rates) else None,
        )

    def needing_agent(self) -> int:
        """How many calls are dialling, in AMD or waiting for an agent."""
        return sum(len(calls) for calls in self._waiting_for_agent.values())

    def for_pacing(self, now: float) -> list[CallInFlight]:
        """Calls still needing an agent, one by one (the same calls as :meth:`load`)."""
        return [
            CallInFlight(stage=c.stage, age_seconds=max(0.0, now - c.stage_since))
            for c in self.calls.values()
            if not c.connected and c.preview_agent is None
        ]

    def __len__(self) -> int:
        return len(self.calls)
