"""The one way to render a report: ``render(report, format)``, used by the CLI and the web console.

Each format has one renderer module under :mod:`dialer.reports.render`; a report a format does not cover (the
call records and the staffing plan have no HTML page) is a :class:`ReportError`. The call records' CSV export is
streamed from the store instead (:func:`dialer.reports.calls.write_calls_csv`: it has every call, not the
report's first page)."""

from __future__ import annotations

import io
from typing import Literal

from dialer.i18n import M_, _
from dialer.reports.calls import CallRecordsReport
from dialer.reports.common import ReportError
from dialer.reports.compliance import ComplianceReport
from dialer.reports.ivr import IvrReport
from dialer.reports.performance import PerformanceReport
from dialer.reports.plan import StaffingPlan
from dialer.reports.render import csv, html, json, text

Format = Literal["text", "csv", "html", "json"]
Report = ComplianceReport | PerformanceReport | CallRecordsReport | StaffingPlan | IvrReport


def render(report: Report, fmt: Format) -> str:
    if fmt == "json":
        return json.render_json(report)
    if fmt == "text":
        return _text(report)
    if fmt == "csv":
        return _csv(report)
    return _html(report)


def _text(report: Report) -> str:
    if isinstance(report, ComplianceReport):
        return text.render_compliance_text(report)
    if isinstance(report, PerformanceReport):
        return text.render_performance_text(report)
    if isinstance(report, CallRecordsReport):
        return text.render_calls_text(report)
    if isinstance(report, IvrReport):
        return text.render_ivr_text(report)
    return text.render_plan_text(report)


def _csv(report: Report) -> str:
    out = io.StringIO()
    if isinstance(report, ComplianceReport):
        csv.compliance_csv(report, out)
    elif isinstance(report, PerformanceReport):
        csv.performance_csv(report, out)
    elif isinstance(report, IvrReport):
        csv.ivr_csv(report, out)
    else:
        raise ReportError(M_("no CSV rendering of the {name} report", name=_name(report)))
    return out.getvalue()


def _html(report: Report) -> str:
    if isinstance(report, ComplianceReport):
        return html.render_compliance_html(report)
    if isinstance(report, PerformanceReport):
        return html.render_performance_html(report)
    if isinstance(report, IvrReport):
        return html.render_ivr_html(report)
    raise ReportError(M_("no HTML page of the {name} report", name=_name(report)))


def _name(report: Report) -> str:
    return _("call records") if isinstance(report, CallRecordsReport) else _("staffing plan")
