"""The console's "ready in N s" in headless chromium: an agent in wrap-up types a number of seconds (keyboard only);
a bad one is refused with a visible message and changes nothing, a good one is the server's announcement and the
wrap-up timer counts down to it.

Screenshot to tests/artifacts/ (git-ignored): console-ready-in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import wrap_up_world
from harness.console import console_in_wrapup
from harness.stepping import eventually

from dialer.agents.ready import MAX_READY_ANNOUNCEMENT_SECONDS, READY_ANNOUNCEMENT_BUTTONS
from dialer.appkeys import DIALER

pytestmark = pytest.mark.browser

# The demo campaign with an hour of wrap-up, on a clock 5x real time: the agent stays in wrap-up for 12 minutes
# unless they announce, and an announced 12 s lasts 2.4 s -- long enough to see the countdown.
LONG_WRAPUP = 3600
SPEED = 5.0


async def test_an_agent_in_wrapup_types_ready_in_12_seconds(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with wrap_up_world(tmp_path, aiohttp_client, LONG_WRAPUP, speed=SPEED) as (world, _client, base):
        errors: list[str] = []
        page = await console_in_wrapup(browser, base, errors, "alice")
        await page.wait_for_selector("#wrapup:not([hidden])")
        buttons = page.locator("#ready-in button[data-ready-seconds]")
        assert [int(s) for s in await buttons.evaluate_all("bs => bs.map(b => b.dataset.readySeconds)")] == list(
            READY_ANNOUNCEMENT_BUTTONS
        )
        assert await page.get_attribute("#ready-in-seconds", "max") == str(MAX_READY_ANNOUNCEMENT_SECONDS)
        registry = world.app[DIALER].agents.registry
        before = registry.get("alice")
        assert before is not None
        assert before.announced_ready_at is None

        # A bad number: the server's sentence under the box, nothing announced, the wrap-up as it was.
        await page.keyboard.press("Alt+i")
        await page.keyboard.type(str(MAX_READY_ANNOUNCEMENT_SECONDS + 100))
        async with page.expect_response(lambda r: r.url.endswith("/ready-in")) as refused:
            await page.keyboard.press("Enter")
        assert (await refused.value).status == 422
        await page.wait_for_selector("#ready-in-msg.error")
        assert f"1 to {MAX_READY_ANNOUNCEMENT_SECONDS}" in await page.inner_text("#ready-in-msg")
        agent = registry.get("alice")
        assert agent is not None
        assert (agent.status, agent.announced_ready_at, agent.wrapup_until) == (
            before.status,
            None,
            before.wrapup_until,
        )

        # 12: the box still has the focus and its text selected, so the agent types over it.
        await page.keyboard.type("12")
        sent_at = world.clock.now()
        async with page.expect_response(lambda r: r.url.endswith("/ready-in")) as accepted:
            await page.keyboard.press("Enter")
        response = await accepted.value
        answered_at = world.clock.now()
        assert response.request.post_data_json == {"seconds": 12}
        assert response.status == 200
        state = await response.json()
        assert state["ready_announced"] is True
        assert 11.0 <= state["wrapup_seconds_left"] <= 12.0
        agent = registry.get("alice")
        assert agent is not None
        assert agent.announced_ready_at is not None
        assert sent_at + 12.0 <= agent.announced_ready_at <= answered_at + 12.0  # the server's state: ~12 s on
        assert agent.announced_ready_at == state["wrapup_until"]
        assert "12" in await page.inner_text("#ready-in-msg")
        assert not await page.locator("#ready-in-msg.error").count()

        # The console's timer counts down to the announced time (not the campaign's hour).
        async def counting_down() -> bool:
            text = (await page.inner_text("#wrapup-left")).split()[0]
            return text.isdigit() and int(text) <= 12

        await eventually(counting_down, 5.0)
        await page.screenshot(path=str(artifacts / "console-ready-in.png"))
        assert not errors, errors
        await page.close()
