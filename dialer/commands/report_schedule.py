"""`dialer report schedule add|list|remove|run-now`: reports mailed on a schedule (dialer.reports.schedule).

The daemon (`dialer run`) sends them through its ``[smtp]`` server when they fall due, once across daemons;
``run-now`` sends one at once from this command, with the same settings, for the period before now.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from dialer.commands.common import cli_actor, cli_context, fail, failing, print_json
from dialer.commands.db import run_with_database
from dialer.i18n import M_, _, current_locale
from dialer.reports.delivery import RunResult, deliver_now, target_zone
from dialer.reports.schedule import (
    CADENCE_NAMES,
    PERIOD_NAMES,
    REPORT_NAMES,
    STATUS_NAMES,
    AttachFormat,
    Cadence,
    Period,
    ReportKind,
    ReportSchedule,
    ReportScheduleError,
    parse_at,
    parse_weekday,
)
from dialer.settings import Settings
from dialer.store import Database
from dialer.store.campaigns import UnknownCampaignError
from dialer.store.report_schedules import (
    ReportScheduleView,
    UnknownReportScheduleError,
    add_report_schedule,
    remove_report_schedule,
    report_schedules,
)

app = typer.Typer(help="Reports mailed on a schedule (sent by `dialer run` through [smtp]).", no_args_is_help=True)

IdArg = Annotated[int, typer.Argument(help="the schedule's id (see `dialer report schedule list`)")]


@app.command("add")
def schedule_add(
    ctx: typer.Context,
    report: Annotated[ReportKind, typer.Option("--report", help="compliance, performance, ivr or inbound")],
    to: Annotated[list[str], typer.Option("--to", help="a recipient's e-mail address (repeatable)")],
    campaign: Annotated[
        str | None, typer.Option("--campaign", help="the campaign (compliance, performance, ivr)")
    ] = None,
    queue: Annotated[str | None, typer.Option("--queue", help="inbound: one queue (default: all)")] = None,
    attach: Annotated[
        list[str] | None, typer.Option("--attach", help="csv, html or json (repeatable; default csv)")
    ] = None,
    no_html_body: Annotated[
        bool, typer.Option("--no-html-body", help="a plain text body instead of the report's HTML page")
    ] = False,
    period: Annotated[Period, typer.Option("--period", help="yesterday, last_7_days or last_month")] = "yesterday",
    daily: Annotated[str | None, typer.Option("--daily", help="every day at HH:MM")] = None,
    weekly: Annotated[str | None, typer.Option("--weekly", help="every week on DAY at HH:MM: mon@07:00")] = None,
    monthly: Annotated[
        str | None, typer.Option("--monthly", help="every month on DAY at HH:MM: 1@07:00 (31: the month's last day)")
    ] = None,
    zone: Annotated[
        str | None,
        typer.Option("--zone", help="the IANA zone of the times and the period (default: the campaign's, else UTC)"),
    ] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="the mail's language: en, ja, zh-CN, zh-Hant (default: yours)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Mail a report on a schedule: daily, weekly or monthly at a time of day, covering the period before."""
    cadences: tuple[tuple[Cadence, str | None], ...] = (("daily", daily), ("weekly", weekly), ("monthly", monthly))
    given = [(c, v) for c, v in cadences if v is not None]
    if len(given) != 1:
        fail(_("give one of --daily HH:MM, --weekly DAY@HH:MM, --monthly DAY@HH:MM"))
    cadence, when = given[0]
    target = queue if report == "inbound" else campaign
    if (report == "inbound" and campaign is not None) or (report != "inbound" and queue is not None):
        fail(_("--campaign is for the compliance, performance and ivr reports; --queue for inbound"))
    settings: Settings = cli_context(ctx).settings()

    async def work(db: Database) -> ReportScheduleView:
        with failing(ReportScheduleError, UnknownCampaignError):
            default_zone = await target_zone(db, settings, report, target)
            schedule = _schedule(
                report,
                target,
                tuple(attach or ("csv",)),  # type: ignore[arg-type]  # checked by ReportSchedule
                not no_html_body,
                period,
                cadence,
                when,
                to,
                zone or default_zone,
                language or current_locale(),
            )
            schedule_id = await add_report_schedule(db, schedule, datetime.now(UTC), actor=cli_actor())
        views = await report_schedules(db)
        return next(v for v in views if v.id == schedule_id)

    view = run_with_database(ctx, work)
    if as_json:
        print_json(view.public())
        return
    typer.echo(
        _("report schedule {id} added, next run {time} UTC").format(
            id=view.id, time=f"{view.next_run_at:%Y-%m-%d %H:%M}"
        )
    )


def _schedule(
    report: ReportKind,
    target: str | None,
    formats: tuple[AttachFormat, ...],
    html_body: bool,
    period: Period,
    cadence: Cadence,
    when: str,
    recipients: list[str],
    zone: str,
    language: str,
) -> ReportSchedule:
    """The schedule of the options: ``when`` is HH:MM (daily) or DAY@HH:MM (weekly, monthly)."""
    weekday = day = None
    at = when
    if cadence != "daily":
        head, sep, at = when.partition("@")
        if not sep:
            raise ReportScheduleError(M_("--{cadence}: DAY@HH:MM, e.g. mon@07:00 or 1@07:00", cadence=cadence))
        if cadence == "weekly":
            weekday = parse_weekday(head)
        elif head.strip().isdigit():
            day = int(head)
        else:
            raise ReportScheduleError(M_("--monthly: the day of the month is a number (1 to 31)"))
    return ReportSchedule(
        report=report,
        target=target,
        formats=formats,
        period=period,
        cadence=cadence,
        at=parse_at(at),
        recipients=tuple(recipients),
        zone=zone,
        weekday=weekday,
        day=day,
        html_body=html_body,
        language=language,
    )


def when_label(view: ReportScheduleView) -> str:
    """``daily 07:00 Europe/Paris``, ``weekly mon 07:00 UTC``, ``monthly 1 07:00 Asia/Tokyo``."""
    doc = view.schedule.document()
    on = {"daily": "", "weekly": f"{doc['weekday']} ", "monthly": f"{doc['day']} "}[view.schedule.cadence]
    return f"{_(CADENCE_NAMES[view.schedule.cadence])} {on}{doc['at']} {view.schedule.zone}"


@app.command("list")
def schedule_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False
) -> None:
    """The report schedules: what goes to whom and when, the next run and how the last one went."""
    views = run_with_database(ctx, report_schedules, create=False)
    if as_json:
        print_json({"schedules": [v.public() for v in views]})
        return
    if not views:
        typer.echo(_("no report schedules"))
        return
    for view in views:
        s = view.schedule
        typer.echo(
            f"{view.id}  {_(REPORT_NAMES[s.report])}: {s.target or _('all queues')}, {_(PERIOD_NAMES[s.period])}"
            f"  {when_label(view)}  {', '.join(s.formats) or 'html'}  → {', '.join(s.recipients)}"
        )
        typer.echo("    " + _("next run {time} UTC").format(time=f"{view.next_run_at:%Y-%m-%d %H:%M}"))
        if view.last_run_at is not None:
            line = _("last run {time} UTC: {status}, {n} recipients").format(
                time=f"{view.last_run_at:%Y-%m-%d %H:%M}",
                status=_(STATUS_NAMES.get(view.last_status or "", view.last_status or "")),
                n=view.last_recipients,
            )
            typer.echo("    " + line + (f" ({view.last_error})" if view.last_error else ""))


@app.command("remove")
def schedule_remove(ctx: typer.Context, schedule_id: IdArg) -> None:
    """Stop mailing a report (audited)."""

    async def work(db: Database) -> None:
        with failing(UnknownReportScheduleError):
            await remove_report_schedule(db, schedule_id, datetime.now(UTC), actor=cli_actor())

    run_with_database(ctx, work)
    typer.echo(_("report schedule {id} removed").format(id=schedule_id))


@app.command("run-now")
def schedule_run_now(ctx: typer.Context, schedule_id: IdArg) -> None:
    """Mail the report now, for the period before now (recorded; the next scheduled run is kept). Exit code 1 when
    it was not sent."""
    settings: Settings = cli_context(ctx).settings()

    async def work(db: Database) -> RunResult:
        with failing(UnknownReportScheduleError):
            return await deliver_now(db, settings, schedule_id, datetime.now(UTC), actor=cli_actor())

    result = run_with_database(ctx, work)
    if result.status == "failed":
        fail(_("report schedule {id} not sent: {error}").format(id=schedule_id, error=result.error))
    typer.echo(_("report schedule {id} sent to {n} recipients").format(id=schedule_id, n=result.recipients))
    if result.error:
        typer.echo(_("refused: {error}").format(error=result.error))
