"""`dialer report ...`: compliance evidence, performance figures and call records, from the database.

Reports read the database only (no daemon needed). ``--database URL`` reads another database than the configured
one, e.g. a copy: ``dialer report compliance --campaign demo --database sqlite+aiosqlite:///backup.db`` (the
demo itself runs on the configured database, so ``dialer report compliance --campaign demo`` reads it).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from dialer.commands import report_schedule
from dialer.commands.common import cli_context, fail, failing, write_text_file
from dialer.commands.db import run_on_database
from dialer.i18n import _, current_zone, fallback_zone
from dialer.reports.activity import AgentActivityReport, agent_activity_report
from dialer.reports.calls import (
    DEFAULT_RETENTION_DAYS,
    CallRecordsReport,
    call_records_report,
    purge_call_records,
    write_calls_csv,
)
from dialer.reports.common import ReportError, ReportRange, parse_report_range
from dialer.reports.compliance_scan import compliance_report
from dialer.reports.inbound import InboundReport, inbound_report
from dialer.reports.ivr import IvrReport, build_ivr_report, node_funnel
from dialer.reports.output import Format, Report, render
from dialer.reports.performance import contact_rate_by_hour, disposition_counts
from dialer.reports.performance_scan import performance_report
from dialer.reports.render.svg import bar_chart
from dialer.settings import Settings
from dialer.store import Database
from dialer.store.campaigns import UnknownCampaignError, campaign_zone, load_stored_campaign
from dialer.store.ivr_results import ivr_results

app = typer.Typer(help="Reports: compliance, performance, agent activity, call records.", no_args_is_help=True)
app.add_typer(report_schedule.app, name="schedule")

T = TypeVar("T")

CampaignOpt = Annotated[str, typer.Option("--campaign", help="Campaign name.")]
FromOpt = Annotated[
    str | None, typer.Option("--from", help="Calls started at or after: YYYY-MM-DD or ISO datetime (UTC if no zone).")
]
ToOpt = Annotated[
    str | None, typer.Option("--to", help="Calls started before: YYYY-MM-DD (whole day included) or ISO datetime.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="CSV (formula-safe) on stdout.")]
DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database", help="Database URL to read (default: the configured one / $DIALER_DATABASE_URL)."),
]
AgentOpt = Annotated[str | None, typer.Option("--agent", help="Only calls handled by this agent.")]
HtmlOpt = Annotated[Path | None, typer.Option("--html", help="Also write the printable HTML page to this file.")]


def report_range(start: str | None, end: str | None) -> ReportRange:
    with failing(ReportError):
        return parse_report_range(start, end)


def run_report(ctx: typer.Context, database: str | None, work: Callable[[Database], Awaitable[T]]) -> T:
    settings: Settings = cli_context(ctx).settings()
    if database is not None:
        try:
            settings = Settings.model_validate({**settings.model_dump(), "database_url": database})
        except ValueError as exc:
            fail(f"--database: {exc}")

    try:
        return run_on_database(settings, work, create=False)  # a mistyped --database is said, not created
    except UnknownCampaignError as exc:
        fail(str(exc).strip("'\""))
    except ReportError as exc:
        fail(str(exc))


async def campaign_id_or_all(db: Database, campaign: str | None) -> int | None:
    """The stored id of ``campaign``, or None when none is named (every campaign's); an unknown campaign raises
    ``UnknownCampaignError``, which :func:`run_report` says."""
    if campaign is None:
        return None
    record, _config = await load_stored_campaign(db, campaign)
    return record.id


async def _and_zone(db: Database, campaign: str, report: Awaitable[T]) -> tuple[T, str | None]:
    """The report and its campaign's time zone (its times are shown there unless DIALER_TZ/TZ says otherwise)."""
    return await report, await campaign_zone(db, campaign)


def output_format(as_json: bool, as_csv: bool = False) -> Format:
    """The format ``--json`` / ``--csv`` ask for (text without either); both at once is refused."""
    if as_json and as_csv:
        fail(_("choose one of --json and --csv"))
    return "json" if as_json else "csv" if as_csv else "text"


def emit_with_page(report: Report, zone: str | None, html: Path | None, fmt: Format) -> None:
    """The report in ``fmt`` on stdout, and its printable page into ``html`` if asked, times shown in ``zone``
    (the campaign's; see ``fallback_zone``; None for a report of no one campaign: the reader's zone or UTC)."""
    with fallback_zone(zone):
        if html is not None:
            write_text_file(html, render(report, "html"))
        emit(report, fmt)


def emit(report: Report, fmt: Format) -> None:
    """A report on stdout in ``fmt``: text for a terminal; JSON (one line) and CSV (its own line ends) as they are."""
    rendered = render(report, fmt)
    if fmt == "text":
        typer.echo(rendered)
        return
    sys.stdout.write(rendered + "\n" if fmt == "json" else rendered)
    sys.stdout.flush()


@app.command("compliance")
def compliance(
    ctx: typer.Context,
    campaign: CampaignOpt,
    start: FromOpt = None,
    end: ToOpt = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    html: HtmlOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Abandon rate per window against the regime's cap, calls outside the window, 72 h re-calls, DNC, ring time,
    caller ID — recomputed from the call records. Exit code 2 when a required check fails."""
    fmt = output_format(as_json, as_csv)
    span = report_range(start, end)
    report, zone = run_report(
        ctx, database, lambda db: _and_zone(db, campaign, compliance_report(db, campaign, span, now=datetime.now(UTC)))
    )
    emit_with_page(report, zone, html, fmt)
    if not report.passed:
        raise typer.Exit(2)


@app.command("performance")
def performance(
    ctx: typer.Context,
    campaign: CampaignOpt,
    start: FromOpt = None,
    end: ToOpt = None,
    agent: AgentOpt = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    chart: Annotated[
        Path | None,
        typer.Option(
            "--chart",
            help="Write the contact-rate-by-hour chart (SVG) here; a second chart of "
            "dispositions goes next to it (<name>-dispositions.svg).",
        ),
    ] = None,
    html: HtmlOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Contact rate, conversion, AHT/ACW, per-agent figures, FCR, callbacks, list penetration, hour of day."""
    fmt = output_format(as_json, as_csv)
    span = report_range(start, end)
    report, zone = run_report(
        ctx,
        database,
        lambda db: _and_zone(db, campaign, performance_report(db, campaign, span, agent=agent, now=datetime.now(UTC))),
    )
    if chart is not None:
        write_text_file(chart, bar_chart(contact_rate_by_hour(report)))
        write_text_file(
            chart.with_name(f"{chart.stem}-dispositions{chart.suffix or '.svg'}"), bar_chart(disposition_counts(report))
        )
    emit_with_page(report, zone, html, fmt)


@app.command("calls")
def calls(
    ctx: typer.Context,
    campaign: CampaignOpt,
    start: FromOpt = None,
    end: ToOpt = None,
    agent: AgentOpt = None,
    as_csv: CsvOpt = False,
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option(min=1, help="Text/JSON output: at most this many records.")] = 200,
    database: DatabaseOpt = None,
) -> None:
    """Call records: every attempt with number, times, duration, outcome, disposition and agent (CSV = all)."""
    fmt = output_format(as_json, as_csv)
    span = report_range(start, end)

    async def work(db: Database) -> CallRecordsReport | None:
        if as_csv:
            record, _config = await load_stored_campaign(db, campaign)
            await write_calls_csv(db, record.id, span, sys.stdout, agent=agent)
            return None
        return await call_records_report(db, campaign, span, agent=agent, limit=limit)

    report = run_report(ctx, database, work)
    if report is not None:
        emit(report, fmt)


@app.command("purge-calls")
def purge_calls(
    ctx: typer.Context,
    retention_days: Annotated[
        int, typer.Option(min=1, help="Keep call records this many days (default 5 years).")
    ] = DEFAULT_RETENTION_DAYS,
    yes: Annotated[bool, typer.Option("--yes", help="Really delete (otherwise only count).")] = False,
    database: DatabaseOpt = None,
) -> None:
    """Delete call records older than the retention period (all campaigns; leads and DNC entries are kept)."""
    cutoff = datetime.now(UTC) - timedelta(days=retention_days)

    async def work(db: Database) -> int:
        return await purge_call_records(db, older_than=cutoff, dry_run=not yes)

    n = run_report(ctx, database, work)
    line = (
        _("deleted {n} call records started before {time}")
        if yes
        else _("would delete (add --yes) {n} call records started before {time}")
    )
    typer.echo(line.format(n=n, time=cutoff.isoformat(timespec="seconds")))


@app.command("ivr")
def ivr(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option("--campaign", help="Only this campaign's calls.")] = None,
    flow: Annotated[str | None, typer.Option("--flow", help="Only this flow.")] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    repeat_days: Annotated[int, typer.Option(min=1, help="A number calling again within this many days.")] = 7,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Write each flow's node funnel (SVG) here (<name>-<flow>.svg).")
    ] = None,
    html: HtmlOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """IVR analytics: per flow and node entries, exits by key, time, drop-offs, containment, transfers, opt-outs,
    machine messages, repeat contacts (first-contact resolution)."""
    fmt = output_format(as_json, as_csv)
    span = report_range(start, end)

    async def work(db: Database) -> IvrReport:
        campaign_id = await campaign_id_or_all(db, campaign)
        records = await ivr_results(db, campaign_id=campaign_id, flow=flow, since=span.start, until=span.end)
        title = campaign or flow or _("all flows")
        return build_ivr_report(records, span, title=title, repeat_days=repeat_days)

    report = run_report(ctx, database, work)
    if chart is not None:
        for figures in report.flows:
            target = chart.with_name(f"{chart.stem}-{figures.flow}{chart.suffix or '.svg'}")
            write_text_file(target, bar_chart(node_funnel(figures)))
    emit_with_page(report, None, html, fmt)


@app.command("inbound")
def inbound(
    ctx: typer.Context,
    queue: Annotated[str | None, typer.Option("--queue", help="Only this inbound queue.")] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    html: HtmlOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Inbound queues: offered, answered, service level against its target, abandons (short ones apart), timeouts,
    refusals, average speed of answer, longest wait, hour by hour (in DIALER_TZ/TZ, else UTC), and the agents who
    answered. The service level's rule is the settings' [inbound_service_level]."""
    fmt = output_format(as_json, as_csv)
    span = report_range(start, end)
    settings: Settings = cli_context(ctx).settings()

    async def work(db: Database) -> InboundReport:
        return await inbound_report(
            db,
            span,
            settings.inbound_service_level.rule(),
            queue=queue,
            queues=settings.inbound_queues,
            zone=current_zone(),
        )

    report = run_report(ctx, database, work)
    emit_with_page(report, None, html, fmt)


@app.command("agents")
def agents(
    ctx: typer.Context,
    agent: Annotated[
        list[str] | None, typer.Option("--agent", help="Only this agent (repeat for several; default: every agent).")
    ] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    html: HtmlOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Agent activity: each agent's first sign-in and last sign-out per day (days in DIALER_TZ/TZ, else UTC),
    logged-in time and time ready, talking, in wrap-up and paused, occupancy; pauses per code against the code's
    limit (the settings' [[pause_codes]]); per team and in all."""
    fmt = output_format(as_json, as_csv)
    span = report_range(start, end)
    settings: Settings = cli_context(ctx).settings()

    async def work(db: Database) -> AgentActivityReport:
        return await agent_activity_report(
            db,
            span,
            now=datetime.now(UTC),
            zone=current_zone(),
            pause_codes=settings.pause_codes,
            agents=agent or None,
        )

    report = run_report(ctx, database, work)
    emit_with_page(report, None, html, fmt)
