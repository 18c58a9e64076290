"""Consent recorded on the call in the browser (headless chromium, the whole dialer on the simulated PBX), on the
CN sample campaign: a lead without consent is dialled for the callback its caller asked for; the agent's "callback"
disposition is refused with the reason (record the called party's consent first), nothing lost; she records how
the consent was given (keyboard only: the box, Enter), the console says "Consent recorded (when)", and the same
disposition is then saved. The lead's consent names the call and the agent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness.browser import VIEWPORT, browsed_world, has_text, watch_errors
from harness.clock import clock_dt
from harness.console import sign_in_agent
from harness.paths import REPO
from harness.stepping import eventually

from dialer.appkeys import DATABASE
from dialer.sim.model import Profile, load_scenario
from dialer.store.console import CallbackRequest, create_callback

pytestmark = pytest.mark.browser

# Tuesday 2026-11-24 02:00 UTC: 10:00 in Shanghai, inside the CN campaign's calling window.
START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC).timestamp()
# The callback booked: Wednesday 11:00 in Shanghai (the browser runs in UTC: the picker's value is UTC).
CALLBACK_AT = "2026-11-25T03:00"
ANSWERED = load_scenario("demo")
ANSWERED = replace(ANSWERED, outbound=replace(ANSWERED.outbound, answer_probability=Profile.constant(1.0)))


def cn_campaign(tmp_path: Path) -> tuple[Path, Path]:
    """The CN sample campaign, its wrap-up ended by the disposition only (the call waits for hers), and a list of one
    lead without consent."""
    text = (REPO / "campaigns/demo-zh-CN.toml").read_text(encoding="utf-8")
    assert "wrap_up_seconds = 15" in text
    campaign = tmp_path / "cn.toml"
    campaign.write_text(text.replace("wrap_up_seconds = 15", 'wrap_up_seconds = 15\nwrap_up_ends = "disposition"'))
    leads = tmp_path / "cn.csv"
    leads.write_text("姓名,手机号,备注\n吴 洋,139 5736 6498,对500M套餐感兴趣\n", encoding="utf-8")
    return campaign, leads


async def test_the_agent_records_consent_then_books_the_callback(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    campaign, leads = cn_campaign(tmp_path)
    async with browsed_world(
        tmp_path, aiohttp_client, campaign_file=campaign, leads_file=leads, start_epoch=START, scenario=ANSWERED
    ) as (world, client, base):
        context = await browser.new_context(locale="en-US", timezone_id="UTC", viewport=VIEWPORT)
        page = await context.new_page()
        errors: list[str] = []
        watch_errors(page, errors)
        await sign_in_agent(page, base, "alice")
        # The caller asked to be called back (the IVR's "call me back"): the one call the lead may get.
        now = clock_dt(world.clock)
        asked = CallbackRequest(source="ivr flow inbound", at=now)
        assert await create_callback(world.app[DATABASE], 1, now, None, None, now, requested=asked)
        await page.wait_for_selector("#lead-requested-callback", timeout=30_000)
        await page.wait_for_selector("#consent-panel:not([hidden])")
        assert await page.locator("#consent-recorded").is_hidden()

        # A callback now would never be dialled: refused, with the reason; the time and the call stay.
        await page.fill("#callback-at", CALLBACK_AT)
        await page.click('#dispo-buttons [data-code="callback"]')
        message = page.locator("#dispo-msg.error")
        await message.wait_for()
        assert "record the called party's consent first" in await message.inner_text()
        assert await page.input_value("#callback-at") == CALLBACK_AT

        # Keyboard only: the box, then Enter.
        await page.focus("#consent-source")
        await page.keyboard.type("verbal on the call")
        await page.keyboard.press("Enter")
        recorded = page.locator("#consent-recorded")
        await recorded.wait_for()
        assert (await recorded.inner_text()).startswith("Consent recorded (")
        assert await page.locator("#consent-form").is_hidden()
        await page.screenshot(path=str(artifacts / "console-consent-recorded.png"))

        await page.click('#dispo-buttons [data-code="callback"]')
        assert await eventually(lambda: has_text(page.locator("#dispo-msg"), "Saved"), 30.0)
        lead = await (await client.get("/api/leads/1", headers=world.auth("boss"))).json()
        history = await (await client.get("/api/agents/alice/calls", headers=world.auth("alice"))).json()
        attempt = history["items"][0]["id"]
        assert lead["consent_source"] == f"call {attempt} by alice: verbal on the call"
        assert (lead["status"], lead["callback_agent"]) == ("callback", "alice")
        assert not errors, errors
        await context.close()
