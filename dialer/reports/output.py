"""The one way to render a report: ``render(report, format)``, used by the CLI and the web console.

Each format has one renderer module under :mod:`dialer.reports.render`; a report a format does not cover (the
call records and the staffing plan have no HTML page) is a :class:`ReportError`. The call records' CSV export is
streamed from the store instead (:func:`dialer.reports.calls.write_calls_csv`: it has every call, not the
report's first page)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal, TextIO, TypeVar

from dialer.i18n import M_, _
from dialer.reports.activity import AgentActivityReport
from dialer.reports.calls import CallRecordsReport
from dialer.reports.common import ReportError
from dialer.reports.compliance import ComplianceReport
from dialer.reports.inbound import InboundReport
from dialer.reports.ivr import IvrReport
from dialer.reports.performance import PerformanceReport
from dialer.reports.plan import StaffingPlan
from dialer.reports.render import csv, html, json, text
from dialer.reports.staffing import StaffingForecast

Format = Literal["text", "csv", "html", "json"]
Report = (
    AgentActivityReport
    | ComplianceReport
    | PerformanceReport
    | CallRecordsReport
    | StaffingPlan
    | IvrReport
    | InboundReport
    | StaffingForecast
)
_R = TypeVar("_R")


def render(report: Report, fmt: Format) -> str:
    if fmt == "json":
        return json.render_json(report)
    renderers = _renderers(report)
    if fmt == "text":
        return renderers.text()
    if fmt == "csv":
        if renderers.csv is None:
            raise ReportError(M_("no CSV rendering of the {name} report", name=_name(report)))
        out = io.StringIO()
        renderers.csv(out)
        return out.getvalue()
    if renderers.html is None:
        raise ReportError(M_("no HTML page of the {name} report", name=_name(report)))
    return renderers.html()


@dataclass(frozen=True, slots=True)
class _Renderers:
    """One report's renderers, bound to it: its text, and its CSV and printable page where it has them."""

    text: Callable[[], str]
    csv: Callable[[TextIO], int] | None = None
    html: Callable[[], str] | None = None


def _renderers(report: Report) -> _Renderers:
    """Which renderer of each format (:mod:`dialer.reports.render`) shows ``report``."""
    if isinstance(report, ComplianceReport):
        return _every_format(report, text.render_compliance_text, csv.compliance_csv, html.render_compliance_html)
    if isinstance(report, PerformanceReport):
        return _every_format(report, text.render_performance_text, csv.performance_csv, html.render_performance_html)
    if isinstance(report, IvrReport):
        return _every_format(report, text.render_ivr_text, csv.ivr_csv, html.render_ivr_html)
    if isinstance(report, InboundReport):
        return _every_format(report, text.render_inbound_text, csv.inbound_csv, html.render_inbound_html)
    if isinstance(report, AgentActivityReport):
        return _every_format(report, text.render_agents_text, csv.agents_csv, html.render_agents_html)
    if isinstance(report, StaffingForecast):
        return _every_format(report, text.render_staffing_text, csv.staffing_csv, html.render_staffing_html)
    if isinstance(report, CallRecordsReport):
        return _Renderers(partial(text.render_calls_text, report))
    return _Renderers(partial(text.render_plan_text, report))


def _every_format(
    report: _R, as_text: Callable[[_R], str], as_csv: Callable[[_R, TextIO], int], as_html: Callable[[_R], str]
) -> _Renderers:
    """The renderers of a report shown in every format, bound to it."""
    return _Renderers(partial(as_text, report), partial(as_csv, report), partial(as_html, report))


def _name(report: Report) -> str:
    return _("call records") if isinstance(report, CallRecordsReport) else _("staffing plan")
