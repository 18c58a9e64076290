"""The dashboard's recordings table shows the consent announcement the called party heard before the recording
began (headless chromium, the whole dialer, the simulated PBX playing the announcement)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.browser import signed_in
from harness.stepping import eventually
from harness.web import REPO, web_world

pytestmark = pytest.mark.browser


async def test_the_recordings_table_shows_the_consent_announcement(
    tmp_path: Path, aiohttp_client: Any, browser: Any
) -> None:
    async with web_world(tmp_path, speed=20.0, write_recordings=True) as world:
        client = await aiohttp_client(world.app)
        base = str(client.make_url("")).rstrip("/")
        boss, alice = world.auth("boss"), world.auth("alice")
        text = 'recording = "all"\nrecording_consent = true\n' + (REPO / "campaigns/demo.toml").read_text(
            encoding="utf-8"
        )
        resp = await client.put("/api/campaigns/demo", data=text, headers={**boss, "Content-Type": "application/toml"})
        assert resp.status == 200, await resp.text()
        await client.post("/api/agents/alice/login", json={"queues": ["outbound-agents"]}, headers=alice)
        await client.post("/api/agents/alice/ready", headers=alice)

        async def recorded() -> dict[str, Any] | None:
            body = await (await client.get("/api/agents/alice/call", headers=alice)).json()
            if not body["call"]:
                return None
            resp = await client.get(f"/api/recordings/{body['call']['attempt']['id']}", headers=boss)
            return await resp.json() if resp.status == 200 else None

        rec = await eventually(recorded, 60)
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
