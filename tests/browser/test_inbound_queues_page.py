"""The inbound queues as a manager watches them, in headless chromium against the whole dialer (the simulated PBX's
callers join inbound-sales): the dashboard's live card counts the callers waiting and the last hour's service level,
and the reports page opens the inbound report of a chosen queue.

Screenshots go to tests/artifacts/: dashboard-inbound, reports-inbound.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from harness.browser import browsed_world, signed_in, submitted_report
from harness.stepping import eventually
from harness.web import agent_ready

pytestmark = pytest.mark.browser


async def test_a_manager_watches_the_inbound_service_level_and_opens_its_report(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, speed=40.0, campaign_running=False) as (world, client, base):
        await agent_ready(world, client, "alice", "inbound-sales")
        errors: list[str] = []
        page = await signed_in(browser, base, "boss", errors, "/dashboard")
        context = page.context
        card = page.locator("#inbound-card")
        await card.locator(".inbound-queue[data-queue=inbound-sales]").wait_for()
        rule = await page.inner_text("#in-rule")  # the rule: 80 % within 20 s
        assert "80" in rule
        assert "20" in rule

        async def offered() -> bool:
            value = await card.locator(".kpi", has_text="Offered").locator(".value").inner_text()
            return value.strip() not in ("", "0")

        await eventually(offered, 120)  # callers came, and their visits ended
        level = await card.locator(".kpi", has_text="Service level").inner_text()
        assert "answered in time" in level
        await page.screenshot(path=str(artifacts / "dashboard-inbound.png"))
        # The same figures as the report's, from the stored visits.
        doc = await (await client.get("/api/dashboard", headers=world.auth("boss"))).json()
        (queue,) = doc["inbound"]
        assert queue["last_hour"]["offered"] >= 1

        await page.goto(f"{base}/reports")
        await page.wait_for_selector("#rep-queue option[value=inbound-sales]", state="attached")
        await page.select_option("#rep-kind", "inbound")
        assert not await page.is_visible("#rep-campaign")
        await page.select_option("#rep-queue", "inbound-sales")
        report = await submitted_report(context, page)
        url = urlparse(report.url)
        assert url.path == "/api/reports/inbound"
        assert parse_qs(url.query)["queue"] == ["inbound-sales"]
        assert "inbound-sales" in await report.title()
        assert "Service level" in await report.inner_text("body")
        await report.screenshot(path=str(artifacts / "reports-inbound.png"), full_page=True)
        assert not errors, errors
        await context.close()
