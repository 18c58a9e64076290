"""The dashboard's recordings table shows the consent announcement the called party heard before the recording
began (headless chromium, the whole dialer, the simulated PBX playing the announcement)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import browsed_world, signed_in
from harness.web import recorded_call

pytestmark = pytest.mark.browser


async def test_the_recordings_table_shows_the_consent_announcement(
    tmp_path: Path, aiohttp_client: Any, browser: Any
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, write_recordings=True) as (world, client, base):
        rec = await recorded_call(world, client, consent=True)
        assert rec["consent_status"] == "SUCCESS"
        errors: list[str] = []
        page = await signed_in(browser, base, "boss", errors, "/dashboard")
        await page.click("#rec-search")
        cell = page.locator(f"#rec-table tr[data-attempt='{rec['attempt_id']}'] td.rec-consent")
        await cell.wait_for(timeout=20_000)
        assert (await cell.inner_text()).strip(), "the time the announcement played"
        header = await page.locator("#rec-table thead th").all_text_contents()
        assert "Consent" in header
        assert not errors, errors
