"""Golden outputs: every report in every format, rendered from the fixed synthetic history, byte for byte.

The expected bytes live in tests/reports/golden/ (recorded before the renderers were split from the models).
A deliberate change of a report's output regenerates them with ``DIALER_GOLDEN_UPDATE=1`` and shows in review.
An HTML page is checked as two goldens that together hold every byte of it: the frame every report's page shares
(``page-frame.html``: head, styles, the ``{title}`` and ``{body}`` it wraps) and the report's own part
(``<name>-body.html``: its ``<title>`` line, then its body), so that a change to the frame is one golden's change.
"""

from __future__ import annotations

import io
import json
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from activity_history import DAY2, add_activity
from harness.databases import database_spec, migrated
from reports_history import DAY1, NOW, History
from staffing_history import NOW as STAFFING_NOW
from staffing_history import QUEUE as STAFFING_QUEUE
from staffing_history import WEEK as STAFFING_WEEK
from staffing_history import add_staffing_history

from dialer.agents.pausecodes import DEFAULT_PAUSE_CODES
from dialer.inbound.figures import ServiceLevelRule
from dialer.reports import ReportRange
from dialer.reports.activity import agent_activity_report
from dialer.reports.calls import call_records_report, write_calls_csv
from dialer.reports.common import ReportError
from dialer.reports.compliance_scan import compliance_report
from dialer.reports.output import render
from dialer.reports.performance import contact_rate_by_hour, disposition_counts
from dialer.reports.performance_scan import performance_report
from dialer.reports.plan import measure_campaign, run_plan
from dialer.reports.render.svg import bar_chart
from dialer.reports.staffing import StaffingQuestion, StaffingTarget, staffing_forecast
from dialer.store.campaigns import load_stored_campaign

GOLDEN = Path(__file__).parent / "golden"
FRAME = "page-frame.html"


def _json(obj: object) -> str:
    return json.dumps(obj, default=str, ensure_ascii=False, indent=1) + "\n"


def _page_parts(page: str) -> tuple[str, str]:
    """A report's HTML page as its frame (the page with ``{title}`` and ``{body}`` in place of its title and body)
    and its own part (its ``<title>`` line, then its body): the frame with both put back is the page."""
    parts = re.fullmatch(r"(.*?<title>)(.*?)(</title>.*?<body>\n)(.*)(\n</body></html>\n)", page, re.DOTALL)
    assert parts is not None, "not a report's HTML page"
    head, title, middle, body, tail = parts.groups()
    return f"{head}{{title}}{middle}{{body}}{tail}", f"<title>{title}</title>\n{body}\n"


def _check(outputs: dict[str, str]) -> None:
    """Each output against its golden; an HTML page as the shared frame's golden and its own part's."""
    for name, text in outputs.items():
        if name.endswith(".html"):
            frame, own = _page_parts(text)
            _check_one(FRAME, frame)
            _check_one(name.removesuffix(".html") + "-body.html", own)
        else:
            _check_one(name, text)


def _check_one(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("DIALER_GOLDEN_UPDATE") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        return
    assert path.read_bytes() == text.encode("utf-8"), f"{name} differs from its golden output"


async def test_every_report_in_every_format_matches_its_golden_output(sqlite_history: History) -> None:
    db = sqlite_history.db
    compliance = await compliance_report(db, "ukspring", ReportRange(), now=NOW)
    performance = await performance_report(db, "ukspring", ReportRange(), now=NOW)
    one_agent = await performance_report(db, "ukspring", ReportRange(), agent="a1", now=NOW)
    calls = await call_records_report(db, "ukspring", ReportRange(), limit=5)
    record, _config = await load_stored_campaign(db, "ukspring")
    calls_csv = io.StringIO()
    await write_calls_csv(db, record.id, ReportRange(), calls_csv)
    config, world = await measure_campaign(db, "ukspring", ReportRange())
    plan = run_plan(config, world, [2, 4], hours=0.5, seed=3)
    _check(
        {
            "compliance.txt": render(compliance, "text"),
            "compliance.csv": render(compliance, "csv"),
            "compliance.html": render(compliance, "html"),
            "compliance.json": _json(compliance.as_json()),
            "performance.txt": render(performance, "text"),
            "performance.csv": render(performance, "csv"),
            "performance.html": render(performance, "html"),
            "performance.json": _json(performance.as_json()),
            "performance-hourly.svg": bar_chart(contact_rate_by_hour(performance)),
            "performance-dispositions.svg": bar_chart(disposition_counts(performance)),
            "performance-a1.txt": render(one_agent, "text"),
            "performance-a1.html": render(one_agent, "html"),
            "calls.txt": render(calls, "text"),
            "calls.csv": calls_csv.getvalue(),
            "calls.json": _json(calls.as_json()),
            "plan.txt": render(plan, "text"),
            "plan.json": _json(plan.as_json()),
        }
    )


async def test_the_agent_activity_report_matches_its_golden_output(sqlite_history: History) -> None:
    await add_activity(sqlite_history.db)
    span = ReportRange(DAY1, DAY2 + timedelta(days=1))
    agents = await agent_activity_report(sqlite_history.db, span, now=NOW, zone="UTC", pause_codes=DEFAULT_PAUSE_CODES)
    _check(
        {
            "agents.txt": render(agents, "text"),
            "agents.csv": render(agents, "csv"),
            "agents.html": render(agents, "html"),
            "agents.json": _json(agents.as_json()),
        }
    )


@pytest.mark.parametrize("name", ["compliance.txt", FRAME, "performance-body.html", "calls.csv", "plan.txt"])
def test_the_golden_outputs_are_recorded(name: str) -> None:
    assert (GOLDEN / name).stat().st_size > 0


async def test_a_format_a_report_does_not_have_is_a_clear_error(sqlite_history: History) -> None:
    calls = await call_records_report(sqlite_history.db, "ukspring", ReportRange(), limit=1)
    with pytest.raises(ReportError, match="no HTML page of the call records report"):
        render(calls, "html")
    with pytest.raises(ReportError, match="no CSV rendering of the call records report"):
        render(calls, "csv")


async def test_the_inbound_staffing_forecast_matches_its_golden_output(tmp_path: Path) -> None:
    async with database_spec("sqlite", tmp_path / "staffing.db") as spec, migrated(spec) as db:
        await add_staffing_history(db)
        rule = ServiceLevelRule()
        question = StaffingQuestion(STAFFING_QUEUE, STAFFING_WEEK, STAFFING_NOW, StaffingTarget.of(rule), rule)
        staffing = await staffing_forecast(db, question)
    _check(
        {
            "staffing.txt": render(staffing, "text"),
            "staffing.csv": render(staffing, "csv"),
            "staffing.html": render(staffing, "html"),
            "staffing.json": _json(staffing.as_json()),
        }
    )
