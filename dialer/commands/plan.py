"""`dialer plan`: staffing what-if — the campaign's measured world through the simulator and the daemon's pacer."""

from __future__ import annotations

from typing import Annotated

import typer

from dialer.commands.common import failing
from dialer.commands.report import (
    CampaignOpt,
    DatabaseOpt,
    FromOpt,
    JsonOpt,
    ToOpt,
    emit,
    output_format,
    report_range,
    run_report,
)
from dialer.reports.plan import PlanError, agent_levels, measure_campaign, run_plan


def plan(
    ctx: typer.Context,
    campaign: CampaignOpt,
    agents: Annotated[str, typer.Option("--agents", help="Staffing levels: 10..40, 10,20,30 or 25.")] = "10..40",
    step: Annotated[int, typer.Option("--step", min=1, help="Step of a 10..40 range.")] = 5,
    hours: Annotated[float, typer.Option("--hours", min=0.25, max=200, help="Simulated hours per level.")] = 8.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed (the same callers for every level).")] = 1,
    start: FromOpt = None,
    end: ToOpt = None,
    as_json: JsonOpt = False,
    database: DatabaseOpt = None,
) -> None:
    """Expected occupancy, abandon rate and contacts per hour per staffing level, from the campaign's measured
    answer rate and handle times (simulated with the pacer the daemon runs)."""
    with failing(PlanError):
        levels = agent_levels(agents, step)
    span = report_range(start, end)
    config, world = run_report(ctx, database, lambda db: measure_campaign(db, campaign, span))
    with failing(PlanError):
        result = run_plan(config, world, levels, hours=hours, seed=seed)
    emit(result, output_format(as_json))
