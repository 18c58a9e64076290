"""The inbound staffing forecast on /reports, in headless chromium: a manager picks a queue and a week, the printable
page opens in a new tab with the week's grid; a bad target is the server's sentence under the form.

Screenshot: tests/artifacts/reports-staffing.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from harness.browser import browsed_world, signed_in, submitted_report

from dialer.inbound.calls import InboundOutcome
from dialer.store.inbound_calls import InboundCallRecord, record_inbound_calls

pytestmark = pytest.mark.browser

HISTORY_MONDAY = datetime(2026, 11, 9, 10, tzinfo=UTC)  # the harness clock starts on Monday 23 November 2026


async def test_a_manager_opens_a_queues_staffing_forecast(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, campaign_running=False) as (world, _client, base):
        visits = [
            InboundCallRecord(
                "pbx", "care", "", at, at + timedelta(seconds=200), InboundOutcome.ANSWERED, 10.0, 190.0, "PJSIP/1001"
            )
            for at in (HISTORY_MONDAY + timedelta(minutes=3 * i) for i in range(8))
        ]
        await record_inbound_calls(world.dialer.db, visits)
        errors: list[str] = []
        page = await signed_in(browser, base, "boss", errors, "/dashboard", then="/reports")
        context = page.context
        await page.wait_for_selector("#rep-queue option[value=care]", state="attached")
        await page.select_option("#rep-kind", "staffing")
        assert not await page.is_visible("#rep-from")
        assert await page.is_visible("#rep-week")
        assert await page.input_value("#rep-queue") != ""  # a forecast is one queue's: "all" is not offered
        await page.select_option("#rep-queue", "care")
        await page.fill("#rep-week", "2026-11-16")
        await page.select_option("#rep-model", "erlang-c")
        report = await submitted_report(context, page)
        url = urlparse(report.url)
        assert url.path == "/api/reports/staffing"
        query = parse_qs(url.query)
        assert query["queue"] == ["care"]
        assert query["week_of"] == ["2026-11-16"]
        assert query["shrinkage"] == ["0.3"]
        assert query["model"] == ["erlang-c"]
        body = await report.inner_text("body")
        assert "Agents to schedule" in body
        assert "agents sized with Erlang C: Erlang C asked for" in body
        assert "Agents required: Erlang A/Erlang C" in body
        assert "Offered calls: forecast/actual" in body  # the week is over: forecast against actual
        await report.screenshot(path=str(artifacts / "reports-staffing.png"), full_page=True)
        await report.close()
        await page.fill("#rep-target", "80")
        await page.click("#rep-form button[type=submit]")
        await page.wait_for_selector("#rep-msg:not([hidden])")
        assert "percent/seconds" in await page.inner_text("#rep-msg")
        assert not errors, errors
        await context.close()
