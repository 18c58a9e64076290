"""A campaign whose wrap-up only the disposition ends (``wrap_up_ends = "disposition"``), in headless chromium: the
agent's console says a disposition ends it, then that it is overdue; the manager's dashboard flags the agent
overdue; the disposition makes the agent ready.

Screenshots to tests/artifacts/ (git-ignored): console-wrapup-overdue, dashboard-wrapup-overdue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import signed_in, wrap_up_world
from harness.console import console_in_wrapup, dispose

pytestmark = pytest.mark.browser

# A 10 s wrap-up on a clock 5x real time: 2 s of "a disposition ends it", then overdue.
WRAP_UP = 10
SPEED = 5.0


async def test_an_owed_disposition_is_shown_overdue_until_given(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with wrap_up_world(tmp_path, aiohttp_client, WRAP_UP, speed=SPEED, ends="disposition") as (_world, _c, base):
        errors: list[str] = []
        page = await console_in_wrapup(browser, base, errors, "alice")
        await page.wait_for_selector("#wrapup.overdue", timeout=30_000)
        assert "disposition" in await page.inner_text("#wrapup-left")
        assert await page.is_disabled("#btn-ready")
        await page.screenshot(path=str(artifacts / "console-wrapup-overdue.png"))

        boss = await signed_in(browser, base, "boss", errors, "/dashboard", own_context=True)
        row = boss.locator("#agents-table tbody tr", has_text="alice")
        await row.locator("span.overdue").wait_for(timeout=30_000)
        assert "overdue" in await row.inner_text()
        await boss.screenshot(path=str(artifacts / "dashboard-wrapup-overdue.png"))

        await dispose(page, "no_decision")
        await page.wait_for_selector("#state-pill:not(.pill-wrapup)", timeout=30_000)
        await row.locator("span.overdue").wait_for(state="detached", timeout=30_000)
        assert not errors, errors
        await page.close()
        await boss.close()
