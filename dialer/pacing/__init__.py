"""Pacing (pure): a snapshot of agents, calls and statistics in, calls to place now and why out.

stats = PacingStats(settings)                  # one per campaign, fed by the runner's events
decision = decide(PacingSnapshot(now, settings, agents, calls, inbound), stats)
decision.calls, decision.explanation.as_dict()
"""

from dialer.pacing.pacer import Guard, PacingDecision, PacingExplanation, decide
from dialer.pacing.snapshot import (
    AgentState,
    AgentView,
    CallInFlight,
    CallLoad,
    CallStage,
    InboundLoad,
    PacingMode,
    PacingSettings,
    PacingSettingsError,
    PacingSnapshot,
)
from dialer.pacing.stats import PacingStats, effective_setpoint

__all__ = [
    "AgentState",
    "AgentView",
    "CallInFlight",
    "CallLoad",
    "CallStage",
    "Guard",
    "InboundLoad",
    "PacingDecision",
    "PacingExplanation",
    "PacingMode",
    "PacingSettings",
    "PacingSettingsError",
    "PacingSnapshot",
    "PacingStats",
    "decide",
    "effective_setpoint",
]
