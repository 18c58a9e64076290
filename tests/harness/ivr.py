"""An agentless reminder campaign's IVR calls (the simulated callers through campaigns/ivr/reminder.toml), as the
IVR result store, its report and its CLI tests record them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dialer.ivr.executor import FlowResult
from dialer.ivr.flow import load_flow
from dialer.sim.agentless import AgentlessSimConfig, AgentlessSimReport, run_agentless
from dialer.store.ivr_results import IvrCall
from harness.paths import REPO

REMINDER_FLOW = REPO / "campaigns" / "ivr" / "reminder.toml"
NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def reminder_run(numbers: int, *, seed: int, **options: Any) -> AgentlessSimReport:
    """``numbers`` US numbers called from NOW through the reminder flow (``options``: AgentlessSimConfig's)."""
    return run_agentless(
        AgentlessSimConfig(
            flow=load_flow(REMINDER_FLOW),
            numbers=tuple(f"+1415555{i:04d}" for i in range(numbers)),
            start=NOW,
            seed=seed,
            **options,
        )
    )


def ivr_calls(report: AgentlessSimReport, campaign_id: int) -> list[tuple[IvrCall, FlowResult]]:
    """The run's calls that went through the flow, as the result store takes them (attempt ids ``a0``, ``a1`` ...)."""
    return [
        (IvrCall(f"a{i}", campaign_id, i, a.number), a.flow)
        for i, a in enumerate(report.attempts)
        if a.flow is not None
    ]
