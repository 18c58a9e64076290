"""The reports page in headless chromium, against the whole dialer: a manager picks a campaign, a report and the
days, and the report opens in a new tab over exactly those days (whole days in the browser's time zone)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from harness.browser import VIEWPORT, browsed_world, login, submitted_report

pytestmark = pytest.mark.browser


async def test_a_manager_opens_a_report_over_chosen_days(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client) as (_world, _client, base):
        context = await browser.new_context(viewport=VIEWPORT, timezone_id="Asia/Tokyo")
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await login(page, base, "boss")
        await page.wait_for_url(f"{base}/dashboard")
        await page.click("a[href='/reports']")
        await page.wait_for_url(f"{base}/reports")
        await page.wait_for_selector("#rep-campaign option[value=demo]", state="attached")
        await page.select_option("#rep-kind", "compliance")
        await page.fill("#rep-from", "2026-11-23")
        await page.fill("#rep-to", "2026-11-24")
        report = await submitted_report(context, page)
        url = urlparse(report.url)
        assert url.path == "/api/reports/compliance/demo"
        query = parse_qs(url.query)
        # Tokyo's 23 November starts at 15:00 UTC the day before; the 24th ends at 15:00 UTC on the 24th.
        assert query["from"] == ["2026-11-22T15:00:00.000Z"]
        assert query["to"] == ["2026-11-24T15:00:00.000Z"]
        assert query["format"] == ["html"]
        assert "demo" in await report.title()
        await report.screenshot(path=str(artifacts / "reports-page-compliance.png"))
        assert not errors, errors
        await context.close()
