"""Late dispositions in the agent console, in headless chromium: "My recent calls" marks a call whose wrap-up ran
out without the agent's disposition (timer mode, the campaign's timeout disposition given), and the agent gives it
one from the list with the keyboard alone; the number goes on the DNC list and the call is no longer marked.

Screenshot to tests/artifacts/ (git-ignored): console-late-disposition.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import browsed_world
from harness.console import agent_console
from harness.stepping import eventually
from harness.web import demo_campaign_with_wrap_up

from dialer.store.attempts import get_attempt
from dialer.store.dnc import check_dnc

pytestmark = pytest.mark.browser

SPEED = 5.0


async def test_a_call_awaiting_my_disposition_is_marked_and_dispositioned_from_the_list(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    campaign = demo_campaign_with_wrap_up(tmp_path, 2)
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(
        text.replace('wrap_up_ends = "timer"', 'wrap_up_ends = "timer"\ntimeout_disposition = "no_decision"')
    )
    async with browsed_world(tmp_path, aiohttp_client, speed=SPEED, campaign_file=campaign) as (world, _c, base):
        errors: list[str] = []
        page = await agent_console(browser, base, errors, "alice", live=True)
        awaiting = page.locator("#recent-calls li.awaiting").first
        await awaiting.wait_for(timeout=120_000)
        attempt = int(str(await awaiting.get_attribute("data-attempt")))
        item = page.locator(f'#recent-calls li[data-attempt="{attempt}"]')
        assert "awaiting your disposition" in await item.inner_text()

        # Keyboard only: the toggle opens the campaign's dispositions, focus on the first; Tab to "Do not call".
        toggle = item.locator("button[aria-controls]")
        await toggle.focus()
        await page.keyboard.press("Enter")
        assert await toggle.get_attribute("aria-expanded") == "true"
        form = item.locator(".late-dispo")
        await form.wait_for(state="visible")
        codes = await form.locator("button[data-late-code]").evaluate_all("(bs) => bs.map((b) => b.dataset.lateCode)")
        assert await page.evaluate("document.activeElement.dataset.lateCode") == codes[0]
        for _ in range(codes.index("dnc")):
            await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.dataset.lateCode") == "dnc"
        await page.screenshot(path=str(artifacts / "console-late-disposition.png"))
        await page.keyboard.press("Enter")

        saved = page.locator(f'#recent-calls li[data-attempt="{attempt}"]:not(.awaiting)')
        await saved.wait_for(timeout=30_000)
        assert "dnc" in await saved.inner_text()
        stored = await get_attempt(world.dialer.db, attempt)
        assert stored is not None
        assert (stored.disposition, stored.late_disposition_by) == ("dnc", "alice")

        async def listed() -> bool:
            return bool(await check_dnc(world.dialer.db, stored.phone))

        assert await eventually(listed)
        assert not errors, errors
        await page.close()
