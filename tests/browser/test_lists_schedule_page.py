"""Issue 18 in headless chromium: a manager sets a list's recycling at times of day on the lists page (a crontab
line read in the campaign's zone when none is given), sees its next run, and a bad line shows the API's problem
text next to the field.

Screenshots go to tests/artifacts/: lists-schedule-at.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from harness.browser import browsed_world, count_is, has_text, signed_in
from harness.stepping import eventually

pytestmark = pytest.mark.browser


async def test_a_manager_sets_weekday_mornings_and_a_bad_line_shows_its_error(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, campaign_running=False) as (world, client, base):
        errors: list[str] = []
        page = await signed_in(browser, base, "boss", errors, "/dashboard", then="/lists")
        await page.wait_for_selector("#schedule-list option", state="attached")
        assert not await page.locator("#schedule-at").is_visible()  # "every" is the default choice
        await page.check("#schedule-kind-at")
        await page.locator("#schedule-at").wait_for()
        assert await page.locator("#schedule-every").is_disabled()
        assert "0 9 * * mon-fri" in await page.inner_text("#schedule-at-hint")
        # Weekday mornings, in the campaign's zone (the zone left empty).
        await page.fill("#schedule-at", "0 9 * * mon-fri")
        await page.click("#btn-schedule-save")
        await eventually(lambda: has_text(page.locator("#schedule-count"), "(America/New_York)"), 10)
        row = page.locator("#schedules-table tbody tr")
        await eventually(lambda: count_is(row, 1), 10)
        cells = row.first.locator("td")
        assert await cells.nth(2).inner_text() == "0 9 * * mon-fri (America/New_York)"
        list_id = int(await page.locator("#schedule-list").input_value())
        url = f"/api/lead-lists/{list_id}/recycle-schedule"
        schedule = (await (await client.get(url, headers=world.auth("boss"))).json())["schedule"]
        next_run = datetime.fromisoformat(schedule["next_run_at"]).astimezone(ZoneInfo("America/New_York"))
        assert (next_run.hour, next_run.minute, next_run.weekday() < 5) == (9, 0, True)
        shown_next = await cells.nth(3).inner_text()
        assert shown_next.strip() not in ("", "—")
        assert str(next_run.day) in shown_next  # (the page shows that run, in the browser's own format)
        await page.screenshot(path=str(artifacts / "lists-schedule-at.png"), full_page=True)
        # A bad line: the API's 422 problem text next to the field; the saved schedule is kept.
        await page.fill("#schedule-at", "0 25 * * *")
        await page.click("#btn-schedule-save")
        await eventually(lambda: has_text(page.locator("#schedule-at-error"), "is not a crontab line"), 10)
        kept = (await (await client.get(url, headers=world.auth("boss"))).json())["schedule"]
        assert kept["at"] == "0 9 * * mon-fri"
        # Back to "every": the error goes, and an interval is saved as before.
        await page.check("#schedule-kind-every")
        assert await page.inner_text("#schedule-at-error") == ""
        await page.fill("#schedule-every", "2")
        await page.click("#btn-schedule-save")
        await eventually(lambda: has_text(row.first.locator("td").nth(2), "2 h"), 10)
        assert not errors, errors
        await page.close()
