"""Report schedules over HTTP (managers): reports mailed on a schedule (:mod:`dialer.reports.schedule`), their runs,
and a run now. The daemon's scheduler sends them through ``[smtp]`` (:mod:`dialer.reports.delivery`)."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field

from dialer.appkeys import SETTINGS
from dialer.i18n import M_, current_locale
from dialer.reports.delivery import deliver_now, target_zone
from dialer.reports.schedule import (
    AttachFormat,
    Cadence,
    Period,
    ReportKind,
    ReportSchedule,
    ReportScheduleError,
    parse_at,
    parse_weekday,
)
from dialer.store.campaigns import UnknownCampaignError
from dialer.store.report_schedules import (
    UnknownReportScheduleError,
    add_report_schedule,
    remove_report_schedule,
    replace_report_schedule,
    report_deliveries,
    report_schedule,
    report_schedules,
)
from dialer.web.api.common import Strict, invalid, ok, refused
from dialer.web.problems import Problem
from dialer.web.routing import MANAGERS, Call, RouteTable

routes = RouteTable(tag="reports")

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class ReportScheduleBody(Strict):
    report: ReportKind = Field(description="which report: compliance, performance, ivr or inbound")
    campaign: str | None = Field(default=None, max_length=100, description="its campaign (not for inbound)")
    queue: str | None = Field(default=None, max_length=100, description="inbound: one queue (default: all)")
    formats: list[AttachFormat] = Field(default=["csv"], max_length=3, description="attached: csv, html, json")
    html_body: bool = Field(default=True, description="the report's HTML page as the mail's body (else plain text)")
    period: Period = Field(default="yesterday", description="the local day, 7 days or calendar month before a run")
    cadence: Cadence = "daily"
    at: str = Field(max_length=5, description="the time of day a run is sent, HH:MM in `zone`")
    weekday: Weekday | None = Field(default=None, description="weekly: the day")
    day: int | None = Field(default=None, ge=1, le=31, description="monthly: the day (a shorter month: its last)")
    zone: str | None = Field(
        default=None, max_length=64, description="IANA zone of `at` and the period (default: the campaign's, else UTC)"
    )
    recipients: list[str] = Field(min_length=1, max_length=50, description="e-mail addresses")
    language: str | None = Field(
        default=None, max_length=20, description="the mail's language: en, ja, zh-CN, zh-Hant (default: yours)"
    )


SCHEDULE_DOC = {"type": "object", "required": ["id", "report", "recipients", "next_run_at"]}
LIST_DOC = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": SCHEDULE_DOC}}}
ONE = r"/api/report-schedules/{schedule_id:\d{1,9}}"
RUN_RESULT = {
    "type": "object",
    "required": ["status", "recipients"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "partial", "failed"]},
        "error": {"type": ["string", "null"]},
        "recipients": {"type": "integer"},
    },
}


async def _schedule_of(call: Call, body: ReportScheduleBody) -> ReportSchedule:
    """The body as a schedule; a 422 problem saying what is wrong with it."""
    if body.report == "inbound" and body.campaign is not None:
        raise Problem(422, M_("campaign: the inbound report is of a queue (queue=...)"), kind="validation-error")
    if body.report != "inbound" and body.queue is not None:
        raise Problem(422, M_("queue: only the inbound report is of a queue"), kind="validation-error")
    target = body.queue if body.report == "inbound" else body.campaign
    with (
        invalid(ReportScheduleError),
        invalid(UnknownCampaignError, said=lambda exc: M_("campaign: {exc}", exc=exc)),
    ):
        # The campaign (or queue) is checked whether or not a zone is given; its zone is the default.
        zone = await target_zone(call.db, call.app[SETTINGS], body.report, target)
        return ReportSchedule(
            report=body.report,
            target=target,
            formats=tuple(body.formats),
            period=body.period,
            cadence=body.cadence,
            at=parse_at(body.at),
            recipients=tuple(body.recipients),
            zone=body.zone or zone,
            weekday=None if body.weekday is None else parse_weekday(body.weekday),
            day=body.day,
            html_body=body.html_body,
            language=body.language or current_locale(),
        )


async def _document(call: Call, schedule_id: int) -> dict[str, object]:
    with refused(UnknownReportScheduleError, status=404):
        view = await report_schedule(call.db, schedule_id)
    runs = await report_deliveries(call.db, schedule_id)
    return {**view.public(), "deliveries": [d.public() for d in runs]}


@routes.route("GET", "/api/report-schedules", roles=MANAGERS, response=LIST_DOC)
async def get_report_schedules(call: Call) -> web.Response:
    """Reports mailed on a schedule, with their next and last run"""
    return ok({"items": [v.public() for v in await report_schedules(call.db)]})


@routes.route(
    "POST", "/api/report-schedules", roles=MANAGERS, status=201, body=ReportScheduleBody, response=SCHEDULE_DOC
)
async def post_report_schedule(call: Call) -> web.Response:
    """Mail a report on a schedule (audited); the first run is its first time after now"""
    schedule = await _schedule_of(call, call.body_as(ReportScheduleBody))
    schedule_id = await add_report_schedule(call.db, schedule, call.now(), actor=call.user.name)
    return ok(await _document(call, schedule_id), 201)


@routes.route("GET", ONE, roles=MANAGERS, response=SCHEDULE_DOC)
async def get_report_schedule(call: Call) -> web.Response:
    """One report schedule with its last runs (when, outcome, the SMTP error, recipients)"""
    return ok(await _document(call, call.path_id("schedule_id")))


@routes.route("PUT", ONE, roles=MANAGERS, body=ReportScheduleBody, response=SCHEDULE_DOC)
async def put_report_schedule(call: Call) -> web.Response:
    """Change a report schedule (audited); its next run is its first time after now"""
    schedule_id = call.path_id("schedule_id")
    schedule = await _schedule_of(call, call.body_as(ReportScheduleBody))
    with refused(UnknownReportScheduleError, status=404):
        await replace_report_schedule(call.db, schedule_id, schedule, call.now(), actor=call.user.name)
    return ok(await _document(call, schedule_id))


@routes.route("DELETE", ONE, roles=MANAGERS, status=204)
async def delete_report_schedule(call: Call) -> web.Response:
    """Stop mailing a report (audited; its runs go with it)"""
    with refused(UnknownReportScheduleError, status=404):
        await remove_report_schedule(call.db, call.path_id("schedule_id"), call.now(), actor=call.user.name)
    return web.Response(status=204)


@routes.route("POST", ONE + "/run", roles=MANAGERS, response=RUN_RESULT)
async def post_report_schedule_run(call: Call) -> web.Response:
    """Mail the report now for the period before now (recorded and audited; the next scheduled run is kept)"""
    with refused(UnknownReportScheduleError, status=404):
        result = await deliver_now(
            call.db, call.app[SETTINGS], call.path_id("schedule_id"), call.now(), actor=call.user.name
        )
    return ok({"status": result.status, "error": result.error, "recipients": result.recipients})
