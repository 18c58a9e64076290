"""The agent console on a 390-px phone, in English and Japanese, in headless chromium: idle, with a call's screen pop
and call control, and in wrap-up, the page never scrolls sideways (the console's one column once held the width of
its widest row: the transfer buttons, the attempt history, the wrap-up's "ready in" buttons pushed it to 600-660
px, every card cut at the right edge).

Screenshots to tests/artifacts/ (git-ignored): console-phone-<locale>-<state>.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import PHONE, sticking_out, watch_errors, wrap_up_world
from harness.console import sign_in_agent

pytestmark = pytest.mark.browser

LONG_WRAPUP = 3600  # the agent stays in wrap-up while the test looks


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
async def test_the_console_fits_a_phone_idle_in_a_call_and_in_wrapup(
    locale: str, tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with wrap_up_world(tmp_path, aiohttp_client, LONG_WRAPUP, speed=5.0) as (_world, _client, base):
        context = await browser.new_context(locale=locale, viewport=PHONE)
        page = await context.new_page()
        errors: list[str] = []
        watch_errors(page, errors)
        await sign_in_agent(page, base, "alice", live=True, ready=False)

        async def fits(state: str) -> None:
            await page.screenshot(path=str(artifacts / f"console-phone-{locale}-{state}.png"), full_page=True)
            assert await sticking_out(page) == [], state

        await fits("idle")
        await page.keyboard.press("Alt+r")
        await page.wait_for_selector("#lead-name", timeout=60_000)
        await page.wait_for_selector("#cc-blind")
        await fits("call")
        await page.wait_for_selector("#state-pill.pill-wrapup", timeout=120_000)
        await page.wait_for_selector("#ready-in button[data-ready-seconds]")
        await fits("wrapup")
        assert errors == []
        await context.close()
