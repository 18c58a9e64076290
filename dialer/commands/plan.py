"""`dialer plan`: staffing what-if — the campaign's measured world through the simulator and the daemon's pacer;
`dialer plan inbound`: an inbound queue's staffing forecast, half-hour by half-hour (Erlang A or C)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from dialer.commands.common import cli_context, fail, failing
from dialer.commands.report import (
    CsvOpt,
    DatabaseOpt,
    FromOpt,
    HtmlOpt,
    JsonOpt,
    ToOpt,
    emit,
    emit_with_page,
    output_format,
    report_range,
    run_report,
)
from dialer.i18n import M_, _, current_zone
from dialer.reports.common import ReportError
from dialer.reports.plan import PlanError, agent_levels, measure_campaign, run_plan
from dialer.reports.staffing import (
    DEFAULT_SHRINKAGE,
    DEFAULT_WEEKS,
    StaffingForecast,
    StaffingQuestion,
    StaffingTarget,
    planned_week,
    staffing_forecast,
)
from dialer.settings import Settings
from dialer.store.engine import Database
from dialer.store.inbound_calls import inbound_queue_names

app = typer.Typer(
    help="Staffing: a campaign's what-if (--campaign), an inbound queue's forecast (inbound).",
    invoke_without_command=True,
)


@app.callback()
def plan(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option("--campaign", help="Campaign name.")] = None,
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
    answer rate and handle times (simulated with the pacer the daemon runs). `dialer plan inbound --queue Q`: an
    inbound queue's agents per half-hour."""
    if ctx.invoked_subcommand is not None:
        return
    if campaign is None:
        fail(_("give --campaign NAME (or `dialer plan inbound --queue Q` for an inbound queue)"), 2)
    with failing(PlanError):
        levels = agent_levels(agents, step)
    span = report_range(start, end)
    config, world = run_report(ctx, database, lambda db: measure_campaign(db, campaign, span))
    with failing(PlanError):
        result = run_plan(config, world, levels, hours=hours, seed=seed)
    emit(result, output_format(as_json))


@app.command("inbound")
def inbound(
    ctx: typer.Context,
    queue: Annotated[str, typer.Option("--queue", help="The inbound queue.")],
    weeks: Annotated[
        int, typer.Option("--weeks", min=1, max=26, help="Weeks of history (the most recent weighs most).")
    ] = DEFAULT_WEEKS,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="Service level as percent/seconds, e.g. 80/20 (default: the inbound_service_level settings).",
        ),
    ] = None,
    shrinkage: Annotated[
        float, typer.Option("--shrinkage", min=0.0, max=0.95, help="Share of scheduled time lost (breaks, absence).")
    ] = DEFAULT_SHRINKAGE,
    max_occupancy: Annotated[
        float,
        typer.Option("--max-occupancy", min=0.05, max=1.0, help="Busiest share of time an agent may be on calls."),
    ] = 0.85,
    week_of: Annotated[
        str | None, typer.Option("--week-of", help="A day of the week to plan, YYYY-MM-DD (default: next week).")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="erlang-a (callers give up, with their measured patience) or erlang-c (default: erlang-a when "
            "the history has enough abandons to estimate the patience, else erlang-c).",
        ),
    ] = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    html: HtmlOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Agents each half-hour of a week needs to meet the queue's service level (Erlang A or C), from the last weeks'
    calls and handle times, grossed up by shrinkage (times in DIALER_TZ/TZ, else UTC); for a week already begun,
    the forecast against the actual calls and agents logged in."""
    fmt = output_format(as_json, as_csv)
    settings: Settings = cli_context(ctx).settings()
    now = datetime.now(UTC)
    zone = current_zone()
    with failing(ReportError):
        goal = StaffingTarget.of(
            settings.inbound_service_level.rule(), target, shrinkage=shrinkage, max_occupancy=max_occupancy
        )
        week = planned_week(week_of, now, zone)
        rule = settings.inbound_service_level.rule()
        question = StaffingQuestion(queue, week, now, goal, rule, weeks, zone, model)

    async def work(db: Database) -> StaffingForecast:
        if queue not in settings.inbound_queues and queue not in await inbound_queue_names(db):
            raise ReportError(M_("queue: no inbound queue {queue}", queue=queue))
        return await staffing_forecast(db, question)

    report = run_report(ctx, database, work)
    emit_with_page(report, None, html, fmt)
