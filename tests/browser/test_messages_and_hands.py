"""Messages and raised hands in headless chromium: a supervisor sends their team's agent a message from the
dashboard, it appears as a banner on the agent's console, the agent answers "Got it" by keyboard and the supervisor
sees it read; the agent, in a call's wrap-up, raises a hand with a note (Alt+H) and the dashboard's row shows it
(and the count) until the supervisor lowers it.

Screenshots to tests/artifacts/ (git-ignored): messages-console-banner, messages-dashboard-hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import has_text, signed_in, wrap_up_world
from harness.console import agent_console
from harness.stepping import eventually
from harness.web import supervisor

pytestmark = pytest.mark.browser


async def test_a_supervisor_messages_an_agent_who_raises_a_hand(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with wrap_up_world(tmp_path, aiohttp_client, 3600, speed=5.0) as (world, client, base):  # alice stays in it
        await supervisor(world, client)  # sue supervises north: alice
        errors: list[str] = []
        agent = await agent_console(browser, base, errors, "alice", live=True, ready=False)
        dash = await signed_in(browser, base, "sue", errors, "/dashboard")
        await dash.wait_for_selector("#ws-status.dot-on")
        await dash.wait_for_selector("#msg-to option[value='agent:alice']", state="attached")

        await dash.select_option("#msg-to", "agent:alice")
        await dash.fill("#msg-text", "Team huddle at 3")
        await dash.click("#msg-send")
        assert await eventually(lambda: has_text(dash.locator("#msg-msg"), "1"), 20)
        row = dash.locator("#msg-table tbody tr").first
        assert await eventually(lambda: has_text(row.locator("td.msg-read"), "0"), 20)

        banner = agent.locator(".message-banner")
        await banner.wait_for(timeout=20_000)
        assert "Team huddle at 3" in await banner.inner_text()
        assert "sue" in await banner.inner_text()
        assert await agent.get_attribute("#inbox", "aria-live") == "polite"
        await agent.screenshot(path=str(artifacts / "messages-console-banner.png"), full_page=True)
        await banner.get_by_role("button").focus()
        await agent.keyboard.press("Enter")  # "Got it"
        await banner.wait_for(state="detached", timeout=20_000)
        assert await eventually(lambda: has_text(row.locator("td.msg-read"), "alice"), 20)
        assert "1" in await row.locator("td.msg-read").inner_text()

        # On a call's wrap-up, alice raises her hand with a note; the dashboard shows it on her row and counts it.
        await agent.keyboard.press("Alt+r")
        await agent.wait_for_selector("#state-pill.pill-wrapup", timeout=120_000)
        await agent.fill("#hand-note", "refund over 500?")
        await agent.keyboard.press("Alt+h")
        await agent.wait_for_selector("#btn-hand-lower:not([hidden])")
        hand = dash.locator("#agents-table [data-hand='alice']")
        await hand.wait_for(timeout=20_000)
        assert "refund over 500?" in await hand.inner_text()
        assert await eventually(lambda: has_text(dash.locator("#hands-raised"), "1"), 20)
        await dash.screenshot(path=str(artifacts / "messages-dashboard-hand.png"), full_page=True)

        await dash.wait_for_selector("#hand-lower:not([disabled])")
        await dash.select_option("#hand-agent", "alice")
        await dash.click("#hand-lower")
        await hand.wait_for(state="detached", timeout=20_000)
        assert await eventually(lambda: has_text(agent.locator("#hand-msg"), "sue"), 20)
        await agent.wait_for_selector("#btn-hand-lower[hidden]", state="attached")
        assert not errors, errors
