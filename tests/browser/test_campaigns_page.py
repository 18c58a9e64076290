"""Campaigns in the browser (headless chromium, the whole dialer): a manager reads a campaign's file, a refused
change says why and saves nothing, a checked change says what it changes and is saved (the running campaign takes
it), and a new campaign starts from an existing one's file. Screenshot: tests/artifacts/campaigns-page.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import assert_refused, browsed_world, has_text, signed_in
from harness.stepping import eventually

from dialer.appkeys import DIALER

pytestmark = pytest.mark.browser


async def _edit(page: Any, old: str, new: str) -> None:
    text = await page.input_value("#file-text")
    assert old in text
    await page.fill("#file-text", text.replace(old, new))


async def test_a_manager_checks_saves_and_creates_campaigns_from_the_file(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client) as (world, client, base):
        errors: list[str] = []
        page = await signed_in(browser, base, "boss", errors, "/dashboard")
        await page.click("a[href='/campaigns']")
        await page.wait_for_url(f"{base}/campaigns")
        await eventually(lambda: _value_has(page, 'name = "demo"'), 10)
        assert "ring_timeout_seconds = 22" in await page.input_value("#file-text")
        msg = page.locator("#file-msg")
        # Refused: the reason, and nothing saved.
        await _edit(page, "ring_timeout_seconds = 22", "ring_timeout_seconds = 10")
        await page.click("#btn-check")
        await eventually(lambda: has_text(msg, "ring"), 10)
        assert "msg-bad" in (await msg.get_attribute("class") or "")
        # The campaign named (no request method and path), each refused field on a line of its own.
        lines = [line.strip() for line in (await msg.inner_text()).splitlines()]
        assert lines[0] == "demo: invalid campaign", lines
        assert any(line.startswith("ring_timeout_seconds: ") for line in lines[1:]), lines
        # Checked: what it changes; saved: the running campaign takes it.
        await _edit(page, "ring_timeout_seconds = 10", "ring_timeout_seconds = 30")
        await page.click("#btn-check")
        await eventually(lambda: has_text(msg, "Valid: saving changes ring_timeout_seconds"), 10)
        stored = await (await client.get("/api/campaigns/demo", headers=world.auth("boss"))).json()
        assert stored["config"]["ring_timeout_seconds"] == 22  # a check saves nothing
        await page.click("#btn-save")
        await eventually(lambda: has_text(msg, "Saved: ring_timeout_seconds"), 10)
        await eventually(lambda: world.app[DIALER].runner("demo").config.ring_timeout_seconds == 30, 10)
        # A new campaign from this one's file: created stopped, listed.
        await page.fill("#new-name", "spring-sale")
        await page.click("#new-form button[type=submit]")
        assert 'name = "spring-sale"' in await page.input_value("#file-text")
        await page.click("#btn-check")
        await eventually(lambda: has_text(msg, "Valid: saving creates campaign spring-sale"), 10)
        await page.click("#btn-save")
        await eventually(lambda: has_text(msg, "Campaign spring-sale created"), 10)
        await page.locator("#campaigns-table tr[data-campaign=spring-sale]").wait_for(timeout=10_000)
        created = await (await client.get("/api/campaigns/spring-sale", headers=world.auth("boss"))).json()
        assert (created["stored_state"], created["config"]["ring_timeout_seconds"]) == ("stopped", 30)
        assert created["state"] != "running"  # not dialling until started
        await page.screenshot(path=str(artifacts / "campaigns-page.png"), full_page=True)
        # Not a page for agents or supervisors.
        agent = await signed_in(browser, base, "alice", errors, "/console")
        await assert_refused(agent, base, "/campaigns")
        assert not errors, errors
        await page.close()
        await agent.close()


async def _value_has(page: Any, text: str) -> bool:
    return text in await page.input_value("#file-text")
