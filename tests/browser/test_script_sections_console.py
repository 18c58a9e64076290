"""Script sections in the agent console (headless chromium, the whole dialer, the simulated PBX): beside the screen
pop the opening offers the campaign's branches; the agent moves to the objection step, which offers only its own
next step, then to the close, which names the disposition it leads to, and back to the opening; every text is set
as text (a lead value can never become markup). Screenshot: tests/artifacts/console-script-sections.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import browsed_world
from harness.console import console_with_a_call
from harness.paths import REPO

pytestmark = pytest.mark.browser

SECTIONS = """
[script_sections.price]
title = "Too expensive"
text = "I understand, {{ first_name }}. Let me show you what it saves."
next = ["close"]
[script_sections.close]
title = "Close"
text = "Shall I set it up for you, {{ full_name }}?"
disposition = "sale"
[script_sections.later]
title = "Call me later"
text = "When would suit you better?"
"""


async def buttons(page: Any) -> list[str]:
    return [str(t) for t in await page.locator("#script-sections button").all_inner_texts()]


async def test_the_agent_moves_between_script_sections(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client) as (world, client, base):
        boss = world.auth("boss")
        text = (REPO / "campaigns/demo.toml").read_text(encoding="utf-8") + SECTIONS
        resp = await client.put("/api/campaigns/demo", data=text, headers={**boss, "Content-Type": "application/toml"})
        assert resp.status == 200, await resp.text()
        errors: list[str] = []
        console = await console_with_a_call(browser, base, errors, "alice")
        await console.wait_for_selector("#script-sections button", timeout=10_000)
        first_name = (await console.inner_text("#lead-name")).split()[0]
        # The opening offers every branch.
        assert await buttons(console) == ["Too expensive", "Close", "Call me later"]
        await console.click("#script-sections button[data-section=price]")
        assert await console.inner_text("#script-section-title") == "Too expensive"
        assert first_name in await console.inner_text("#script-section-text")
        assert await buttons(console) == ["Back to the opening", "Close"]  # its own next step only
        await console.click("#script-sections button[data-section=close]")
        assert "Shall I set it up for you" in await console.inner_text("#script-section-text")
        assert "sale" in await console.inner_text("#script-section-disposition")
        await console.screenshot(path=str(artifacts / "console-script-sections.png"))
        await console.click("#script-sections button[data-section='']")
        assert await buttons(console) == ["Too expensive", "Close", "Call me later"]
        assert await console.inner_text("#script-section-text") == ""
        # The sections come as text: no element was made from the script.
        assert await console.locator("#script-sections p *").count() == 0
        assert not errors, errors
