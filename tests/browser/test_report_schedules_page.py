"""Mailed reports on the reports page in headless chromium: a manager adds a weekly schedule from the form (the
campaign's zone, the chosen weekday), sees it listed with its next run, is told under the form what a bad address is
(in the page's language, Japanese here), and removes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import browsed_world, signed_in_context
from harness.stepping import eventually

pytestmark = pytest.mark.browser


async def test_a_manager_adds_and_removes_a_mailed_report(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client) as (_world, _client, base):
        errors: list[str] = []
        context, page = await signed_in_context(
            browser, base, "boss", errors, "/dashboard", timezone_id="Asia/Tokyo", locale="ja-JP"
        )
        await page.goto(f"{base}/reports")
        await page.wait_for_selector("#mail-campaign option[value=demo]", state="attached")

        await page.select_option("#mail-kind", "performance")
        await page.select_option("#mail-cadence", "weekly")
        await page.select_option("#mail-weekday", "fri")
        await page.fill("#mail-at", "08:30")
        await page.check("#mail-json")
        await page.fill("#mail-to", "not-an-address")
        await page.click("#mail-form button[type=submit]")
        message = page.locator("#mail-msg")
        await message.wait_for(state="visible")
        assert "メールアドレスではありません" in await message.text_content()  # type: ignore[operator]

        await page.fill("#mail-to", "boss@example.com, qa@example.com")
        await page.click("#mail-form button[type=submit]")
        row = page.locator("#mail-table tbody tr")
        await row.first.wait_for()
        assert await message.is_hidden()
        text = await row.first.text_content() or ""
        assert "パフォーマンス: demo" in text
        assert "毎週 金曜日 08:30 (America/New_York)" in text  # the campaign's zone
        assert "boss@example.com, qa@example.com" in text
        await page.screenshot(path=str(artifacts / "reports-page-mailed.png"), full_page=True)

        await row.first.locator("button").click()

        async def none_left() -> bool:
            return await row.count() == 0

        await eventually(none_left)
        assert not errors, errors
        await context.close()
