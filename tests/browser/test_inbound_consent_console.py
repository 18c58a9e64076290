"""Consent recorded on an inbound call in the browser (headless chromium, the whole dialer on the simulated PBX):
an agent in the inbound queue takes a caller whose number is a lead of the CN sample campaign (without consent);
the screen pop shows the lead and *Record consent*; she records how it was given (keyboard only: the box, Enter)
and the console says "Consent recorded (when)". The lead's consent names the inbound call and the agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import VIEWPORT, browsed_world, watch_errors
from harness.console import sign_in_agent
from harness.paths import REPO
from harness.web import TALKATIVE, inbound_caller_leads

pytestmark = pytest.mark.browser


async def test_the_agent_records_consent_on_an_inbound_call(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    campaign = REPO / "campaigns/demo-zh-CN.toml"
    async with browsed_world(
        tmp_path,
        aiohttp_client,
        speed=40.0,
        campaign_file=campaign,
        leads_file=inbound_caller_leads(tmp_path),
        scenario=TALKATIVE,
    ) as (world, client, base):
        context = await browser.new_context(locale="en-US", timezone_id="UTC", viewport=VIEWPORT)
        page = await context.new_page()
        errors: list[str] = []
        watch_errors(page, errors)
        await sign_in_agent(page, base, "alice", queue="inbound-sales", see_ready=False)
        await page.wait_for_selector(".inbound-banner", timeout=60_000)
        await page.wait_for_selector("#consent-panel:not([hidden])")
        assert await page.locator("#consent-recorded").is_hidden()
        lead_text = await page.locator("#screen-pop").inner_text()
        assert "known lead of campaign demo-zh-cn" in lead_text

        await page.focus("#consent-source")
        await page.keyboard.type("asked to be called")
        await page.keyboard.press("Enter")
        recorded = page.locator("#consent-recorded")
        await recorded.wait_for()
        assert (await recorded.inner_text()).startswith("Consent recorded (")
        assert await page.locator("#consent-form").is_hidden()
        await page.screenshot(path=str(artifacts / "console-inbound-consent-recorded.png"))

        call = (await (await client.get("/api/agents/alice/call", headers=world.auth("alice"))).json())["call"]
        lead = await (await client.get(f"/api/leads/{call['lead']['id']}", headers=world.auth("boss"))).json()
        assert lead["consent_source"].startswith("inbound ")
        assert lead["consent_source"].endswith(" by alice: asked to be called")
        assert not errors, errors
        await context.close()
