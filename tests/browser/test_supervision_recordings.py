"""Supervisor tools and recordings in headless chromium, against the whole dialer and the simulated PBX (which
records and spies as Asterisk 22 does): a supervisor whispers to and then barges into a live call from the
dashboard; a manager plays the call's recording in the page's audio player; another agent gets 403 for it; the
agent's console shows the call's script.

Screenshots go to tests/artifacts/: dashboard-supervise, dashboard-recording, console-script.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness.browser import assert_refused, browsed_world, signed_in
from harness.console import console_with_a_call
from harness.paths import REPO
from harness.stepping import eventually

from dialer.appkeys import DATABASE
from dialer.store.auth import update_user

pytestmark = pytest.mark.browser


async def _audit_row(page: Any, mode: str, state: str) -> bool:
    return await page.locator(f"#sv-audit tr[data-mode={mode}][data-state={state}]").count() > 0


async def test_supervisor_whispers_then_barges_and_a_manager_plays_the_recording(
    tmp_path: Path, aiohttp_client: Any, browser: Any, artifacts: Path
) -> None:
    async with browsed_world(tmp_path, aiohttp_client, speed=20.0, write_recordings=True) as (world, client, base):
        boss, alice = world.auth("boss"), world.auth("alice")
        text = 'recording = "all"\n' + (REPO / "campaigns/demo.toml").read_text(encoding="utf-8")
        resp = await client.put("/api/campaigns/demo", data=text, headers={**boss, "Content-Type": "application/toml"})
        assert resp.status == 200, await resp.text()
        await update_user(world.app[DATABASE], "boss", datetime.now(UTC), phone="Local/boss@sim-supervisors")
        errors: list[str] = []
        # alice works in her console: the script appears beside the screen pop.
        console = await console_with_a_call(browser, base, errors, "alice")
        await console.wait_for_selector("#script-panel:not([hidden])", timeout=10_000)
        script = await console.inner_text("#script-text")
        assert "My name is alice" in script
        await console.screenshot(path=str(artifacts / "console-script.png"))
        call = (await (await client.get("/api/agents/alice/call", headers=alice)).json())["call"]
        attempt = call["attempt"]["id"]
        # The supervisor, on the dashboard: whisper to alice, then barge in.
        page = await signed_in(browser, base, "boss", errors, "/dashboard")
        await page.wait_for_selector("#sv-agent option[value=alice]", state="attached")
        await page.select_option("#sv-agent", "alice")
        await page.click("#sv-whisper")
        await eventually(lambda: _audit_row(page, "whisper", "started"), 20)
        await page.click("#sv-barge")
        await eventually(lambda: _audit_row(page, "barge", "started"), 20)
        await eventually(lambda: _audit_row(page, "whisper", "ended"), 20)
        await page.screenshot(path=str(artifacts / "dashboard-supervise.png"))
        # The call ends; its recording is searchable and plays in the page's audio player.

        async def recorded() -> bool:
            resp = await client.get(f"/api/recordings/{attempt}", headers=boss)
            return resp.status == 200 and (await resp.json())["state"] == "done"

        await eventually(recorded, 90)
        await page.fill("#rec-agent", "alice")
        await page.click("#rec-search")
        row = page.locator(f"#rec-table tr[data-attempt='{attempt}']")
        await row.wait_for(timeout=10_000)
        async with page.expect_response(lambda r: f"/api/recordings/{attempt}/audio" in r.url) as audio:
            await row.locator("button", has_text="Play").click()
        assert (await audio.value).status in (200, 206)
        src = await page.get_attribute("#rec-player", "src")
        assert src == f"/api/recordings/{attempt}/audio"
        for _ in range(100):
            if await page.eval_on_selector("#rec-player", "a => a.readyState") >= 1:
                break
            await asyncio.sleep(0.1)
        duration = await page.eval_on_selector("#rec-player", "a => a.duration")
        assert duration > 0, "the player read the WAV"
        await page.screenshot(path=str(artifacts / "dashboard-recording.png"))
        # Another agent asking for it: 403.
        other = await signed_in(browser, base, "bob", errors, "/console")
        await assert_refused(other, base, f"/api/recordings/{attempt}/audio")
        assert errors == []
