"""The console's "My day" card in headless chromium: it shows the agent's day (nothing yet), and once a call of theirs
ends it reads again and counts it -- the same figures the API gives; in Japanese, its words and durations too.

Screenshots to tests/artifacts/ (git-ignored): console-my-day, console-my-day-ja.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import browsed_world
from harness.console import agent_console
from harness.stepping import eventually

pytestmark = pytest.mark.browser

SPEED = 5.0  # the demo's calls and wrap-ups five times faster


def _cell(figure: str, side: str = "mine") -> str:
    return f"#myday-rows tr[data-figure={figure}] td.{side}"


async def test_the_card_shows_my_day_and_counts_a_call_once_it_ends(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, speed=SPEED) as (world, client, base):
        errors: list[str] = []
        page = await agent_console(browser, base, errors, "alice", live=True, ready=False)
        await page.wait_for_selector(_cell("conversations"))
        assert await page.inner_text(_cell("conversations")) == "0"
        assert await page.inner_text(_cell("aht")) == "—"
        assert await page.inner_text(_cell("conversations", "team")) == "—"  # alice is in no team here
        assert "no team" in await page.inner_text("#myday-note")
        assert (await page.inner_text("#myday-since")).startswith("since ")

        await page.keyboard.press("Alt+r")
        await page.wait_for_selector("#state-pill.pill-talking", timeout=120_000)
        assert await page.inner_text(_cell("conversations")) == "0"  # the call is not over yet

        async def counted() -> bool:
            text = await page.inner_text(_cell("conversations"))
            return text.isdigit() and int(text) >= 1

        await eventually(counted, 60.0)
        day = await (await client.get("/api/me/today", headers=world.auth("alice"))).json()
        assert day["mine"]["live_conversations"] >= 1
        assert day["mine"]["calls_outbound"] >= 1
        talk = await page.inner_text(_cell("talk"))
        assert talk not in ("", "—")
        await page.locator("#myday").screenshot(path=str(artifacts / "console-my-day.png"))

        # In Japanese: the card's words and its durations in the page's language.
        alice = world.auth("alice")
        assert (await client.put("/api/me/preferences", json={"language": "ja"}, headers=alice)).status == 200
        await page.reload()
        await page.wait_for_selector(_cell("talk"))
        assert await page.inner_text("#myday-h") == "今日の実績"
        assert await page.inner_text("#myday-rows tr[data-figure=talk] th") == "通話時間"
        talk_ja = await page.inner_text(_cell("talk"))  # e.g. "2 分 5 秒", or "2 分" for a whole two minutes
        assert any(unit in talk_ja for unit in ("秒", "分", "時間")), talk_ja
        assert not any(c.isascii() and c.isalpha() for c in talk_ja), talk_ja
        await page.locator("#myday").screenshot(path=str(artifacts / "console-my-day-ja.png"))
        assert not errors, errors
        await page.close()
