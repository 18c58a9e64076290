"""A supervisor evaluates a recorded call of their team's agent on the dashboard (Evaluate beside the player: the
scorecard form, by keyboard), the list shows the score, and the agent reads it under "My evaluations" in the console
(headless chromium, the whole dialer, the simulated PBX recording the call).

Screenshots to tests/artifacts/ (git-ignored): quality-evaluation-form, quality-console-mine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import browsed_world, has_text, signed_in
from harness.stepping import eventually
from harness.web import recorded_call, supervisor

pytestmark = pytest.mark.browser


async def test_a_supervisor_evaluates_their_agents_call_and_the_agent_sees_it(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, write_recordings=True) as (world, client, base):
        rec = await recorded_call(world, client, consent=False)
        await supervisor(world, client)  # sue supervises north: alice
        errors: list[str] = []
        page = await signed_in(browser, base, "sue", errors, "/dashboard")
        await page.click("#rec-search")
        row = page.locator(f"#rec-table tr[data-attempt='{rec['attempt_id']}']")
        await row.wait_for(timeout=20_000)
        await row.locator("button[data-evaluate]").click()
        form = page.locator("#ev-form")
        await form.locator("fieldset[data-criterion='courtesy']").wait_for()
        # The first criterion has the focus; the keyboard answers it (space picks, arrows move within the group).
        assert await page.evaluate("document.activeElement.name") == "ev-greeting"
        await page.keyboard.press("Space")
        for criterion, value in (("compliance", "true"), ("discovery", "4"), ("resolution", "5"), ("courtesy", "null")):
            await form.locator(f"input[name='ev-{criterion}'][value='{value}']").check()
        await form.locator("input[name='ev-disposition'][value='true']").check()
        await page.fill("#ev-comment", "Clear greeting; ask one more discovery question.")
        await page.click("#ev-save")
        # (1 + 2 + 2 × 4/5 + 2 + 1) / 8 = 95
        assert await eventually(lambda: has_text(page.locator("#ev-msg"), "95"), 20)
        assert await eventually(lambda: has_text(row.locator("td.rec-score"), "95"), 20)
        await page.screenshot(path=str(artifacts / "quality-evaluation-form.png"), full_page=True)

        agent_page = await signed_in(browser, base, "alice", errors, "/console")
        mine = agent_page.locator("#my-evaluations li[data-evaluation]")
        await mine.first.wait_for(timeout=20_000)
        text = await mine.first.inner_text()
        assert "95" in text
        assert "sue" in text
        assert "ask one more discovery question" in text
        await agent_page.screenshot(path=str(artifacts / "quality-console-mine.png"), full_page=True)
        assert not errors, errors
