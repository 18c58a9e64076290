"""Golden outputs: every report in every format, rendered from the fixed synthetic history, byte for byte.

The expected bytes live in tests/reports/golden/ (recorded before the renderers were split from the models).
A deliberate change of a report's output regenerates them with ``DIALER_GOLDEN_UPDATE=1`` and shows in review.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from reports_history import NOW, History

from dialer.reports import ReportRange
from dialer.reports.calls import call_records_report, render_calls_text, write_calls_csv
from dialer.reports.compliance import compliance_csv, compliance_report, render_compliance_html, render_compliance_text
from dialer.reports.performance import (
    disposition_svg,
    hourly_contact_svg,
    performance_csv,
    performance_report,
    render_performance_html,
    render_performance_text,
)
from dialer.reports.plan import measure_campaign, render_plan_text, run_plan
from dialer.store.campaigns import load_stored_campaign

GOLDEN = Path(__file__).parent / "golden"


def _json(obj: object) -> str:
    return json.dumps(obj, default=str, ensure_ascii=False, indent=1) + "\n"


def _csv(write: Callable[[io.StringIO], object]) -> str:
    out = io.StringIO()
    write(out)
    return out.getvalue()


def _check(outputs: dict[str, str]) -> None:
    update = os.environ.get("DIALER_GOLDEN_UPDATE") == "1"
    for name, text in outputs.items():
        path = GOLDEN / name
        if update:
            GOLDEN.mkdir(exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
            continue
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
            "compliance.txt": render_compliance_text(compliance),
            "compliance.csv": _csv(lambda out: compliance_csv(compliance, out)),
            "compliance.html": render_compliance_html(compliance),
            "compliance.json": _json(compliance.as_json()),
            "performance.txt": render_performance_text(performance),
            "performance.csv": _csv(lambda out: performance_csv(performance, out)),
            "performance.html": render_performance_html(performance),
            "performance.json": _json(performance.as_json()),
            "performance-hourly.svg": hourly_contact_svg(performance),
            "performance-dispositions.svg": disposition_svg(performance),
            "performance-a1.txt": render_performance_text(one_agent),
            "performance-a1.html": render_performance_html(one_agent),
            "calls.txt": render_calls_text(calls),
            "calls.csv": calls_csv.getvalue(),
            "calls.json": _json(calls.as_json()),
            "plan.txt": render_plan_text(plan, NOW),
            "plan.json": _json(plan.as_json()),
        }
    )


@pytest.mark.parametrize("name", ["compliance.txt", "performance.html", "calls.csv", "plan.txt"])
def test_the_golden_outputs_are_recorded(name: str) -> None:
    assert (GOLDEN / name).stat().st_size > 0
