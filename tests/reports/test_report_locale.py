"""Report times and durations for a reader: Babel in the reader's language and zone on the HTML page and the
terminal; CSV keeps ISO 8601 in UTC (read by programs)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from harness.browser import catalogue_misses as page_misses
from harness.catalogue_scan import catalogue_misses as text_misses
from reports_history import NOW, History

from dialer.i18n import cli_zone, current_zone, fallback_zone, use_locale, use_zone
from dialer.reports import ReportRange
from dialer.reports.common import seconds_label, shown_time, wait_label
from dialer.reports.compliance_scan import compliance_report
from dialer.reports.ivr import FlowFigures, IvrReport, NodeFigures
from dialer.reports.output import render
from dialer.reports.performance_scan import performance_report


def test_times_and_seconds_follow_the_readers_language_and_zone() -> None:
    at = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    assert shown_time(at) == "Jan 5, 2026, 1:00:00\u202fAM UTC"  # CLDR: a narrow no-break space before AM
    with use_locale("ja"), use_zone("Asia/Tokyo"):
        assert shown_time(at) == "2026/01/05 10:00:00 JST"
        assert seconds_label(120.4) == "120 秒"
    with use_locale("zh-CN"), use_zone("Asia/Shanghai"):
        assert shown_time(at) == "2026年1月5日 09:00:00 CST"
        assert wait_label(1.04) == "1.0秒"
    assert seconds_label(None) == "n/a"
    with use_zone("Not/AZone"):
        assert current_zone() == "UTC"
    assert cli_zone({"TZ": ":Asia/Tokyo"}) == "Asia/Tokyo"
    assert cli_zone({"DIALER_TZ": "Europe/London", "TZ": "Asia/Tokyo"}) == "Europe/London"
    assert cli_zone({"TZ": "nowhere"}) is None


async def test_a_japanese_readers_report_in_tokyo_time(sqlite_history: History) -> None:
    db = sqlite_history.db
    compliance = await compliance_report(db, "ukspring", ReportRange(), now=NOW)
    performance = await performance_report(db, "ukspring", ReportRange(), now=NOW)
    with use_locale("ja"), use_zone("Asia/Tokyo"):
        page = render(compliance, "html")
        perf = render(performance, "html")
        csv = render(compliance, "csv")
    assert "2026/03/04 21:00:00 JST" in page  # generated at NOW (12:00 UTC) in Tokyo
    assert "時刻は Asia/Tokyo。" in page
    assert "2026-03-04T12:00:00+00:00" not in page
    assert "120 秒" in perf
    assert "+00:00" in csv  # CSV: ISO 8601, machine-readable
    assert "JST" not in csv


def test_a_campaigns_zone_is_the_fallback_only() -> None:
    with fallback_zone("Asia/Shanghai"):
        assert current_zone() == "Asia/Shanghai"
    with use_zone("Europe/London"), fallback_zone("Asia/Shanghai"):
        assert current_zone() == "Europe/London"  # the reader's own choice wins
    with fallback_zone(None):
        assert current_zone() == "UTC"


def _ivr_report() -> IvrReport:
    """One flow with a node of each kind of figure (the figures as build_ivr_report makes them)."""
    nodes = (
        NodeFigures("greet", "play", 10, {"next": 9, "hangup": 1}, 4.0, 1),
        NodeFigures("menu", "menu", 9, {"1": 6, "2": 3}, 7.5, 0),
    )
    flow = FlowFigures(
        flow="reminder",
        calls=12,
        people=10,
        contained=6,
        transferred=3,
        abandoned_in_queue=1,
        opted_out=1,
        machine_messages=2,
        listened_to_end=8,
        results={"confirmed": 6, "agent": 3},
        nodes=nodes,
        mean_seconds=31.0,
        repeat_callers=1,
        callers=10,
    )
    at = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    return IvrReport(title="remind", range=ReportRange(at, at + timedelta(hours=8)), repeat_days=7, flows=(flow,))


@pytest.mark.parametrize("locale", ["ja", "zh-CN", "zh-Hant"])
def test_the_ivr_page_has_no_english_left(locale: str) -> None:
    report = _ivr_report()
    with use_locale(locale), use_zone("Asia/Tokyo"):
        page = render(report, "html")
    assert f'<html lang="{locale}">' in page
    assert page_misses(page, locale) == []
    assert text_misses(page, locale) == []
    # What is left in Latin letters is the flow's own names and codes (flow, nodes, results, exits) and IVR.
    shown = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S)
    codes = {"IVR", "JST", "remind", "reminder", "greet", "play", "menu", "next", "hangup", "confirmed", "agent"}
    assert set(re.findall(r"[A-Za-z]{2,}", shown)) - codes == set(), shown
    english = render(report, "html")
    assert "containment rate" in english
    assert "Calls started" in english
