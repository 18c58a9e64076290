"""Reports of :mod:`dialer.reports` (compliance, performance, agent activity, call records, inbound, the inbound
staffing forecast) over HTTP: JSON, printable HTML, CSV."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal

from aiohttp import web
from pydantic import Field

from dialer.appkeys import SETTINGS
from dialer.i18n import M_, current_zone, fallback_zone
from dialer.reports.activity import agent_activity_report
from dialer.reports.calls import call_records_report, write_calls_csv
from dialer.reports.common import ReportError, ReportRange, parse_report_range
from dialer.reports.compliance_scan import compliance_report
from dialer.reports.inbound import inbound_report
from dialer.reports.ivr import build_ivr_report
from dialer.reports.output import Report, render
from dialer.reports.performance_scan import performance_report
from dialer.reports.render.csv import CsvEncoding, CsvEncodingError, encode_csv
from dialer.reports.staffing import (
    DEFAULT_MAX_OCCUPANCY,
    DEFAULT_SHRINKAGE,
    DEFAULT_WEEKS,
    MAX_WEEKS,
    StaffingQuestion,
    StaffingTarget,
    planned_week,
    staffing_forecast,
)
from dialer.store.auth import Role
from dialer.store.campaigns import UnknownCampaignError, campaign_zone, get_campaign, list_campaigns
from dialer.store.inbound_calls import inbound_queue_names
from dialer.store.ivr_results import ivr_results
from dialer.web.api.common import Paging, Strict, csv_headers, invalid, ok, refused
from dialer.web.problems import Problem
from dialer.web.routing import MANAGERS, SUPERVISORS, Call, CallHandler, RouteTable

routes = RouteTable(tag="reports")
REPORTS = {
    "compliance": "Compliance evidence: abandon rate against the cap, calling windows, DNC, ring time, caller ID",
    "performance": "Contact-centre performance: contact rate, conversion, handle times, agents, hours, dispositions",
    "calls": "Call records (every attempt) as JSON or CSV",
    "ivr": "IVR flows: per node entries, exits by key, time, drop-offs; containment, transfers, opt-outs",
}
INBOUND_SUMMARY = (
    "Inbound queues: offered, answered, service level against its target, abandons, timeouts, refusals, ASA, "
    "longest wait, hour by hour, and the agents who answered"
)
STAFFING_SUMMARY = (
    "Inbound staffing forecast: per half-hour of a week, the offered calls forecast from the queue's last weeks, "
    "the agents Erlang A (or C) needs for the service-level target, the agents to schedule with shrinkage; forecast "
    "against actual for the part of the week that is over"
)
AGENTS_SUMMARY = (
    "Agent activity: each agent's first sign-in and last sign-out per day, time ready, talking, in wrap-up and "
    "paused, occupancy, pauses per code against its limit; per team and in all"
)
FORMATS = {
    "application/json": {"schema": {"type": "object"}},
    "text/html": {"schema": {"type": "string"}},
    "text/csv": {"schema": {"type": "string"}},
}


def available_reports() -> list[dict[str, Any]]:
    return [
        *(
            {"name": name, "summary": summary, "url": f"/api/reports/{name}/{{campaign}}"}
            for name, summary in REPORTS.items()
        ),
        {"name": "inbound", "summary": INBOUND_SUMMARY, "url": "/api/reports/inbound"},
        {"name": "agents", "summary": AGENTS_SUMMARY, "url": "/api/reports/agents"},
        {"name": "staffing", "summary": STAFFING_SUMMARY, "url": "/api/reports/staffing?queue={queue}"},
    ]


class RenderedQuery(Strict):
    """What a report route's query asks for besides its report: the format, and a CSV's encoding."""

    format: Literal["json", "html", "csv"] = "json"
    encoding: CsvEncoding = Field(
        default="utf-8-sig", description="CSV only: UTF-8 with BOM (Excel), plain UTF-8, or CP932 (Shift_JIS)"
    )


class ReportQuery(RenderedQuery):
    from_: str | None = Field(default=None, alias="from", max_length=40, description="start date/time (ISO), inclusive")
    to: str | None = Field(
        default=None, max_length=40, description="end date/time (ISO); a date includes its whole day"
    )
    agent: str | None = Field(default=None, max_length=64)


class InboundReportQuery(RenderedQuery):
    from_: str | None = Field(default=None, alias="from", max_length=40, description="callers who called from (ISO)")
    to: str | None = Field(default=None, max_length=40, description="... until (ISO); a date includes its whole day")
    queue: str | None = Field(default=None, max_length=100, description="one inbound queue (default: all)")


class AgentsReportQuery(RenderedQuery):
    from_: str | None = Field(default=None, alias="from", max_length=40, description="time from (ISO), inclusive")
    to: str | None = Field(default=None, max_length=40, description="... until (ISO); a date includes its whole day")
    agent: str | None = Field(default=None, max_length=64, description="one agent (default: every agent in scope)")


class StaffingQuery(RenderedQuery):
    queue: str = Field(min_length=1, max_length=100, description="the inbound queue")
    week_of: str | None = Field(
        default=None, max_length=10, description="a day of the week to plan, YYYY-MM-DD (default: next week)"
    )
    weeks: int = Field(default=DEFAULT_WEEKS, ge=1, le=MAX_WEEKS, description="weeks of history")
    target: str | None = Field(
        default=None, max_length=20, description="service level as percent/seconds, e.g. 80/20 (default: settings)"
    )
    shrinkage: float = Field(default=DEFAULT_SHRINKAGE, ge=0, lt=1, description="share of scheduled time lost")
    max_occupancy: float = Field(default=DEFAULT_MAX_OCCUPANCY, gt=0, le=1, description="occupancy cap")
    model: Literal["erlang-a", "erlang-c"] | None = Field(
        default=None,
        description="the queueing model: erlang-a (callers give up) or erlang-c (default: erlang-a when the history's "
        "abandons estimate the callers' patience soundly, else erlang-c)",
    )


def _agent_in_scope(call: Call, agent: str | None) -> None:
    """A supervisor reads the reports of their teams' agents, one agent at a time (the team: /api/reports/team)."""
    if call.scope is None:
        return
    if agent is None:
        raise Problem(403, M_("a supervisor reads one agent of their teams (agent=...) or /api/reports/team/{team}"))
    if agent not in call.scope:
        raise Problem(403, M_("{agent} is not in a team you supervise", agent=agent))


def _range(q: ReportQuery | InboundReportQuery | AgentsReportQuery) -> ReportRange:
    with invalid(ReportError, said=lambda exc: M_("from/to: {exc}", exc=exc)):
        return parse_report_range(q.from_, q.to)


def _text(body: str, content_type: str, filename: str | None = None) -> web.Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'} if filename else {}
    return web.Response(text=body, content_type=content_type, charset="utf-8", headers=headers)


def _csv(body: str, encoding: str, filename: str) -> web.Response:
    """A CSV download in the asked encoding (UTF-8 with BOM by default: CJK text opens right in Excel)."""
    with invalid(CsvEncodingError, said=lambda exc: M_("encoding: {exc}", exc=exc)):
        data = encode_csv(body, encoding)
    return web.Response(body=data, headers=csv_headers(encoding, filename))


def _respond(
    q: RenderedQuery,
    report: Report,
    filename: str,
    zone: str | None = None,
) -> web.Response:
    """One report in the asked format: the printable page (times in the user's zone, else ``zone``, the
    campaign's), a CSV download, or JSON."""
    if q.format == "html":
        with fallback_zone(zone):
            return _text(render(report, "html"), "text/html")
    if q.format == "csv":
        return _csv(render(report, "csv"), q.encoding, filename)
    return ok(report.as_json())


@routes.route("GET", "/api/reports", roles=MANAGERS, query=Paging)
async def get_reports(call: Call) -> web.Response:
    """Available reports, with links per campaign"""
    campaigns = [r.name for r in await list_campaigns(call.db)]
    links = {
        c: {n: f"/api/reports/{n}/{c}?format=" + ("csv" if n == "calls" else "html") for n in REPORTS}
        for c in campaigns
    }
    configured = set(call.app[SETTINGS].inbound_queues)
    inbound = sorted(configured | set(await inbound_queue_names(call.db)))
    return ok({"reports": available_reports(), "campaigns": links, "inbound_queues": inbound})


def _report_route(kind: str, roles: Iterable[Role]) -> Callable[[CallHandler], CallHandler]:
    """The route of one campaign's ``kind`` report: ``GET /api/reports/{kind}/{name}``, a ReportQuery, FORMATS."""
    return routes.route(
        "GET", f"/api/reports/{kind}/{{name}}", roles=roles, query=ReportQuery, response_content=FORMATS
    )


async def _campaign_report(
    call: Call, kind: str, build: Callable[[str, ReportRange], Awaitable[Report]]
) -> web.Response:
    """``build(campaign name, range)`` for the path's campaign (404 when there is none), in the asked format."""
    q = call.query_as(ReportQuery)
    name = call.path("name")
    span = _range(q)
    with refused(UnknownCampaignError, status=404):  # a report of no campaign
        report = await build(name, span)
    zone = await campaign_zone(call.db, name)
    return _respond(q, report, f"{kind}-{name}.csv", zone)


@_report_route("compliance", MANAGERS)
async def get_compliance_report(call: Call) -> web.Response:
    """Compliance report of a campaign (format=json|html|csv)"""
    return await _campaign_report(
        call, "compliance", lambda name, span: compliance_report(call.db, name, span, now=call.now())
    )


@_report_route("performance", SUPERVISORS)
async def get_performance_report(call: Call) -> web.Response:
    """Performance report of a campaign, optionally one agent (format=json|html|csv); supervisors: their agents"""
    agent = call.query_as(ReportQuery).agent
    _agent_in_scope(call, agent)
    return await _campaign_report(
        call, "performance", lambda name, span: performance_report(call.db, name, span, agent=agent, now=call.now())
    )


@_report_route("ivr", MANAGERS)
async def get_ivr_report(call: Call) -> web.Response:
    """IVR report of a campaign's flow calls: per node funnel, containment (format=json|html|csv)"""

    async def build(name: str, span: ReportRange) -> Report:
        record = await get_campaign(call.db, name)
        records = await ivr_results(call.db, campaign_id=record.id, since=span.start, until=span.end)
        return build_ivr_report(records, span, title=name)

    return await _campaign_report(call, "ivr", build)


@_report_route("calls", SUPERVISORS)
async def get_calls_report(call: Call) -> web.Response:
    """Call records of a campaign (json: the first 200; csv: all); supervisors: one agent of their teams"""
    q = call.query_as(ReportQuery)
    _agent_in_scope(call, q.agent)
    span = _range(q)
    name = call.path("name")
    with refused(UnknownCampaignError, status=404):  # a report of no campaign
        if q.format == "csv":
            record = await get_campaign(call.db, name)
            out = io.StringIO()
            await write_calls_csv(call.db, record.id, span, out, agent=q.agent)
            return _csv(out.getvalue(), q.encoding, f"calls-{name}.csv")
        if q.format == "html":
            raise Problem(422, M_("format: the call records come as json or csv"), kind="validation-error")
        report = await call_records_report(call.db, name, span, agent=q.agent)
    return ok(report.as_json())


@routes.route("GET", "/api/reports/inbound", roles=SUPERVISORS, query=InboundReportQuery, response_content=FORMATS)
async def get_inbound_report(call: Call) -> web.Response:
    """Inbound queues' service level over a range, hour by hour in the reader's zone (format=json|html|csv)"""
    q = call.query_as(InboundReportQuery)
    span = _range(q)
    settings = call.app[SETTINGS]
    rule = settings.inbound_service_level.rule()
    queues = sorted(settings.inbound_queues)
    if q.queue is not None and q.queue not in queues and q.queue not in await inbound_queue_names(call.db):
        raise Problem(422, M_("queue: no inbound queue {queue}", queue=q.queue), kind="validation-error")
    report = await inbound_report(call.db, span, rule, queue=q.queue, queues=queues, zone=current_zone())
    return _respond(q, report, f"inbound-{q.queue or 'all'}.csv")


@routes.route("GET", "/api/reports/agents", roles=SUPERVISORS, query=AgentsReportQuery, response_content=FORMATS)
async def get_agents_report(call: Call) -> web.Response:
    """Agent activity over a range, days in the reader's zone: time in each state, sign-ins, pauses per code against
    its limit, per team and in all (format=json|html|csv); supervisors: their teams' agents"""
    q = call.query_as(AgentsReportQuery)
    span = _range(q)
    scope = call.scope
    if q.agent is not None and scope is not None and q.agent not in scope:
        raise Problem(403, M_("{agent} is not in a team you supervise", agent=q.agent))
    agents = {q.agent} if q.agent is not None else scope
    report = await agent_activity_report(
        call.db,
        span,
        now=call.now(),
        zone=current_zone(),
        pause_codes=call.app[SETTINGS].pause_codes,
        agents=agents,
    )
    return _respond(q, report, f"agents-{q.agent or 'all'}.csv")


@routes.route("GET", "/api/reports/staffing", roles=MANAGERS, query=StaffingQuery, response_content=FORMATS)
async def get_staffing_report(call: Call) -> web.Response:
    """An inbound queue's staffing forecast: per half-hour of a week (the reader's zone) the forecast offered calls,
    the agents required (Erlang A or C) and to schedule, and forecast against actual where the week is over
    (format=json|html|csv)"""
    q = call.query_as(StaffingQuery)
    settings = call.app[SETTINGS]
    rule = settings.inbound_service_level.rule()
    now = call.now()
    zone = current_zone()
    with invalid(ReportError):
        target = StaffingTarget.of(rule, q.target, shrinkage=q.shrinkage, max_occupancy=q.max_occupancy)
        week = planned_week(q.week_of, now, zone)
        question = StaffingQuestion(q.queue, week, now, target, rule, q.weeks, zone, q.model)
    if q.queue not in settings.inbound_queues and q.queue not in await inbound_queue_names(call.db):
        raise Problem(422, M_("queue: no inbound queue {queue}", queue=q.queue), kind="validation-error")
    report = await staffing_forecast(call.db, question)
    return _respond(q, report, f"staffing-{q.queue}-{week.isoformat()}.csv")
