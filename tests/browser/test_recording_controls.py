"""The console's recording buttons follow the campaign's recording mode and the call's recording (headless chromium,
the whole dialer, the simulated PBX recording as Asterisk 22 does): none for a campaign that never records; on
demand, Start first, then Pause and Stop, then Resume -- each enabled only when it applies, and each press heard by
the PBX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import browsed_world
from harness.console import console_with_a_call
from harness.paths import REPO
from harness.stepping import eventually

pytestmark = pytest.mark.browser

BUTTONS = ("start", "pause", "resume", "stop")


async def _buttons(page: Any) -> dict[str, str]:
    """Each recording button: "hidden", "off" (shown, disabled) or "on"."""
    seen: dict[str, str] = {}
    for action in BUTTONS:
        button = page.locator(f"#rec-{action}")
        if not await button.is_visible():
            seen[action] = "hidden"
        else:
            seen[action] = "off" if await button.is_disabled() else "on"
    return seen


async def _buttons_are(page: Any, expected: dict[str, str]) -> bool:
    return await _buttons(page) == expected


async def _take_a_call(browser: Any, base: str, errors: list[str]) -> Any:
    page = await console_with_a_call(browser, base, errors, "alice")
    await page.wait_for_selector("#script-panel:not([hidden])", timeout=10_000)
    return page


async def test_a_campaign_that_never_records_offers_no_recording_button(
    tmp_path: Path, aiohttp_client: Any, browser: Any
) -> None:
    async with browsed_world(tmp_path, aiohttp_client) as (_world, _client, base):
        errors: list[str] = []
        page = await _take_a_call(browser, base, errors)
        await eventually(lambda: page.locator("#rec-controls").is_hidden(), 10)
        assert not errors, errors
        await page.close()


async def test_on_demand_recording_buttons_follow_the_recording(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, write_recordings=True) as (world, client, base):
        text = 'recording = "on_demand"\n' + (REPO / "campaigns/demo.toml").read_text(encoding="utf-8")
        headers = {**world.auth("boss"), "Content-Type": "application/toml"}
        resp = await client.put("/api/campaigns/demo", data=text, headers=headers)
        assert resp.status == 200, await resp.text()
        errors: list[str] = []
        page = await _take_a_call(browser, base, errors)
        states = ("start", "pause", "resume", "stop")
        await eventually(lambda: _buttons_are(page, dict(zip(states, ("on", "off", "off", "off"), strict=True))), 10)
        await page.click("#rec-start")
        await eventually(lambda: _buttons_are(page, dict(zip(states, ("off", "on", "off", "on"), strict=True))), 10)
        await page.click("#rec-pause")
        await eventually(lambda: _buttons_are(page, dict(zip(states, ("off", "off", "on", "on"), strict=True))), 10)
        assert "Recording paused" in await page.inner_text("#rec-msg")
        await page.screenshot(path=str(artifacts / "console-recording-controls.png"))
        call = (await (await client.get("/api/agents/alice/call", headers=world.auth("alice"))).json())["call"]

        async def paused_on_record() -> bool:
            resp = await client.get(f"/api/recordings/{call['attempt']['id']}", headers=world.auth("boss"))
            return resp.status == 200 and (await resp.json())["state"] == "paused"

        await eventually(paused_on_record, 10)  # the PBX muted it (MixMonitorMute), the row says so
        again = (await (await client.get("/api/agents/alice/call", headers=world.auth("alice"))).json())["call"]
        assert again["recording"] == {"mode": "on_demand", "state": "paused"}
        assert not errors, errors
        await page.close()
